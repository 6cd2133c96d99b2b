// Exact LRU hit ratios for every cache size in one pass: the stack-distance algorithm of Mattson,
// Gecsei, Slutz and Traiger ("Evaluation techniques for storage hierarchies", IBM Systems Journal
// 9(2), 1970), with a Fenwick tree over access times (Bennett & Kruskal 1975) so that a pass is
// O(n log n). Independent of policies/oracle-lru.ts on purpose: the validation suite checks that
// the oracle's local share equals these counts.
//
// LRU is a stack algorithm: a cache of C pages holds exactly the C most recently used pages, so an
// access hits in every cache larger than or equal to its stack distance (the number of distinct
// pages touched since the previous access to the same page, that page included). Counting each
// distance once gives the hit count of every cache size.

import { PageTable } from '../../sim/page-table.ts';
import type { AccessSource } from '../../traces/batch.ts';
import { createBatch } from '../../traces/batch.ts';

export class StackDistances {
  /** Accesses with stack distance d (d ≥ 1); first touches (infinite distance) are in coldMisses. */
  hist = new Float64Array(1024);
  coldMisses = 0;
  accesses = 0;
  /** Distinct pages of the stream (its footprint). */
  pages = 0;

  /** Feed a stream of dense page ids (0 … pages − 1). */
  static of(pages: ArrayLike<number>, pageCount?: number): StackDistances {
    const sd = new StackDistances();
    sd.pages = pageCount ?? maxPlusOne(pages);
    sd.run(pages, sd.pages);
    return sd;
  }

  private run(stream: ArrayLike<number>, pageCount: number): void {
    const n = stream.length;
    // tree: Fenwick tree over times 1 … n; a 1 at time t marks "t is the latest access of its page".
    const tree = new Int32Array(n + 1);
    const last = new Int32Array(pageCount); // latest access time of each page, 0 = never
    if (this.hist.length < pageCount + 2) this.hist = new Float64Array(pageCount + 2);
    const add = (i: number, v: number) => {
      for (; i <= n; i += i & -i) tree[i] += v;
    };
    const prefix = (i: number) => {
      let s = 0;
      for (; i > 0; i -= i & -i) s += tree[i];
      return s;
    };
    let marked = 0; // markers in the tree = distinct pages so far
    for (let t = 1; t <= n; t++) {
      const p = stream[t - 1];
      const l = last[p];
      if (l === 0) {
        this.coldMisses++;
        marked++;
      } else {
        // Distinct pages touched after time l (each page's latest access is after l), plus p itself.
        this.hist[marked - prefix(l) + 1]++;
        add(l, -1);
      }
      add(t, 1);
      last[p] = t;
    }
    this.accesses += n;
  }

  /** Hits of an LRU cache of `capacity` pages: accesses with stack distance ≤ capacity. */
  hits(capacity: number): number {
    let h = 0;
    const top = Math.min(capacity, this.hist.length - 1);
    for (let d = 1; d <= top; d++) h += this.hist[d];
    return h;
  }

  hitRatio(capacity: number): number {
    return this.accesses === 0 ? 0 : this.hits(capacity) / this.accesses;
  }
}

function maxPlusOne(a: ArrayLike<number>): number {
  let m = -1;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m + 1;
}

/**
 * The page-id stream of a one-CPU source at pages of `pageBytes` (dense ids by first touch, keyed
 * (vm, vpn) as the engine keys pages), its first `limit` records.
 */
export async function pageStream(source: AccessSource, pageBytes: number, limit = Infinity): Promise<{ ids: Int32Array; pages: number }> {
  if (source.cpus !== 1) throw new Error(`pageStream: one CPU expected, the source has ${source.cpus}`);
  const table = new PageTable();
  const shift = Math.log2(pageBytes);
  const batch = createBatch();
  let ids = new Int32Array(1 << 20);
  let n = 0;
  while (n < limit) {
    const r = source.read(0, batch);
    const got = Math.min(typeof r === 'number' ? r : await r, limit - n);
    if (got === 0) break;
    if (n + got > ids.length) {
      const grown = new Int32Array(Math.max(ids.length * 2, n + got));
      grown.set(ids);
      ids = grown;
    }
    for (let i = 0; i < got; i++) {
      const hi = batch.addrHi[i];
      ids[n++] = table.findOrInsert(batch.vm[i], hi >>> shift, (batch.addrLo[i] >>> shift) | (hi << (32 - shift)));
    }
  }
  return { ids: ids.subarray(0, n), pages: table.pages };
}
