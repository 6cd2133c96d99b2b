// The composed kernel's NUMA-balancing side (kernel.ts TieringKernel, for numa-tiering, tpp,
// autonuma, mglru, colloid-tpp, nomad, neomem): the scanner's timer and the hint-fault handler.
// It changes when the kernel's hint-fault path does; kernel.ts keeps allocation, kswapd and reclaim.
//
// - Scan timer (kernel/sched/fair.c task_numa_work): each tick runs one scan (numa-balancing.ts
//   NumaScanner.work), in tiering mode stamping marked slow-tier pages with the scan time
//   (folio_xchg_access_time); the next tick is a scan period later, or later still when
//   update_task_scan_period pushed mm->numa_next_scan out.
// - NUMA hint fault (mm/memory.c do_numa_page, kernel/sched/fair.c should_numa_migrate_memory,
//   mm/migrate.c migrate_misplaced_folio / numamigrate_isolate_folio / migrate_balanced_pgdat):
//   mode 1: promote a remote page at its second fault (the first sets last_cpupid); mode 2: the
//   free-space bypass, the hot threshold on hint-fault latency, the rate limit. A promotion needs
//   free > high + 1 on node 0; otherwise mode 2 wakes kswapd there and leaves the page. The page
//   moves synchronously, stalling the faulting CPU. Fault statistics (task_numa_fault) feed the
//   scan period.
// - TPP (mm/memory.c do_numa_page in the TPP patch): a slow-tier page promotes only from the
//   active LRU; the fault that finds it inactive marks it accessed and leaves it.

import type { Host } from '../policy.ts';
import type { TieringKernel } from './kernel.ts';
import type { KernelOptions } from './kernel-params.ts';
import { NUMA_BALANCING_MEMORY_TIERING, NUMA_BALANCING_NORMAL } from './numa-balancing.ts';
import { ADD_MIGRATED } from './lru.ts';

/** Scanner passes over the whole address space before promotion is in steady state. */
const SETTLED_PASSES = 2;
/** With TPP's active-LRU gate a page promotes at its third hint fault, so one pass more. */
const SETTLED_PASSES_TPP_GATE = 3;
export const SCANNER_UNSETTLED =
  `NUMA balancing had not settled when the run ended: its scanner had not made ${SETTLED_PASSES} passes over the address space (the first starts after scanDelayMs; ` +
  `a slow-tier page gets one hint fault per pass; with TPP's active-LRU gate, ${SETTLED_PASSES_TPP_GATE} passes, as a page promotes at its third), or, ` +
  'in memory-tiering mode, its scan period was still doubling towards task_scan_max ' +
  '(the only faults recorded there are promotions, counted remote and private, so every update_task_scan_period doubles it): hint-fault and promotion rates are a transient';

/** The scan timer and hint-fault handler of one TieringKernel (which owns the scanner and the per-page columns). */
export class KernelNuma {
  /** mm->numa_next_scan in ns. */
  private nextScanNs = 0;
  private settled = false;

  constructor(
    private readonly k: TieringKernel,
    private readonly host: Host,
    private readonly o: KernelOptions,
    /** The kernel's counter ids (kernel.ts constructor). */
    private readonly c: Record<string, number>,
    private readonly timerId: number,
    private readonly rateLimitPages: number,
    /** pgdat_free_space_enough's margin above promo (base pages). */
    private readonly enoughFreePages: number,
  ) {
    host.after(k.scanner!.firstDelayMs() * 1e6, timerId);
  }

  scanTick(): void {
    const host = this.host;
    const sc = this.k.scanner!;
    const now = host.now();
    if (now < this.nextScanNs) {
      // mm->numa_next_scan was pushed out by a "scan slower" update.
      host.after(this.nextScanNs - now, this.timerId);
      return;
    }
    // Tiering mode stamps each marked page with the scan time (folio_xchg_access_time).
    const marked = sc.work(this.o.numaMode === NUMA_BALANCING_MEMORY_TIERING ? this.k.accessTimeMs : null, Math.floor(now / 1e6));
    host.count(this.c.scans);
    host.count(this.c.marked, marked);
    // Colloid (mode 6) records no fault statistics, so its scan period never moves: nothing to wait for.
    const periodSettled = this.o.numaMode !== NUMA_BALANCING_MEMORY_TIERING || this.o.colloid !== undefined || sc.periodMs >= sc.scanMaxMs();
    const passes = this.o.tpp?.promoteActiveOnly ? SETTLED_PASSES_TPP_GATE : SETTLED_PASSES;
    if (sc.passes >= passes && periodSettled && !this.settled) {
      this.settled = true;
      host.warn(SCANNER_UNSETTLED, now); // a run that reaches this point has settled: retract
    }
    this.nextScanNs = now + sc.periodMs * 1e6;
    host.after(sc.periodMs * 1e6, this.timerId);
  }

  hintFault(page: number, cpu: number): void {
    const host = this.host;
    const k = this.k;
    const sc = k.scanner!;
    const src = host.tierOf(page);
    if (src < 0) return;
    k.ensure(page + 1);
    host.count(this.c.hint);
    const mode = this.o.numaMode;
    const local = src === 0;
    if (local) host.count(this.c.hintLocal);
    if (local && this.o.colloid) {
      // Colloid: numa_migrate_memory_away_target; no fault statistics without NUMA_BALANCING_NORMAL.
      this.o.colloid.localHintFault(page);
      return;
    }
    const useAccessTime = mode === NUMA_BALANCING_MEMORY_TIERING && !local;
    const prevCpu = useAccessTime ? -1 : k.lastCpu[page];
    let migrate = false;
    if (useAccessTime) {
      migrate = this.shouldPromoteTiering(page);
    } else {
      k.lastCpu[page] = cpu; // folio_xchg_last_cpupid
      // A remote page on a slow node with no valid last_cpupid waits for a second fault; with every
      // CPU on node 0 the remaining two-stage filter and group checks all point at node 0.
      migrate = !local && (mode !== NUMA_BALANCING_NORMAL || prevCpu >= 0);
    }
    let migrated = false;
    let failed = false;
    if (migrate) {
      // migrate_balanced_pgdat: order-0 check of high + the folio's base pages.
      if (this.o.asyncPromote) {
        // Nomad: handed to the module (queue_page_fault) whatever node 0's free space: its worker
        // allocates later. For the scan-period statistics it counts as the promotion it replaces
        // (a fault on node 0) [estimate].
        this.o.asyncPromote(page);
        migrated = true;
      } else if (k.freeBase(0) > k.wm.high[0] + k.ppf) {
        const wasActive = k.reclaimer.isActive(page);
        if (host.migrate(page, 0)) {
          migrated = true;
          k.reclaimer.add(page, 0, ADD_MIGRATED, wasActive);
          host.count(this.c.promoted);
        } else failed = true;
      } else {
        failed = true;
        host.count(this.c.noRoom);
        if (mode === NUMA_BALANCING_MEMORY_TIERING) k.wakeKswapd(0);
      }
    }
    if (migrated && this.o.tpp && !this.o.asyncPromote && k.freeBase(0) < k.demoteWm) k.wakeKswapd(0);
    // task_numa_fault: tiering mode records nothing for memory left on a slow node.
    const memTier = migrated ? 0 : src;
    if (mode === NUMA_BALANCING_MEMORY_TIERING && memTier !== 0) return;
    if (this.o.colloid) return; // Colloid's task_numa_fault returns early without NUMA_BALANCING_NORMAL
    const priv = prevCpu < 0 || prevCpu === cpu;
    if (sc.recordFault(priv, local, failed)) {
      host.count(this.c.periodUpdates);
      if (sc.lastUpdateDoubled) this.nextScanNs = host.now() + sc.periodMs * 1e6;
    }
  }

  /** should_numa_migrate_memory's memory-tiering branch (plus TPP's active-LRU rule first). */
  shouldPromoteTiering(page: number): boolean {
    const host = this.host;
    const k = this.k;
    const o = this.o;
    if (o.tpp?.promoteActiveOnly && !k.reclaimer.isActive(page)) {
      // TPP's do_numa_page gate tests PageActive before mark_page_accessed and leaves the page
      // whatever that call did: the fault that activates a page does not promote it; its next
      // hint fault (a later scan pass) does.
      k.reclaimer.markAccessed(page);
      host.count(this.c.inactive);
      return false;
    }
    const nowMs = Math.floor(host.now() / 1e6);
    if (k.freeBase(0) > k.wm.promo[0] + this.enoughFreePages) {
      k.promo.thresholdMs = 0; // workload changed: reset the hot threshold
      if (o.colloid?.blocksPromotion()) return false;
      host.count(this.c.bypass);
      return true;
    }
    if (k.promo.adjustThreshold(nowMs, this.rateLimitPages, o.hotThresholdMs, o.scan.scanPeriodMaxMs)) host.count(this.c.adjust);
    const th = k.promo.threshold(o.hotThresholdMs);
    const latency = nowMs - k.accessTimeMs[page];
    k.accessTimeMs[page] = nowMs;
    if (latency >= th) {
      host.count(this.c.cold);
      return false;
    }
    if (o.colloid?.blocksPromotion()) return false;
    host.count(this.c.cand);
    if (k.promo.rateLimited(nowMs, this.rateLimitPages, 1)) {
      host.count(this.c.limited);
      return false;
    }
    return true;
  }
}
