// Multi-gen LRU per node (mm/vmscan.c CONFIG_LRU_GEN: lru_gen_add_folio, inc_min_seq,
// try_to_inc_min_seq, inc_max_seq, walk_mm / walk_pte_range, suitable_to_scan,
// lru_gen_look_around, should_run_aging, evict_folios; Documentation/mm/multigen_lru.rst).
// Anonymous pages only: traces carry no file accesses, so there is one type and every page is in
// tier 0 of its generation (tiers come from accesses through file descriptors) — the refault
// PID controller that protects tiers has nothing to compare and is not modelled.
//
// - Generations per node: seq numbers min_seq … max_seq, MIN_NR_GENS = 2 ≤ count ≤ MAX_NR_GENS = 4;
//   a page's generation is stored as (seq % 4) + 1 (0 = not on a list); each generation has a
//   birth time. A new node starts with max_seq = MIN_NR_GENS + 1, min_seq = 0.
// - Placement: a page faulted in (new or refault) is active → max_seq; a migrated
//   (demoted/promoted) anon page → max_seq − 1 (lru_gen_add_folio).
// - Aging (producer), when eviction finds only two generations (must) or three with the youngest
//   holding over 1/2 or the oldest under 1/4 of the pages (should_run_aging): if four exist,
//   fold the oldest into the next (inc_min_seq); walk the page tables in address order, one PMD
//   (512 PTEs) at a time, skipping PMDs absent from the bloom filter of this seq; clear accessed
//   bits of this node's pages and move young ones to max_seq; add a PMD to the next seq's filter
//   when young · 8 ≥ PTEs scanned (one young PTE per cache line); then max_seq++.
// - Eviction (consumer), from the oldest generation's tail in batches of MIN_LRU_BATCH = 64:
//   a young page (rmap finds the accessed bit) moves to max_seq, and look-around checks up to 64
//   neighbouring PTEs of the same PMD, moving young ones too and feeding the bloom filter;
//   other pages are reclaimed (demoted on a tiered machine, else evicted). An empty oldest
//   generation is retired (min_seq++) while more than two remain.
// - min_ttl_ms: pages of a generation younger than min_ttl are not evicted; the kernel would OOM
//   kill instead, which a trace cannot do, so reclaim stops and counts it.

import type { Host } from '../policy.ts';
import { PageLists, NO_PAGE } from './page-lists.ts';
import type { AddressOrder } from './address-order.ts';
import { BloomPair, pmdKey } from './bloom.ts';
import { ADD_FAULT } from './lru.ts';
import { grow, initialPages } from './grow.ts';
import type { Reclaimer } from './lru.ts';

export const MIN_NR_GENS = 2;
export const MAX_NR_GENS = 4;
export const MIN_LRU_BATCH = 64;
/** PTEs per cache line (64 B / 8 B), the young-density test of suitable_to_scan. */
const PTES_PER_LINE = 8;

export interface MglruStats {
  agings: number;
  pmdsSkipped: number;
  lookAroundYoung: number;
  evictScanned: number;
  minTtlBlocked: number;
}

export class Mglru implements Reclaimer {
  readonly lists: PageLists;
  /** (seq % 4) + 1 of each page's generation; 0 = not on a list. */
  gen: Uint8Array;
  readonly maxSeq: Float64Array;
  readonly minSeq: Float64Array;
  /** Birth time (ns) of generation slot g of node t at [t · 4 + g]. */
  readonly birthNs: Float64Array;
  private readonly bloom: BloomPair[];
  /** log2(PTEs per PMD table) in page units: 9 for 4 KiB pages, 0 for 2 MiB pages. */
  private readonly pmdShift: number;
  /** Scratch of the bulk accessed-bit tests (page ids found young, look-around candidates). */
  private youngBuf = new Int32Array(512);
  private lookBuf = new Int32Array(MIN_LRU_BATCH + 1);
  /** Pages the eviction walk scanned so far (Reclaimer.scanned). */
  scanned = 0;
  readonly stats: MglruStats = { agings: 0, pmdsSkipped: 0, lookAroundYoung: 0, evictScanned: 0, minTtlBlocked: 0 };

  constructor(
    private readonly host: Host,
    private readonly addr: AddressOrder,
    private readonly minTtlMs: number,
  ) {
    const n = host.tiers;
    this.lists = new PageLists(n * MAX_NR_GENS, initialPages(host));
    this.gen = new Uint8Array(initialPages(host));
    this.maxSeq = new Float64Array(n).fill(MIN_NR_GENS + 1);
    this.minSeq = new Float64Array(n);
    this.birthNs = new Float64Array(n * MAX_NR_GENS);
    this.bloom = Array.from({ length: n }, () => new BloomPair());
    this.pmdShift = Math.max(0, Math.round(Math.log2((2 * 1048576) / host.pageBytes)));
  }

  ensure(pages: number): void {
    this.lists.ensure(pages);
    // Speed trick: called on every fault; grow() is megamorphic, so the common case returns here.
    if (pages > this.gen.length) this.gen = grow(this.gen, pages);
  }

  /** Number of generations of a node. */
  nrGens(tier: number): number {
    return this.maxSeq[tier] - this.minSeq[tier] + 1;
  }

  /** Pages in generation `seq` of a node. */
  genSize(tier: number, seq: number): number {
    return this.lists.size[tier * MAX_NR_GENS + (seq % MAX_NR_GENS)];
  }

  size(tier: number): number {
    let s = 0;
    for (let g = 0; g < MAX_NR_GENS; g++) s += this.lists.size[tier * MAX_NR_GENS + g];
    return s;
  }

  add(page: number, tier: number, how: number, _active: boolean): void {
    const seq = how === ADD_FAULT ? this.maxSeq[tier] : Math.max(this.minSeq[tier], this.maxSeq[tier] - 1);
    this.moveTo(page, tier, seq);
  }

  /** Put the page at the head of generation `seq` of `tier` (folio_update_gen + list move). */
  moveTo(page: number, tier: number, seq: number): void {
    const g = seq % MAX_NR_GENS;
    this.lists.remove(page);
    this.lists.pushHead(tier * MAX_NR_GENS + g, page);
    this.gen[page] = g + 1;
  }

  remove(page: number): void {
    this.lists.remove(page);
    this.gen[page] = 0;
  }

  isActive(page: number): boolean {
    // MGLRU has no active list; the two youngest generations play its part (lru_gen_is_active).
    const l = this.lists.listOf[page];
    if (l < 0) return false;
    const tier = (l / MAX_NR_GENS) | 0;
    const g = l % MAX_NR_GENS;
    const max = this.maxSeq[tier];
    return g === max % MAX_NR_GENS || g === (max - 1) % MAX_NR_GENS;
  }

  markAccessed(_page: number): void {
    // Only file-descriptor accesses set refs/tiers; there are none in a trace.
  }

  refault(_tier: number): void {}

  listTier(page: number): number {
    const l = page < this.lists.listOf.length ? this.lists.listOf[page] : -1;
    if (l < 0) return this.gen[page] === 0 ? -1 : -2; // -2: generation set without a list
    const tier = (l / MAX_NR_GENS) | 0;
    const g = l % MAX_NR_GENS;
    // The stored generation must match the list, and lie within [min_seq, max_seq].
    if (this.gen[page] !== g + 1) return -2;
    for (let s = this.minSeq[tier]; s <= this.maxSeq[tier]; s++) if (s % MAX_NR_GENS === g) return tier;
    return -2;
  }

  /** should_run_aging: must with two generations; with three, when young > 1/2 or old < 1/4 of the pages. */
  shouldRunAging(tier: number): boolean {
    const gens = this.nrGens(tier);
    if (gens <= MIN_NR_GENS) return true;
    if (gens > MIN_NR_GENS + 1) return false;
    let total = 0;
    for (let s = this.minSeq[tier]; s <= this.maxSeq[tier]; s++) total += this.genSize(tier, s);
    const young = this.genSize(tier, this.maxSeq[tier]);
    const old = this.genSize(tier, this.maxSeq[tier] - MIN_NR_GENS);
    return young * MIN_NR_GENS > total || old * (MIN_NR_GENS + 2) < total;
  }

  /** Aging: inc_min_seq if four generations exist, the page-table walk, then max_seq++. */
  age(tier: number): void {
    const host = this.host;
    this.stats.agings++;
    if (this.nrGens(tier) >= MAX_NR_GENS) {
      // inc_min_seq: the oldest generation's pages join the next one (at its old end).
      const from = tier * MAX_NR_GENS + (this.minSeq[tier] % MAX_NR_GENS);
      const to = tier * MAX_NR_GENS + ((this.minSeq[tier] + 1) % MAX_NR_GENS);
      const g = ((this.minSeq[tier] + 1) % MAX_NR_GENS) + 1;
      for (let p = this.lists.head[from]; p !== NO_PAGE; p = this.lists.next[p]) this.gen[p] = g;
      this.spliceTail(from, to);
      this.minSeq[tier]++;
    }
    const seq = this.maxSeq[tier];
    const bloom = this.bloom[tier];
    bloom.reset(seq + 1);
    const a = this.addr;
    a.sync();
    const ord = a.order;
    const shift = this.pmdShift;
    const n = a.n;
    let i = 0;
    while (i < n) {
      const first = ord[i];
      let j = i + 1;
      while (j < n && a.samePmd(first, ord[j], shift)) j++;
      const key = pmdKey(a.vm[first], a.hi[first], a.lo[first] >>> shift);
      if (!bloom.test(seq, key)) {
        this.stats.pmdsSkipped++;
        i = j;
        continue;
      }
      // One bulk test-and-clear over the PMD's pages of this node (get_pfn_folio: another node's
      // folio is left alone, at no cost); young pages on a list move to max_seq in address order.
      const buf = (this.youngBuf = grow(this.youngBuf, j - i));
      const young = host.testAndClearAccessedList(ord, i, j, tier, buf);
      for (let k = 0; k < young; k++) if (this.gen[buf[k]] !== 0) this.moveTo(buf[k], tier, seq);
      if (young * PTES_PER_LINE >= j - i) bloom.add(seq + 1, key);
      i = j;
    }
    this.maxSeq[tier] = seq + 1;
    this.birthNs[tier * MAX_NR_GENS + ((seq + 1) % MAX_NR_GENS)] = host.now();
  }

  /** Retire empty oldest generations while more than MIN_NR_GENS remain (try_to_inc_min_seq). */
  private incMinSeq(tier: number): void {
    while (this.nrGens(tier) > MIN_NR_GENS && this.genSize(tier, this.minSeq[tier]) === 0) this.minSeq[tier]++;
  }

  shrink(tier: number, reclaimOne: (page: number) => boolean, done: () => boolean): number {
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
      const list = tier * MAX_NR_GENS + (oldest % MAX_NR_GENS);
      if (lists.size[list] === 0) {
        if (this.size(tier) === 0) break;
        continue; // only two generations and the oldest is empty: the next pass ages
      }
      if (this.minTtlMs > 0 && host.now() - this.birthNs[list] < this.minTtlMs * 1e6) {
        this.stats.minTtlBlocked++;
        break;
      }
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

  /** lru_gen_look_around: up to MIN_LRU_BATCH PTEs around a young page, within its PMD. */
  lookAround(page: number, tier: number): void {
    const a = this.addr;
    if (this.pmdShift === 0 || page >= a.n) return; // PMD-mapped pages: no PTE neighbours
    const host = this.host;
    const lo = a.lo[page];
    const base = lo - (lo % (1 << this.pmdShift));
    const end = base + (1 << this.pmdShift);
    const half = MIN_LRU_BATCH / 2;
    let ws: number;
    let we: number;
    if (lo - base < half) {
      ws = base;
      we = base + MIN_LRU_BATCH;
    } else if (end - lo < half) {
      ws = end - MIN_LRU_BATCH;
      we = end;
    } else {
      ws = lo - half;
      we = lo + half;
    }
    const r = a.rank[page];
    const ord = a.order;
    const seq = this.maxSeq[tier];
    // Neighbours on a list, below the page then above it (the order the PTEs are visited in),
    // tested in one bulk call (only those of this node are tested and charged).
    const cand = (this.lookBuf = grow(this.lookBuf, MIN_LRU_BATCH + 1));
    let n = 0;
    let visited = 1;
    for (let k = r - 1; k >= 0; k--) {
      const q = ord[k];
      if (!a.samePmd(page, q, this.pmdShift) || a.lo[q] < ws) break;
      visited++;
      if (this.gen[q] !== 0) cand[n++] = q;
    }
    for (let k = r + 1; k < a.n; k++) {
      const q = ord[k];
      if (!a.samePmd(page, q, this.pmdShift) || a.lo[q] >= we) break;
      visited++;
      if (this.gen[q] !== 0) cand[n++] = q;
    }
    const youngBuf = (this.youngBuf = grow(this.youngBuf, n));
    const found = host.testAndClearAccessedList(cand, 0, n, tier, youngBuf);
    for (let k = 0; k < found; k++) this.moveTo(youngBuf[k], tier, seq);
    const young = 1 + found;
    this.stats.lookAroundYoung += young - 1;
    if (young * PTES_PER_LINE >= visited) {
      this.bloom[tier].add(seq, pmdKey(a.vm[page], a.hi[page], lo >>> this.pmdShift));
    }
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
