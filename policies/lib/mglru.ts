// Multi-gen LRU per node (mm/vmscan.c CONFIG_LRU_GEN: lru_gen_add_folio, inc_min_seq,
// try_to_inc_min_seq, inc_max_seq, walk_mm / walk_pte_range, suitable_to_scan,
// lru_gen_look_around, should_run_aging, isolate_folios, scan_folios, sort_folio, evict_folios;
// include/linux/mm_inline.h lru_gen_add_folio, folio_lru_refs, lru_tier_from_refs; mm/swap.c
// folio_inc_refs; mm/workingset.c lru_gen_eviction, lru_gen_refault, lru_gen_test_recent;
// Documentation/mm/multigen_lru.rst). Linux v6.6 with "mm/mglru: fix underprotected page cache"
// (v6.8, backported to 6.6.y); v6.14 reworked refs and tiers ("mm/mglru: rework workingset
// protection") and is not what this follows.
//
// - Generations per node and type (lrugen->folios[gen][type]): max_seq per node, min_seq per
//   node and type (anon, file), MIN_NR_GENS = 2 ≤ count ≤ MAX_NR_GENS = 4; a page's generation is
//   stored as (seq % 4) + 1 (0 = not on a list); each generation has a birth time. A new node
//   starts with max_seq = MIN_NR_GENS + 1, min_seq = 0.
// - Aging (producer), when eviction finds only two generations of the older evictable type
//   (must) or three with the youngest holding over 1/2 or the oldest under 1/4 of the pages
//   (should_run_aging): a type with four generations folds its oldest into the next
//   (inc_min_seq; anon only moves its min_seq when it cannot be swapped); walk the page tables in
//   address order, one PMD (512 PTEs) at a time, skipping PMDs absent from the bloom filter of
//   this seq; clear accessed bits of this node's mapped pages and move young ones to max_seq; add a
//   PMD to the next seq's filter when young · 8 ≥ PTEs scanned; then max_seq++.
// - Eviction (consumer), from the oldest generation's tail in batches of MIN_LRU_BATCH = 64: a
//   young page (rmap finds the accessed bit) moves to max_seq, and look-around checks up to 64
//   neighbouring PTEs of the same PMD; other pages are reclaimed (demoted on a tiered machine, else
//   evicted). An empty oldest generation is retired (min_seq++) while more than two remain.
// - min_ttl_ms: pages of a generation younger than min_ttl are not evicted; the kernel would OOM
//   kill instead, which a trace cannot do, so reclaim stops and counts it.
// With page types declared (Host.pageTypesOn; the classic-LRU kernels switch to typed-lru.ts then):
// - Types: anon and shmem on the anon generations, mapped files and unmapped page cache on the
//   file ones (folio_is_file_lru). A page faulted in (lru_gen_in_fault) joins max_seq; page cache
//   brought in by read()/write() joins min_seq[file] + 1, or min_seq[file] when three or fewer
//   generations exist; a migrated page joins max_seq if it was in one of the two youngest
//   generations (PG_active), else anon max_seq − 1 and file as page cache (lru_gen_add_folio).
// - Refs: unmapped page cache has no PTE, so the aging walk and look-around never see it and rmap
//   finds nothing young; each read()/write() marks it accessed (folio_mark_accessed →
//   folio_inc_refs), counted by the engine (FdHost.armFdCount). A page accessed N times since its
//   refs were last cleared has refs = N − 1 (0 for N ≤ 1), at most 4 (LRU_REFS_WIDTH = 2 plus
//   PG_workingset), and sits in tier order_base_2(refs + 1) = order_base_2(N), capped at 3.
//   Aging a page (folio_update_gen) or protecting it (folio_inc_gen) clears its refs.
// - Type to evict (isolate_folios): swappiness 0 → file; anon's oldest generation older than
//   file's → anon; 1 → file, 200 → anon; else the refault controller (workingset.ts TierCtrl,
//   get_type_to_scan). The other type is tried when the chosen one has only two generations.
//   Swappiness is 0 when anon cannot go anywhere: no swap and no demotion target (get_swappiness).
// - sort_folio: a page in a tier above the controller's tier_idx, or with saturated refs (4), is
//   protected — moved to the next generation (tail), refs cleared, counted in protected[tier].
// - Eviction leaves a shadow (lru_gen_eviction: min_seq of its type and its refs) and counts it in
//   evicted[tier]; a demoted page does not. A refault on the same node whose shadow min_seq still
//   equals its type's min_seq (lru_gen_test_recent) counts in refaulted[tier]; if it refaulted in a
//   page fault, or had refs ≥ 3, its refs are restored to 4 (lru_gen_refault), so the next
//   sort_folio protects it. min_seq advancing halves the counts into the averages (reset_ctrl_pos).
// Not modelled: memcgs (one lruvec per node), the mm_struct list (one walk over all pages), dirty
// file pages waiting for the flusher (sort_folio's "waiting for writeback": the engine has no
// flusher, so a dirty file page is written back when it is evicted), and with no swap an anon page
// whose demotion fails is still evicted to swap (the kernel would keep it).

import type { Host, FdHost } from '../policy.ts';
import { PAGE_DIRTY, fdHostOf } from '../policy.ts';
import { PageLists, NO_PAGE } from './page-lists.ts';
import type { AddressOrder } from './address-order.ts';
import { PageTableWalk } from './mglru-walk.ts';
import { ADD_FAULT } from './lru.ts';
import { grow, initialPages } from './grow.ts';
import type { Reclaimer } from './lru.ts';
import { Workingset, TierCtrl, LRU_GEN_ANON, LRU_GEN_FILE, orderBase2, MAX_NR_TIERS } from './workingset.ts';
import { DEFAULT_SWAPPINESS } from './scan-balance.ts';
import { flushEvictionCounts } from './typed-lru.ts';

export const MIN_NR_GENS = 2;
export const MAX_NR_GENS = 4;
export const MIN_LRU_BATCH = 64;
/** mm/vmscan.c MAX_LRU_BATCH: the most pages scan_folios looks at in one call. */
export const MAX_LRU_BATCH = 4096;
/** BIT(LRU_REFS_WIDTH): refs of a page accessed five or more times through file descriptors. */
export const MAX_REFS = 4;
/** sim/page-types.ts PT_FILE and PT_CACHE (policies do not import sim/ internals). */
const PT_FILE = 2;
const PT_CACHE = 3;

/** folio_lru_refs of a page accessed `n` times through file descriptors since its refs were cleared. */
export function refsFromAccesses(n: number): number {
  return n <= 1 ? 0 : Math.min(MAX_REFS, n - 1);
}

/** lru_tier_from_refs: order_base_2(refs + 1). */
export function tierFromRefs(refs: number): number {
  return Math.min(MAX_NR_TIERS - 1, orderBase2(refs + 1));
}

export interface MglruStats {
  agings: number;
  pmdsSkipped: number;
  lookAroundYoung: number;
  evictScanned: number;
  minTtlBlocked: number;
  /** With page types: evictions by kind, refaults, pages protected by tier. */
  swapped: number;
  dropped: number;
  writtenBack: number;
  refaults: number;
  /** Pages sort_folio protected, by tier (index 0 unused: tier 0 is never protected). */
  protectedPages: Float64Array;
}

export interface MglruOptions {
  /** vm.swappiness, 0–200 (default 60); used only with page types. */
  swappiness?: number;
  /** A swap device with room (default true); without it anon is evicted only where it can be demoted. */
  swap?: boolean;
  /** can_demote(node): reclaim from this node can demote (default: never). */
  canDemote?: (tier: number) => boolean;
}

export class Mglru implements Reclaimer {
  readonly lists: PageLists;
  /** (seq % 4) + 1 of each page's generation; 0 = not on a list. */
  gen: Uint8Array;
  /** Per page: accesses through file descriptors known to the policy since its refs were cleared (5 = saturated). */
  fdBase: Uint8Array;
  readonly maxSeq: Float64Array;
  /** min_seq per type and node: anon at [tier], file at [tiers + tier]. */
  readonly minSeq: Float64Array;
  /** Birth time (ns) of generation slot g of node t at [t · 4 + g]. */
  readonly birthNs: Float64Array;
  /** Page types declared: two types, refs, tiers and the refault controller. */
  readonly typed: boolean;
  readonly ws: Workingset;
  readonly ctrl: TierCtrl;
  readonly swappiness: number;
  private readonly n: number;
  private readonly swap: boolean;
  private readonly canDemote: (tier: number) => boolean;
  private readonly fd: FdHost | null;
  /** The page-table walk, look-around and their bloom filters (mglru-walk.ts). */
  private readonly pt: PageTableWalk;
  /** Pages the eviction walk scanned so far (Reclaimer.scanned). */
  scanned = 0;
  readonly stats: MglruStats = { agings: 0, pmdsSkipped: 0, lookAroundYoung: 0, evictScanned: 0, minTtlBlocked: 0, swapped: 0, dropped: 0, writtenBack: 0, refaults: 0, protectedPages: new Float64Array(MAX_NR_TIERS) };

  constructor(
    private readonly host: Host,
    addr: AddressOrder,
    private readonly minTtlMs: number,
    o: MglruOptions = {},
  ) {
    const n = (this.n = host.tiers);
    this.typed = host.pageTypesOn();
    this.lists = new PageLists(n * 2 * MAX_NR_GENS, initialPages(host));
    this.gen = new Uint8Array(initialPages(host));
    this.fdBase = new Uint8Array(this.typed ? initialPages(host) : 0);
    this.maxSeq = new Float64Array(n).fill(MIN_NR_GENS + 1);
    this.minSeq = new Float64Array(2 * n);
    this.birthNs = new Float64Array(n * MAX_NR_GENS);
    this.pt = new PageTableWalk(host, addr);
    this.ws = new Workingset(n);
    this.ctrl = new TierCtrl(n);
    this.swappiness = o.swappiness ?? DEFAULT_SWAPPINESS;
    this.swap = o.swap ?? true;
    this.canDemote = o.canDemote ?? (() => false);
    this.fd = this.typed ? fdHostOf(host) : null;
  }

  ensure(pages: number): void {
    this.lists.ensure(pages);
    // Speed trick: called on every fault; grow() is megamorphic, so the common case returns here.
    if (pages > this.gen.length) this.gen = grow(this.gen, pages);
    if (this.typed) {
      if (pages > this.fdBase.length) this.fdBase = grow(this.fdBase, pages);
      this.ws.ensure(pages);
    }
  }

  /** LRU_GEN_ANON or LRU_GEN_FILE (folio_is_file_lru); always anon without page types. */
  typeOf(page: number): number {
    if (!this.typed) return LRU_GEN_ANON;
    const t = this.host.pageType(page);
    return t === PT_FILE || t === PT_CACHE ? LRU_GEN_FILE : LRU_GEN_ANON;
  }

  /** Unmapped page cache: no PTE, reached only through read()/write(). */
  isCache(page: number): boolean {
    return this.typed && this.host.pageType(page) === PT_CACHE;
  }

  private listOf(tier: number, type: number, seq: number): number {
    return (type * this.n + tier) * MAX_NR_GENS + (seq % MAX_NR_GENS);
  }

  /** min_seq of a type of a node. */
  min(tier: number, type: number): number {
    return this.minSeq[type * this.n + tier];
  }

  /** Number of generations of a node's type (get_nr_gens). */
  nrGens(tier: number, type = LRU_GEN_ANON): number {
    return this.maxSeq[tier] - this.min(tier, type) + 1;
  }

  /** Pages in generation `seq` of a node's type. */
  genSize(tier: number, seq: number, type = LRU_GEN_ANON): number {
    return this.lists.size[this.listOf(tier, type, seq)];
  }

  size(tier: number): number {
    let s = 0;
    for (let type = 0; type < 2; type++) {
      const b = (type * this.n + tier) * MAX_NR_GENS;
      for (let g = 0; g < MAX_NR_GENS; g++) s += this.lists.size[b + g];
    }
    return s;
  }

  add(page: number, tier: number, how: number, active: boolean): void {
    if (!this.typed) {
      // Anon only: a faulted page is active (max_seq), a migrated one not (max_seq − 1).
      this.moveTo(page, tier, how === ADD_FAULT ? this.maxSeq[tier] : Math.max(this.min(tier, 0), this.maxSeq[tier] - 1));
      return;
    }
    const type = this.typeOf(page);
    const cache = this.isCache(page);
    if (how === ADD_FAULT) {
      // A page fault (mapped pages) or a read()/write() that missed the page cache (cache pages).
      const restored = this.refaulted(page, tier, type, !cache);
      this.fdBase[page] = restored ? 5 : cache ? 1 : 0; // the read() that brought it in marks it accessed
      if (cache) this.fd?.armFdCount(page);
      this.moveTo(page, tier, cache ? this.inactiveSeq(tier, type) : this.maxSeq[tier]);
      return;
    }
    if (active) this.moveTo(page, tier, this.maxSeq[tier]);
    else if (type === LRU_GEN_ANON) this.moveTo(page, tier, Math.max(this.min(tier, type), this.maxSeq[tier] - 1));
    else this.moveTo(page, tier, this.inactiveSeq(tier, type));
  }

  /** lru_gen_add_folio's case 4: second oldest generation, or the oldest with three or fewer. */
  private inactiveSeq(tier: number, type: number): number {
    const min = this.min(tier, type);
    return min + MIN_NR_GENS >= this.maxSeq[tier] ? min : min + 1;
  }

  /** lru_gen_refault for a page coming back with a shadow entry; true if its refs are restored. */
  private refaulted(page: number, tier: number, type: number, inFault: boolean): boolean {
    const ws = this.ws;
    if (!ws.hasShadow(page)) return false;
    if (ws.nodeOf(page) !== tier) {
      // lruvec != folio_lruvec(folio): another node's refault is not this node's to count.
      ws.forget(page);
      return false;
    }
    this.stats.refaults++;
    const refs = ws.refaultGen(page, this.min(tier, type));
    if (refs < 0) return false; // evicted under an older min_seq: not recent
    this.ctrl.noteRefaulted(tier, type, tierFromRefs(refs));
    return inFault || refs >= MAX_REFS - 1;
  }

  /** folio_lru_refs of a page (0 … 4). */
  refsOf(page: number): number {
    if (!this.typed) return 0;
    const base = this.fdBase[page];
    return refsFromAccesses(base >= 5 ? 5 : base + (this.fd !== null && this.isCache(page) ? this.fd.fdCount(page) : 0));
  }

  /** Clear a page's refs and PG_referenced / PG_workingset (folio_update_gen, folio_inc_gen). */
  private clearRefs(page: number): void {
    if (!this.typed) return;
    this.fdBase[page] = 0;
    if (this.fd !== null && this.isCache(page)) this.fd.armFdCount(page);
  }

  /** Put the page at the head of generation `seq` of its type on `tier` (folio_update_gen + list move). */
  moveTo(page: number, tier: number, seq: number): void {
    this.lists.remove(page);
    this.lists.pushHead(this.listOf(tier, this.typeOf(page), seq), page);
    this.gen[page] = (seq % MAX_NR_GENS) + 1;
  }

  remove(page: number): void {
    this.lists.remove(page);
    this.gen[page] = 0;
  }

  /** Node and generation slot of a list index. */
  private tierOfList(l: number): number {
    return ((l / MAX_NR_GENS) | 0) % this.n;
  }

  isActive(page: number): boolean {
    // MGLRU has no active list; the two youngest generations play its part (lru_gen_is_active).
    const l = this.lists.listOf[page];
    if (l < 0) return false;
    const g = l % MAX_NR_GENS;
    const max = this.maxSeq[this.tierOfList(l)];
    return g === max % MAX_NR_GENS || g === (max - 1) % MAX_NR_GENS;
  }

  /** folio_mark_accessed → folio_inc_refs (an access through a file descriptor). */
  markAccessed(page: number): void {
    if (this.typed && this.fdBase[page] < 5) this.fdBase[page]++;
  }

  refault(_tier: number): void {}

  listTier(page: number): number {
    const l = page < this.lists.listOf.length ? this.lists.listOf[page] : -1;
    if (l < 0) return this.gen[page] === 0 ? -1 : -2; // -2: generation set without a list
    const tier = this.tierOfList(l);
    const type = ((l / MAX_NR_GENS) | 0) >= this.n ? 1 : 0;
    const g = l % MAX_NR_GENS;
    // The stored generation must match the list, and lie within [min_seq, max_seq] of its type.
    if (this.gen[page] !== g + 1 || type !== this.typeOf(page)) return -2;
    for (let s = this.min(tier, type); s <= this.maxSeq[tier]; s++) if (s % MAX_NR_GENS === g) return tier;
    return -2;
  }

  /** get_swappiness: 0 when anon can go nowhere (no swap, no demotion target). */
  swappinessOf(tier: number): number {
    if (!this.typed) return this.swappiness;
    return this.swap || this.canDemote(tier) ? this.swappiness : 0;
  }

  /** should_run_aging: over the evictable types, as min_seq[!can_swap] sees them. */
  shouldRunAging(tier: number, canSwap = true): boolean {
    const max = this.maxSeq[tier];
    const first = canSwap ? LRU_GEN_ANON : LRU_GEN_FILE;
    const min = this.min(tier, first);
    if (min + MIN_NR_GENS > max) return true;
    if (min + MIN_NR_GENS < max) return false;
    let total = 0;
    let young = 0;
    let old = 0;
    for (let type = first; type < 2; type++) {
      for (let s = this.min(tier, type); s <= max; s++) {
        const size = this.genSize(tier, s, type);
        total += size;
        if (s === max) young += size;
        else if (s + MIN_NR_GENS === max) old += size;
      }
    }
    return young * MIN_NR_GENS > total || old * (MIN_NR_GENS + 2) < total;
  }

  /** inc_min_seq: fold the oldest generation of a type into the next (anon that cannot swap only moves min_seq). */
  private incMinSeqType(tier: number, type: number, canSwap: boolean): void {
    const i = type * this.n + tier;
    if (type === LRU_GEN_FILE || canSwap) {
      const from = this.listOf(tier, type, this.minSeq[i]);
      const to = this.listOf(tier, type, this.minSeq[i] + 1);
      const g = ((this.minSeq[i] + 1) % MAX_NR_GENS) + 1;
      for (let p = this.lists.head[from]; p !== NO_PAGE; p = this.lists.next[p]) {
        this.gen[p] = g;
        this.clearRefs(p); // folio_inc_gen
      }
      this.spliceTail(from, to);
    }
    if (this.typed) this.ctrl.carryOver(tier, type);
    this.minSeq[i]++;
  }

  /** Aging (inc_max_seq after the walk): fold four-generation types, the page-table walk, then max_seq++. */
  age(tier: number, canSwap = true): void {
    const host = this.host;
    this.stats.agings++;
    for (let type = 1; type >= 0; type--) if (this.nrGens(tier, type) >= MAX_NR_GENS) this.incMinSeqType(tier, type, canSwap);
    const seq = this.maxSeq[tier];
    this.pt.walk(this, tier, seq, canSwap);
    this.maxSeq[tier] = seq + 1;
    this.birthNs[tier * MAX_NR_GENS + ((seq + 1) % MAX_NR_GENS)] = host.now();
  }

  /** try_to_inc_min_seq: retire empty oldest generations while more than MIN_NR_GENS remain. */
  private incMinSeq(tier: number, canSwap = true): void {
    const max = this.maxSeq[tier];
    const n = this.n;
    let anon = this.minSeq[tier];
    let file = this.minSeq[n + tier];
    if (canSwap) while (anon + MIN_NR_GENS <= max && this.genSize(tier, anon, LRU_GEN_ANON) === 0) anon++;
    while (file + MIN_NR_GENS <= max && this.genSize(tier, file, LRU_GEN_FILE) === 0) file++;
    if (canSwap) {
      // Anon's oldest generation never passes file's (see the comment on lru_gen_folio).
      anon = Math.min(anon, file);
      file = Math.max(anon, this.minSeq[n + tier]);
    }
    if (anon !== this.minSeq[tier]) {
      if (this.typed) this.ctrl.carryOver(tier, LRU_GEN_ANON);
      this.minSeq[tier] = anon;
    }
    if (file !== this.minSeq[n + tier]) {
      if (this.typed) this.ctrl.carryOver(tier, LRU_GEN_FILE);
      this.minSeq[n + tier] = file;
    }
  }

  shrink(tier: number, reclaimOne: (page: number) => boolean, done: () => boolean): number {
    return this.typed ? this.shrinkTyped(tier, reclaimOne, done) : this.shrinkAnon(tier, reclaimOne, done);
  }

  /** Eviction without page types: every page anon. */
  private shrinkAnon(tier: number, reclaimOne: (page: number) => boolean, done: () => boolean): number {
    const host = this.host;
    const lists = this.lists;
    let reclaimed = 0;
    // Scan budget: every page of the node twice, so a node whose pages are all young ends.
    let budget = 2 * this.size(tier) + MIN_LRU_BATCH;
    while (!done() && budget > 0) {
      this.incMinSeq(tier);
      if (this.shouldRunAging(tier)) {
        this.age(tier);
        this.incMinSeq(tier);
      }
      const oldest = this.minSeq[tier];
      const list = this.listOf(tier, LRU_GEN_ANON, oldest);
      if (lists.size[list] === 0) {
        if (this.size(tier) === 0) break;
        continue; // only two generations and the oldest is empty: the next pass ages
      }
      if (this.minTtlBlocks(tier, oldest)) break;
      for (let k = 0; k < MIN_LRU_BATCH && !done(); k++) {
        const page = lists.tail[list];
        if (page === NO_PAGE) break;
        budget--;
        this.stats.evictScanned++;
        this.scanned++;
        if (host.testAndClearAccessed(page)) {
          this.moveTo(page, tier, this.maxSeq[tier]);
          this.lookAround(page, tier);
          continue;
        }
        this.remove(page);
        if (reclaimOne(page)) reclaimed++;
        else this.moveTo(page, tier, Math.max(this.minSeq[tier], this.maxSeq[tier] - 1));
      }
    }
    return reclaimed;
  }

  /** min_ttl_ms: the oldest generation to evict is younger than min_ttl (counted; reclaim stops). */
  private minTtlBlocks(tier: number, seq: number): boolean {
    if (this.minTtlMs > 0 && this.host.now() - this.birthNs[tier * MAX_NR_GENS + (seq % MAX_NR_GENS)] < this.minTtlMs * 1e6) {
      this.stats.minTtlBlocked++;
      return true;
    }
    return false;
  }

  /** Eviction with page types: lru_gen_shrink_lruvec → evict_folios, one batch per pass. */
  private shrinkTyped(tier: number, reclaimOne: (page: number) => boolean, done: () => boolean): number {
    let reclaimed = 0;
    let budget = 2 * this.size(tier) + MIN_LRU_BATCH;
    let idle = 0;
    while (!done() && budget > 0) {
      const swappiness = this.swappinessOf(tier);
      const canSwap = swappiness !== 0;
      this.incMinSeq(tier, canSwap);
      if (this.shouldRunAging(tier, canSwap)) {
        this.age(tier, canSwap);
        this.incMinSeq(tier, canSwap);
      }
      const evictable = canSwap ? Math.min(this.min(tier, LRU_GEN_ANON), this.min(tier, LRU_GEN_FILE)) : this.min(tier, LRU_GEN_FILE);
      if (this.minTtlBlocks(tier, evictable)) break;
      // isolate_folios: the obvious choice or the controller's, then the other type if it has nothing.
      let type = this.ctrl.chooseType(tier, swappiness, this.min(tier, LRU_GEN_ANON), this.min(tier, LRU_GEN_FILE));
      let tierIdx = this.ctrl.tierIdx;
      let scanned = 0;
      const before = this.reclaimedNow;
      for (let i = canSwap ? 0 : 1; i < 2; i++) {
        scanned = this.scanFolios(tier, type, tierIdx, reclaimOne, done);
        if (scanned > 0) break;
        type = 1 - type;
        tierIdx = this.ctrl.getTierIdx(tier, type);
      }
      reclaimed += this.reclaimedNow - before;
      budget -= Math.max(1, scanned);
      // Nothing to scan twice in a row (after aging): every evictable type is down to two
      // generations of pages that stay young, or empty.
      if (scanned === 0 && ++idle >= 2) break;
      if (scanned > 0) idle = 0;
    }
    return reclaimed;
  }

  /** Pages reclaimed by scanFolios so far (its batches count them here). */
  private reclaimedNow = 0;

  /**
   * scan_folios + shrink_folio_list for one batch of the oldest generation of `type`: sort_folio
   * protects high tiers; the rest are isolated (up to MIN_LRU_BATCH) and reclaimed unless young.
   * Returns pages scanned (0 when the type has only two generations, as scan_folios).
   */
  private scanFolios(tier: number, type: number, tierIdx: number, reclaimOne: (page: number) => boolean, done: () => boolean): number {
    if (this.nrGens(tier, type) <= MIN_NR_GENS) return 0;
    const host = this.host;
    const lists = this.lists;
    const minSeq = this.min(tier, type);
    const list = this.listOf(tier, type, minSeq);
    let scanned = 0;
    let isolated = 0;
    while (isolated < MIN_LRU_BATCH && scanned < MAX_LRU_BATCH && !done()) {
      const page = lists.tail[list];
      if (page === NO_PAGE) break;
      scanned++;
      this.stats.evictScanned++;
      this.scanned++;
      const refs = this.refsOf(page);
      const t = tierFromRefs(refs);
      if (t > tierIdx || refs === MAX_REFS) {
        // sort_folio "protected": to the next generation's tail (folio_inc_gen clears refs).
        lists.remove(page);
        lists.pushTail(this.listOf(tier, type, minSeq + 1), page);
        this.gen[page] = ((minSeq + 1) % MAX_NR_GENS) + 1;
        this.clearRefs(page);
        this.ctrl.noteProtected(tier, type, t);
        this.stats.protectedPages[t]++;
        continue;
      }
      isolated++;
      // shrink_folio_list → folio_referenced: only a mapped page has a PTE to find young.
      if (!this.isCache(page) && host.testAndClearAccessed(page)) {
        this.moveTo(page, tier, this.maxSeq[tier]);
        this.clearRefs(page);
        this.lookAround(page, tier);
        continue;
      }
      const dirty = (host.flags(page) & PAGE_DIRTY) !== 0;
      this.remove(page);
      if (!reclaimOne(page)) {
        // Rejected folios do not go back to the oldest generation (evict_folios: PG_active).
        this.moveTo(page, tier, this.maxSeq[tier]);
        this.clearRefs(page);
        continue;
      }
      this.reclaimedNow++;
      if (host.tierOf(page) >= 0) continue; // demoted: no shadow, not an eviction of this lruvec
      // lru_gen_eviction: the shadow keeps min_seq of the type and the refs; evicted[tier] counts it.
      this.ws.evictGen(page, tier, type === LRU_GEN_FILE, refs, minSeq);
      this.ctrl.noteEvicted(tier, type, t);
      if (type === LRU_GEN_ANON) this.stats.swapped++;
      else if (dirty) this.stats.writtenBack++;
      else this.stats.dropped++;
    }
    return scanned;
  }

  /** lru_gen_look_around (mglru-walk.ts). */
  lookAround(page: number, tier: number): void {
    this.pt.lookAround(this, page, tier);
  }

  /** A page found young by the walk or look-around: to generation `seq` (folio_update_gen clears its refs). */
  young(page: number, tier: number, seq: number): void {
    this.moveTo(page, tier, seq);
    this.clearRefs(page);
  }

  /** Append list `from` after the tail of list `to`, keeping order. */
  private spliceTail(from: number, to: number): void {
    const lists = this.lists;
    // Walk from the head of `from` so each page lands after the previous one at `to`'s tail.
    let p = lists.head[from];
    while (p !== NO_PAGE) {
      const next = lists.next[p];
      lists.remove(p);
      lists.pushTail(to, p);
      p = next;
    }
  }
}

/** Move an Mglru's statistics into the kernel's policy counters (ids in `c`; the typed ones exist only with page types). */
export function flushMglruStats(r: Mglru, host: Host, c: Record<string, number>): void {
  const s = r.stats;
  host.count(c.agings, s.agings);
  host.count(c.pmdSkips, s.pmdsSkipped);
  host.count(c.lookAround, s.lookAroundYoung);
  host.count(c.minTtl, s.minTtlBlocked);
  host.count(c.scanned, s.evictScanned);
  s.agings = s.pmdsSkipped = s.lookAroundYoung = s.minTtlBlocked = s.evictScanned = 0;
  if (!r.typed) return;
  flushEvictionCounts(s, host, c);
  for (let t = 1; t < MAX_NR_TIERS; t++) host.count(c[`protectedTier${t}`], s.protectedPages[t]);
  s.protectedPages.fill(0);
}
