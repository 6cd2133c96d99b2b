// Pages in virtual-address order, for the daemons that walk page tables in address order (the
// NUMA-balancing scanner resuming at mm->numa_scan_offset, the MGLRU page-table walk and its
// PMD-level bloom filter, rmap look-around over neighbouring PTEs).
//
// Page ids are dense in first-touch order, so the order is kept incrementally: pages touched since
// the last sync are sorted on their own and merged into the sorted array (O(new · log new + n)).
// Sync runs only from daemons (timers, reclaim), never on the per-access path.

import type { Host } from '../policy.ts';
import { grow, initialPages } from './grow.ts';

export class AddressOrder {
  /** Page ids sorted by (vm, vpnHi, vpnLo). */
  order: Int32Array;
  /** Position of each page in `order`. */
  rank: Int32Array;
  /** Per-page key columns (copied from the host once, so comparisons stay in typed arrays). */
  vm: Uint16Array;
  hi: Uint32Array;
  lo: Uint32Array;
  n = 0;
  /** New pages of a sync that are not simply appended, and the merge sort's second buffer (kept between syncs). */
  private fresh = new Int32Array(0);
  private scratch = new Int32Array(0);

  constructor(private readonly host: Host) {
    // Sized for the pages the run expects, so that a sync after the init pass does not copy by doubling.
    const n = initialPages(host);
    this.order = new Int32Array(n);
    this.rank = new Int32Array(n);
    this.vm = new Uint16Array(n);
    this.hi = new Uint32Array(n);
    this.lo = new Uint32Array(n);
  }

  /** Add pages touched since the last call. */
  sync(): void {
    const total = this.host.pageCount();
    if (total <= this.n) return;
    this.grow(total);
    const old = this.n;
    // The columns are 0 from `old` on (allocated or grown zeroed, never written there).
    this.host.copyPageKeys(old, total, this.vm, this.hi, this.lo, true);
    const ord = this.order;
    const rank = this.rank;
    // Speed trick: pages first touched in address order (an init pass) arrive sorted; the check
    // is linear and the sort is stable, so skipping it changes nothing.
    let sorted = true;
    for (let p = old + 1; p < total && sorted; p++) sorted = this.compare(p - 1, p) <= 0;
    if (sorted && (old === 0 || this.compare(ord[old - 1], old) <= 0)) {
      // Speed trick: sorted and all at or after the last old page (ties go after, as in the merge
      // below): the merge would append them in id order, so write them there directly, with no
      // buffer (O(new), no allocation).
      for (let p = old; p < total; p++) {
        ord[p] = p;
        rank[p] = p;
      }
      this.n = total;
      return;
    }
    const count = total - old;
    if (this.fresh.length < count) {
      // Scratch kept between syncs: no allocation per sync once it has the largest batch's size.
      this.fresh = new Int32Array(Math.max(count, 2 * this.fresh.length));
      this.scratch = new Int32Array(this.fresh.length);
    }
    const fresh = this.fresh;
    for (let i = 0; i < count; i++) fresh[i] = old + i;
    if (!sorted) this.sortFresh(count);
    // Merge the sorted old prefix with the sorted new pages, from the back, in place. Speed trick:
    // once every new page is placed, the old pages below stay where they are (k === i), and so do
    // their ranks: only positions from the lowest one written change (O(new) for pages appended
    // at the end of the address space, instead of O(all pages) per sync).
    let i = old - 1;
    let j = count - 1;
    let k = total - 1;
    for (; j >= 0; k--) {
      if (i >= 0 && this.compare(ord[i], fresh[j]) > 0) ord[k] = ord[i--];
      else ord[k] = fresh[j--];
    }
    for (let q = k + 1; q < total; q++) rank[ord[q]] = q;
    this.n = total;
  }

  /**
   * Stable sort of fresh[0, n) by address (bottom-up merge sort through `scratch`): the order
   * TypedArray.prototype.sort with a comparator gives (stable, ES2019), without its per-call
   * closure and work arrays. Runs of RUN pages are insertion-sorted first.
   */
  private sortFresh(n: number): void {
    const RUN = 16;
    let src = this.fresh;
    let dst = this.scratch;
    for (let lo = 0; lo < n; lo += RUN) {
      const hi = Math.min(n, lo + RUN);
      for (let a = lo + 1; a < hi; a++) {
        const x = src[a];
        let b = a - 1;
        // Strictly greater moves right: equal keys keep their order (stable).
        while (b >= lo && this.compare(src[b], x) > 0) {
          src[b + 1] = src[b];
          b--;
        }
        src[b + 1] = x;
      }
    }
    for (let width = RUN; width < n; width *= 2) {
      for (let lo = 0; lo < n; lo += 2 * width) {
        const mid = Math.min(n, lo + width);
        const hi = Math.min(n, lo + 2 * width);
        let a = lo;
        let b = mid;
        let o = lo;
        // Ties take the left run first (stable).
        while (a < mid && b < hi) dst[o++] = this.compare(src[b], src[a]) < 0 ? src[b++] : src[a++];
        while (a < mid) dst[o++] = src[a++];
        while (b < hi) dst[o++] = src[b++];
      }
      const t = src;
      src = dst;
      dst = t;
    }
    if (src !== this.fresh) {
      const fresh = this.fresh;
      for (let x = 0; x < n; x++) fresh[x] = src[x];
    }
  }

  compare(a: number, b: number): number {
    return this.vm[a] - this.vm[b] || this.hi[a] - this.hi[b] || this.lo[a] - this.lo[b];
  }

  /** First position whose page's address is ≥ (vm, hi, lo); n if none. */
  lowerBound(vm: number, hi: number, lo: number): number {
    let a = 0;
    let b = this.n;
    const ord = this.order;
    while (a < b) {
      const m = (a + b) >>> 1;
      const p = ord[m];
      const c = this.vm[p] - vm || this.hi[p] - hi || this.lo[p] - lo;
      if (c < 0) a = m + 1;
      else b = m;
    }
    return a;
  }

  /** Same page-table page (PMD entry) as page q: same vm, high word and vpnLo >>> shift. */
  samePmd(p: number, q: number, shift: number): boolean {
    return this.vm[p] === this.vm[q] && this.hi[p] === this.hi[q] && this.lo[p] >>> shift === this.lo[q] >>> shift;
  }

  private grow(n: number): void {
    this.order = grow(this.order, n);
    this.rank = grow(this.rank, n);
    this.vm = grow(this.vm, n);
    this.hi = grow(this.hi, n);
    this.lo = grow(this.lo, n);
  }
}
