// memtis: Memtis (Lee et al., "MEMTIS: Efficient Memory Tiering with Dynamic Page Classification
// and Page Size Determination", SOSP'23 §4–5), an in-kernel tiering system that classifies pages
// with a log2 access histogram built from PEBS samples and sizes the hot set to the fast tier.
// Follows github.com/cosmoss-jigu/memtis linux/mm/htmm_core.c (update_pginfo, __update_pginfo,
// __cooling, __adjust_active_threshold, need_memcg_cooling), linux/mm/htmm_sampler.c (ksamplingd,
// pebs_period_list, the CPU quota), linux/mm/htmm_migrater.c (kmigraterd, need_toptier_demotion,
// promote_node, demote_node) and include/linux/htmm.h (FACTS.md §3).
//
// Run it with 2 MiB pages, as Memtis uses THP: `--page-size 2m`. With 4 KiB pages it still works:
// a sample adds 512 to a 4 KiB page's count (+1 for a 2 MiB page), as in __update_pginfo, so both
// page sizes share one hotness scale.
//
// - Sampling: loads served by DRAM, loads served by the slow tier, stores (DRAMREAD, NVMREAD /
//   remote DRAM, MEMWRITE). The load period starts at the first entry of pebs_period_list (199) and
//   walks that list of 30 primes (199 … 19997) to keep the sampler's CPU time within
//   cpuQuotaPct of one core, checked every quotaCheckMs (ksampled_soft_cpu_quota, 15 s); the
//   store period is htmm_inst_sample_period (100007).
// - Access count and histogram: count += 512 (4 KiB) or 1 (2 MiB) per sample; bin =
//   min(15, floor(log2(count + 1))); the histogram holds pages per bin (hotness_hg).
// - Threshold adaptation every adaptationPeriodSamples samples (htmm_adaptation_period, 100 k):
//   the hot threshold is the lowest bin such that pages in it and above still fit in the fast tier
//   minus the promotion watermark (at least minHotThreshold, htmm_thres_hot); it only rises
//   between coolings and drops by one after a cooling. Warm threshold = hot − 1 when the hot set
//   fills under 75 % of that capacity (htmm_nowarm = 0), else = hot.
// - Cooling every coolingPeriodSamples samples (htmm_cooling_period, 2 M) or when memory use grew
//   by coolingAllocGiB (htmm_thres_cooling_alloc, 10 GiB): counts halve. Memtis resets the
//   histogram and halves each page as kmigraterd walks its LRU lists (cooling_node); here the walk
//   happens at the cooling itself, so the histogram is exact at once (charged per page).
// - Lists: per tier an active and an inactive list (the LRU lists Memtis re-sorts in
//   adjusting_node): a fast-tier page is active when its bin ≥ hot threshold, inactive when its
//   bin < warm threshold, and a warm page (in between) stays on its list; a slow-tier page is
//   active when its bin ≥ hot threshold. New pages start inactive. A threshold change re-sorts
//   every list at the next daemon run.
// - kmigraterd every migrationPeriodMs (500 ms): demotion makes room for the slow tier's active
//   (hot) pages, keeping the demotion watermark free, by demoting fast-tier inactive pages, oldest
//   first (need_toptier_demotion); promotion moves slow-tier active pages up while the fast tier
//   keeps more than the demotion watermark free (promote_node). Allocation goes to the fast tier; when its free frames
//   fall below the demotion watermark, inactive pages are demoted until free reaches the promotion
//   watermark (direct demotion). Watermarks: demotion 2 % of the fast tier clamped to
//   [50 MB, 1000 MB], promotion 3 % clamped to [100 MB, 1500 MB]. Migrations are asynchronous.
// - Not modelled: huge-page splitting by skewness (needs per-4 KiB sub-page samples and an engine
//   operation splitting a 2 MiB page into 512 pages; see README); the estimated base-page histogram
//   (ebp_hotness_hg) that drives it.

import { definePolicy, EVENT_LOAD_LOCAL, EVENT_LOAD_REMOTE, EVENT_STORE, FAULT_HINT } from './policy.ts';
import type { Host, PolicyHooks } from './policy.ts';
import { PageLists, NO_PAGE } from './lib/page-lists.ts';
import { grow } from './lib/grow.ts';

export const L_FAST_ACTIVE = 0;
export const L_FAST_INACTIVE = 1;
export const L_SLOW_ACTIVE = 2;
export const L_SLOW_INACTIVE = 3;

export const NR_BINS = 16;
const TIMER_MIGRATE = 1;
const TIMER_QUOTA = 2;
const HUGE_PAGE_BYTES = 2 * 1024 * 1024;
const MB = 1024 * 1024;

/** htmm_sampler.c pebs_period_list: load sample periods, primes from 199 to 19997. */
export const PEBS_PERIOD_LIST = [
  199, 293, 401, 499, 599, 701, 797, 907, 997, 1201, 1399, 1601, 1801, 1999, 2503, 3001, 3499, 4001, 4507, 4999, 6007, 7001, 7993, 9001, 10007, 12007, 13999, 16001, 17989, 19997,
] as const;

export interface MemtisParams {
  coolingPeriodSamples: number;
  adaptationPeriodSamples: number;
  coolingAllocGiB: number;
  migrationPeriodMs: number;
  demoteWatermarkPct: number;
  demoteWatermarkMinMB: number;
  demoteWatermarkMaxMB: number;
  promoteWatermarkPct: number;
  promoteWatermarkMinMB: number;
  promoteWatermarkMaxMB: number;
  minHotThreshold: number;
  warm: boolean;
  adaptiveSampling: boolean;
  loadPeriodIndex: number;
  storePeriod: number;
  cpuQuotaPct: number;
  quotaCheckMs: number;
  listOpNs: number;
}

/** floor(log2(count + 1)), capped at NR_BINS − 1 (htmm_core.c get_idx). */
export function binOf(count: number): number {
  let b = 31 - Math.clz32(count + 1);
  if (count + 1 > 0xffffffff) b = 31;
  return b < NR_BINS - 1 ? b : NR_BINS - 1;
}

/**
 * __adjust_active_threshold's histogram walk: from the top bin down, add up pages while they fit in
 * maxPages; the hot threshold is the bin just above the first that overflows (bin 15 if even it
 * overflows), at least minHot. needWarm: the hot set fills under 75 % of maxPages.
 */
export function hotThresholdBin(hist: ArrayLike<number>, maxPages: number, minHot: number): { bin: number; nrActive: number; needWarm: boolean } {
  let nrActive = 0;
  let idx = NR_BINS - 1;
  for (; idx >= 0; idx--) {
    if (nrActive + hist[idx] > maxPages) break;
    nrActive += hist[idx];
  }
  if (idx !== NR_BINS - 1) idx++;
  const needWarm = nrActive < (maxPages * 75) / 100;
  return { bin: idx < minHot ? minHot : idx, nrActive, needWarm };
}

/** A watermark in pages: pct % of the fast tier clamped to [minMB, maxMB] (get_memcg_{demotion,promotion}_watermark). */
export function watermarkPages(capacityPages: number, pageBytes: number, pct: number, minMB: number, maxMB: number): number {
  let bytes = (capacityPages * pageBytes * pct) / 100;
  if (bytes < minMB * MB) bytes = minMB * MB;
  if (bytes > maxMB * MB) bytes = maxMB * MB;
  return Math.min(capacityPages, Math.ceil(bytes / pageBytes));
}

export class Memtis {
  readonly lists = new PageLists(4);
  count = new Uint32Array(1024);
  bin = new Uint8Array(1024);
  readonly hist = new Float64Array(NR_BINS);
  activeThreshold: number;
  warmThreshold: number;
  /** Samples on our pages (memcg->nr_sampled). */
  nrSampled = 0;
  cooled = false;
  needAdjust = false;
  periodIndex: number;
  readonly demoteWmark: number;
  readonly promoteWmark: number;
  readonly incr: number;
  private lastAllocBytes = 0;
  private samplesSinceQuota = 0;
  private ops = 0;
  private readonly cCoolings: number;
  private readonly cAdapt: number;
  private readonly cThreshold: number;
  private readonly cPeriod: number;
  private readonly cDemoted: number;

  constructor(
    readonly p: MemtisParams,
    private readonly host: Host,
  ) {
    this.incr = Math.max(1, HUGE_PAGE_BYTES / host.pageBytes);
    const cap = host.capacity(0);
    this.demoteWmark = watermarkPages(cap, host.pageBytes, p.demoteWatermarkPct, p.demoteWatermarkMinMB, p.demoteWatermarkMaxMB);
    this.promoteWmark = watermarkPages(cap, host.pageBytes, p.promoteWatermarkPct, p.promoteWatermarkMinMB, p.promoteWatermarkMaxMB);
    this.activeThreshold = p.minHotThreshold;
    this.warmThreshold = p.minHotThreshold;
    this.periodIndex = Math.min(p.loadPeriodIndex, PEBS_PERIOD_LIST.length - 1);
    this.cCoolings = host.counter('coolings');
    this.cAdapt = host.counter('adaptations');
    this.cThreshold = host.counter('hotThresholdChange');
    this.cPeriod = host.counter('loadPeriodChange');
    this.cDemoted = host.counter('directDemotions');
  }

  start(): void {
    const h = this.host;
    this.setLoadPeriod(this.periodIndex);
    h.sample(EVENT_STORE, this.p.storePeriod);
    h.every(this.p.migrationPeriodMs * 1e6, TIMER_MIGRATE);
    if (this.p.adaptiveSampling) h.every(this.p.quotaCheckMs * 1e6, TIMER_QUOTA);
    if (this.host.tiers > 1) h.setWatermarks(0, this.demoteWmark, this.promoteWmark);
  }

  hooks(): PolicyHooks {
    return {
      place: () => 0,
      onFault: (page, kind) => this.onFault(page, kind),
      onSample: (page) => this.onSample(page),
      onTimer: (id) => (id === TIMER_MIGRATE ? this.kmigraterd() : this.checkQuota()),
      // Direct demotion: free frames fell below the demotion watermark; demote until free exceeds
      // the promotion watermark (one page past it, so that the engine re-arms the watermark).
      onPressure: (tier, pages) => {
        if (tier === 0) this.demoteInactive(pages + 1, this.cDemoted);
      },
    };
  }

  private setLoadPeriod(i: number): void {
    this.periodIndex = i;
    const period = PEBS_PERIOD_LIST[i];
    this.host.sample(EVENT_LOAD_LOCAL, period);
    this.host.sample(EVENT_LOAD_REMOTE, period);
  }

  onFault(page: number, kind: number): void {
    if (kind === FAULT_HINT) return;
    if (page >= this.count.length) {
      this.count = grow(this.count, page + 1);
      this.bin = grow(this.bin, page + 1);
      this.lists.ensure(page + 1);
    }
    if (this.lists.listOf[page] >= 0) {
      this.hist[this.bin[page]]--;
      this.lists.remove(page);
    }
    this.count[page] = 0;
    this.bin[page] = 0;
    this.hist[0]++;
    // New pages start on the inactive list (Linux ≥ 5.9 adds new anon pages there).
    const hot = this.activeThreshold <= 0;
    this.lists.pushHead(this.host.tierOf(page) === 0 ? (hot ? L_FAST_ACTIVE : L_FAST_INACTIVE) : hot ? L_SLOW_ACTIVE : L_SLOW_INACTIVE, page);
  }

  /**
   * The list a page belongs on under the current thresholds. Fast tier: hot (bin ≥ hot threshold)
   * → active, cold (bin < warm threshold) → inactive, warm (in between) stays where it is; a page
   * just promoted is hot. Slow tier: hot → active (a promotion candidate), else inactive.
   */
  private listFor(page: number): number {
    const b = this.bin[page];
    if (this.host.tierOf(page) !== 0) return b >= this.activeThreshold ? L_SLOW_ACTIVE : L_SLOW_INACTIVE;
    if (b >= this.activeThreshold) return L_FAST_ACTIVE;
    if (b < this.warmThreshold) return L_FAST_INACTIVE;
    const l = this.lists.listOf[page];
    return l === L_FAST_ACTIVE || l === L_FAST_INACTIVE ? l : L_FAST_ACTIVE;
  }

  onSample(page: number): void {
    if (page >= this.count.length || this.lists.listOf[page] < 0) return;
    const c = this.count[page] + this.incr;
    this.count[page] = c > 0xffffffff ? 0xffffffff : c;
    const b = binOf(this.count[page]);
    if (b !== this.bin[page]) {
      this.hist[this.bin[page]]--;
      this.hist[b]++;
      this.bin[page] = b;
      const l = this.listFor(page);
      if (l !== this.lists.listOf[page]) this.lists.moveHead(l, page);
    }
    this.nrSampled++;
    this.samplesSinceQuota++;
    if (this.nrSampled % this.p.coolingPeriodSamples === 0 || this.needAllocCooling()) this.cool();
    else if (this.nrSampled % this.p.adaptationPeriodSamples === 0) this.adjustThreshold();
  }

  /** need_memcg_cooling: memory in use grew by coolingAllocGiB since the last such cooling. */
  private needAllocCooling(): boolean {
    let used = 0;
    for (let t = 0; t < this.host.tiers; t++) used += this.host.used(t);
    const bytes = used * this.host.pageBytes;
    if (this.lastAllocBytes + this.p.coolingAllocGiB * 1024 * MB <= bytes) {
      this.lastAllocBytes = bytes;
      return true;
    }
    return false;
  }

  /** __cooling + cooling_node: halve every count, rebuild the histogram. */
  cool(): void {
    const n = Math.min(this.host.pageCount(), this.count.length);
    const hist = this.hist;
    hist.fill(0);
    const listOf = this.lists.listOf;
    for (let i = 0; i < n; i++) {
      if (listOf[i] < 0) continue;
      const c = this.count[i] >>> 1;
      this.count[i] = c;
      const b = binOf(c);
      this.bin[i] = b;
      hist[b]++;
    }
    this.cooled = true;
    this.needAdjust = true;
    this.host.count(this.cCoolings);
    this.host.chargeKernelNs(n * this.p.listOpNs);
  }

  /** __adjust_active_threshold. */
  adjustThreshold(): void {
    const maxPages = this.host.capacity(0) - this.promoteWmark;
    const { bin, needWarm } = hotThresholdBin(this.hist, maxPages, this.p.minHotThreshold);
    const before = this.activeThreshold;
    if (this.cooled) {
      if (bin < this.activeThreshold && this.activeThreshold > 1) this.activeThreshold--;
      this.cooled = false;
      this.needAdjust = true;
    } else if (bin > this.activeThreshold) {
      this.activeThreshold = bin;
      this.needAdjust = true;
    }
    const warm = this.p.warm && needWarm ? this.activeThreshold - 1 : this.activeThreshold;
    if (warm !== this.warmThreshold) this.needAdjust = true;
    this.warmThreshold = warm;
    this.host.count(this.cAdapt);
    if (this.activeThreshold !== before) this.host.count(this.cThreshold, this.activeThreshold - before);
  }

  /** adjusting_node: re-sort every page onto its list under the current thresholds. */
  private adjustLists(): void {
    const n = Math.min(this.host.pageCount(), this.count.length);
    const lists = this.lists;
    for (let i = 0; i < n; i++) {
      const l = lists.listOf[i];
      if (l < 0) continue;
      const want = this.listFor(i);
      if (want !== l) lists.moveHead(want, i);
    }
    this.ops += n;
    this.needAdjust = false;
  }

  /** kmigraterd, one run: re-sort, demote to make room for the hot slow pages, promote them. */
  kmigraterd(): void {
    const host = this.host;
    if (this.needAdjust) this.adjustLists();
    if (host.tiers > 1) {
      const slowActive = this.lists.size[L_SLOW_ACTIVE];
      // need_toptier_demotion: room for the pages waiting for promotion while keeping the demotion
      // watermark free.
      const wantFree = Math.min(host.capacity(0), slowActive + this.demoteWmark + 1);
      const short = wantFree - host.free(0);
      if (slowActive > 0 && short > 0) this.demoteInactive(short, -1);
      // promote_node: oldest active slow pages first, keeping the demotion watermark free.
      const lists = this.lists;
      while (host.free(0) > this.demoteWmark) {
        const page = lists.tail[L_SLOW_ACTIVE];
        if (page === NO_PAGE || !host.migrate(page, 0, true)) break;
        lists.moveHead(this.listFor(page), page);
        this.ops++;
      }
    }
    if (this.ops > 0) {
      host.chargeKernelNs(this.ops * this.p.listOpNs);
      this.ops = 0;
    }
  }

  /** demote_node: up to n fast-tier inactive pages, oldest first, to the next tier with room. */
  private demoteInactive(n: number, counter: number): void {
    const host = this.host;
    const lists = this.lists;
    for (let i = 0; i < n; i++) {
      const page = lists.tail[L_FAST_INACTIVE];
      if (page === NO_PAGE) break;
      let done = false;
      for (let t = 1; t < host.tiers && !done; t++) done = host.migrate(page, t, true);
      if (!done) break;
      lists.moveHead(this.listFor(page), page);
      this.ops++;
      if (counter >= 0) host.count(counter);
    }
  }

  /** ksamplingd's CPU quota: lengthen the load period when over quota, shorten it when under (±0.5 points). */
  checkQuota(): void {
    const intervalNs = this.p.quotaCheckMs * 1e6;
    const pct = (this.samplesSinceQuota * this.host.sampleCostNs * 100) / intervalNs;
    this.samplesSinceQuota = 0;
    let i = this.periodIndex;
    if (pct > this.p.cpuQuotaPct + 0.5 && i < PEBS_PERIOD_LIST.length - 1) i++;
    else if (pct < this.p.cpuQuotaPct - 0.5 && i > 0) i--;
    if (i !== this.periodIndex) {
      this.host.count(this.cPeriod, PEBS_PERIOD_LIST[i] - PEBS_PERIOD_LIST[this.periodIndex]);
      this.setLoadPeriod(i);
    }
  }
}

export default definePolicy({
  name: 'memtis',
  summary: 'Memtis (SOSP\'23): PEBS samples into a log2 access histogram, hot threshold sized to the fast tier, warm bin, cooling every 2 M samples, kmigraterd every 500 ms, adaptive sample period. Run with --page-size 2m.',
  source: 'Lee et al. SOSP\'23 §4–5; github.com/cosmoss-jigu/memtis linux/mm/htmm_core.c (update_pginfo, __adjust_active_threshold, __cooling), htmm_sampler.c (ksamplingd, pebs_period_list), htmm_migrater.c (kmigraterd), include/linux/htmm.h',
  params: {
    coolingPeriodSamples: { default: 2000000, min: 1, integer: true, doc: 'htmm_cooling_period: samples between coolings (halving every count) [code].' },
    adaptationPeriodSamples: { default: 100000, min: 1, integer: true, doc: 'htmm_adaptation_period: samples between hot-threshold adaptations [code].' },
    coolingAllocGiB: { default: 10, min: 0, doc: 'htmm_thres_cooling_alloc: also cool when memory in use grew by this many GiB since the last such cooling [code].' },
    migrationPeriodMs: { default: 500, min: 1e-3, doc: 'htmm_promotion_period_in_ms / htmm_demotion_period_in_ms: kmigraterd period in ms [code].' },
    demoteWatermarkPct: { default: 2, min: 0, max: 100, doc: 'Demotion watermark as % of the fast tier (get_memcg_demotion_watermark) [code].' },
    demoteWatermarkMinMB: { default: 50, min: 0, doc: 'Lower clamp of the demotion watermark, MB [code].' },
    demoteWatermarkMaxMB: { default: 1000, min: 0, doc: 'Upper clamp of the demotion watermark, MB [code].' },
    promoteWatermarkPct: { default: 3, min: 0, max: 100, doc: 'Promotion watermark as % of the fast tier (get_memcg_promotion_watermark) [code].' },
    promoteWatermarkMinMB: { default: 100, min: 0, doc: 'Lower clamp of the promotion watermark, MB [code].' },
    promoteWatermarkMaxMB: { default: 1500, min: 0, doc: 'Upper clamp of the promotion watermark, MB [code].' },
    minHotThreshold: { default: 1, min: 0, max: NR_BINS - 1, integer: true, doc: 'htmm_thres_hot: lowest allowed hot-threshold bin [code].' },
    warm: { default: true, doc: 'Warm bin on (htmm_nowarm = 0): warm threshold = hot − 1 when the hot set fills under 75 % of the fast tier [code].' },
    adaptiveSampling: { default: true, doc: 'Adapt the load sample period to the sampler CPU quota (ksampled_soft_cpu_quota) [code].' },
    loadPeriodIndex: { default: 0, min: 0, max: PEBS_PERIOD_LIST.length - 1, integer: true, doc: 'Starting index into pebs_period_list (0 = 199 events per sample, … 29 = 19997) [code].' },
    storePeriod: { default: 100007, min: 1, integer: true, doc: 'htmm_inst_sample_period: store events per sample [code].' },
    cpuQuotaPct: { default: 3, min: 0, doc: 'ksampled_soft_cpu_quota: sampler CPU budget in % of one core [code].' },
    quotaCheckMs: { default: 15000, min: 1e-3, doc: 'Interval of the sampler CPU check, ms (15 s) [code].' },
    listOpNs: { default: 50, min: 0, doc: 'CPU per page examined or moved by kmigraterd and cooling, ns [estimate].' },
  },
  create(params, host) {
    const m = new Memtis(params as MemtisParams, host);
    m.start();
    return m.hooks();
  },
});
