// The Linux memory-management paths the tiering policies share, composed once: allocation
// watermarks, kswapd, reclaim that demotes or evicts, NUMA-balancing hint faults and promotion.
// The policy files (numa-tiering, tpp, mglru, autonuma) pick a configuration.
//
// - Allocation (mm/page_alloc.c get_page_from_freelist / __alloc_pages_slowpath): the first node
//   in zonelist order (tier order; every CPU sits on node 0) whose free pages exceed its low
//   watermark (in 4 KiB base pages, order-aware for 2 MiB pages); if none, wake every node's kswapd and take the first above min; if none is,
//   direct reclaim in the faulting CPU's context (SWAP_CLUSTER_MAX pages over the zonelist,
//   synchronous: the CPU stalls for the migrations), run right after the engine placed the page
//   (or, when every tier is full, in the engine's onPressure before it places it). The fast path
//   never wakes kswapd: in plain Linux a full node 0 just spills to the next node.
// - kswapd (mm/vmscan.c wakeup_kswapd, balance_pgdat, pgdat_balanced) is a thread per node: a
//   wake for a node that is not balanced makes it runnable (a timer event at once; a wake while
//   it is awake is a no-op) and it reclaims in batches of SWAP_CLUSTER_MAX scanned pages until
//   free > high, or > promo in memory-tiering mode (TPP: > its demotion watermark on the top
//   tier). A batch takes kswapd's time — the kernel CPU its PTE tests and demotions were charged
//   (cost model; demotion copies also load both tiers' bandwidth) plus kswapdPageNs per page
//   scanned [estimate] — and the next batch starts when it has elapsed: kswapd costs CPU time
//   and bandwidth, never the waker's time, and pages deactivated in one batch have the time the
//   next ones take to be referenced again. Simplification [model]: each batch restarts the
//   priority walk at DEF_PRIORITY and checks the goal after every round, where balance_pgdat
//   keeps its priority between passes. A run that reclaims nothing counts a failure; after
//   MAX_RECLAIM_RETRIES = 16 it is no longer woken (TPP: it retries after kswapdRetryMs).
// - Reclaim (shrink_folio_list, demote_folio_list, can_demote): pages chosen by the reclaimer
//   (classic LRU or MGLRU) are demoted to the next lower node with free > min (then any lower
//   node; allocation there wakes its kswapd below low, GFP_NOWAIT never reclaims), asynchronously
//   from kswapd; when no lower node can take them, or demotion is off, they are evicted to swap.
// - NUMA hint fault (mm/memory.c do_numa_page, kernel/sched/fair.c should_numa_migrate_memory,
//   mm/migrate.c migrate_misplaced_folio / numamigrate_isolate_folio / migrate_balanced_pgdat):
//   mode 1: promote a remote page at its second fault (the first sets last_cpupid); mode 2: the
//   free-space bypass, the hot threshold on hint-fault latency, the rate limit. A promotion needs
//   free > high + 1 on node 0; otherwise mode 2 wakes kswapd there and leaves the page. The page
//   moves synchronously, stalling the faulting CPU. Fault statistics feed the scan period. The
//   scan timer and this handler are kernel-numa.ts (KernelNuma).

import type { Host, PolicyHooks } from '../policy.ts';
import { FAULT_FIRST_TOUCH, FAULT_HINT, FAULT_SWAP_IN } from '../policy.ts';
import { computeWatermarks, demoteWatermark } from './watermarks.ts';
import type { Watermarks } from './watermarks.ts';
import { AddressOrder } from './address-order.ts';
import { NumaScanner, PromotionControl, NUMA_BALANCING_MEMORY_TIERING } from './numa-balancing.ts';
import { KernelNuma, SCANNER_UNSETTLED } from './kernel-numa.ts';
import { ActiveInactiveLru, ADD_FAULT, ADD_MIGRATED, SWAP_CLUSTER_MAX } from './lru.ts';
import type { Reclaimer } from './lru.ts';
import { listsMatchTiers } from './lru.ts';
import { Mglru, flushMglruStats } from './mglru.ts';
import { TypedLru, flushTypedStats, PT_ANON } from './typed-lru.ts';
import { DEFAULT_SWAPPINESS } from './scan-balance.ts';
import { EarlyReclaim } from './early-reclaim.ts';
import { Senpai } from './senpai.ts';
import { grow, initialPages } from './grow.ts';
import { NUMA_BALANCING_COLLOID } from './colloid.ts';
import type { KernelOptions } from './kernel-params.ts';
import { kernelHeardMigrated, kernelHeardCollapsed, relistDemoted, inheritRangeShadow } from './kernel-thp.ts';
import { firstAboveMark, slowFirstAboveMark } from './watermark-ok.ts';

export const MAX_RECLAIM_RETRIES = 16;
const BASE_PAGE_BYTES = 4096;
const TIMER_SCAN = 1;
/** Senpai's 1 s tick (senpai.ts). */
const TIMER_SENPAI = 4;
const TIMER_KSWAPD = 8; // + node
/** Share of a tier the kswapd target may keep free before the run warns (stated in README "How faithful is it") [model]. */
export const RESERVE_WARN_SHARE = 0.1;
export { SCANNER_UNSETTLED };
/** Pages a kswapd batch scans before it yields: SWAP_CLUSTER_MAX, the unit of shrink_inactive_list. */
export const KSWAPD_BATCH_PAGES = SWAP_CLUSTER_MAX;

/** The composed kernel: hooks for the engine plus its state, exposed for tests. */
export class TieringKernel {
  readonly wm: Watermarks;
  /** TPP's WMARK_DEMOTE of the top tier (0 when not TPP). */
  readonly demoteWm: number;
  readonly reclaimer: Reclaimer;
  readonly scanner: NumaScanner | null;
  readonly promo = new PromotionControl();
  readonly addr: AddressOrder;
  /** Per page: ms of the last scan stamp / hint fault (folio access time, tiering mode). */
  accessTimeMs: Float64Array;
  /** Per page: CPU of the last hint fault (last_cpupid; -1 unset). */
  lastCpu: Int16Array;
  /** Per node: kswapd is awake (a batch is due), and pages its current run has reclaimed. */
  private readonly kswapdRunning: Uint8Array;
  private readonly kswapdRunReclaimed: Float64Array;
  private readonly kswapdIdleScanned: Float64Array;
  readonly kswapdFailures: Float64Array;
  private readonly kswapdFailNs: Float64Array;
  /** The scan timer and hint-fault handler (kernel-numa.ts), or null without NUMA balancing. */
  private readonly numa: KernelNuma | null = null;
  /** Pages demoted or evicted so far (direct reclaim measures its goal with it). */
  reclaimedPages = 0;
  /** The allocation being placed found every node at or below min (direct reclaim follows). */
  private directReclaimDue = false;
  /** Reclaim passes in progress (a kswapd batch or direct reclaim): direct reclaim never nests in one. */
  private reclaiming = 0;
  /** Base (4 KiB) pages per page of the run: 1, or 512 with 2 MiB pages. */
  readonly ppf: number;
  private readonly c: Record<string, number>;
  private readonly reclaimFromKswapd: Array<(page: number) => boolean>;
  private readonly reclaimDirect: Array<(page: number) => boolean>;
  private readonly early: EarlyReclaim | null = null;
  /** Senpai's controller (senpai.ts), or null when off; public for benches and tests. */
  readonly senpai: Senpai | null = null;

  constructor(
    private readonly host: Host,
    private readonly o: KernelOptions,
  ) {
    // Per-page columns sized once for the pages the run expects (lib/grow.ts initialPages).
    this.accessTimeMs = new Float64Array(initialPages(host));
    this.lastCpu = new Int16Array(initialPages(host)).fill(-1);
    const n = host.tiers;
    const caps = Array.from({ length: n }, (_, t) => host.capacity(t));
    // The kernel counts watermarks and free memory in base pages; a run with 2 MiB pages allocates
    // and migrates order-9 folios of 512 of them (zone_watermark_ok with the folio's order).
    this.ppf = Math.max(1, Math.round(host.pageBytes / BASE_PAGE_BYTES));
    const basePages = caps.map((c) => c * this.ppf);
    this.wm = computeWatermarks(basePages, BASE_PAGE_BYTES, o.minFreeKbytes, o.watermarkScaleFactor);
    this.demoteWm = o.tpp ? demoteWatermark(this.wm.min[0], basePages[0], o.tpp.demoteScaleFactor) : 0;
    this.addr = new AddressOrder(host);
    const count = (name: string) => host.counter(name);
    this.c = {
      wakes: count('kswapdWakes'),
      runs: count('kswapdRuns'),
      failures: count('kswapdFailures'),
      demoted: count('reclaimDemoted'),
      evicted: count('reclaimEvicted'),
      demoteFailed: count('demoteFailed'),
      scanned: count('reclaimScanned'),
      direct: count('directReclaims'),
    };
    if (o.numaMode !== 0) {
      Object.assign(this.c, {
        scans: count('numaScans'),
        marked: count('numaPtesMarked'),
        hint: count('numaHintFaults'),
        hintLocal: count('numaHintFaultsLocal'),
        periodUpdates: count('numaScanPeriodUpdates'),
        noRoom: count('promoteNoRoom'),
        promoted: count('promoteSuccess'),
      });
    }
    if (o.numaMode === NUMA_BALANCING_MEMORY_TIERING) {
      Object.assign(this.c, {
        cand: count('promoteCandidates'),
        bypass: count('promoteFreeBypass'),
        cold: count('promoteBelowThreshold'),
        limited: count('promoteRateLimited'),
        adjust: count('hotThresholdAdjusts'),
      });
      if (o.tpp?.promoteActiveOnly) this.c.inactive = count('promoteInactiveSkipped');
    }
    if (o.reclaimer === 'mglru') {
      Object.assign(this.c, { agings: count('mglruAgings'), pmdSkips: count('mglruBloomSkippedPmds'), lookAround: count('mglruLookAroundYoung'), minTtl: count('mglruMinTtlBlocked') });
      // With page types: anon and file generations, tiers and the refault controller (lib/mglru.ts).
      if (host.pageTypesOn()) Object.assign(this.c, { dropped: count('reclaimDroppedClean'), writtenBack: count('reclaimWrittenBack'), swapped: count('reclaimSwapped'), refaults: count('workingsetRefaults'), protectedTier1: count('mglruProtectedTier1'), protectedTier2: count('mglruProtectedTier2'), protectedTier3: count('mglruProtectedTier3') });
      this.reclaimer = new Mglru(host, this.addr, o.mglruMinTtlMs ?? 0, { swappiness: o.swappiness ?? DEFAULT_SWAPPINESS, swap: o.mglruSwap ?? true, canDemote: (t) => o.demotionEnabled && t < n - 1 });
    } else if (host.pageTypesOn()) {
      // Page types declared: separate anon and file lists balanced by swappiness (typed-lru.ts).
      Object.assign(this.c, { dropped: count('reclaimDroppedClean'), writtenBack: count('reclaimWrittenBack'), swapped: count('reclaimSwapped'), refaults: count('workingsetRefaults'), activated: count('workingsetActivated') });
      this.reclaimer = new TypedLru(host, o.swappiness ?? DEFAULT_SWAPPINESS, (k) => host.count(this.c.scanned, k));
    } else {
      this.reclaimer = new ActiveInactiveLru(host, (k) => host.count(this.c.scanned, k));
    }
    // Colloid: mode 6 makes the scanner mark top-tier pages too (change_pte_range); the kernel's own
    // paths keep testing numaMode (2) and read o.colloid where Colloid changes them.
    this.scanner = o.numaMode !== 0 ? new NumaScanner(host, o.scan, o.colloid ? o.numaMode | NUMA_BALANCING_COLLOID : o.numaMode, this.addr) : null;
    if (o.colloid) o.colloid.kernel = this;
    this.kswapdRunning = new Uint8Array(n);
    this.kswapdRunReclaimed = new Float64Array(n);
    this.kswapdIdleScanned = new Float64Array(n);
    if (o.reclaimEarlyPct) {
      this.early = new EarlyReclaim(host, o.reclaimEarlyPct);
      Object.assign(this.c, { earlyRuns: count('earlyReclaimRuns'), earlyEvicted: count('earlyReclaimEvicted') });
    }
    if (o.senpai) this.senpai = new Senpai(host, o.senpai, TIMER_SENPAI); // its counters and 1 s timer
    this.kswapdFailures = new Float64Array(n);
    this.kswapdFailNs = new Float64Array(n);
    // One closure per node and context, made once (never per access).
    this.reclaimFromKswapd = caps.map((_, t) => (page: number) => this.reclaimPage(page, t, true));
    this.reclaimDirect = caps.map((_, t) => (page: number) => this.reclaimPage(page, t, false));
    if (this.scanner) {
      const rateLimitPages = (o.promoteRateLimitMBps * 1048576) / host.pageBytes;
      // pgdat_free_space_enough: promo + max(1 GiB, node size / 16).
      const enoughFreePages = Math.max(Math.floor(2 ** 30 / BASE_PAGE_BYTES), Math.floor(basePages[0] / 16));
      this.numa = new KernelNuma(this, host, o, this.c, TIMER_SCAN, rateLimitPages, enoughFreePages); // schedules the first scan
    }
    // Warnings where the results would be artefacts (issue 13 item 5): a node whose kswapd target
    // is a large share of it, and a run shorter than the scanner's settling time (retracted in
    // scanTick once two full passes are done).
    for (let t = 0; t < n; t++) {
      const keep = this.kswapdTarget(t);
      if (keep > RESERVE_WARN_SHARE * basePages[t]) {
        host.warn(
          `kswapd keeps ${keep} of tier ${t}'s ${basePages[t]} base pages free (${((100 * keep) / basePages[t]).toFixed(1)} %, above ${100 * RESERVE_WARN_SHARE} %): ` +
            'on a tier this small the results measure watermark arithmetic (min_free_kbytes, watermark_scale_factor' + (o.tpp && t === 0 ? ', demote_scale_factor' : '') + ') more than the policy',
        );
      }
    }
    if (this.scanner) host.warn(SCANNER_UNSETTLED);
  }

  hooks(): PolicyHooks {
    return {
      place: (page) => this.place(page),
      onFault: (page, kind, cpu) => this.onFault(page, kind, cpu),
      onTimer: (id) => this.onTimer(id),
      onPressure: (tier) => this.directReclaim(tier),
      onMigrated: (page, from, to) => kernelHeardMigrated(this, page, from, to), // a --with mechanism's moves (kernel-thp.ts)
      onCollapsed: (range, first, tier) => kernelHeardCollapsed(this, range, first, tier),
    };
  }

  /** Policy-state invariants for tests: each present page on exactly its tier's lists, swapped pages on none. */
  checkLists(): string[] {
    return listsMatchTiers(this.host, this.reclaimer);
  }

  // ------------------------------------------------------------------ allocation

  place(page = -1): number {
    const host = this.host;
    const n = host.tiers;
    // TPP page-type-aware allocation: page cache and tmpfs try the slow tiers first (slowFirst order).
    if (page >= 0 && this.o.tpp?.fileOnSlowTier && host.pageType(page) !== PT_ANON) {
      const t = slowFirstAboveMark(host, this.ppf, this.wm.low);
      if (t >= 0) return t;
    }
    // Speed trick: the mark tests in watermark-ok.ts pass no double to a call (no allocation per fault).
    const low = firstAboveMark(host, this.ppf, this.wm.low);
    if (low >= 0) return low;
    for (let t = 0; t < n; t++) this.wakeKswapd(t);
    const min = firstAboveMark(host, this.ppf, this.wm.min);
    if (min >= 0) return min;
    // Every node at or below min: direct reclaim. The engine places the page where a frame is
    // free (or calls onPressure if none is); the reclaim then runs in the fault (see onFault).
    this.directReclaimDue = true;
    return 0;
  }

  onFault(page: number, kind: number, cpu: number): void {
    if (kind === FAULT_HINT) {
      this.hintFault(page, cpu);
      return;
    }
    if (kind !== FAULT_FIRST_TOUCH && kind !== FAULT_SWAP_IN) return;
    this.ensure(page + 1);
    const t = this.host.tierOf(page);
    if (t < 0) return;
    if (kind === FAULT_SWAP_IN) inheritRangeShadow(this, this.host, page); // a THP swapped out whole (kernel-thp.ts)
    this.reclaimer.add(page, t, ADD_FAULT, false);
    if ((this.reclaimer as { stats?: { refaults: number } }).stats?.refaults) this.flushReclaimerStats(); // a refault, counted outside a reclaim pass
    this.lastCpu[page] = -1;
    if (kind === FAULT_SWAP_IN) this.reclaimer.refault(t);
    if (this.early && this.reclaiming === 0) this.earlyReclaim();
    if (this.senpai && this.reclaiming === 0 && this.senpai.over()) this.senpaiReclaim(true);
    if (this.directReclaimDue) {
      // In the faulting CPU's context: its demotions are synchronous and stall it.
      this.directReclaimDue = false;
      this.directReclaim(0);
    }
    if (this.o.tpp && t === 0 && this.freeBase(0) < this.demoteWm) this.wakeKswapd(0);
  }

  /** Early reclaim (early-reclaim.ts), as an asynchronous reclaim pass like kswapd's. */
  private earlyReclaim(): void {
    const e = this.early!;
    const before = e.evicted;
    this.reclaiming++;
    if (e.check(this.reclaimer)) this.host.count(this.c.earlyRuns);
    this.reclaiming--;
    this.reclaimedPages += e.evicted - before;
    this.host.count(this.c.earlyEvicted, e.evicted - before);
    this.flushReclaimerStats();
  }

  /** Reclaim over memory.high (senpai.ts): in the allocating task (reclaim_high) or after Senpai's tick moved it. */
  private senpaiReclaim(inTask: boolean): void {
    this.reclaiming++;
    this.reclaimedPages += this.senpai!.reclaim(this.reclaimer, inTask);
    this.reclaiming--;
    this.flushReclaimerStats();
  }

  ensure(pages: number): void {
    this.reclaimer.ensure(pages);
    // Speed trick: runs on every fault; grow() is shared by every column type (megamorphic, not
    // inlined), so the columns' common case, room already, returns here.
    if (pages <= this.accessTimeMs.length && pages <= this.lastCpu.length) return;
    this.accessTimeMs = grow(this.accessTimeMs, pages);
    this.lastCpu = grow(this.lastCpu, pages, -1);
  }

  onTimer(id: number): void {
    if (id === TIMER_SCAN) this.numa!.scanTick();
    else if (id === TIMER_SENPAI) {
      this.senpai!.tick(); // then memory_high_write reclaims down to the limit
      if (this.senpai!.over()) this.senpaiReclaim(false);
    }
    else if (id >= TIMER_KSWAPD && id < TIMER_KSWAPD + this.host.tiers) this.kswapd(id - TIMER_KSWAPD);
  }

  // ------------------------------------------------------------------ kswapd and reclaim

  /** kernel.numa_balancing_hot_threshold_ms (the default threshold before auto-adjustment). */
  get hotThresholdMs(): number {
    return this.o.hotThresholdMs;
  }

  /** Free base pages of a node. */
  freeBase(t: number): number {
    return this.host.free(t) * this.ppf;
  }

  /** zone_watermark_ok for one page of the run's size: free − (2^order − 1) > mark (base pages). */
  aboveMark(t: number, mark: number): boolean {
    return this.freeBase(t) - (this.ppf - 1) > mark;
  }

  /** Free pages kswapd reclaims a node up to (pgdat_balanced's mark). */
  kswapdTarget(t: number): number {
    let mark = this.o.numaMode === NUMA_BALANCING_MEMORY_TIERING || this.o.kswapdToPromo ? this.wm.promo[t] : this.wm.high[t];
    if (this.o.tpp && t === 0) mark = Math.max(mark, this.demoteWm);
    return mark;
  }

  wakeKswapd(t: number): void {
    const host = this.host;
    if (this.kswapdRunning[t]) return; // awake already: the wake changes nothing
    if (this.kswapdFailures[t] >= MAX_RECLAIM_RETRIES) {
      if (!this.o.tpp || host.now() - this.kswapdFailNs[t] < this.o.tpp.kswapdRetryMs * 1e6) return;
      this.kswapdFailures[t] = 0;
    }
    if (this.aboveMark(t, this.kswapdTarget(t))) return;
    host.count(this.c.wakes);
    host.count(this.c.runs);
    // kswapd is a thread of its own: the wake only makes it runnable. Its first batch runs as a
    // timer event at this instant (after the fault or daemon that woke it returns), each later
    // batch when the previous one's time has elapsed; it never stalls the waker.
    this.kswapdRunning[t] = 1;
    this.kswapdRunReclaimed[t] = 0;
    this.kswapdIdleScanned[t] = 0;
    host.after(0, TIMER_KSWAPD + t);
  }

  /**
   * One batch of a running kswapd (balance_pgdat → shrink_node → shrink_lruvec): stop if the node
   * is balanced; else reclaim until balanced or KSWAPD_BATCH_PAGES scanned. The batch takes the
   * kernel CPU its scans and demotions were charged plus kswapdPageNs per page scanned; the next
   * batch starts when that time has elapsed. A run that scanned every priority without balancing
   * the node ends; if it reclaimed nothing it counts a failure (kswapd_failures).
   */
  kswapd(t: number): void {
    const host = this.host;
    const target = this.kswapdTarget(t);
    if (this.aboveMark(t, target)) {
      this.endKswapdRun(t);
      return;
    }
    const shadowsFreed = this.o.reclaimShadows ? this.o.reclaimShadows(t, Math.ceil((target - this.freeBase(t)) / this.ppf) + 1) : 0;
    if (shadowsFreed > 0 && this.aboveMark(t, target)) {
      this.kswapdRunReclaimed[t] += shadowsFreed; // Nomad: freeing shadow copies balanced the node
      this.endKswapdRun(t);
      return;
    }
    const r = this.reclaimer;
    const cpu0 = host.kernelCpuNs();
    const scanned0 = r.scanned;
    let balanced = false;
    let batchFull = false;
    this.reclaiming++;
    const got = r.shrink(t, this.reclaimFromKswapd[t], () => {
      balanced = this.aboveMark(t, target);
      batchFull = r.scanned - scanned0 >= KSWAPD_BATCH_PAGES;
      return balanced || batchFull;
    });
    this.reclaiming--;
    this.flushReclaimerStats();
    this.kswapdRunReclaimed[t] += got;
    const scanned = r.scanned - scanned0;
    // balance_pgdat lowers the priority after a pass that reclaimed nothing and gives up after
    // priority 1: a walk that scans Σ size >> prio ≈ 2 × the node's lists. Each batch here
    // restarts at DEF_PRIORITY, so a run gives up once it has scanned that much without progress.
    this.kswapdIdleScanned[t] = got > 0 ? 0 : this.kswapdIdleScanned[t] + scanned;
    host.chargeKernelNs(scanned * this.o.kswapdPageNs);
    const batchNs = host.kernelCpuNs() - cpu0;
    if (!balanced && (!batchFull || this.kswapdIdleScanned[t] > 2 * r.size(t))) {
      // Every priority scanned (or no progress for as long) and the node still not balanced: this run is over.
      this.endKswapdRun(t);
      return;
    }
    // Balanced or not, the thread is busy until its batch's time has elapsed; the next event
    // re-checks the node (and ends the run if it is balanced).
    host.after(batchNs, TIMER_KSWAPD + t);
  }

  private endKswapdRun(t: number): void {
    const host = this.host;
    this.kswapdRunning[t] = 0;
    if (this.kswapdRunReclaimed[t] === 0 && !this.aboveMark(t, this.kswapdTarget(t))) {
      this.kswapdFailures[t]++;
      this.kswapdFailNs[t] = host.now();
      host.count(this.c.failures);
    } else if (this.kswapdRunReclaimed[t] > 0) this.kswapdFailures[t] = 0;
  }

  /**
   * Direct reclaim (every node below min, or every tier full): SWAP_CLUSTER_MAX pages over the
   * zonelist from `want`, in the faulting CPU's context.
   */
  directReclaim(want: number): void {
    const host = this.host;
    if (this.reclaiming > 0) return;
    host.count(this.c.direct);
    const start = this.reclaimedPages;
    const enough = () => this.reclaimedPages - start >= SWAP_CLUSTER_MAX;
    const n = host.tiers;
    this.reclaiming++;
    if (this.o.reclaimShadows) for (let k = 0; k < n && !enough(); k++) this.reclaimedPages += this.o.reclaimShadows((want + k) % n, SWAP_CLUSTER_MAX - (this.reclaimedPages - start));
    for (let k = 0; k < n && !enough(); k++) this.reclaimer.shrink((want + k) % n, this.reclaimDirect[(want + k) % n], enough);
    this.reclaiming--;
    this.flushReclaimerStats();
    if (this.reclaimedPages > start) this.kswapdFailures.fill(0); // a successful direct reclaim revives kswapd
  }

  /** Demote to the nearest lower node that can take the page, else evict it to swap. */
  reclaimPage(page: number, from: number, async: boolean): boolean {
    const host = this.host;
    const n = host.tiers;
    if (this.o.demotionEnabled && from < n - 1) {
      for (let d = from + 1; d < n; d++) {
        if (!this.aboveMark(d, this.wm.low[d])) this.wakeKswapd(d);
        if (this.aboveMark(d, this.wm.min[d]) && host.migrate(page, d, async)) {
          relistDemoted(this, host, page, d);
          host.count(this.c.demoted);
          this.reclaimedPages++;
          return true;
        }
      }
      host.count(this.c.demoteFailed);
    }
    if (host.evict(page)) {
      host.count(this.c.evicted);
      this.reclaimedPages++;
      return true;
    }
    return false;
  }

  private flushReclaimerStats(): void {
    const r = this.reclaimer;
    if (r instanceof TypedLru) flushTypedStats(r, this.host, this.c);
    if (r instanceof Mglru) flushMglruStats(r, this.host, this.c);
  }

  // ------------------------------------------------------------------ NUMA balancing (kernel-numa.ts)

  hintFault(page: number, cpu: number): void {
    this.numa?.hintFault(page, cpu);
  }

  /** Nomad: a page asyncPromote() queued has moved to node 0 (off the fault path): its lists and TPP's demotion watermark. */
  asyncPromoted(page: number, wasActive: boolean): void {
    this.reclaimer.add(page, 0, ADD_MIGRATED, wasActive);
    this.host.count(this.c.promoted);
    if (this.o.tpp && this.freeBase(0) < this.demoteWm) this.wakeKswapd(0);
  }
}

/** Hooks for a policy file; `kernel` exposes the state to tests (invariant checks). */
export function createKernel(host: Host, o: KernelOptions): PolicyHooks & { kernel: TieringKernel } {
  const kernel = new TieringKernel(host, o);
  return { ...kernel.hooks(), kernel };
}

export { tieringOptions, SCAN_PARAMS, WATERMARK_PARAMS, TIERING_PARAMS } from './kernel-params.ts';
export type { TieringParamValues, KernelOptions } from './kernel-params.ts';
