// MGLRU's page-table side (mm/vmscan.c walk_mm / walk_pte_range, suitable_to_scan,
// update_bloom_filter, lru_gen_look_around): the aging walk over the address space and the
// look-around that eviction does from a young PTE, feeding each other through bloom filters.
// Used by Mglru (mglru.ts), which owns the generations.
//
// - The walk goes in address order, one PMD (512 PTEs) at a time, skipping PMDs absent from the
//   bloom filter of this seq; it clears the accessed bits of this node's mapped pages and moves the
//   young ones to max_seq; a PMD goes into the next seq's filter when young · 8 ≥ PTEs scanned
//   (one young PTE per cache line).
// - Look-around checks up to MIN_LRU_BATCH = 64 neighbouring PTEs of a young page within its PMD,
//   moves the young ones to max_seq and adds the PMD to this seq's filter on the same density test.
// - With page types, page cache reached only by read()/write() has no PTE and is never seen here,
//   and anon mappings are skipped when anon cannot be reclaimed (should_skip_vma, swappiness 0).

import type { Host } from '../policy.ts';
import type { AddressOrder } from './address-order.ts';
import { BloomPair, pmdKey } from './bloom.ts';
import { grow } from './grow.ts';
import { LRU_GEN_ANON } from './workingset.ts';
import type { Mglru } from './mglru.ts';

/** mm/vmscan.c MIN_LRU_BATCH: the look-around window. */
const MIN_LRU_BATCH = 64;
/** PTEs per cache line (64 B / 8 B), the young-density test of suitable_to_scan. */
const PTES_PER_LINE = 8;

export class PageTableWalk {
  private readonly bloom: BloomPair[];
  /** log2(PTEs per PMD table) in page units: 9 for 4 KiB pages, 0 for 2 MiB pages. */
  private readonly pmdShift: number;
  /** Scratch of the bulk accessed-bit tests (page ids found young, look-around candidates, walk candidates). */
  private youngBuf = new Int32Array(512);
  private lookBuf = new Int32Array(MIN_LRU_BATCH + 1);
  private walkBuf = new Int32Array(512);

  constructor(
    private readonly host: Host,
    private readonly addr: AddressOrder,
  ) {
    this.bloom = Array.from({ length: host.tiers }, () => new BloomPair());
    this.pmdShift = Math.max(0, Math.round(Math.log2((2 * 1048576) / host.pageBytes)));
  }

  /** The aging walk of node `tier` at max_seq = `seq`: young pages move to `seq`. */
  walk(mg: Mglru, tier: number, seq: number, canSwap: boolean): void {
    const host = this.host;
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
        mg.stats.pmdsSkipped++;
        i = j;
        continue;
      }
      // With page types, only mapped pages have PTEs, and anon mappings are skipped when anon
      // cannot be reclaimed (should_skip_vma).
      let list = ord;
      let from = i;
      let to = j;
      if (mg.typed) {
        const w = (this.walkBuf = grow(this.walkBuf, j - i));
        let k = 0;
        for (let q = i; q < j; q++) {
          const p = ord[q];
          if (mg.isCache(p) || (!canSwap && mg.typeOf(p) === LRU_GEN_ANON)) continue;
          w[k++] = p;
        }
        list = w;
        from = 0;
        to = k;
      }
      // One bulk test-and-clear over the PMD's pages of this node (get_pfn_folio: another node's
      // folio is left alone, at no cost); young pages on a list move to max_seq in address order.
      const buf = (this.youngBuf = grow(this.youngBuf, to - from));
      const young = host.testAndClearAccessedList(list, from, to, tier, buf);
      for (let k = 0; k < young; k++) if (mg.gen[buf[k]] !== 0) mg.young(buf[k], tier, seq);
      if (young * PTES_PER_LINE >= to - from) bloom.add(seq + 1, key);
      i = j;
    }
  }

  /** lru_gen_look_around: up to MIN_LRU_BATCH PTEs around a young page, within its PMD. */
  lookAround(mg: Mglru, page: number, tier: number): void {
    const a = this.addr;
    if (this.pmdShift === 0 || page >= a.n) return; // PMD-mapped pages: no PTE neighbours
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
    const seq = mg.maxSeq[tier];
    // Neighbours on a list, below the page then above it (the order the PTEs are visited in),
    // tested in one bulk call (only those of this node are tested and charged); page cache
    // reached by read() has no PTE.
    const cand = (this.lookBuf = grow(this.lookBuf, MIN_LRU_BATCH + 1));
    let n = 0;
    let visited = 1;
    for (let k = r - 1; k >= 0; k--) {
      const q = ord[k];
      if (!a.samePmd(page, q, this.pmdShift) || a.lo[q] < ws) break;
      visited++;
      if (mg.gen[q] !== 0 && !mg.isCache(q)) cand[n++] = q;
    }
    for (let k = r + 1; k < a.n; k++) {
      const q = ord[k];
      if (!a.samePmd(page, q, this.pmdShift) || a.lo[q] >= we) break;
      visited++;
      if (mg.gen[q] !== 0 && !mg.isCache(q)) cand[n++] = q;
    }
    const youngBuf = (this.youngBuf = grow(this.youngBuf, n));
    const found = this.host.testAndClearAccessedList(cand, 0, n, tier, youngBuf);
    for (let k = 0; k < found; k++) mg.young(youngBuf[k], tier, seq);
    const young = 1 + found;
    mg.stats.lookAroundYoung += young - 1;
    if (young * PTES_PER_LINE >= visited) {
      this.bloom[tier].add(seq, pmdKey(a.vm[page], a.hi[page], lo >>> this.pmdShift));
    }
  }
}
