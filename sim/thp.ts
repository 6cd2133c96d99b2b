// Transparent huge pages for real (issue 17 item 2; README "Transparent huge pages"), in runs with
// 2 MiB pages and thp.enabled. Off: a 2 MiB page always finds a 2 MiB frame, as before.
//
// - Physical 2 MiB blocks per tier. A huge page takes a whole free block; 4 KiB pages (sub-pages of
//   split or fallen-back huge pages) take slots of blocks, filling partly used blocks first (the
//   most recently freed one: the buddy allocator's per-CPU lists hand back hot pages first). A block
//   returns to the free pool only when its last 4 KiB page leaves, so 4 KiB churn fragments a tier.
//   thp.fragmentedPct of each tier's blocks start with an unmovable kernel page in them: usable for
//   4 KiB pages, never for a huge page (slab, page tables, pinned buffers; an [estimate] of uptime).
//   Capacity stays the engine's (usedFrames); the blocks only decide whether a huge page fits.
// - Fault (do_huge_pmd_anonymous_page): the huge page goes to the tier placement picked if it has a
//   free block and 2 MiB of room there; it is tried on that tier alone (mm/mempolicy.c: a THP
//   allocation is __GFP_THISNODE, "don't fall back to other nodes", and does not reclaim under the
//   default defrag=madvise; thp.defrag=always then tries the other tiers: hugeTier). Else VM_FAULT_FALLBACK: a 4 KiB fault (do_anonymous_page), which needs
//   only 4 KiB of room, in that tier if it has one free, else where a 4 KiB page would go. With 2 MiB
//   of room there the range is mapped with 512 PTEs at once (the 511 minor faults a real fallback
//   takes as the sub-pages are touched are not charged; faults.allocate announces each page to the
//   policies, as each is a 4 KiB folio put on the LRU); with less, only the faulting 4 KiB page is
//   mapped and each other page of the range is a 4 KiB fault of its own when touched (4 KiB of
//   zeroing: baseFirstTouchNs). thp_fault_alloc / thp_fault_fallback in /proc/vmstat.
// - Swap: a huge page evicted is written whole (THP swap-out without a split, since 4.13) and comes
//   back 4 KiB at a time (swappedToBase: do_swap_page in 6.6 allocates order-0 folios): each 4 KiB
//   page touched is one swap-in, one 4 KiB read, one FAULT_SWAP_IN (one refault).
// - Migration (mm/migrate.c migrate_pages_batch): when the target tier has room but no free block,
//   the huge page is split (split_huge_page, cost.splitHugePageNs) and its 4 KiB pages are migrated
//   one by one: a demotion that only partly fits moves the sub-pages that fit.
// - khugepaged (mm/khugepaged.c): wakes every thp.scanSleepMs (khugepaged_scan_sleep_millisecs =
//   10000) and scans thp.pagesToScan PTEs (khugepaged_pages_to_scan = HPAGE_PMD_NR · 8 = 4096, i.e.
//   8 ranges of 2 MiB: every range costs HPAGE_PMD_NR of the budget, mapped huge or not), resuming
//   where it stopped, in page-id order (the kernel's is address order: the same for one thread's
//   sequential first touch). A range mapped with 4 KiB pages collapses when all its sub-pages are
//   mapped and at least one is young (hpage_collapse_scan_pmd: SCAN_LACK_REFERENCED_PAGE), into the
//   tier most of them are in (hpage_collapse_find_target_node; ties → the faster tier), if that tier
//   has a free block and room; otherwise khugepaged sleeps thp.allocSleepMs
//   (khugepaged_alloc_sleep_millisecs = 60000). A collapse copies 2 MiB, flushes the range's TLB
//   entries (one IPI round) and costs thp.collapseFixedNs [estimate] of kernel CPU on top.
// - MADV_COLLAPSE (mm/khugepaged.c madvise_collapse; ThpHost.collapseRange, used by
//   policies/thp-range.ts): the same collapse on request, without the young-page requirement.
// - The TLB-reach effect: a fallen-back or split range uses 512 4 KiB TLB entries, a collapsed one
//   one 2 MiB entry (sim/tlb.ts, tlb.enabled).
// - Not modelled: compaction (kcompactd, defrag at fault), the deferred split queue, max_ptes_none /
//   max_ptes_swap other than "all present". The old sub-page ids stay, frame-less and flagged base +
//   split, so that host calls on them fail harmlessly; policies with an onCollapsed hook are told.

import type { Schema } from './config.ts';
import type { Core } from './core.ts';
import type { HugePages } from './huge-pages.ts';
import { SimError } from './core.ts';
import { MAX_EVENT_NS, MAX_SIM_MS } from './config.ts';
import { grow } from './columns.ts';
import { S_ACCESSED, S_DIRTY, S_NO_FRAME, S_TIER_SHIFT, K_BASE, K_SPLIT, K_SWAPPED, K_SWAP_COPY } from './memory.ts';
import { TAG_KHUGEPAGED } from './timer-heap.ts';
import { C_KERNEL_CPU_NS, C_TIER_BASE, TIER_STRIDE, HC_COLLAPSES, HC_COLLAPSE_FAILED, HC_FAULT_FALLBACK, HC_FAULT_HUGE, HC_MIGRATION_SPLITS, HC_SCANNED, thpCounterBase } from './stats.ts';

export const THP_SCHEMA: Schema = {
  'thp.enabled': { default: false, doc: 'Transparent huge pages for real (2 MiB runs): a huge page needs a free 2 MiB block in its tier or falls back to 4 KiB pages; migrations without a free block split; khugepaged collapses (README "Transparent huge pages").', type: 'boolean' },
  'thp.defrag': { default: 'madvise', type: 'string', choices: ['madvise', 'always'], doc: 'THP fault allocation, as /sys/kernel/mm/transparent_hugepage/defrag: madvise (the kernel default, for memory without MADV_HUGEPAGE) tries the huge page on the tier placement picked only, without reclaim; always (or MADV_HUGEPAGE memory) then tries every other tier with a free 2 MiB block, in fallback order (the reclaim and compaction it may do there are not modelled). mm/mempolicy.c, README "Transparent huge pages".' },
  'thp.fragmentedPct': { default: 0, doc: '% of each tier\'s 2 MiB blocks that hold an unmovable kernel page from the start: usable for 4 KiB pages only. [estimate: grows with uptime, 0–90]', type: 'number', min: 0, max: 100 },
  'thp.khugepaged': { default: true, doc: 'Run khugepaged (with thp.enabled).', type: 'boolean' },
  'thp.pagesToScan': { default: 4096, doc: 'PTEs khugepaged scans per wake-up; each 2 MiB range costs 512 (mm/khugepaged.c khugepaged_pages_to_scan = HPAGE_PMD_NR · 8).', type: 'number', integer: true, min: 512, max: 2 ** 30 },
  'thp.scanSleepMs': { default: 10000, doc: 'khugepaged sleep between scans (khugepaged_scan_sleep_millisecs).', type: 'number', min: 1e-3, max: MAX_SIM_MS },
  'thp.allocSleepMs': { default: 60000, doc: 'khugepaged sleep after a huge-page allocation failed (khugepaged_alloc_sleep_millisecs).', type: 'number', min: 1e-3, max: MAX_SIM_MS },
  'thp.collapseFixedNs': { default: 20000, doc: 'Kernel CPU of one collapse besides the 2 MiB copy (at cost.migrationCopyGBps): isolate 512 pages, take the mmap lock, build the PMD. [estimate, 5000–100000]', type: 'number', min: 0, max: MAX_EVENT_NS },
};

const SLOTS = 512;
/** Block flags. */
const B_KERNEL = 1; // holds an unmovable kernel page: never free for a huge page
const B_LISTED = 2; // on its tier's stack of blocks with free slots
const B_DEAD = 4; // emptied and returned to the free pool (ids are not reused)

export class Thp {
  private readonly capacity: Float64Array;
  /** Per tier: blocks holding a huge page, and blocks holding 4 KiB pages (kernel-fragmented ones included). */
  readonly hugeBlocks: Float64Array;
  readonly baseBlocks: Float64Array;
  /** Per 4 KiB page id: its block (-1 = none). */
  private blockOf = new Int32Array(0);
  /** Per block: 4 KiB pages in it, tier, flags. */
  private used = new Int16Array(64);
  private tierOf = new Uint8Array(64);
  private flags = new Uint8Array(64);
  private blocks = 0;
  /** Per tier: stack of blocks with free slots (lazily cleaned: full or dead entries are skipped). */
  private stack: Int32Array[];
  private stackLen: Int32Array;
  private readonly base: number;
  private cursor = 0;
  private readonly scanBudget: number;
  private readonly scanSleepNs: number;
  private readonly allocSleepNs: number;
  private readonly perTier: Float64Array;
  /** thp.defrag = always: a huge fault that fails on its preferred tier tries the others. */
  private readonly remoteHuge: boolean;
  /** A 4 KiB first-touch fault: the fixed cost and zeroing 4 KiB (cost.firstTouchNs zeroes 2 MiB). */
  readonly baseFirstTouchNs: number;

  constructor(
    private readonly core: Core,
    private readonly huge: HugePages,
  ) {
    if (core.subBits !== 9) throw new SimError(`thp.enabled needs 2 MiB pages (--page-size 2m), found ${core.pageBytes / 1024} KiB`);
    if (core.vm.on) throw new SimError('thp.enabled with virtual machines is not modelled');
    const n = core.tiers;
    this.capacity = Float64Array.from(core.tierSpecs, (t) => t.capacityFrames);
    this.hugeBlocks = new Float64Array(n);
    this.perTier = new Float64Array(n);
    this.baseBlocks = new Float64Array(n);
    this.stack = Array.from({ length: n }, () => new Int32Array(16));
    this.stackLen = new Int32Array(n);
    this.base = thpCounterBase(n);
    const config = core.config;
    const pct = config['thp.fragmentedPct'] as number;
    for (let t = 0; t < n; t++) {
      const k = Math.floor((this.capacity[t] * pct) / 100);
      for (let i = 0; i < k; i++) {
        const b = this.newBlock(t);
        this.flags[b] |= B_KERNEL;
        this.push(t, b);
      }
    }
    this.remoteHuge = config['thp.defrag'] === 'always';
    this.baseFirstTouchNs = (config['cost.firstTouchFaultNs'] as number) + 4096 / (config['cost.zeroGBps'] as number);
    this.scanBudget = config['thp.pagesToScan'] as number;
    this.scanSleepNs = (config['thp.scanSleepMs'] as number) * 1e6;
    this.allocSleepNs = (config['thp.allocSleepMs'] as number) * 1e6;
    if (config['thp.khugepaged'] === true) core.events.push(this.scanSleepNs, TAG_KHUGEPAGED);
  }

  /** Whole free 2 MiB blocks in tier t. */
  freeBlocks(t: number): number {
    return this.capacity[t] - this.hugeBlocks[t] - this.baseBlocks[t];
  }

  private newBlock(t: number): number {
    const b = this.blocks++;
    if (b >= this.used.length) {
      this.used = grow(this.used, b + 1);
      this.tierOf = grow(this.tierOf, b + 1);
      this.flags = grow(this.flags, b + 1);
    }
    this.used[b] = 0;
    this.tierOf[b] = t;
    this.flags[b] = 0;
    this.baseBlocks[t]++;
    return b;
  }

  private push(t: number, b: number): void {
    if (this.flags[b] & B_LISTED) return;
    this.flags[b] |= B_LISTED;
    const len = this.stackLen[t];
    if (len >= this.stack[t].length) this.stack[t] = grow(this.stack[t], len + 1);
    this.stack[t][len] = b;
    this.stackLen[t] = len + 1;
  }

  /** A slot for 4 KiB page `page` in tier t: in a partly used block, else in a new one. */
  private takeSlot(page: number, t: number): void {
    const s = this.stack[t];
    let len = this.stackLen[t];
    let b = -1;
    while (len > 0) {
      const top = s[len - 1];
      if (!(this.flags[top] & B_DEAD) && this.used[top] < SLOTS) {
        b = top;
        break;
      }
      this.flags[top] &= ~B_LISTED;
      len--;
    }
    this.stackLen[t] = len;
    if (b < 0) {
      b = this.newBlock(t);
      this.push(t, b);
    }
    if (++this.used[b] === SLOTS) {
      this.flags[b] &= ~B_LISTED;
      this.stackLen[t]--;
    }
    if (page >= this.blockOf.length) this.blockOf = grow(this.blockOf, Math.max(page + 1, this.core.memory.pages), -1);
    this.blockOf[page] = b;
  }

  /** 4 KiB page `page` leaves its block; an emptied block (no kernel page in it) is free again. */
  private releaseSlot(page: number): void {
    const b = page < this.blockOf.length ? this.blockOf[page] : -1;
    if (b < 0) return;
    this.blockOf[page] = -1;
    const t = this.tierOf[b];
    if (--this.used[b] === 0 && !(this.flags[b] & B_KERNEL)) {
      this.flags[b] |= B_DEAD;
      this.baseBlocks[t]--;
    } else this.push(t, b);
  }

  /**
   * Whether a huge page's fault can take a 2 MiB folio in `tier`, the tier placement picked: a free
   * block and 2 MiB of room there. The kernel tries that node alone (mm/mempolicy.c: a THP fault
   * allocates with __GFP_THISNODE, "don't fall back to other nodes"), and without reclaim
   * (GFP_TRANSHUGE_LIGHT under the default defrag=madvise); else VM_FAULT_FALLBACK, a 4 KiB fault.
   */
  hugeFits(tier: number): boolean {
    const m = this.core.memory;
    return tier >= 0 && tier < m.tiers && this.freeBlocks(tier) >= 1 && m.usedFrames[tier] + 1 <= m.capacityFrames[tier];
  }

  /**
   * The tier a huge page's fault gets its 2 MiB folio in, or -1 (VM_FAULT_FALLBACK). The preferred
   * tier `want` alone under thp.defrag = madvise; under always, when that fails, the kernel retries
   * "allowing remote memory with both reclaim and compaction" (__GFP_DIRECT_RECLAIM set): the
   * zonelist from `want` on, here the first tier in fallback order (slower ones, then faster ones)
   * with a free block and room.
   */
  hugeTier(want: number): number {
    const n = this.core.memory.tiers;
    const w = want >= 0 && want < n ? want : 0;
    if (this.hugeFits(w)) return w;
    if (!this.remoteHuge) return -1;
    for (let t = w + 1; t < n; t++) if (this.hugeFits(t)) return t;
    for (let t = w - 1; t >= 0; t--) if (this.hugeFits(t)) return t;
    return -1;
  }

  /**
   * Hook of faults.allocate: `page` was just mapped in `tier` (first touch). `fallback`: the fault
   * fell back (hugeFits was false). Returns the first of the 512 4 KiB page ids the range was mapped
   * with instead when it fell back, else -1: the caller announces those pages to the policies, not
   * `page`.
   */
  placed(page: number, tier: number, fallback: boolean): number {
    const m = this.core.memory;
    const c = this.core.counters;
    if (m.flags[page] & K_BASE) {
      this.takeSlot(page, tier);
      return -1;
    }
    if (!fallback && this.freeBlocks(tier) >= 1) {
      this.hugeBlocks[tier]++;
      c[this.base + HC_FAULT_HUGE]++;
      return -1;
    }
    // No free 2 MiB block: map the range with 4 KiB pages in the same tier.
    const first = this.huge.toBase(page, tier);
    for (let k = 0; k < SLOTS; k++) this.takeSlot(first + k, tier);
    c[this.base + HC_FAULT_FALLBACK]++;
    return first;
  }

  /**
   * A fault that fell back where the tier has less than 2 MiB of room: the range gets its 4 KiB
   * page ids, none mapped; the caller maps the faulting one (do_anonymous_page maps one page) and
   * each other one takes a 4 KiB fault of its own when touched. Returns the first sub-page's id.
   */
  fallbackOnePage(page: number): number {
    this.core.counters[this.base + HC_FAULT_FALLBACK]++;
    return this.huge.toBaseUnmapped(page, 0);
  }

  /**
   * Swap-in of a huge page swapped out whole (mm/memory.c do_swap_page in Linux 6.6: swapin_readahead
   * and the synchronous-IO path allocate order-0 folios; large-folio swap-in came in 6.10+, for
   * synchronous-IO devices only): the range gets 4 KiB page ids, each swapped out and keeping the
   * swap copy its 4 KiB slot holds; the caller swaps in the faulting one, and each other one is a
   * swap-in of its own (a major fault, a 4 KiB read) when touched. Returns the first sub-page's id.
   */
  swappedToBase(page: number): number {
    return this.huge.toBaseUnmapped(page, this.core.memory.flags[page] & (K_SWAPPED | K_SWAP_COPY));
  }

  /** Hook of Host.splitPage: the huge page in `tier` became 4 KiB pages first … first + 511 in its own block. */
  splitInPlace(_page: number, first: number, tier: number): void {
    this.hugeBlocks[tier]--;
    const b = this.newBlock(tier);
    this.used[b] = SLOTS;
    if (first + SLOTS > this.blockOf.length) this.blockOf = grow(this.blockOf, first + SLOTS, -1);
    for (let k = 0; k < SLOTS; k++) this.blockOf[first + k] = b;
  }

  /** Hook of a migration or oracle move of `page` from tier `from` to `to` (already done). */
  moved(page: number, from: number, to: number): void {
    if (this.core.memory.flags[page] & K_BASE) {
      this.releaseSlot(page);
      this.takeSlot(page, to);
    } else {
      this.hugeBlocks[from]--;
      this.hugeBlocks[to]++;
    }
  }

  /**
   * Hook of PageOps.migrate (and oracleMove) before a mapped page moves to tier `to`: true when it
   * is a huge page that `to` cannot take whole (no free 2 MiB block, or less than a frame of room).
   */
  needsSplit(page: number, to: number): boolean {
    const m = this.core.memory;
    return (m.flags[page] & K_BASE) === 0 && (this.freeBlocks(to) < 1 || m.usedFrames[to] + 1 > m.capacityFrames[to]);
  }

  /**
   * migrate_pages' fallback when the huge page cannot be allocated on the target (-ENOMEM): split
   * it and migrate its 4 KiB pages, as many as fit, if it is a demotion (to a slower tier) and at
   * least one fits. A promotion fails instead: NUMA-balancing promotion does not split
   * (migrate_pages_batch: nosplit = reason == MR_NUMA_MISPLACED). True if any page moved.
   */
  splitAndMigrate(page: number, from: number, to: number, async: boolean): boolean {
    const core = this.core;
    const m = core.memory;
    if (to < from || m.usedFrames[to] + m.baseUnit > m.capacityFrames[to]) return false;
    const first = this.huge.split(page);
    if (first < 0) return false;
    core.counters[this.base + HC_MIGRATION_SPLITS]++;
    let moved = 0;
    for (let k = 0; k < SLOTS; k++) if (core.ops.migrate(first + k, to, async)) moved++;
    return moved > 0;
  }

  /** Hook of evict: the page's frame is gone. */
  evicted(page: number, tier: number): void {
    if (this.core.memory.flags[page] & K_BASE) this.releaseSlot(page);
    else this.hugeBlocks[tier]--;
  }

  /** khugepaged's wake-up: scan up to thp.pagesToScan PTEs, collapse what qualifies, sleep. */
  khugepaged(nowNs: number): void {
    const core = this.core;
    const m = core.memory;
    const c = core.counters;
    let budget = this.scanBudget;
    let sleepNs = this.scanSleepNs;
    let scanned = 0;
    const n = m.pages;
    let visited = 0;
    while (budget >= SLOTS && visited < n) {
      if (this.cursor >= n) this.cursor = 0;
      const p = this.cursor++;
      visited++;
      if (m.flags[p] & K_BASE) continue; // a 4 KiB page: reached through its range
      if (m.frame[p] < 0 && !(m.flags[p] & K_SPLIT)) continue; // never touched or swapped: no PMD range
      budget -= SLOTS;
      if (!(m.flags[p] & K_SPLIT)) continue; // PMD-mapped already (SCAN_PMD_MAPPED)
      scanned += SLOTS;
      const r = this.tryCollapse(p);
      if (r < 0) {
        c[this.base + HC_COLLAPSE_FAILED]++;
        sleepNs = this.allocSleepNs;
        break;
      }
    }
    c[this.base + HC_SCANNED] += scanned;
    c[C_KERNEL_CPU_NS] += scanned * core.cost.pteScanNs;
    core.events.push(nowNs + sleepNs, TAG_KHUGEPAGED);
  }

  /**
   * MADV_COLLAPSE (mm/khugepaged.c madvise_collapse, Linux 6.1; ThpHost.collapseRange): khugepaged's
   * collapse of split range `page` run on request, without its young-page requirement
   * (cc->is_khugepaged is false). 1 done, 0 not eligible, -1 no free 2 MiB block or no room.
   */
  collapseNow(page: number): number {
    return this.tryCollapse(page, false);
  }

  /** Collapse split range `page`: 1 done, 0 not eligible, -1 no huge page could be allocated. */
  private tryCollapse(page: number, needYoung = true): number {
    const core = this.core;
    const m = core.memory;
    const first = this.huge.splitBase[page];
    const perTier = this.perTier;
    perTier.fill(0);
    let young = 0;
    for (let k = 0; k < SLOTS; k++) {
      const q = first + k;
      if (m.frame[q] < 0 || m.flags[q] & K_SWAPPED) return 0; // not all present
      if (m.frameRefs[m.frame[q]] !== 1) return 0; // shared (max_ptes_shared)
      if (core.pins.isPinned(q)) return 0; // a pinned page's extra references fail the collapse (SCAN_PAGE_COUNT; sim/pins.ts)
      perTier[m.state[q] >>> S_TIER_SHIFT]++;
      if (m.state[q] & S_ACCESSED) young++;
    }
    if (needYoung && young === 0) return 0;
    let target = 0;
    for (let t = 1; t < m.tiers; t++) if (perTier[t] > perTier[target]) target = t;
    const incoming = (SLOTS - perTier[target]) * m.baseUnit;
    if (this.freeBlocks(target) < 1 || m.usedFrames[target] + incoming > m.capacityFrames[target]) return -1;
    // Flush the range's 4 KiB entries: one IPI round for the range (flush_tlb_range).
    let kernelNs = core.config['thp.collapseFixedNs'] as number;
    kernelNs += core.pageBytes / (core.config['cost.migrationCopyGBps'] as number);
    if (core.tlb.on) kernelNs += core.tlb.shootdownRange(first, SLOTS);
    let keep = 0;
    for (let k = 0; k < SLOTS; k++) {
      const q = first + k;
      keep |= m.state[q] & (S_ACCESSED | S_DIRTY);
      const t = m.state[q] >>> S_TIER_SHIFT;
      this.releaseSlot(q);
      m.unmap(q);
      m.usedFrames[t] -= m.baseUnit;
      core.counters[C_TIER_BASE + TIER_STRIDE * t + 1] += 4096;
      core.load.windowBytes[t] += 4096;
      // The old id stays, frame-less and flagged base + split (retired; see the header): host
      // calls on it fail, khugepaged and the access loop never reach it.
      m.flags[q] |= K_SPLIT;
      m.state[q] = (m.state[q] & ~(S_ACCESSED | S_DIRTY)) | S_NO_FRAME;
    }
    m.flags[page] &= ~(K_SPLIT | K_SWAP_COPY); // a new folio: no swap slot holds it
    m.map(page, m.allocFrame(target));
    m.state[page] |= keep;
    m.usedFrames[target]++;
    m.mappedPages -= SLOTS - 1;
    this.hugeBlocks[target]++;
    core.counters[C_TIER_BASE + TIER_STRIDE * target + 2] += core.pageBytes;
    core.load.windowBytes[target] += core.pageBytes;
    core.counters[C_KERNEL_CPU_NS] += kernelNs;
    core.counters[this.base + HC_COLLAPSES]++;
    // The old 4 KiB folios are freed and a new THP prepared: policies that keep lists are told.
    if (core.policies.collapseListeners.length > 0) core.policies.collapsed(page, first, target);
    return 1;
  }

  /** Invariants (invariants.ts): block counts match the pages mapped, no tier over its blocks. */
  check(): string[] {
    const m = this.core.memory;
    const errors: string[] = [];
    const huge = new Float64Array(m.tiers);
    const used = new Int32Array(this.blocks);
    for (let p = 0; p < m.pages; p++) {
      if (m.frame[p] < 0) continue;
      const t = m.frameTier[m.frame[p]];
      if (!(m.flags[p] & K_BASE)) huge[t]++;
      else {
        const b = p < this.blockOf.length ? this.blockOf[p] : -1;
        if (b < 0) errors.push(`thp: 4 KiB page ${p} has a frame but no block`);
        else if (this.tierOf[b] !== t) errors.push(`thp: 4 KiB page ${p} is in tier ${t} but its block ${b} in tier ${this.tierOf[b]}`);
        else used[b]++;
      }
    }
    for (let b = 0; b < this.blocks; b++) {
      if (used[b] !== this.used[b]) errors.push(`thp: block ${b} counts ${this.used[b]} pages but holds ${used[b]}`);
    }
    for (let t = 0; t < m.tiers; t++) {
      if (huge[t] !== this.hugeBlocks[t]) errors.push(`thp: tier ${t} maps ${huge[t]} huge pages but counts ${this.hugeBlocks[t]} huge blocks`);
      if (this.freeBlocks(t) < 0) errors.push(`thp: tier ${t} uses more 2 MiB blocks than it has (${this.hugeBlocks[t]} huge + ${this.baseBlocks[t]} 4 KiB > ${this.capacity[t]})`);
    }
    return errors;
  }

  bytes(): number {
    return this.blockOf.byteLength + this.used.byteLength + this.tierOf.byteLength + this.flags.byteLength;
  }
}
