// colloid-memtis: Colloid on Memtis (Vuppalapati & Agarwal, SOSP'24 §4; artifact's Memtis fork
// github.com/webglider/memtis). Only the logic is followed; no code is copied. Memtis itself
// (sampling, histogram, thresholds, cooling, kmigraterd's demotion for room, splitting) is
// policies/memtis.ts; this file adds the monitor and replaces kmigraterd's promote_node.
//
// What follows which source:
// - [code] The monitor, webglider/memtis colloid-mon/colloid-mon.c thread_fun_poll_cha (the
//   Memtis build, which exports colloid_delta_p and colloid_dynlimit; linux/mm/htmm_migrater.c
//   declares them "scaled by COLLOID_PRECISION" and "expressed in base pages"):
//   · every SAMPLE_INTERVAL_MS = 10 ms (SPINPOLL off, so EWMA_EXP = 4): per tier the occupancy
//     rate (mean lines in flight × OCC_PRECISION 10^6, floored) and the inserts of the interval,
//     each through the integer EWMA (cur + 15·s) >> 4 (LoadHost counters stand for the CHA TOR
//     counters and already cover every CHA, so no NUM_CHA_BOXES factor);
//   · local slower ⟺ occ_l·ins_r > occ_r·ins_l (latency = occ / ins, cross-multiplied);
//   · balanced when |occ_l·ins_r − occ_r·ins_l| ≤ 5 % (COLLOID_DELTA_PERCENT) of occ_l·ins_r, i.e.
//     the latencies differ by at most 5 % of local's: Δp = 0;
//   · otherwise a bisection on the local access share p = ins_l / (ins_l + ins_r) (×10^9,
//     COLLOID_PRECISION): local faster → p_lo = p (and p_hi back to 1 if p_hi ≤ p_lo), local
//     slower → p_hi = p (p_lo back to 0 if p_lo ≥ p_hi); a bracket under 1 % (COLLOID_EPSILON_PERCENT)
//     is reopened on the side the shift goes to; target = (p_lo + p_hi) / 2, Δp = |target − p|;
//   · dynlimit = Δp · (ins_l + ins_r) · (MIGRATION_QUANTUM_MS 500 / SAMPLE_INTERVAL_MS 10) / 64
//     base pages: the lines to shift in one 500 ms migration quantum, 64 lines per 4 KiB page.
// - [code] How the artifact runs it (host-architecture/colloid scripts/memtis-colloid.sh): the
//   Memtis fork's colloid-mon.ko loaded, then `enabled` written to /sys/kernel/mm/htmm/htmm_colloid
//   (Colloid is a switch on Memtis, as this policy is Memtis plus the switch's effects).
// - [paper, §4] Memtis's integration moves pages chosen from its access histogram so that the share
//   of accesses the default tier serves moves by Δp, one direction per quantum (promotion while local
//   is faster, demotion while it is slower), bounded per quantum. The fork's tracepoint
//   colloid_migrate (include/trace/events/colloid.h: nr_to_scan, migrate_limit, delta_p,
//   overall_accesses, promotion, nr_migrated) shows the same quantities per kmigraterd pass.
// - [design] The consumer of colloid_delta_p in the fork's kmigraterd is not in the code index, so
//   the page choice is the paper's rule made concrete: each page's share p = its Memtis access count
//   / the sum of all counts (overall_accesses); the candidates — for a promotion the slow tier's
//   active list (Memtis's own promotion candidates, bin ≥ hot threshold, for which
//   need_toptier_demotion makes room), for a demotion every fast-tier page — are walked hottest first
//   (descending count — the histogram bins from the top, finer within a bin; ties by page id) and a
//   page moves when p ≤ the remaining Δp, which then drops by p; a page with p = 0 stops the walk
//   (it shifts nothing); the pass stops at the limit (min(migrateLimitMiB, dynlimit), checked
//   before each move, as colloid-hemem's shared rule does), when the target tier is full, or for a
//   promotion when the fast tier would dip under Memtis's promotion watermark (promotion_available).
//   This replaces promote_node (as the HeMem fork replaces HeMem's promotion loop); Memtis's
//   demotion for room (need_toptier_demotion / demote_node, direct demotion) is unchanged.
// - [estimate] migrateLimitMiB, the static cap per quantum (1 GiB; plausible 256 MiB–4 GiB).
// - The monitor runs on a core of its own in the artifact: it costs the workload nothing here.

import { definePolicy, asLoadHost } from './policy.ts';
import type { LoadHost, PolicyHooks } from './policy.ts';
import memtis, { Memtis, L_FAST_ACTIVE, L_FAST_INACTIVE, L_SLOW_ACTIVE, L_SLOW_INACTIVE } from './memtis.ts';
import type { MemtisParams } from './memtis.ts';
import { NO_PAGE } from './lib/page-lists.ts';
import { grow } from './lib/grow.ts';

const TIMER_COLLOID_POLL = 1000;
/** COLLOID_PRECISION: shares are integers in units of 10^−9. */
export const COLLOID_ONE = 1e9;
/** OCC_PRECISION: the occupancy rate (mean lines in flight) is kept × 10^6. */
const OCC_PRECISION = 1e6;
/** Lines of 64 B per 4 KiB base page (dynlimit's divisor). */
const LINES_PER_BASE_PAGE = 64;
const BASE_PER_MIB = 256;

export interface ColloidMemtisMonitorParams {
  pollIntervalMs: number;
  ewmaExp: number;
  deltaPct: number;
  epsilonPct: number;
  /** Migration quantum over the poll interval (500 / 10 = 50). */
  quantumPolls: number;
}

/** colloid-mon.c of the Memtis fork: smoothed counters, the local-slower flag, Δp and dynlimit. */
export class ColloidMemtisMonitor {
  readonly occ = new Float64Array(2);
  readonly ins = new Float64Array(2);
  localSlower = false;
  pLo = 0;
  pHi = COLLOID_ONE;
  /** Share of accesses to shift, in units of 10^−9 (colloid_delta_p). */
  deltaP = 0;
  /** 4 KiB pages to move in one migration quantum at most (colloid_dynlimit). */
  dynLimit = 0;
  private readonly prevOcc = new Float64Array(2);
  private readonly prevIns = new Float64Array(2);
  private prevNs: number;

  constructor(
    private readonly host: LoadHost,
    private readonly p: ColloidMemtisMonitorParams,
  ) {
    for (let t = 0; t < 2; t++) {
      this.prevOcc[t] = host.tierOccupancyNs(t);
      this.prevIns[t] = host.tierArrivals(t);
    }
    this.prevNs = host.now();
  }

  poll(): void {
    const host = this.host;
    const now = host.now();
    const dt = now - this.prevNs;
    if (dt <= 0) return;
    this.prevNs = now;
    const keep = 2 ** this.p.ewmaExp - 1;
    const div = 2 ** this.p.ewmaExp;
    for (let t = 0; t < 2; t++) {
      const o = host.tierOccupancyNs(t);
      const n = host.tierArrivals(t);
      // Δ(lines·ns) / Δns = mean lines in flight; × 10^6 first so that round figures stay exact.
      const curOcc = Math.floor(((o - this.prevOcc[t]) * OCC_PRECISION) / dt);
      const curIns = Math.floor(n - this.prevIns[t]);
      this.prevOcc[t] = o;
      this.prevIns[t] = n;
      this.occ[t] = Math.floor((curOcc + keep * this.occ[t]) / div);
      this.ins[t] = Math.floor((curIns + keep * this.ins[t]) / div);
    }
    const [oL, oR] = this.occ;
    const [iL, iR] = this.ins;
    // Cross products as the module's (u64 there; doubles here, exact below 2^53, which covers
    // every test figure; beyond it only the last digits of a comparison blur).
    const a = oL * iR;
    const b = oR * iL;
    this.localSlower = a > b;
    const absDiff = a > b ? a - b : b - a;
    if (absDiff <= Math.floor((this.p.deltaPct * a) / 100) || iL + iR <= 0) {
      this.deltaP = 0;
    } else {
      const cur = Math.floor((iL * COLLOID_ONE) / (iL + iR));
      if (!this.localSlower) {
        this.pLo = cur;
        if (this.pHi <= this.pLo) this.pHi = COLLOID_ONE;
      } else {
        this.pHi = cur;
        if (this.pLo >= this.pHi) this.pLo = 0;
      }
      if (this.pHi - this.pLo < Math.floor((this.p.epsilonPct * COLLOID_ONE) / 100)) {
        if (!this.localSlower) this.pHi = COLLOID_ONE;
        else this.pLo = 0;
      }
      const target = Math.floor((this.pLo + this.pHi) / 2);
      this.deltaP = target >= cur ? target - cur : cur - target;
    }
    this.dynLimit = Math.floor((this.deltaP * (iL + iR) * this.p.quantumPolls) / (COLLOID_ONE * LINES_PER_BASE_PAGE));
  }
}

export interface ColloidMemtisParams extends MemtisParams {
  pollIntervalMs: number;
  ewmaExp: number;
  deltaPct: number;
  epsilonPct: number;
  migrateLimitMiB: number;
  dynamicLimit: boolean;
}

export class ColloidMemtis extends Memtis {
  readonly monitor: ColloidMemtisMonitor;
  /** Pages of the source tier, sorted hottest first (scratch of a pass). */
  private order = new Int32Array(64);
  private readonly hotter: (a: number, b: number) => number;
  private readonly cp: ColloidMemtisParams;
  private readonly cPolls: number;
  private readonly cSlowerPolls: number;
  private readonly cPasses: number;
  private readonly cColloidPromoted: number;
  private readonly cColloidDemoted: number;
  /** Δp left after the last pass (share, 0–1), for tests. */
  lastRemaining = 0;

  constructor(
    params: ColloidMemtisParams,
    private readonly load: LoadHost,
  ) {
    super(params, load);
    this.cp = params;
    this.monitor = new ColloidMemtisMonitor(load, {
      pollIntervalMs: params.pollIntervalMs,
      ewmaExp: params.ewmaExp,
      deltaPct: params.deltaPct,
      epsilonPct: params.epsilonPct,
      quantumPolls: Math.max(1, Math.floor(params.migrationPeriodMs / params.pollIntervalMs)),
    });
    this.hotter = (a, b) => this.count[b] - this.count[a] || a - b;
    this.cPolls = load.counter('colloidPolls');
    this.cSlowerPolls = load.counter('colloidLocalSlowerPolls');
    this.cPasses = load.counter('colloidPasses');
    this.cColloidPromoted = load.counter('colloidPromoted');
    this.cColloidDemoted = load.counter('colloidDemoted');
  }

  override start(): void {
    super.start();
    this.load.every(this.cp.pollIntervalMs * 1e6, TIMER_COLLOID_POLL);
  }

  override hooks(): PolicyHooks {
    const h = super.hooks();
    const memtisTimer = h.onTimer!;
    return { ...h, onTimer: (id) => (id === TIMER_COLLOID_POLL ? this.poll() : memtisTimer(id)) };
  }

  poll(): void {
    this.monitor.poll();
    this.load.count(this.cPolls);
    if (this.monitor.localSlower) this.load.count(this.cSlowerPolls);
  }

  /**
   * kmigraterd's promotion step, replaced by Colloid's migration: move the hottest pages whose
   * access share fits in the remaining Δp, toward the faster tier.
   */
  override promoteNode(): void {
    const host = this.load;
    const mon = this.monitor;
    this.lastRemaining = 0;
    if (mon.deltaP <= 0) return;
    host.count(this.cPasses);
    const promotion = !mon.localSlower;
    const lists = this.lists;
    // overall_accesses: all our pages' counts; the source tier's pages collected on the way.
    let total = 0;
    let n = 0;
    for (const l of [L_FAST_ACTIVE, L_FAST_INACTIVE, L_SLOW_ACTIVE, L_SLOW_INACTIVE]) {
      // Promotion takes Memtis's candidates (the slow tier's active list, as promote_node), for
      // which need_toptier_demotion makes room; demotion may take any fast-tier page.
      const source = promotion ? l === L_SLOW_ACTIVE : l === L_FAST_ACTIVE || l === L_FAST_INACTIVE;
      for (let p = lists.head[l]; p !== NO_PAGE; p = lists.next[p]) {
        total += this.count[p];
        this.ops++;
        if (!source) continue;
        this.order = grow(this.order, n + 1);
        this.order[n++] = p;
      }
    }
    if (total === 0) return;
    this.order.subarray(0, n).sort(this.hotter);
    let limit = this.cp.migrateLimitMiB * BASE_PER_MIB;
    if (this.cp.dynamicLimit) limit = Math.min(limit, mon.dynLimit);
    const max = host.capacity(0) * this.subs;
    // Promotion keeps Memtis's promotion watermark free (max − watermark wraps to unbounded when
    // the watermark exceeds the tier, as in promoteNode).
    const promoCap = max > this.promoteWmark ? max - this.promoteWmark : Infinity;
    let remaining = mon.deltaP / COLLOID_ONE;
    let moved = 0;
    for (let i = 0; i < n && moved < limit; i++) {
      const page = this.order[i];
      const share = this.count[page] / total;
      if (share <= 0) break;
      if (share > remaining) continue;
      const w = lists.weightOf(page);
      if (promotion && host.used(0) * this.subs + w > promoCap) break;
      if (!host.migrate(page, promotion ? 0 : 1, true)) break;
      remaining -= share;
      moved += w;
      lists.moveHead(this.listFor(page), page);
      this.ops++;
      host.count(promotion ? this.cColloidPromoted : this.cColloidDemoted);
    }
    this.lastRemaining = remaining;
  }
}

const P = memtis.params;

export default definePolicy({
  name: 'colloid-memtis',
  summary: 'Colloid (SOSP\'24) on Memtis: a monitor every 10 ms bisects the local access share toward equal loaded latencies (Δp, 5 % band); each kmigraterd pass moves the hottest pages whose access share fits in Δp toward the faster tier, up to Δp·inserts per 500 ms. Run with --page-size 2m as Memtis, or 4 KiB pages for finer moves.',
  source: 'Vuppalapati & Agarwal SOSP\'24 §4; github.com/webglider/memtis colloid-mon/colloid-mon.c thread_fun_poll_cha (colloid_delta_p, colloid_dynlimit, COLLOID_DELTA_PERCENT, COLLOID_EPSILON_PERCENT), linux/mm/htmm_migrater.c, include/trace/events/colloid.h; Memtis as policies/memtis.ts',
  params: {
    ...P,
    pollIntervalMs: { default: 10, min: 0.01, max: 1e5, doc: 'SAMPLE_INTERVAL_MS of the Memtis fork\'s colloid-mon.c: counters read every 10 ms (SPINPOLL off) [code].' },
    ewmaExp: { default: 4, min: 0, max: 16, integer: true, doc: 'EWMA_EXP of the Memtis fork\'s colloid-mon.c with SPINPOLL off: a new sample weighs 2^−4 [code].' },
    deltaPct: { default: 5, min: 0, max: 100, doc: 'COLLOID_DELTA_PERCENT: latencies within this % of local\'s count as balanced (Δp = 0) [code].' },
    epsilonPct: { default: 1, min: 0, max: 100, doc: 'COLLOID_EPSILON_PERCENT: a bisection bracket narrower than this (% of all accesses) is reopened [code].' },
    migrateLimitMiB: { default: 1024, min: 0, max: 1e6, doc: 'Static cap on what one kmigraterd pass moves, MiB. Not in the sources read; [estimate] 256–4096 MiB per 500 ms quantum.' },
    dynamicLimit: { default: true, doc: 'Also bound a pass by colloid_dynlimit = Δp · (inserts local + remote) · (quantum / poll) / 64 base pages [code].' },
  },
  create(params, host) {
    const m = new ColloidMemtis(params as unknown as ColloidMemtisParams, asLoadHost(host, 'colloid-memtis'));
    m.start();
    return m.hooks();
  },
});
