// arms: ARMS, "Adaptive and Robust Memory Tiering System" (Yadalam, Kanellis, Swift, Venkataraman,
// arXiv 2508.04417, 2025). Its study: HeMem, Memtis and TPP thresholds tuned per workload beat the
// defaults, and no single setting wins everywhere. Its design (abstract, [paper]): threshold-free
// hot/cold identification from short- and long-term moving averages of sampled accesses, migration
// decided by cost/benefit, and a bandwidth-aware batched migration scheduler; within 3 % of the
// best-tuned prior systems, 1.26–2.3× better than them untuned.
//
// Only the abstract was readable for this model: the paper's exact formulas, constants and the
// structure of its scheduler are not public here, so every constant below is an [estimate] with a
// range, and the mechanisms are this model's reading of the abstract:
//
// - Sampling: PEBS-style samples of loads served by DRAM, loads served by the slow tier and
//   stores (as HeMem, on whose user-space design the paper builds its comparison), one every
//   samplePeriod events, drained by the engine. Per page: samples in the current interval.
// - Hotness, every intervalMs: two EWMAs of the page's samples per interval, short (alphaShort)
//   and long (alphaLong); score = max(short, long): a page warming up is seen by the short
//   average at once, a page cooling down keeps its long-term history for a while, so a brief
//   lull does not demote it (the robustness the two averages buy).
// - No threshold: the hot set is the top-K pages by score, K = the fast tier's capacity in frames;
//   the cut-off score is found by quickselect over the pages with a non-zero score.
// - Cost/benefit: a slow-tier page in the hot set is promoted into a free frame when its expected
//   saving, rate × (slowLatencyNs − fastLatencyNs) × horizon, exceeds one migration; into a full
//   fast tier only by swapping with a non-hot fast-tier page (least recently sampled first) and
//   only when the difference of the two rates pays for two migrations. rate = score ×
//   samplePeriod / interval (accesses/s); horizon = interval / alphaLong, the long average's
//   time constant. Candidates go hottest first; the first that does not pay ends the round.
// - Bandwidth-aware batching: a round moves at most (slowTierGBps × maxUtilization − the
//   application's slow-tier traffic estimated from its samples) × interval bytes, and at least
//   minBatchPages pages; migrations are asynchronous (kernel CPU and bandwidth).
// - Allocation: DRAM first (the engine falls back to the slow tier).

import { definePolicy, EVENT_LOAD_LOCAL, EVENT_LOAD_REMOTE, EVENT_STORE, FAULT_HINT } from './policy.ts';
import type { Host, ParamValues, PolicyHooks } from './policy.ts';
import { PageLists, NO_PAGE } from './lib/page-lists.ts';
import { grow } from './lib/grow.ts';
import { demoteToSlower } from './lib/demote.ts';
import { MAX_COUNT, MAX_EVENT_NS, MAX_GBPS, MAX_SIM_MS } from '../sim/config.ts';

export const L_FAST = 0;
export const L_SLOW = 1;
const TIMER_ROUND = 1;
/** Bytes a PEBS memory event stands for (one cache line), for the bandwidth estimate. */
const LINE_BYTES = 64;
/** Scores under this (in samples per interval) are dropped from tracking. */
const SCORE_EPSILON = 1e-3;

const PARAMS = {
  samplePeriod: { default: 5003, min: 1, max: MAX_COUNT, integer: true, doc: 'Events per PEBS sample, all three events [estimate: HeMem sosp21\'s 5003; range 997–19997].' },
  intervalMs: { default: 100, min: 1e-3, max: MAX_SIM_MS, doc: 'Period of the EWMA update and migration round, in ms [estimate, 50–1000].' },
  alphaShort: { default: 0.5, min: 1e-6, max: 1, doc: 'Weight of the newest interval in the short-term EWMA [estimate, 0.3–0.7].' },
  alphaLong: { default: 0.05, min: 1e-6, max: 1, doc: 'Weight of the newest interval in the long-term EWMA [estimate, 0.01–0.2].' },
  fastLatencyNs: { default: 100, min: 0, max: 1e6, doc: 'Fast-tier load latency the benefit assumes, in ns [estimate: the ddr5-cxl preset\'s DRAM; ARMS measures it].' },
  slowLatencyNs: { default: 180, min: 0, max: 1e6, doc: 'Slow-tier load latency the benefit assumes, in ns [estimate: the ddr5-cxl preset\'s CXL].' },
  migrateCostNs: { default: 0, min: 0, max: MAX_EVENT_NS, doc: 'Cost of one migration in the cost/benefit test, in ns (0 = 3000 + page bytes / 12 GB/s, the engine\'s default cost model) [estimate].' },
  slowTierGBps: { default: 51, min: 0, max: MAX_GBPS, doc: 'Slow-tier bandwidth the batch scheduler budgets against, in GB/s [estimate: the ddr5-cxl preset\'s CXL ×16].' },
  maxUtilization: { default: 0.8, min: 0, max: 1, doc: 'Share of the slow tier\'s bandwidth application traffic plus migrations may use [estimate, 0.5–0.9].' },
  minBatchPages: { default: 16, min: 0, max: MAX_COUNT, integer: true, doc: 'Pages a round may always move, whatever the bandwidth estimate [estimate, 1–64].' },
  listOpNs: { default: 50, min: 0, max: MAX_EVENT_NS, doc: 'CPU per page examined by a round (EWMA update, selection), in ns [estimate].' },
} as const;

type Params = ParamValues<typeof PARAMS>;

/** EWMA update: new = alpha · x + (1 − alpha) · old. */
export function ewma(old: number, x: number, alpha: number): number {
  return alpha * x + (1 - alpha) * old;
}

/** k-th largest value (1-based) of a[0 … n−1] by quickselect; reorders a. */
export function kthLargest(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  const want = k - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] > pivot) i++;
      while (a[j] < pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (want <= j) hi = j;
    else if (want >= i) lo = i;
    else break;
  }
  return a[want];
}

export class Arms {
  readonly lists = new PageLists(2);
  count = new Uint32Array(1024);
  short = new Float64Array(1024);
  long = new Float64Array(1024);
  tracked = new Int32Array(1024);
  inTracked = new Uint8Array(1024);
  nTracked = 0;
  /** Score cut-off of the hot set after the last round (0 = every scored page fits). */
  cutoff = 0;
  private scratch = new Float64Array(1024);
  private cand = new Int32Array(1024);
  private slowSamples = 0;
  private readonly migrateNs: number;
  private readonly c: Record<string, number> = {};

  constructor(
    readonly p: Params,
    private readonly host: Host,
  ) {
    this.migrateNs = p.migrateCostNs || 3000 + host.pageBytes / 12;
    for (const name of ['rounds', 'promotedToFree', 'swaps', 'rejectedByCost', 'stopsBandwidth', 'stopsAllDramHot', 'hotSetPages'])
      this.c[name] = host.counter(name);
  }

  start(): void {
    const h = this.host;
    h.sample(EVENT_LOAD_LOCAL, this.p.samplePeriod);
    h.sample(EVENT_LOAD_REMOTE, this.p.samplePeriod);
    h.sample(EVENT_STORE, this.p.samplePeriod);
    h.every(this.p.intervalMs * 1e6, TIMER_ROUND);
  }

  hooks(): PolicyHooks {
    return {
      place: () => 0,
      onFault: (page, kind) => this.onFault(page, kind),
      onSample: (page, event) => this.onSample(page, event),
      onTimer: () => this.round(),
    };
  }

  onFault(page: number, kind: number): void {
    if (kind === FAULT_HINT) return;
    if (page >= this.count.length) {
      const n = page + 1;
      this.count = grow(this.count, n);
      this.short = grow(this.short, n);
      this.long = grow(this.long, n);
      this.inTracked = grow(this.inTracked, n);
      this.lists.ensure(n);
    }
    this.lists.remove(page);
    this.lists.pushHead(this.host.tierOf(page) === 0 ? L_FAST : L_SLOW, page);
  }

  onSample(page: number, event: number): void {
    if (page >= this.count.length || this.lists.listOf[page] < 0) return;
    this.count[page]++;
    if (event !== EVENT_LOAD_LOCAL && this.host.tierOf(page) !== 0) this.slowSamples++;
    if (!this.inTracked[page]) {
      this.inTracked[page] = 1;
      if (this.nTracked === this.tracked.length) this.tracked = grow(this.tracked, this.nTracked + 1);
      this.tracked[this.nTracked++] = page;
    }
    if (this.lists.listOf[page] === L_FAST) this.lists.moveHead(L_FAST, page);
  }

  score(page: number): number {
    return page < this.short.length ? Math.max(this.short[page], this.long[page]) : 0;
  }

  /** Expected accesses per second of a page: its score in samples per interval, scaled. */
  rate(page: number): number {
    return (this.score(page) * this.p.samplePeriod * 1000) / this.p.intervalMs;
  }

  /** Saving of serving `ratePerS` more accesses from the fast tier over the horizon, in ns. */
  benefitNs(ratePerS: number): number {
    const horizonS = this.p.intervalMs / 1000 / this.p.alphaLong;
    return ratePerS * (this.p.slowLatencyNs - this.p.fastLatencyNs) * horizonS;
  }

  /** One round: EWMAs, the hot set's cut-off, then cost/benefit migrations within the bandwidth budget. */
  round(): void {
    const host = this.host;
    this.updateAverages();
    this.cutoff = this.findCutoff(Math.floor(host.capacity(0)));
    host.count(this.c.rounds);
    const nCand = this.candidates();
    const budgetPages = this.budgetPages();
    let moved = 0;
    let victim = this.lists.tail[L_FAST];
    for (let k = 0; k < nCand; k++) {
      if (moved >= budgetPages) {
        host.count(this.c.stopsBandwidth);
        break;
      }
      const page = this.cand[k];
      if (host.free(0) > 0) {
        if (this.benefitNs(this.rate(page)) <= this.migrateNs) {
          host.count(this.c.rejectedByCost);
          break;
        }
        if (!host.migrate(page, 0, true)) break;
        this.lists.moveHead(L_FAST, page);
        host.count(this.c.promotedToFree);
        moved++;
        continue;
      }
      // Full fast tier: swap with the least recently sampled non-hot fast page.
      while (victim !== NO_PAGE && this.score(victim) >= this.cutoff && this.score(victim) > 0) victim = this.lists.prev[victim];
      if (victim === NO_PAGE) {
        host.count(this.c.stopsAllDramHot);
        break;
      }
      if (this.benefitNs(this.rate(page) - this.rate(victim)) <= 2 * this.migrateNs) {
        host.count(this.c.rejectedByCost);
        break;
      }
      const v = victim;
      victim = this.lists.prev[v];
      if (!demoteToSlower(host, v)) break;
      this.lists.moveHead(L_SLOW, v);
      if (!host.migrate(page, 0, true)) break;
      this.lists.moveHead(L_FAST, page);
      host.count(this.c.swaps);
      moved += 2;
    }
    host.chargeKernelNs((this.nTracked + nCand) * this.p.listOpNs);
  }

  /** Fold the interval's sample counts into both EWMAs; drop pages whose averages faded out. */
  updateAverages(): void {
    const { alphaShort, alphaLong } = this.p;
    let w = 0;
    for (let i = 0; i < this.nTracked; i++) {
      const page = this.tracked[i];
      const c = this.count[page];
      this.count[page] = 0;
      this.short[page] = ewma(this.short[page], c, alphaShort);
      this.long[page] = ewma(this.long[page], c, alphaLong);
      if (this.short[page] < SCORE_EPSILON && this.long[page] < SCORE_EPSILON) {
        this.short[page] = this.long[page] = 0;
        this.inTracked[page] = 0;
      } else this.tracked[w++] = page;
    }
    this.nTracked = w;
  }

  /** Score of the K-th hottest tracked page, or 0 when all of them fit in K frames. */
  findCutoff(k: number): number {
    const n = this.nTracked;
    if (n <= k) return 0;
    if (this.scratch.length < n) this.scratch = new Float64Array(this.tracked.length);
    for (let i = 0; i < n; i++) this.scratch[i] = this.score(this.tracked[i]);
    const cut = kthLargest(this.scratch, n, k);
    let hot = 0;
    for (let i = 0; i < n; i++) if (this.score(this.tracked[i]) >= cut) hot++;
    this.host.count(this.c.hotSetPages, hot);
    return cut;
  }

  /** Slow-tier pages in the hot set, hottest first; returns their number. */
  candidates(): number {
    if (this.cand.length < this.nTracked) this.cand = new Int32Array(this.tracked.length);
    let n = 0;
    for (let i = 0; i < this.nTracked; i++) {
      const page = this.tracked[i];
      if (this.lists.listOf[page] === L_SLOW && this.score(page) >= this.cutoff) this.cand[n++] = page;
    }
    const sub = this.cand.subarray(0, n);
    sub.sort((a, b) => this.score(b) - this.score(a) || a - b);
    return n;
  }

  /** Pages a round may migrate: the slow tier's spare bandwidth over the interval, at least minBatchPages. */
  budgetPages(): number {
    const intervalS = this.p.intervalMs / 1000;
    const appBytesPerS = (this.slowSamples * this.p.samplePeriod * LINE_BYTES) / intervalS;
    this.slowSamples = 0;
    const spare = Math.max(0, this.p.slowTierGBps * 1e9 * this.p.maxUtilization - appBytesPerS);
    return Math.max(this.p.minBatchPages, Math.floor((spare * intervalS) / this.host.pageBytes));
  }
}

export default definePolicy({
  name: 'arms',
  summary: 'ARMS (2025): threshold-free hot set (top-K by max of short- and long-term EWMAs of PEBS samples), cost/benefit promotion and swaps, bandwidth-budgeted batches. Constants [estimate]: only the abstract was available.',
  source: 'Yadalam et al., "ARMS: Adaptive and Robust Memory Tiering System", arXiv 2508.04417 (2025), abstract; mechanisms and constants [estimate]',
  params: PARAMS,
  create(params, host) {
    const a = new Arms(params, host);
    a.start();
    return a.hooks();
  },
});
