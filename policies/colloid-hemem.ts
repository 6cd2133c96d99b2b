// colloid-hemem: Colloid on HeMem (Vuppalapati & Agarwal, SOSP'24 §4.2; the artifact's HeMem fork,
// github.com/webglider/hemem src/pebs.c pebs_policy_thread with COLLOID, SCAN_AND_SORT,
// COLLOID_EXPR3, RATE_BETA, COLLOID_DYNAMIC_LIMIT and COLLOID_COOLING defined, as its pebs.h sets
// them). Only the logic is followed; no code is copied. HeMem's sampling, hot/cold lists and
// cooling are policies/hemem.ts; this file replaces the policy thread's promotion loop.
//
// - Every policy round (PEBS_KSWAPD_INTERVAL = 10 ms in the fork): colloid_update_stats — per tier
//   (0 default, 1 alternate) occupancy rate Δoccupancy/Δt and inserts Δinserts, each smoothed by an
//   EWMA with weight COLLOID_EWMA = 1/16 (LoadHost counters stand for the CHA TOR counters).
// - β = smoothed inserts local / remote (RATE_BETA), so occ_local > β·occ_remote ⟺ local latency >
//   remote latency. Equal (or no remote traffic, where the original's β is infinite): nothing.
// - SCAN_AND_SORT: every page on the lists with its read-sample count (DRAM + slow reads, halved by
//   the cooling clock: COLLOID_COOLING), sorted ascending per tier; p = count / total count.
// - COLLOID_EXPR3: target Δp = |occ_l − β·occ_r| / ((ins_l + ins_r)·(β·occ_r/ins_r + occ_l/ins_l)):
//   the share of accesses to move from the slower tier to the faster one.
// - Migration limit: 50 pages per round, lowered by COLLOID_DYNAMIC_LIMIT to Δp·(ins_l + ins_r)·64 B
//   (the original multiplies one CHA's inserts by NUM_CHA_BOXES; these counters already count all).
// - Pairs: top = the slower tier's pages, bottom = the faster tier's; a two-pointer walk over both
//   ascending lists finds the pair with the largest p_top − p_bottom that is > 0 and ≤ the remaining
//   Δp; the two pages swap tiers (a DRAM page with no samples stays when DRAM has a free frame; a
//   slow page with no samples is not moved up), Δp −= that difference; repeat until the limit or no
//   pair. Migrations are asynchronous (HeMem's copy threads). HeMem's own hot-list promotion is off
//   (the fork compiles it out under SCAN_AND_SORT); its cooling walk still runs.
// - Defaults of the fork's pebs.h: HOT_READ_THRESHOLD 8, HOT_WRITE_THRESHOLD 4,
//   PEBS_COOLING_THRESHOLD 18, 10 ms loop; sample period as hemem's sosp21 preset (5003) [not read
//   in the fork].

import { definePolicy, asLoadHost } from './policy.ts';
import type { LoadHost } from './policy.ts';
import hemem, { Hemem, L_DRAM_HOT, L_DRAM_COLD, L_SLOW_HOT, L_SLOW_COLD } from './hemem.ts';
import type { HememParams } from './hemem.ts';
import { EVENT_LOAD_LOCAL, EVENT_LOAD_REMOTE } from './policy.ts';
import { NO_PAGE } from './lib/page-lists.ts';
import { grow } from './lib/grow.ts';

export interface ColloidHememParams extends HememParams {
  ewma: number;
  migrateLimitPages: number;
  dynamicLimit: boolean;
  lineBytes: number;
}

export class ColloidHemem extends Hemem {
  readonly occ = new Float64Array(2);
  readonly ins = new Float64Array(2);
  private readonly prevOcc = new Float64Array(2);
  private readonly prevIns = new Float64Array(2);
  private prevNs: number;
  /** Pages of each tier's lists, sorted by read-sample count (scratch of a round). */
  private order: Int32Array[] = [new Int32Array(64), new Int32Array(64)];
  private readonly count: (a: number, b: number) => number;
  private readonly cSwaps: number;
  private readonly cRounds: number;
  private readonly cLocalSlower: number;
  private readonly cp: ColloidHememParams;
  /** Remaining Δp after the last round, for tests. */
  lastTargetDelta = 0;

  constructor(
    params: ColloidHememParams,
    private readonly load: LoadHost,
  ) {
    super(params, load);
    this.cp = params;
    for (let t = 0; t < 2; t++) {
      this.prevOcc[t] = load.tierOccupancyNs(t);
      this.prevIns[t] = load.tierArrivals(t);
    }
    this.prevNs = load.now();
    // Ascending by read-sample count, ties by page id (qsort's order is unspecified: this one is deterministic).
    this.count = (a, b) => this.reads(a) - this.reads(b) || a - b;
    this.cSwaps = load.counter('colloidPagesMoved');
    this.cRounds = load.counter('colloidRounds');
    this.cLocalSlower = load.counter('colloidLocalSlowerRounds');
  }

  /** DRAM + slow-tier read samples, halved by the cooling clock (COLLOID_COOLING). */
  reads(page: number): number {
    this.catchUp(page);
    return this.acc[3 * page + EVENT_LOAD_LOCAL] + this.acc[3 * page + EVENT_LOAD_REMOTE];
  }

  /** colloid_update_stats. */
  updateStats(): void {
    const now = this.load.now();
    const dt = now - this.prevNs;
    this.prevNs = now;
    const a = this.cp.ewma;
    for (let t = 0; t < 2; t++) {
      const o = this.load.tierOccupancyNs(t);
      const n = this.load.tierArrivals(t);
      const curOcc = dt > 0 ? (o - this.prevOcc[t]) / dt : 0;
      this.occ[t] = a * curOcc + (1 - a) * this.occ[t];
      this.ins[t] = a * (n - this.prevIns[t]) + (1 - a) * this.ins[t];
      this.prevOcc[t] = o;
      this.prevIns[t] = n;
    }
  }

  /** The pages on tier class w's lists (0 DRAM, 1 slow), sorted ascending by reads; returns how many. */
  private collect(w: number): number {
    const lists = this.lists;
    let n = 0;
    for (const l of w === 0 ? [L_DRAM_HOT, L_DRAM_COLD] : [L_SLOW_HOT, L_SLOW_COLD]) {
      for (let p = lists.head[l]; p !== NO_PAGE; p = lists.next[p]) {
        this.order[w] = grow(this.order[w], n + 1);
        this.order[w][n++] = p;
      }
    }
    this.ops += n;
    this.order[w].subarray(0, n).sort(this.count);
    return n;
  }

  /** Move a page to the other tier's list matching its hotness. */
  private relist(page: number, toDram: boolean): void {
    this.unlink(page);
    const hot = this.hot[page] === 1;
    this.enqueue(toDram ? (hot ? L_DRAM_HOT : L_DRAM_COLD) : hot ? L_SLOW_HOT : L_SLOW_COLD, page);
  }

  override policyRound(): void {
    const host = this.load;
    host.count(this.cRounds);
    this.updateStats();
    this.lastTargetDelta = 0;
    const [occL, occR] = this.occ;
    const [insL, insR] = this.ins;
    const beta = insL / insR;
    if (insL > 0 && insR > 0 && occL !== beta * occR) this.balance(occL, occR, insL, insR, beta);
    this.coolWalk(0);
    this.coolWalk(1);
    if (this.ops > 0) {
      host.chargeKernelNs(this.ops * this.p.listOpNs);
      this.ops = 0;
    }
  }

  private balance(occL: number, occR: number, insL: number, insR: number, beta: number): void {
    const host = this.load;
    const nD = this.collect(0);
    const nS = this.collect(1);
    let total = 0;
    for (let i = 0; i < nD; i++) total += this.reads(this.order[0][i]);
    for (let i = 0; i < nS; i++) total += this.reads(this.order[1][i]);
    if (total === 0) return;
    const localSlower = occL > beta * occR;
    if (localSlower) host.count(this.cLocalSlower);
    let target = Math.abs(occL - beta * occR) / ((insL + insR) * ((beta * occR) / insR + occL / insL));
    let limit = this.cp.migrateLimitPages * host.pageBytes;
    if (this.cp.dynamicLimit) limit = Math.min(limit, Math.floor(target * (insL + insR) * this.cp.lineBytes));
    // top: the slower tier's pages (moved to the faster one), bottom: the faster tier's.
    const top = localSlower ? this.order[0] : this.order[1];
    const topN = localSlower ? nD : nS;
    const bottom = localSlower ? this.order[1] : this.order[0];
    const bottomN = localSlower ? nS : nD;
    for (let migrated = 0; migrated < limit; ) {
      let bestI = -1;
      let bestJ = -1;
      let best = 0;
      let j = 0;
      for (let i = 0; i < topN; i++) {
        if (top[i] < 0) continue;
        const pi = this.reads(top[i]) / total;
        for (; j < bottomN; j++) {
          if (bottom[j] < 0) continue;
          const pj = this.reads(bottom[j]) / total;
          if (pi - pj <= target) {
            if (pi - pj > best) {
              bestI = i;
              bestJ = j;
              best = pi - pj;
            }
            break;
          }
        }
      }
      if (bestI < 0 || bestJ < 0 || best <= 0) break;
      target -= best;
      const d = localSlower ? top[bestI] : bottom[bestJ];
      const s = localSlower ? bottom[bestJ] : top[bestI];
      if (localSlower) top[bestI] = -1;
      else bottom[bestJ] = -1;
      if (localSlower) bottom[bestJ] = -1;
      else top[bestI] = -1;
      // The DRAM page goes down, unless it has no samples and DRAM has a free frame for the other.
      if (!(this.reads(d) === 0 && host.free(0) > 0)) {
        if (!host.migrate(d, 1, true)) break;
        this.relist(d, false);
        migrated += host.pageBytes;
        host.count(this.cSwaps);
      }
      if (this.reads(s) > 0) {
        if (!host.migrate(s, 0, true)) break;
        this.relist(s, true);
        migrated += host.pageBytes;
        host.count(this.cSwaps);
      }
    }
    this.lastTargetDelta = target;
  }
}

const P = hemem.params;

export default definePolicy({
  name: 'colloid-hemem',
  summary: 'Colloid (SOSP\'24) on HeMem: every 10 ms, swap DRAM/CXL page pairs chosen from sorted sample counts so that the share of accesses the slower tier serves moves by the latency gap (occupancy/inserts EWMA). Run with --page-size 2m.',
  source: 'Vuppalapati & Agarwal SOSP\'24 §4.2; github.com/webglider/hemem src/pebs.c pebs_policy_thread, colloid_update_stats (COLLOID, SCAN_AND_SORT, COLLOID_EXPR3, RATE_BETA, COLLOID_DYNAMIC_LIMIT, COLLOID_COOLING); HeMem as policies/hemem.ts',
  params: {
    ...P,
    hotReadThreshold: { ...P.hotReadThreshold, default: 8, doc: 'HOT_READ_THRESHOLD of the Colloid fork\'s pebs.h (8) [code].' },
    hotWriteThreshold: { ...P.hotWriteThreshold, default: 4, doc: 'HOT_WRITE_THRESHOLD of the Colloid fork\'s pebs.h (4) [code].' },
    coolingThreshold: { ...P.coolingThreshold, default: 18, doc: 'PEBS_COOLING_THRESHOLD of the Colloid fork\'s pebs.h (18) [code].' },
    policyIntervalMs: { ...P.policyIntervalMs, default: 10, doc: 'PEBS_KSWAPD_INTERVAL of the Colloid fork\'s pebs.h: 10 ms [code].' },
    ewma: { default: 0.0625, min: 0.001, max: 1, doc: 'COLLOID_EWMA: weight of a new occupancy / inserts sample per policy round (1/16) [code].' },
    migrateLimitPages: { default: 50, min: 0, max: 1e9, integer: true, doc: 'Pages migrated per policy round at most (migrate_limit = 50 · PAGE_SIZE) [code].' },
    dynamicLimit: { default: true, doc: 'COLLOID_DYNAMIC_LIMIT: lower the limit to Δp · (inserts local + remote) · 64 B [code].' },
    lineBytes: { default: 64, min: 1, max: 4096, integer: true, doc: 'Bytes per insert in the dynamic limit (a cache line) [code].' },
  },
  create(params, host) {
    const h = new ColloidHemem(params as unknown as ColloidHememParams, asLoadHost(host, 'colloid-hemem'));
    h.start();
    return h.hooks();
  },
});
