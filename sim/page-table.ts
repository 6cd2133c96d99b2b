// The page table of translation: (vm, virtual page number) → dense page id, in order of first
// appearance, as an open-addressing hash over typed arrays (linear probing, power-of-two size, at
// most 70 % full). A stream is translated once (DESIGN.md "Translate once"): the engine then runs
// over ids and never hashes an address.
//
// - Sized from the known footprint when there is one (trace index, synthetic generator), so that
//   neither the keys nor the slots grow by doubling past it; unknown footprints grow by doubling.
// - The keys of each id (its vm and page number) stay readable: the engine answers Host.vpnLo /
//   vpnHi / vmOf from them, and the sub-pages of split huge pages get keys of their own elsewhere.
// - Bytes per page: keys 8, slots 4 / load (5.7–11.4): 14–20 while a stream is being translated.

import type { AccessBatch } from '../traces/batch.ts';
import { grow } from './columns.ts';

const EMPTY = -1;
const MAX_LOAD = 0.7;
/** VMs are 12 bits of the packed key; the high vpn word is < 2^20 because pages are ≥ 4 KiB. */
export const MAX_VMS = 4096;

/** The keys of dense page ids: low vpn word, and (vm << 20) | high vpn word. */
export interface PageKeys {
  lo: Int32Array;
  vmHi: Int32Array;
}

export class PageTable implements PageKeys {
  lo: Int32Array;
  vmHi: Int32Array;
  pages = 0;
  private slots: Int32Array;
  private mask: number;
  /** Scratch of translate(): packed key, low word and home-slot page of each record. */
  private trKey = new Int32Array(0);
  private trLo = new Int32Array(0);
  private trHome = new Int32Array(0);

  /** A table for about `expectedPages` pages (the footprint when known: no growth up to it). */
  constructor(expectedPages = 1024) {
    const n = Math.max(16, Math.ceil(expectedPages));
    this.lo = new Int32Array(n);
    this.vmHi = new Int32Array(n);
    let slots = 16;
    while (slots * MAX_LOAD < n) slots *= 2;
    this.slots = new Int32Array(slots).fill(EMPTY);
    this.mask = slots - 1;
  }

  /** Page id of (vm, vpn), or -1 if never seen. */
  find(vm: number, hi: number, lo: number): number {
    const key = (vm << 20) | hi;
    const lo32 = lo | 0;
    let s = hash(key, lo32) & this.mask;
    for (;;) {
      const p = this.slots[s];
      if (p === EMPTY) return EMPTY;
      if (this.lo[p] === lo32 && this.vmHi[p] === key) return p;
      s = (s + 1) & this.mask;
    }
  }

  /** Page id of (vm, vpn), giving it the next id if it is new. */
  findOrInsert(vm: number, hi: number, lo: number): number {
    const key = (vm << 20) | hi;
    const lo32 = lo | 0;
    const slots = this.slots;
    const mask = this.mask;
    let s = hash(key, lo32) & mask;
    for (;;) {
      const p = slots[s];
      if (p === EMPTY) break;
      if (this.lo[p] === lo32 && this.vmHi[p] === key) return p;
      s = (s + 1) & mask;
    }
    if (vm >= MAX_VMS) throw new RangeError(`vm ${vm} out of range: at most ${MAX_VMS} virtual machines`);
    const page = this.pages++;
    if (page >= this.lo.length) {
      this.lo = grow(this.lo, page + 1);
      this.vmHi = grow(this.vmHi, page + 1);
    }
    this.lo[page] = lo32;
    this.vmHi[page] = key;
    if (this.pages > slots.length * MAX_LOAD) this.rehash();
    else slots[s] = page;
    return page;
  }

  vm(page: number): number {
    return this.vmHi[page] >>> 20;
  }

  vpnHi(page: number): number {
    return this.vmHi[page] & 0xfffff;
  }

  vpnLo(page: number): number {
    return this.lo[page] >>> 0;
  }

  /**
   * Translate records [0, n) of a batch to page ids at pages of 2^shift bytes, writing each
   * record's id to ids[0 …]. Speed trick: two passes instead of n lookups. The first computes every
   * key and loads its home slot (a short loop of independent loads, so many cache misses are in
   * flight at once); the second resolves the records in stream order (new pages get ids in order
   * of first appearance), and only a record whose page is not in its home slot probes on. Measured
   * on the core workload (4 Mi pages): see bench/run.ts "translate".
   */
  translate(b: AccessBatch, n: number, shift: number, ids: Int32Array): void {
    if (this.trKey.length < n) {
      this.trKey = new Int32Array(n);
      this.trLo = new Int32Array(n);
      this.trHome = new Int32Array(n);
    }
    const keys = this.trKey;
    const los = this.trLo;
    const home = this.trHome;
    const slots = this.slots;
    const mask = this.mask;
    const hiShift = 32 - shift;
    const addrHi = b.addrHi;
    const addrLo = b.addrLo;
    const vmCol = b.vm;
    for (let j = 0; j < n; j++) {
      const hi = addrHi[j];
      const key = (vmCol[j] << 20) | (hi >>> shift);
      const lo = (addrLo[j] >>> shift) | (hi << hiShift);
      keys[j] = key;
      los[j] = lo;
      home[j] = slots[hash(key, lo) & mask];
    }
    for (let j = 0; j < n; j++) {
      const p = home[j];
      const lo = los[j];
      const key = keys[j];
      ids[j] = p >= 0 && this.lo[p] === lo && this.vmHi[p] === key ? p : this.findOrInsert(key >>> 20, key & 0xfffff, lo);
    }
  }

  /** Bytes held: keys and hash slots. */
  bytes(): number {
    return this.lo.byteLength + this.vmHi.byteLength + this.slots.byteLength;
  }

  private rehash(): void {
    const size = this.slots.length * 2;
    const slots = new Int32Array(size).fill(EMPTY);
    const mask = size - 1;
    for (let p = 0; p < this.pages; p++) {
      let s = hash(this.vmHi[p], this.lo[p]) & mask;
      while (slots[s] !== EMPTY) s = (s + 1) & mask;
      slots[s] = p;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

/** 32-bit mix of the packed key (multiply-xorshift); speed trick: two Math.imul, no allocation. */
function hash(key: number, lo: number): number {
  const h = Math.imul(lo ^ Math.imul(key, 0x9e3779b1), 0x85ebca6b);
  return (h ^ (h >>> 15)) >>> 0;
}
