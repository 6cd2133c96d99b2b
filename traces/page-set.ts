// A set of pages with an access count each, for the pre-pass (footprint) and `trace stats`.
// Open addressing over typed arrays, grown by doubling: memory is proportional to the pages
// touched, never to the address range, so sparse 64-bit address spaces cost nothing extra.
// A page is (vm, page number); the page number of a 64-bit address shifted by ≥ 12 bits has at
// most 52 bits, so it is held exactly in a double.

const EMPTY = -1;

export class PageSet {
  size = 0;
  private mask: number;
  private keys: Float64Array;
  private vms: Uint16Array;
  /** Slot → dense index (order of first touch). */
  private slot: Int32Array;
  /** Dense index → access count, page number, vm. */
  counts: Float64Array;
  pageOf: Float64Array;
  vmOf: Uint16Array;

  constructor(initial = 1024) {
    let cap = 16;
    while (cap < initial * 2) cap *= 2;
    this.mask = cap - 1;
    this.keys = new Float64Array(cap);
    this.vms = new Uint16Array(cap);
    this.slot = new Int32Array(cap).fill(EMPTY);
    this.counts = new Float64Array(cap >>> 1);
    this.pageOf = new Float64Array(cap >>> 1);
    this.vmOf = new Uint16Array(cap >>> 1);
  }

  /** Count one access to the page holding address (hi, lo) with 2^shift-byte pages (shift ≥ 12). Returns the page's dense index. */
  touch(vm: number, hi: number, lo: number, shift: number): number {
    // page = addr >> shift = hi · 2^(32−shift) + (lo >>> shift), exact in a double.
    const page = hi * 2 ** (32 - shift) + (lo >>> shift);
    // Hash: mix the low bits of the page number with the vm (murmur3 finaliser constants).
    let h = Math.imul((lo >>> shift) ^ (hi << (32 - shift)) ^ Math.imul(vm, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    let s = h & this.mask;
    for (;;) {
      const d = this.slot[s];
      if (d === EMPTY) break;
      if (this.keys[s] === page && this.vms[s] === vm) {
        this.counts[d]++;
        return d;
      }
      s = (s + 1) & this.mask;
    }
    const d = this.size++;
    this.slot[s] = d;
    this.keys[s] = page;
    this.vms[s] = vm;
    this.counts[d] = 1;
    this.pageOf[d] = page;
    this.vmOf[d] = vm;
    if (this.size * 2 > this.mask) this.grow();
    return d;
  }

  private grow(): void {
    const cap = (this.mask + 1) * 2;
    const keys = this.keys;
    const vms = this.vms;
    const slot = this.slot;
    this.mask = cap - 1;
    this.keys = new Float64Array(cap);
    this.vms = new Uint16Array(cap);
    this.slot = new Int32Array(cap).fill(EMPTY);
    for (let s = 0; s < slot.length; s++) {
      const d = slot[s];
      if (d === EMPTY) continue;
      // Recompute the hash from the stored page number (low 32 bits, high part of the key).
      const page = keys[s];
      const pLo = page % 2 ** 32 >>> 0;
      let h = Math.imul(pLo ^ Math.imul(vms[s], 0x9e3779b1), 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
      let t = h & this.mask;
      while (this.slot[t] !== EMPTY) t = (t + 1) & this.mask;
      this.slot[t] = d;
      this.keys[t] = page;
      this.vms[t] = vms[s];
    }
    const counts = new Float64Array(cap >>> 1);
    counts.set(this.counts.subarray(0, this.size));
    this.counts = counts;
    const pageOf = new Float64Array(cap >>> 1);
    pageOf.set(this.pageOf.subarray(0, this.size));
    this.pageOf = pageOf;
    const vmOf = new Uint16Array(cap >>> 1);
    vmOf.set(this.vmOf.subarray(0, this.size));
    this.vmOf = vmOf;
  }

  bytes(): number {
    return this.keys.byteLength + this.vms.byteLength + this.slot.byteLength + this.counts.byteLength + this.pageOf.byteLength + this.vmOf.byteLength;
  }
}
