// Colloid (Vuppalapati & Agarwal, "Tiered Memory Management: Access Latency is the Key!", SOSP'24;
// artifact host-architecture/colloid): balance the access latencies of the tiers instead of
// packing the hottest pages into the default tier. Only the logic is followed; no code is copied.
//
// - Monitor (tpp/colloid-mon/colloid-mon.c thread_fun_poll_cha): per tier, the CHA TOR occupancy
//   and inserts of demand reads (here LoadHost.tierOccupancyNs / tierArrivals, which count every
//   line the tier served, workload and antagonist alike). Each poll: occupancy rate = Δoccupancy /
//   Δt, inserts = Δinserts, in the module's fixed point (<< 20, << 10); each smoothed by an integer
//   EWMA with weight 2^−EWMA_EXP for the new sample (EWMA_EXP = 5 when spin-polling, the
//   artifact's setting; 1 with 10 ms sleeps); latency = smoothed occupancy / smoothed inserts
//   (converted to ns; not rounded to the module's raw units), floored at MIN_LOCAL_LAT /
//   MIN_REMOTE_LAT, and the floor when the smoothed inserts are 0;
//   colloid_local_lat_gt_remote = local latency > remote latency.
// - On TPP / memory tiering (numa_balancing = 6 = MEMORY_TIERING | COLLOID; tpp/linux-6.3,
//   kernel/sched/fair.c should_numa_migrate_memory, numa_migrate_memory_away_target; mm/memory.c
//   do_numa_page; mm/mprotect.c change_pte_range) — wired into policies/lib/kernel.ts through
//   KernelOptions.colloid:
//   · the scanner also marks top-tier pages PROT_NONE and stamps them with the scan time;
//   · promotion of a slow-tier page is refused while local is slower (both in the free-space
//     bypass and after the hot-threshold test, before the rate limit);
//   · a hint fault on a top-tier page whose hint-fault latency is under the hot threshold, while
//     local is slower, moves the page to the next demotion node (synchronously, in the faulting
//     task, if that node is balanced: free > high + the page);
//   · fault statistics are not recorded (task_numa_fault returns early without NUMA_BALANCING_NORMAL),
//     so the scan period stays where it started.

import type { LoadHost } from '../policy.ts';
import { ADD_MIGRATED } from './lru.ts';
import type { TieringKernel } from './kernel.ts';

/** colloid-mon.c fixed point: occupancy rate << 20, inserts << 10. */
const OCC_ONE = 2 ** 20;
const INS_ONE = 2 ** 10;

/** numa_balancing bit of the Colloid kernel (include/linux/sched/sysctl.h in the artifact). */
export const NUMA_BALANCING_COLLOID = 4;

export interface ColloidMonitorParams {
  /** Interval between two polls of the counters, ns. */
  pollNs: number;
  /** EWMA weight of a new sample: 2^−ewmaExp. */
  ewmaExp: number;
  /** Floors of the measured latencies (MIN_LOCAL_LAT, MIN_REMOTE_LAT), ns. */
  minLocalLatNs: number;
  minRemoteLatNs: number;
}

/** colloid-mon: smoothed per-tier latency of the default tier (0) and the alternate tier (1). */
export class ColloidMonitor {
  smoothedOcc = new Float64Array(2);
  smoothedInserts = new Float64Array(2);
  latNs = new Float64Array(2);
  /** colloid_local_lat_gt_remote. */
  localSlower = false;
  private readonly prevOcc = new Float64Array(2);
  private readonly prevIns = new Float64Array(2);
  private prevNs = 0;

  constructor(
    private readonly host: LoadHost,
    private readonly p: ColloidMonitorParams,
  ) {
    for (let t = 0; t < 2; t++) {
      this.prevOcc[t] = host.tierOccupancyNs(t);
      this.prevIns[t] = host.tierArrivals(t);
    }
    this.latNs[0] = p.minLocalLatNs;
    this.latNs[1] = p.minRemoteLatNs;
    this.prevNs = host.now();
  }

  /** One poll: read the counters, update the EWMAs and the flag. */
  poll(): void {
    const host = this.host;
    const now = host.now();
    const dt = now - this.prevNs;
    if (dt <= 0) return;
    this.prevNs = now;
    const keep = 2 ** this.p.ewmaExp - 1;
    const div = 2 ** this.p.ewmaExp;
    for (let t = 0; t < 2; t++) {
      const occ = host.tierOccupancyNs(t);
      const ins = host.tierArrivals(t);
      // The module's fixed point: occupancy rate (mean lines in flight) << 20, inserts per poll << 10,
      // and integer EWMAs ((cur + (2^k − 1)·s) >> k). The flooring matters: with no traffic a
      // tier's smoothed inserts reach 0 within a few hundred polls and its latency falls back to
      // the floor, where real-valued EWMAs would keep the last latency forever.
      const curOcc = Math.floor(((occ - this.prevOcc[t]) / dt) * OCC_ONE);
      const curIns = Math.floor((ins - this.prevIns[t]) * INS_ONE);
      this.prevOcc[t] = occ;
      this.prevIns[t] = ins;
      this.smoothedOcc[t] = Math.floor((curOcc + keep * this.smoothedOcc[t]) / div);
      this.smoothedInserts[t] = Math.floor((curIns + keep * this.smoothedInserts[t]) / div);
      const min = t === 0 ? this.p.minLocalLatNs : this.p.minRemoteLatNs;
      // (occupancy rate / inserts per poll) · poll interval = ns per line (Little's law).
      const lat = this.smoothedInserts[t] > 0 ? ((this.smoothedOcc[t] / OCC_ONE) * this.p.pollNs) / (this.smoothedInserts[t] / INS_ONE) : min;
      this.latNs[t] = lat > min ? lat : min;
    }
    this.localSlower = this.latNs[0] > this.latNs[1];
  }
}

/**
 * Colloid's additions to the memory-tiering kernel (KernelOptions.colloid): the promotion gate and
 * the move of hot local pages away, reading the monitor's flag.
 */
export class ColloidTiering {
  kernel: TieringKernel | null = null;
  private readonly cAway: number;
  private readonly cAwayCold: number;
  private readonly cAwayNoRoom: number;
  private readonly cBlocked: number;

  constructor(
    private readonly host: LoadHost,
    readonly monitor: ColloidMonitor,
  ) {
    this.cAway = host.counter('colloidMovedAway');
    this.cAwayCold = host.counter('colloidAwayCold');
    this.cAwayNoRoom = host.counter('colloidAwayNoRoom');
    this.cBlocked = host.counter('colloidPromoteBlocked');
  }

  /** should_numa_migrate_memory, Colloid's gate: refuse the promotion while local is slower. */
  blocksPromotion(): boolean {
    if (!this.monitor.localSlower) return false;
    this.host.count(this.cBlocked);
    return true;
  }

  /**
   * do_numa_page on a top-tier page: numa_migrate_memory_away_target, then the migration. Reads the
   * hint-fault latency (and re-stamps the page) only while local is slower, as the original does.
   */
  localHintFault(page: number): void {
    const k = this.kernel!;
    const host = this.host;
    if (!this.monitor.localSlower) return;
    const nowMs = Math.floor(host.now() / 1e6);
    const th = k.promo.threshold(k.hotThresholdMs);
    const latency = nowMs - k.accessTimeMs[page];
    k.accessTimeMs[page] = nowMs;
    if (latency >= th) {
      host.count(this.cAwayCold);
      return;
    }
    // next_demotion_node(0); migrate_misplaced_page needs the target balanced (free > high + the page).
    const d = 1;
    if (!(k.freeBase(d) > k.wm.high[d] + k.ppf)) {
      host.count(this.cAwayNoRoom);
      return;
    }
    const wasActive = k.reclaimer.isActive(page);
    if (host.migrate(page, d)) {
      k.reclaimer.add(page, d, ADD_MIGRATED, wasActive);
      host.count(this.cAway);
    }
  }
}
