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
// - Watermarks (htmm_migrater.c get_memcg_demotion_watermark / get_memcg_promotion_watermark, in
//   4 KiB pages of the fast tier's max_nr_base_pages): demotion = 2 % clamped to [50 MiB,
//   1000 MiB]; promotion = 3 %, but below 100 MiB it is 50 MiB and above 1500 MiB it is 1000 MiB
//   (the code returns the demotion limits there: MIN_WATERMARK_* for MAX_WATERMARK_*). A fast
//   tier smaller than a watermark makes `max − watermark` wrap around in the kernel's unsigned
//   arithmetic: room to promote and the hot set's room are then unbounded (the tier's free frames
//   still bound what moves).
// - Allocation (mempolicy.c alloc_pages_vma, Memtis hook): the fast tier while nr_lru + the
//   page's base pages < max (so never its last frame), else the next tier, and kmigraterd is woken
//   with need_demotion set (direct demotion).
// - kmigraterd every migrationPeriodMs (500 ms; woken at once for direct demotion):
//   need_toptier_demotion — under need_demotion, demote until free = promotion watermark + 50 MiB
//   (12800 base pages); otherwise, if slow-tier active pages wait, make room for all of them plus
//   the promotion watermark; else demote only when free < the demotion watermark, then up to the
//   promotion watermark. demote_node takes inactive pages oldest first, skipping warm pages (bin ≥
//   warm threshold), and sets warm = hot when it could not free enough for the waiting pages;
//   need_demotion clears once free > the demotion watermark. promote_node (promotion_available)
//   promotes slow-tier active pages, oldest first, while free stays above the promotion watermark.
//   Migrations are asynchronous.
// - Huge-page splitting (§4.3; htmm_core.c check_transhuge_cooling, set_memcg_nr_split,
//   set_memcg_split_thres, check_split_huge_page, deferred_split_scan_for_htmm; on with 2 MiB
//   pages, `split`). A sample carries its 4 KiB sub-page: each huge page keeps per-sub-page counts
//   (+512 per sample) that feed an estimated base-page histogram (ebp_hotness_hg) and a base-page
//   threshold. eHR counts samples on sub-pages hot at base grain, rHR samples served by DRAM.
//   At cooling, each huge page's skewness (Σ count² / 11 / hot², hot = sub-pages at or above the
//   base threshold; 0 if none, or if the huge page is very hot, bin ≥ 13) becomes an index
//   (get_skew_idx) in access_map. Once more samples than max(a quarter of memory in use, the fast
//   tier) were taken, the next adaptation sizes a split round: (eHR − rHR) samples per record over
//   the average accesses of a huge page, times (slow − DRAM latency) / DRAM latency of Memtis's
//   model (80 / 170 ns), × 512, × gamma 0.4; the skewness threshold is where that budget runs out
//   walking access_map from the top. Sampled huge pages at or above it are queued; kmigraterd
//   splits up to 50 per run (Host.splitPage) before its other work; the base pages keep their
//   counts and their huge page's list. A round that does not raise rHR by 3 % stops splitting.
// - New pages (__prep_transhuge_page_for_htmm, set_page_coolstatus): count 2^(hot threshold + 1)
//   (get_accesses_from_idx), sub-pages of a huge page too; on the inactive list; a huge page's
//   index stays 0 until sampled (a base page's index is its count's); not in the histogram until
//   sampled or cooled; with htmm_skip_cooling (default on) their clock is one ahead, so the next
//   cooling passes them by unless a sample came first (a sample brings the clock level). The
//   histogram follows the code's bookkeeping: a sample moves the page from its old index (clamped
//   at 0, so a page not yet counted takes one from that bin) to its new one.
// - Simplifications: cooling is eager (see above), so a huge page's skewness is measured at the
//   cooling rather than at its next sample or list walk.
//   A split keeps all 512 sub-pages resident, as Linux 5.15 does; freed 4 KiB frames are fungible
//   (no compaction cost before a tier can take a huge page again).

import { definePolicy, EVENT_LOAD_LOCAL, EVENT_LOAD_REMOTE, EVENT_STORE, FAULT_HINT, PAGE_BASE } from './policy.ts';
import type { Host, PolicyHooks } from './policy.ts';
import { PageLists, NO_PAGE } from './lib/page-lists.ts';
import { grow, initialPages } from './lib/grow.ts';
import { demoteToSlower } from './lib/demote.ts';
import { BASE_INCR, HugeSplit, NR_BINS, binOf, hotThresholdBin } from './lib/memtis-split.ts';
import { PEBS_PERIOD_LIST, memtisWatermark } from './lib/memtis-params.ts';
import type { MemtisParams } from './lib/memtis-params.ts';
import { MAX_COUNT, MAX_EVENT_NS, MAX_GIB, MAX_MIB, MAX_SIM_MS } from '../sim/config.ts';

export const L_FAST_ACTIVE = 0;
export const L_FAST_INACTIVE = 1;
export const L_SLOW_ACTIVE = 2;
export const L_SLOW_INACTIVE = 3;
export { NR_BINS, NR_SKEW, binOf, hotThresholdBin, skewIndex } from './lib/memtis-split.ts';
export { PEBS_PERIOD_LIST, memtisWatermark, type MemtisParams } from './lib/memtis-params.ts';

const TIMER_MIGRATE = 1;
const TIMER_QUOTA = 2;
/** kmigraterd woken for direct demotion (kmigraterd_wakeup): its pass runs as the thread, after the fault. */
const TIMER_DIRECT = 3;
const HUGE_PAGE_BYTES = 2 * 1024 * 1024;
const BASE_PAGE_BYTES = 4096;
const MB = 1024 * 1024;

/** need_toptier_demotion's extra for direct demotion: 1U · 128 · 100 base pages (50 MiB; its comment says 100 MB). */
const DIRECT_DEMOTION_EXTRA_BASE = 128 * 100;

export class Memtis {
  readonly lists = new PageLists(4);
  count = new Uint32Array(1024);
  bin = new Uint8Array(1024);
  /** Pages per bin in 4 KiB units (hotness_hg): a huge page counts pageBytes / 4096, as HPAGE_PMD_NR. */
  readonly hist = new Float64Array(NR_BINS);
  activeThreshold: number;
  warmThreshold: number;
  /** Samples on our pages (memcg->nr_sampled). */
  nrSampled = 0;
  cooled = false;
  needAdjust = false;
  periodIndex: number;
  /** Demotion and promotion watermarks in 4 KiB pages (get_memcg_demotion_watermark / get_memcg_promotion_watermark). */
  readonly demoteWmark: number;
  readonly promoteWmark: number;
  /** memcg->nodeinfo[0]->need_demotion: an allocation found the fast tier full. */
  needDemotion = false;
  /** Per page: its cooling clock is one ahead (htmm_skip_cooling): the next cooling passes it by. */
  skipCool = new Uint8Array(1024);
  /** Count added per sample to a page of the run's size: 512 for 4 KiB pages, 1 for 2 MiB pages. */
  readonly incr: number;
  /** 4 KiB sub-pages per page of the run (HPAGE_PMD_NR with 2 MiB pages; 1 with 4 KiB pages). */
  readonly subs: number;
  private lastAllocBytes = 0;
  private samplesSinceQuota = 0;
  ops = 0;
  private readonly cCoolings: number;
  private readonly cAdapt: number;
  private readonly cThreshold: number;
  private readonly cPeriod: number;
  private readonly cDemoted: number;
  /** Huge-page splitting (§4.3): its state and steps, lib/memtis-split.ts. */
  readonly split: HugeSplit;

  constructor(
    readonly p: MemtisParams,
    readonly host: Host,
  ) {
    this.incr = Math.max(1, HUGE_PAGE_BYTES / host.pageBytes);
    this.subs = Math.max(1, host.pageBytes / BASE_PAGE_BYTES);
    const maxBase = host.capacity(0) * this.subs;
    this.demoteWmark = memtisWatermark(maxBase, p.demoteWatermarkPct, p.demoteWatermarkMinMB, p.demoteWatermarkMaxMB, p.demoteWatermarkMinMB, p.demoteWatermarkMaxMB);
    this.promoteWmark = memtisWatermark(maxBase, p.promoteWatermarkPct, p.promoteWatermarkMinMB, p.promoteWatermarkMaxMB, p.demoteWatermarkMinMB, p.demoteWatermarkMaxMB);
    this.activeThreshold = p.minHotThreshold;
    this.warmThreshold = p.minHotThreshold;
    this.periodIndex = Math.min(p.loadPeriodIndex, PEBS_PERIOD_LIST.length - 1);
    this.cCoolings = host.counter('coolings');
    this.cAdapt = host.counter('adaptations');
    this.cThreshold = host.counter('hotThresholdChange');
    this.cPeriod = host.counter('loadPeriodChange');
    this.cDemoted = host.counter('directDemotions');
    this.split = new HugeSplit(this); // registers its counters after ours, as before
  }

  start(): void {
    const h = this.host;
    this.setLoadPeriod(this.periodIndex);
    h.sample(EVENT_STORE, this.p.storePeriod);
    h.every(this.p.migrationPeriodMs * 1e6, TIMER_MIGRATE);
    if (this.p.adaptiveSampling) h.every(this.p.quotaCheckMs * 1e6, TIMER_QUOTA);
  }

  hooks(): PolicyHooks {
    return {
      place: () => this.place(),
      onFault: (page, kind) => this.onFault(page, kind),
      onSample: (page, _event, subpage) => this.onSample(page, subpage),
      onMigrated: (page) => void (this.lists.listOf[page] >= 0 && this.lists.moveHead(this.listFor(page), page)),
      onCollapsed: (range, first) => this.split.collapsed(range, first),
      onTimer: (id) => (id === TIMER_MIGRATE ? this.kmigraterd() : id === TIMER_DIRECT ? this.directDemotionTimer() : this.checkQuota()),
      // Every tier full: the allocation could not even fall back; demote as for a full fast tier, at once.
      onPressure: () => this.demoteNow(),
    };
  }

  /** Memtis's allocation hook: the fast tier while nr_lru + the page's base pages < max, else the next tier (and direct demotion). */
  private place(): number {
    const host = this.host;
    if (host.tiers < 2 || (host.used(0) + 1) * this.subs < host.capacity(0) * this.subs) return 0;
    this.directDue = true;
    return 1;
  }

  private directDue = false;
  /** kmigraterd woken for direct demotion: 0 asleep, 1 pass queued, 2 busy until its pass's time has elapsed. */
  private directState = 0;

  /**
   * The allocation set need_demotion and woke kmigraterd (htmm_core.c, kmigraterd_wakeup): the
   * faulting task does not wait; the thread's pass runs after the fault, and a wake while it is
   * awake changes nothing.
   */
  private wakeDirectDemotion(): void {
    this.needDemotion = true;
    if (this.directState !== 0) return;
    this.directState = 1;
    this.host.after(0, TIMER_DIRECT);
  }

  /** kmigraterd's direct-demotion pass (asynchronous migrations); the thread stays awake for the pass's list work. */
  private directDemotionTimer(): void {
    if (this.directState === 2) {
      this.directState = 0;
      return;
    }
    const busyNs = this.demoteNow();
    this.directState = busyNs > 0 ? 2 : 0;
    if (busyNs > 0) this.host.after(busyNs, TIMER_DIRECT);
  }

  /** demote_node for the top tier's excess, now (the pass above; also when every tier is full); returns the kernel ns it took. */
  private demoteNow(): number {
    this.needDemotion = true;
    const excess = this.toptierExcess();
    if (excess > 0) this.demoteNode(excess);
    return this.flushOps();
  }

  private setLoadPeriod(i: number): void {
    this.periodIndex = i;
    const period = PEBS_PERIOD_LIST[i];
    this.host.sample(EVENT_LOAD_LOCAL, period);
    this.host.sample(EVENT_LOAD_REMOTE, period);
  }

  /** A page of the run's size (not a base page left by a split): it counts `subs` 4 KiB pages. */
  private isHuge(page: number): boolean {
    return this.subs > 1 && (this.host.flags(page) & PAGE_BASE) === 0;
  }

  ensure(n: number): void {
    if (n <= this.count.length) return;
    n = Math.max(n, initialPages(this.host)); // grown once, to the pages the run expects (lib/grow.ts)
    this.count = grow(this.count, n);
    this.bin = grow(this.bin, n);
    this.split.ensure(n);
    this.skipCool = grow(this.skipCool, n);
    this.lists.ensure(n);
  }

  onFault(page: number, kind: number): void {
    if (kind === FAULT_HINT) return;
    this.ensure(page + 1);
    const lists = this.lists;
    const huge = this.isHuge(page);
    if (lists.listOf[page] >= 0) {
      this.histRemove(this.bin[page], lists.weightOf(page));
      lists.remove(page);
    }
    // get_accesses_from_idx(active_threshold + 1); the page enters the histogram when first
    // sampled or cooled; a huge page's index (meta->idx) starts at 0, a base page's is its count's.
    const factor = 2 ** (this.activeThreshold + 1);
    this.count[page] = factor;
    this.bin[page] = huge ? 0 : binOf(factor);
    this.skipCool[page] = this.p.skipFirstCooling ? 1 : 0;
    if (huge) {
      lists.setWeight(page, this.subs);
      if (this.split.splitOn) this.split.takeSlot(page, factor);
    }
    // ClearPageActive: new pages start on the inactive list.
    lists.pushHead(this.host.tierOf(page) === 0 ? L_FAST_INACTIVE : L_SLOW_INACTIVE, page);
    if (this.directDue) {
      this.directDue = false;
      this.wakeDirectDemotion();
    }
  }

  /**
   * The list a page belongs on under the current thresholds. Fast tier: hot (bin ≥ hot threshold)
   * → active, cold (bin < warm threshold) → inactive, warm (in between) stays where it is; a page
   * just promoted is hot. Slow tier: hot → active (a promotion candidate), else inactive.
   */
  protected listFor(page: number): number {
    const b = this.bin[page];
    if (this.host.tierOf(page) !== 0) return b >= this.activeThreshold ? L_SLOW_ACTIVE : L_SLOW_INACTIVE;
    if (b >= this.activeThreshold) return L_FAST_ACTIVE;
    if (b < this.warmThreshold) return L_FAST_INACTIVE;
    const l = this.lists.listOf[page];
    return l === L_FAST_ACTIVE || l === L_FAST_INACTIVE ? l : L_FAST_ACTIVE;
  }

  /** update_pginfo for one sample: update_huge_page or update_base_page, then cooling or adaptation. */
  onSample(page: number, subpage = 0): void {
    if (page >= this.count.length || this.lists.listOf[page] < 0) return;
    this.skipCool[page] = 0; // check_*_cooling at the sample brings the page's clock level
    const split = this.split.splitOn;
    const huge = split && this.split.slot[page] >= 0;
    let toSplit = false;
    if (huge) {
      this.split.sampleSubpage(this.split.slot[page] * this.subs + subpage);
      toSplit = this.split.checkSplit(page);
    }
    // A huge page counts +1 per sample, a 4 KiB page +512 (a base page left by a split too).
    const c = this.count[page] + (split && !huge ? BASE_INCR : this.incr);
    this.count[page] = c > 0xffffffff ? 0xffffffff : c;
    const b0 = this.bin[page];
    const b = binOf(this.count[page]);
    if (b !== b0) {
      const w = this.lists.weightOf(page);
      this.histRemove(b0, w);
      this.hist[b] += w;
      this.bin[page] = b;
      // A page queued for splitting keeps its list until it is split (update_huge_page returns).
      const l = this.listFor(page);
      if (!toSplit && l !== this.lists.listOf[page]) this.lists.moveHead(l, page);
    }
    if (split) {
      if (!huge) {
        // update_base_page: the base page is in the estimated histogram too.
        if (this.split.mayHot[page]) this.split.maxDramSampled++;
        this.split.mayHot[page] = b >= this.split.bpActiveThreshold ? 1 : 0;
        if (b !== b0) {
          if (this.split.ebpHist[b0] > 0) this.split.ebpHist[b0]--;
          this.split.ebpHist[b]++;
        }
      }
      this.split.nrSampledForSplit++;
      if (this.host.tierOf(page) === 0) this.split.nrDramSampled++;
    }
    this.nrSampled++;
    this.samplesSinceQuota++;
    if (this.nrSampled % this.p.coolingPeriodSamples === 0 || this.needAllocCooling()) {
      this.cool();
      if (split) this.split.splitDecision();
    } else if (this.nrSampled % this.p.adaptationPeriodSamples === 0) this.adjustThreshold();
  }

  /** need_memcg_cooling: memory in use grew by coolingAllocGiB since the last such cooling. */
  private needAllocCooling(): boolean {
    const bytes = this.usedFrames() * this.host.pageBytes;
    if (this.lastAllocBytes + this.p.coolingAllocGiB * 1024 * MB <= bytes) {
      this.lastAllocBytes = bytes;
      return true;
    }
    return false;
  }

  usedFrames(): number {
    let used = 0;
    for (let t = 0; t < this.host.tiers; t++) used += this.host.used(t);
    return used;
  }

  /**
   * __cooling + cooling_node + check_transhuge_cooling: halve every count and rebuild the
   * histograms; for each huge page also measure its skewness from its sub-pages' counts before
   * halving: Σ count² / 11 / hot² (hot = sub-pages at or above the base-page threshold), as an
   * index (get_skew_idx); 0 when no sub-page is hot or the huge page is very hot (bin ≥ 13).
   */
  cool(): void {
    const n = Math.min(this.host.pageCount(), this.count.length);
    const hist = this.hist;
    const ebp = this.split.ebpHist;
    const split = this.split.splitOn;
    hist.fill(0);
    if (split) {
      ebp.fill(0);
      this.split.accessMap.fill(0);
      this.split.sumUtil = 0;
      this.split.numUtil = 0;
      this.split.coolingClock++;
      if (this.split.bpActiveThreshold > 0) this.split.bpActiveThreshold--;
    }
    const bpHot = Math.min(this.activeThreshold, this.split.bpActiveThreshold);
    const listOf = this.lists.listOf;
    for (let i = 0; i < n; i++) {
      if (listOf[i] < 0) continue;
      if (this.skipCool[i]) {
        // Its clock is one ahead (htmm_skip_cooling): this cooling passes it by; it stays out of
        // the rebuilt histogram, as the kernel's walk adds only pages it cools.
        this.skipCool[i] = 0;
        continue;
      }
      if (split) {
        const s = this.split.slot[i];
        if (s >= 0) this.split.coolSubpages(i, s, bpHot);
        else {
          this.split.mayHot[i] = binOf(this.count[i]) >= this.split.bpActiveThreshold ? 1 : 0;
          ebp[binOf(this.count[i] >>> 1)]++;
        }
      }
      const c = this.count[i] >>> 1;
      this.count[i] = c;
      const b = binOf(c);
      this.bin[i] = b;
      hist[b] += this.lists.weightOf(i);
      if (split && this.split.slot[i] >= 0) this.split.accessMap[this.split.skewIdx[i]]++;
    }
    this.cooled = true;
    this.needAdjust = true;
    this.host.count(this.cCoolings);
    this.host.chargeKernelNs(n * this.p.listOpNs);
  }

  /** __adjust_active_threshold. */
  adjustThreshold(): void {
    // Histograms count 4 KiB pages; so does the room (max_nr_dram_pages − promotion watermark),
    // which wraps around (unbounded) when the watermark exceeds the tier.
    const maxBase = this.host.capacity(0) * this.subs;
    const maxPages = maxBase > this.promoteWmark ? maxBase - this.promoteWmark : Infinity;
    const { bin, needWarm } = hotThresholdBin(this.hist, maxPages, this.p.minHotThreshold);
    const bpBin = this.split.splitOn ? hotThresholdBin(this.split.ebpHist, maxPages, this.p.minHotThreshold).bin : 0;
    const before = this.activeThreshold;
    if (this.cooled) {
      if (bin < this.activeThreshold && this.activeThreshold > 1) this.activeThreshold--;
      if (bpBin < this.split.bpActiveThreshold) this.split.bpActiveThreshold = bpBin;
      this.cooled = false;
      this.needAdjust = true;
      if (this.split.needSplit) {
        this.split.setNrSplit();
        this.split.setSplitThreshold();
        this.split.nrSampledForSplit = 0;
        this.split.needSplit = false;
      }
    } else {
      if (bin > this.activeThreshold) {
        this.activeThreshold = bin;
        this.needAdjust = true;
      } else if (this.split.splitHappen && this.split.splitEnabled && bin < this.activeThreshold) {
        // Splits change the histogram, so the hot threshold may come down.
        this.activeThreshold = bin;
        this.needAdjust = true;
      }
      if (this.split.splitOn) this.split.bpActiveThreshold = bpBin;
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

  /** kmigraterd, one run: split queued huge pages, re-sort, demote to make room, promote. */
  kmigraterd(): void {
    if (this.split.splitEnabled && this.split.splitQueue.length > 0) this.split.splitQueued();
    if (this.needAdjust) this.adjustLists();
    if (this.host.tiers > 1) {
      const excess = this.toptierExcess();
      if (excess > 0) this.demoteNode(excess);
      this.promoteNode();
    }
    this.flushOps();
  }

  /** Charge the list operations done since the last flush as kernel CPU; returns that time. */
  private flushOps(): number {
    const ns = this.ops * this.p.listOpNs;
    if (ns > 0) this.host.chargeKernelNs(ns);
    this.ops = 0;
    return ns;
  }

  /** Take w from a histogram bin, clamped at 0 as the kernel's bookkeeping does. */
  histRemove(bin: number, w: number): void {
    const h = this.hist[bin] - w;
    this.hist[bin] = h > 0 ? h : 0;
  }

  /** need_toptier_demotion: 4 KiB pages to demote from the fast tier now (0 = none). */
  toptierExcess(): number {
    const host = this.host;
    const max = host.capacity(0) * this.subs;
    const lru = host.used(0) * this.subs;
    const promo = this.promoteWmark;
    if (this.needDemotion && lru + promo > max) {
      return (lru < max ? promo - (max - lru) : lru + promo - max) + DIRECT_DEMOTION_EXTRA_BASE;
    }
    const waiting = this.lists.units[L_SLOW_ACTIVE]; // need_lowertier_promotion, in 4 KiB pages
    if (waiting > 0 ? lru + waiting + promo <= max : lru + this.demoteWmark <= max) return 0;
    return lru + waiting + promo - max;
  }

  /**
   * demote_node: demote fast-tier inactive pages, oldest first, skipping warm ones (bin ≥ warm
   * threshold, shrink_page_list), until `excess` 4 KiB pages are freed; under direct demotion with
   * too few inactive pages, the active list too. Then warm = hot when fewer than the waiting slow
   * pages could be freed, and need_demotion clears once free > the demotion watermark.
   */
  demoteNode(excess: number): void {
    const host = this.host;
    const inactive = this.lists.units[L_FAST_INACTIVE];
    let freed = this.demoteFrom(L_FAST_INACTIVE, excess, 0);
    if (freed < excess && this.needDemotion && excess > inactive) freed = this.demoteFrom(L_FAST_ACTIVE, excess, freed);
    if (this.p.warm) {
      const waiting = Math.min(this.lists.units[L_SLOW_ACTIVE], excess);
      if (waiting > 0 && freed < waiting) this.warmThreshold = this.activeThreshold;
    }
    const max = host.capacity(0) * this.subs;
    if (host.used(0) * this.subs + this.demoteWmark < max) this.needDemotion = false;
  }

  /** Walk `list` once from its tail, demoting pages below the warm threshold until `goal` 4 KiB pages are freed. */
  private demoteFrom(list: number, goal: number, freed: number): number {
    const lists = this.lists;
    for (let left = lists.size[list]; left > 0 && freed < goal; left--) {
      const page = lists.tail[list];
      this.ops++;
      if (this.bin[page] >= this.warmThreshold) {
        lists.moveHead(list, page); // warm: kept, rotated
        continue;
      }
      if (!demoteToSlower(this.host, page)) break;
      freed += lists.weightOf(page);
      lists.moveHead(this.listFor(page), page);
      if (this.needDemotion) this.host.count(this.cDemoted);
    }
    return freed;
  }

  /** promote_node / promotion_available: slow-tier active pages, oldest first, while the fast tier keeps the promotion watermark free. */
  promoteNode(): void {
    const host = this.host;
    const lists = this.lists;
    const max = host.capacity(0) * this.subs;
    // max − watermark wraps around (unbounded room) when the watermark exceeds the tier.
    let room = max > this.promoteWmark ? max - this.promoteWmark - host.used(0) * this.subs : Infinity;
    room = Math.min(room, lists.units[L_SLOW_ACTIVE]);
    let moved = 0;
    while (moved < room) {
      const page = lists.tail[L_SLOW_ACTIVE];
      if (page === NO_PAGE || !host.migrate(page, 0, true)) break;
      moved += lists.weightOf(page);
      lists.moveHead(this.listFor(page), page);
      this.ops++;
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
  summary: 'Memtis (SOSP\'23): PEBS samples into a log2 access histogram, hot threshold sized to the fast tier, warm bin, cooling every 2 M samples, kmigraterd every 500 ms, adaptive sample period, huge-page splitting by skewness. Run with --page-size 2m.',
  source: 'Lee et al. SOSP\'23 §4–5; github.com/cosmoss-jigu/memtis linux/mm/htmm_core.c (update_pginfo, __adjust_active_threshold, __cooling, check_transhuge_cooling, set_memcg_nr_split, set_memcg_split_thres, check_split_huge_page, deferred_split_scan_for_htmm), htmm_sampler.c (ksamplingd, pebs_period_list), htmm_migrater.c (kmigraterd), include/linux/htmm.h',
  params: {
    coolingPeriodSamples: { default: 2000000, min: 1, max: MAX_COUNT, integer: true, doc: 'htmm_cooling_period: samples between coolings (halving every count) [code].' },
    adaptationPeriodSamples: { default: 100000, min: 1, max: MAX_COUNT, integer: true, doc: 'htmm_adaptation_period: samples between hot-threshold adaptations [code].' },
    coolingAllocGiB: { default: 10, min: 0, max: MAX_GIB, doc: 'htmm_thres_cooling_alloc: also cool when memory in use grew by this many GiB since the last such cooling [code].' },
    skipFirstCooling: { default: true, doc: 'htmm_skip_cooling: a new page\'s cooling clock starts one ahead, so the next cooling passes it by unless it is sampled first [code].' },
    migrationPeriodMs: { default: 500, min: 1e-3, max: MAX_SIM_MS, doc: 'htmm_promotion_period_in_ms / htmm_demotion_period_in_ms: kmigraterd period in ms [code].' },
    demoteWatermarkPct: { default: 2, min: 0, max: 100, doc: 'Demotion watermark as % of the fast tier (get_memcg_demotion_watermark) [code].' },
    demoteWatermarkMinMB: { default: 50, min: 0, max: MAX_MIB, doc: 'Lower clamp of the demotion watermark, MiB (MIN_WATERMARK_LOWER_LIMIT, 128 · 100 pages); also what the promotion watermark becomes below its own lower clamp [code].' },
    demoteWatermarkMaxMB: { default: 1000, min: 0, max: MAX_MIB, doc: 'Upper clamp of the demotion watermark, MiB (MIN_WATERMARK_UPPER_LIMIT, 2560 · 100 pages); also what the promotion watermark becomes above its own upper clamp [code].' },
    promoteWatermarkPct: { default: 3, min: 0, max: 100, doc: 'Promotion watermark as % of the fast tier (get_memcg_promotion_watermark) [code].' },
    promoteWatermarkMinMB: { default: 100, min: 0, max: MAX_MIB, doc: 'MAX_WATERMARK_LOWER_LIMIT in MiB: a promotion watermark (3 %) below it is replaced by the demotion watermark\'s lower clamp, as get_memcg_promotion_watermark does [code].' },
    promoteWatermarkMaxMB: { default: 1500, min: 0, max: MAX_MIB, doc: 'MAX_WATERMARK_UPPER_LIMIT in MiB: a promotion watermark above it is replaced by the demotion watermark\'s upper clamp, as get_memcg_promotion_watermark does [code].' },
    minHotThreshold: { default: 1, min: 0, max: NR_BINS - 1, integer: true, doc: 'htmm_thres_hot: lowest allowed hot-threshold bin [code].' },
    warm: { default: true, doc: 'Warm bin on (htmm_nowarm = 0): warm threshold = hot − 1 when the hot set fills under 75 % of the fast tier [code].' },
    adaptiveSampling: { default: true, doc: 'Adapt the load sample period to the sampler CPU quota (ksampled_soft_cpu_quota) [code].' },
    loadPeriodIndex: { default: 0, min: 0, max: PEBS_PERIOD_LIST.length - 1, integer: true, doc: 'Starting index into pebs_period_list (0 = 199 events per sample, … 29 = 19997) [code].' },
    storePeriod: { default: 100007, min: 1, max: MAX_COUNT, integer: true, doc: 'htmm_inst_sample_period: store events per sample [code].' },
    cpuQuotaPct: { default: 3, min: 0, max: 100, doc: 'ksampled_soft_cpu_quota: sampler CPU budget in % of one core [code].' },
    quotaCheckMs: { default: 15000, min: 1e-3, max: MAX_SIM_MS, doc: 'Interval of the sampler CPU check, ms (15 s) [code].' },
    listOpNs: { default: 50, min: 0, max: MAX_EVENT_NS, doc: 'CPU per page examined or moved by kmigraterd and cooling, ns [estimate].' },
    split: { default: true, doc: 'Huge-page splitting by skewness (htmm_thres_split ≠ 0); only with huge pages (--page-size 2m) [code].' },
    splitPeriod: { default: 2, min: 0, max: 30, integer: true, doc: 'htmm_split_period: a split round needs more samples than (memory in use >> this), and at least the fast tier\'s size in 4 KiB pages [code].' },
    gammaTenths: { default: 4, min: 0, max: 1000, integer: true, doc: 'htmm_gamma: scale of the split budget in tenths (4 = 0.4) [code].' },
    maxSplitsPerRun: { default: 50, min: 1, max: 1e6, integer: true, doc: 'Huge pages split per kmigraterd run at most (deferred_split_scan_for_htmm nr_max, 100 MB) [code].' },
    modelDramLatencyNs: { default: 80, min: 1, max: 1e6, doc: 'DRAM_ACCESS_LATENCY of Memtis\'s split model, ns (htmm.h) [code].' },
    modelSlowLatencyNs: { default: 170, min: 1, max: 1e6, doc: 'Slow-tier latency of Memtis\'s split model, ns: CXL_ACCESS_LATENCY 170 (NVM_ACCESS_LATENCY is 270; htmm.h) [code].' },
  },
  create(params, host) {
    const m = new Memtis(params as MemtisParams, host);
    m.start();
    return m.hooks();
  },
});
