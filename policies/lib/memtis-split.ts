// Memtis's huge-page splitting (Lee et al. SOSP'23 §4.3): per-sub-page counts of each huge page,
// the estimated base-page histogram, skewness at cooling, the split budget and threshold, and the
// deferred split queue. Follows github.com/cosmoss-jigu/memtis linux/mm/htmm_core.c
// (__prep_transhuge_page_for_htmm, update_huge_page, check_transhuge_cooling, set_memcg_nr_split,
// set_memcg_split_thres, check_split_huge_page, deferred_split_scan_for_htmm); the policy itself
// (sampling, histogram, lists, kmigraterd) is policies/memtis.ts, which owns one HugeSplit and
// explains the whole in its header. Logic only; no code is copied.

import type { Memtis } from '../memtis.ts';
import { FAULT_FIRST_TOUCH } from '../policy.ts';
import { grow } from './grow.ts';

export const NR_BINS = 16;
/** Skewness indices 0 … 20 (access_map[21]); split_threshold 21 = split nothing. */
export const NR_SKEW = 21;
const HUGE_PAGE_BYTES = 2 * 1024 * 1024;
const BASE_PAGE_BYTES = 4096;
/** Count added per sample to a 4 KiB page (HPAGE_PMD_NR). */
export const BASE_INCR = HUGE_PAGE_BYTES / BASE_PAGE_BYTES;

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

/**
 * get_skew_idx: 0; 1–3 → 1…2 (bit length), … up to 1023 → 10; from 1024 on, 11 plus one per
 * further 1024 (at most 20).
 */
export function skewIndex(num: number): number {
  let cnt = 0;
  let t = num;
  if (t >= 1024) {
    while (t > 1024 && cnt < 9) {
      t -= 1024;
      cnt++;
    }
    return cnt + 11;
  }
  while (t >= 1) {
    t = Math.floor(t / 2);
    cnt++;
  }
  return cnt;
}

/** The splitting state of one Memtis instance (on with huge pages and p.split). */
export class HugeSplit {
  readonly splitOn: boolean;
  /** htmm_thres_split: cleared for good when a split round did not raise the DRAM sample ratio by 3 %. */
  splitEnabled: boolean;
  /** Per huge page, its slot in subCount / subMayHot (the tail-page pginfo array), or -1. */
  slot = new Int32Array(1024).fill(-1);
  freeSlots: number[] = [];
  slots = 0;
  /** Per 4 KiB sub-page of a huge page (slot × subs + index): its access count, +512 per sample. */
  subCount = new Uint32Array(0);
  subMayHot = new Uint8Array(0);
  /** Per base page: its bin was ≥ the base-page threshold (pginfo->may_hot). */
  mayHot = new Uint8Array(1024);
  /** Per huge page: skewness index of its last cooling (meta_page->skewness_idx), and "in the split queue". */
  skewIdx = new Uint8Array(1024);
  queued = new Uint8Array(1024);
  readonly splitQueue: number[] = [];
  /** Estimated base-page histogram (ebp_hotness_hg), in 4 KiB pages. */
  readonly ebpHist = new Float64Array(NR_BINS);
  /** Huge pages per skewness index (access_map). */
  readonly accessMap = new Float64Array(NR_SKEW);
  bpActiveThreshold: number;
  splitThreshold = NR_SKEW;
  nrSplit = 0;
  nrSplitTail = 0;
  needSplit = false;
  splitHappen = false;
  coolingClock = 0;
  nrSampledForSplit = 0;
  /** Samples served by the fast tier (rHR) and samples on pages hot at base-page grain (eHR), this period and decayed. */
  nrDramSampled = 0;
  prevDramSampled = 0;
  maxDramSampled = 0;
  prevMaxDramSampled = 0;
  /** Σ over huge pages with hot sub-pages of their hot sub-pages' accesses / subs, and how many such pages. */
  sumUtil = 0;
  numUtil = 0;
  readonly cSplits: number;
  readonly cSplitStops: number;

  constructor(private readonly m: Memtis) {
    this.splitOn = m.subs > 1 && m.p.split;
    this.splitEnabled = this.splitOn;
    this.bpActiveThreshold = m.p.minHotThreshold;
    this.cSplits = m.host.counter('splits');
    this.cSplitStops = m.host.counter('splitStopped');
  }

  /** Grow the per-page columns to n pages. */
  ensure(n: number): void {
    this.slot = grow(this.slot, n, -1);
    this.mayHot = grow(this.mayHot, n);
    this.skewIdx = grow(this.skewIdx, n);
    this.queued = grow(this.queued, n);
  }

  /** Sub-page counters for a new huge page (__prep_transhuge_page_for_htmm): each starts at `factor`, outside the ebp histogram. */
  takeSlot(page: number, factor: number): void {
    let s = this.slot[page];
    if (s < 0) {
      s = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.slots++;
      const need = (s + 1) * this.m.subs;
      if (need > this.subCount.length) {
        this.subCount = grow(this.subCount, need);
        this.subMayHot = grow(this.subMayHot, need);
      }
      this.slot[page] = s;
    } else {
      for (let k = s * this.m.subs; k < (s + 1) * this.m.subs; k++) this.ebpHist[binOf(this.subCount[k])]--;
    }
    this.subCount.fill(factor, s * this.m.subs, (s + 1) * this.m.subs);
    this.subMayHot.fill(0, s * this.m.subs, (s + 1) * this.m.subs);
    this.skewIdx[page] = 0;
  }

  /**
   * A sample on a 4 KiB sub-page of a huge page (update_huge_page's pginfo): +512 to its count, its
   * bin in the estimated base-page histogram; a sample on a sub-page that was hot at base-page grain
   * ("may hot") counts toward the estimated fast-tier hits (max_dram_sampled).
   */
  sampleSubpage(k: number): void {
    const prev = this.subCount[k];
    const c = prev + BASE_INCR > 0xffffffff ? 0xffffffff : prev + BASE_INCR;
    this.subCount[k] = c;
    const b0 = binOf(prev);
    const b1 = binOf(c);
    if (b0 !== b1) {
      if (this.ebpHist[b0] > 0) this.ebpHist[b0]--;
      this.ebpHist[b1]++;
    }
    if (this.subMayHot[k]) this.maxDramSampled++;
    this.subMayHot[k] = b1 >= this.bpActiveThreshold ? 1 : 0;
  }

  /**
   * check_split_huge_page: queue the huge page for splitting when its skewness index reaches the
   * split threshold and the split budget (in 4 KiB pages) allows; the threshold's own index draws
   * on the tail budget.
   */
  checkSplit(page: number): boolean {
    if (!this.splitEnabled || this.queued[page]) return false;
    const skew = this.skewIdx[page];
    const tailIdx = this.splitThreshold - 1;
    if (skew < tailIdx) return false;
    const tail = skew === tailIdx || this.nrSplit === 0;
    if (tail && this.nrSplitTail === 0) return false;
    if (tail) this.nrSplitTail = Math.max(0, this.nrSplitTail - this.m.subs);
    else this.nrSplit = Math.max(0, this.nrSplit - this.m.subs);
    if (this.accessMap[skew] > 0) this.accessMap[skew]--;
    this.queued[page] = 1;
    this.splitQueue.push(page);
    return true;
  }

  coolSubpages(page: number, s: number, bpHot: number): void {
    const subs = this.m.subs;
    let hot = 0;
    let refs = 0;
    let skew = 0;
    for (let k = s * subs; k < (s + 1) * subs; k++) {
      const c = this.subCount[k];
      const b = binOf(c);
      if (b >= bpHot) {
        hot++;
        refs += c;
      }
      skew += c * c;
      this.subMayHot[k] = b >= this.bpActiveThreshold ? 1 : 0;
      this.subCount[k] = c >>> 1;
      this.ebpHist[binOf(c >>> 1)]++;
    }
    if (hot === 0 || binOf(this.m.count[page] >>> 1) >= 13) this.skewIdx[page] = 0;
    else this.skewIdx[page] = skewIndex(Math.floor(Math.floor(Math.floor(skew / 11) / hot) / hot));
    if (hot > 0) {
      this.sumUtil += Math.floor(refs / subs);
      this.numUtil++;
    }
  }

  /**
   * update_pginfo after a cooling: decay the DRAM sample counts (rHR) and the base-page estimate
   * (eHR); once more samples than a quarter of memory in use (at least the fast tier's size) were
   * taken since the last split decision, ask the next adaptation to size a split round, or stop
   * splitting for good if the last round did not raise rHR by 3 %.
   */
  splitDecision(): void {
    const rhrBefore = this.prevDramSampled;
    this.prevDramSampled = Math.floor(this.prevDramSampled / 2) + this.nrDramSampled;
    this.nrDramSampled = 0;
    this.prevMaxDramSampled = Math.floor(this.prevMaxDramSampled / 2) + this.maxDramSampled;
    this.maxDramSampled = 0;
    if (this.needSplit || !this.splitEnabled) return;
    const usage = Math.max(Math.floor((this.m.usedFrames() * this.m.subs) / 2 ** this.m.p.splitPeriod), this.m.host.capacity(0) * this.m.subs);
    if (this.nrSampledForSplit > usage) {
      if (this.splitHappen && this.prevDramSampled < Math.floor((rhrBefore * 103) / 100)) {
        this.splitEnabled = false;
        this.m.host.count(this.cSplitStops);
        return;
      }
      this.splitHappen = false;
      this.needSplit = true;
    } else {
      this.nrSplit += this.nrSplitTail;
      this.nrSplitTail = 0;
      this.setSplitThreshold();
    }
  }

  /**
   * set_memcg_nr_split: 4 KiB pages to split = (eHR − rHR) in samples per record, over the
   * average accesses of a huge page, times the slow tier's extra latency over DRAM's, times
   * HPAGE_PMD_NR, times gamma / 10. eHR is 95 % of the samples that hit base-page-hot pages.
   */
  setNrSplit(): void {
    this.nrSplit = 0;
    this.nrSplitTail = 0;
    const ehr = Math.floor((this.prevMaxDramSampled * 95) / 100);
    const rhr = this.prevDramSampled;
    if (ehr <= rhr || this.numUtil === 0) return;
    const avg = Math.floor(this.sumUtil / this.numUtil);
    if (avg === 0) return;
    const period = this.m.p.coolingPeriodSamples;
    const shift = this.coolingClock - 1;
    const records = period * 2 - (shift >= 53 ? 0 : Math.floor(period / 2 ** shift));
    let n = Math.floor(((ehr - rhr) * this.sumUtil) / records);
    n = Math.floor(n / avg);
    n = Math.floor((n * (this.m.p.modelSlowLatencyNs - this.m.p.modelDramLatencyNs)) / this.m.p.modelDramLatencyNs);
    n *= this.m.subs;
    this.nrSplit = Math.floor((n * this.m.p.gammaTenths) / 10);
  }

  /**
   * set_memcg_split_thres: walk skewness indices from the top; the threshold is the index where
   * the split budget runs out, and what is left of the budget goes to that tail index.
   */
  setSplitThreshold(): void {
    if (this.nrSplit === 0) {
      this.splitThreshold = NR_SKEW;
      return;
    }
    let left = this.nrSplit;
    let i = NR_SKEW - 1;
    for (; i > 0; i--) {
      const pages = this.accessMap[i] * this.m.subs;
      if (left < pages) {
        this.nrSplitTail = left;
        this.nrSplit -= left;
        break;
      }
      left -= pages;
    }
    if (i !== NR_SKEW - 1) this.splitThreshold = i + 1;
  }

  /**
   * A range mapped with 4 KiB pages (first … first + subs − 1) was collapsed back into huge page
   * `range` (khugepaged, or MADV_COLLAPSE from policies/thp-range.ts): its 4 KiB pages are freed,
   * so they leave the lists and the histogram, and the huge page starts as a new THP, as Memtis's
   * __prep_transhuge_page_for_htmm runs for every THP prepared (khugepaged's collapse_huge_page too).
   * (Memtis's onMigrated hook likewise re-lists a page that a --with mechanism moved.)
   */
  collapsed(range: number, first: number): void {
    const m = this.m;
    const lists = m.lists;
    for (let q = first; q < first + m.subs && q < lists.listOf.length; q++) {
      if (lists.listOf[q] < 0) continue;
      m.histRemove(m.bin[q], lists.weightOf(q));
      lists.remove(q);
      m.ops++;
    }
    m.onFault(range, FAULT_FIRST_TOUCH);
  }

  /**
   * deferred_split_scan_for_htmm + putback_split_pages: split up to maxSplitsPerRun queued huge
   * pages; each 4 KiB sub-page becomes a base page with its sub-page count, on the list (active or
   * inactive) of its huge page.
   */
  splitQueued(): void {
    const host = this.m.host;
    const lists = this.m.lists;
    const subs = this.m.subs;
    let done = 0;
    let taken = 0;
    while (taken < this.splitQueue.length && done < this.m.p.maxSplitsPerRun) {
      const page = this.splitQueue[taken++];
      this.queued[page] = 0;
      const list = lists.listOf[page];
      const s = this.slot[page];
      if (list < 0 || s < 0) continue;
      const first = host.splitPage(page);
      if (first < 0) continue;
      this.m.histRemove(this.m.bin[page], lists.weightOf(page));
      lists.remove(page);
      this.m.ensure(first + subs);
      for (let k = 0; k < subs; k++) {
        const q = first + k;
        const c = this.subCount[s * subs + k];
        this.m.count[q] = c;
        this.m.bin[q] = binOf(c);
        this.m.hist[this.m.bin[q]]++;
        this.mayHot[q] = this.subMayHot[s * subs + k];
        lists.pushHead(list, q);
      }
      this.slot[page] = -1;
      this.freeSlots.push(s);
      this.m.ops += subs;
      done++;
    }
    this.splitQueue.splice(0, taken);
    if (done > 0) {
      this.splitHappen = true;
      host.count(this.cSplits, done);
    }
  }
}
