// Stream ids → page ids, and the keys (vm, virtual page number) of page ids. Policies see page ids
// dense in first-touch order (Host.pageCount grows as pages are touched; address order is kept
// incrementally from it). A translated stream numbers its pages in order of first appearance in
// the stream, which is first-touch order for one CPU: there the two are the same number and the
// access loop uses the stream id as is ("identity").
//
// With several CPUs the engine interleaves their streams by simulated time, so pages are first
// touched in another order; and a split huge page appends page ids for its sub-pages, which the
// stream never names. Then page ids are assigned at first touch through `remap` (stream id → page
// id, -1 = not touched yet) and `sidOf` answers the way back (keys and oracle counts are by
// stream id). Identity switches to remap at the first split.
//
// Bytes per page: none in identity mode (the keys are the source's, 8), 8 in remap mode.

import type { Memory } from './memory.ts';
import type { PageKeys } from './page-table.ts';
import { grow } from './columns.ts';

export class PageIds {
  /** Stream id → page id (-1 = not touched yet), or null while they are the same number. */
  remap: Int32Array | null = null;
  /** Page id → stream id (-1 = a sub-page of a split huge page); null while identity. */
  private sidOf: Int32Array | null = null;
  /** Keys of the pages without a stream id (sub-pages of split huge pages), by page id. */
  private extra: PageKeys | null = null;

  constructor(
    private readonly memory: Memory,
    private readonly streamKeys: PageKeys,
    multiCpu: boolean,
    private readonly expectedStreamPages: number,
  ) {
    if (multiCpu) this.startRemap();
  }

  /** Stream ids the source has named so far (the engine sizes the columns the access loop indexes by them). */
  streamPagesSeen = 0;

  /** Room for stream ids below n: in the per-page columns (identity) or in remap. */
  ensureStream(n: number): void {
    if (n <= this.streamPagesSeen) return;
    this.streamPagesSeen = n;
    if (this.remap === null) this.memory.ensurePages(n);
    else if (n > this.remap.length) this.remap = grow(this.remap, n, -1);
  }

  /** Stream id of a page id (-1 for a sub-page of a split huge page). */
  streamIdOf(page: number): number {
    return this.sidOf === null ? page : this.sidOf[page];
  }

  /** First touch of stream id `sid`: its page id (the next one). */
  touch(sid: number): number {
    const m = this.memory;
    if (this.remap === null) {
      if (sid !== m.pages) throw new Error(`stream id ${sid} first touched when ${m.pages} pages are known: a one-CPU stream must name its pages in order`);
      return m.newPage();
    }
    const page = m.newPage();
    if (sid >= this.remap.length) this.remap = grow(this.remap, sid + 1, -1);
    this.remap[sid] = page;
    this.setSid(page, sid);
    return page;
  }

  /** A page id for a sub-page of a split huge page (no stream id), with its own keys. */
  append(vm: number, hi: number, lo: number): number {
    if (this.remap === null) this.startRemap();
    const page = this.memory.newPage();
    this.setSid(page, -1);
    const k = (this.extra ??= { lo: new Int32Array(page + 1), vmHi: new Int32Array(page + 1) });
    k.lo = grow(k.lo, page + 1);
    k.vmHi = grow(k.vmHi, page + 1);
    k.lo[page] = lo | 0;
    k.vmHi[page] = (vm << 20) | hi;
    return page;
  }

  /** (vm << 20) | high vpn word, and the low vpn word, of a page. */
  private keyVmHi(page: number): number {
    const sid = this.streamIdOf(page);
    return sid >= 0 ? this.streamKeys.vmHi[sid] : this.extra!.vmHi[page];
  }

  vm(page: number): number {
    return this.keyVmHi(page) >>> 20;
  }

  vpnHi(page: number): number {
    return this.keyVmHi(page) & 0xfffff;
  }

  vpnLo(page: number): number {
    const sid = this.streamIdOf(page);
    return (sid >= 0 ? this.streamKeys.lo[sid] : this.extra!.lo[page]) >>> 0;
  }

  /**
   * Keys of pages [from, to) into columns indexed by page id (Host.copyPageKeys). Speed trick: one
   * loop over the key arrays, instead of three calls per page (vm, vpnHi, vpnLo); the same values.
   * Speed trick: into `zeroed` columns (0 at [from, to) already) zero values are not written, so
   * that fresh memory no page uses is never faulted in (~13 µs per 4 KiB on this project's VM:
   * README "Benchmarks"); the columns end the same.
   */
  copyKeys(from: number, to: number, vm: Uint16Array, vpnHi: Uint32Array, vpnLo: Uint32Array, zeroed = false): void {
    const kLo = this.streamKeys.lo;
    const kVmHi = this.streamKeys.vmHi;
    const sidOf = this.sidOf;
    for (let p = from; p < to; p++) {
      const sid = sidOf === null ? p : sidOf[p];
      const x = sid >= 0 ? kVmHi[sid] : this.extra!.vmHi[p];
      const lo = sid >= 0 ? kLo[sid] : this.extra!.lo[p];
      if (!zeroed) {
        vm[p] = x >>> 20;
        vpnHi[p] = x & 0xfffff;
        vpnLo[p] = lo;
        continue;
      }
      if (x !== 0) {
        vm[p] = x >>> 20;
        vpnHi[p] = x & 0xfffff;
      }
      if (lo !== 0) vpnLo[p] = lo;
    }
  }

  private setSid(page: number, sid: number): void {
    if (page >= this.sidOf!.length) this.sidOf = grow(this.sidOf!, page + 1, -1);
    this.sidOf![page] = sid;
  }

  /** Leave identity: page ids so far keep their numbers; later ones are assigned at first touch. */
  private startRemap(): void {
    const known = this.memory.pages;
    const cap = Math.max(known, this.expectedStreamPages, 16);
    this.remap = new Int32Array(cap).fill(-1);
    this.sidOf = new Int32Array(cap).fill(-1);
    for (let p = 0; p < known; p++) {
      this.remap[p] = p;
      this.sidOf[p] = p;
    }
  }

  bytes(): number {
    if (this.remap === null) return 0;
    return this.remap.byteLength + this.sidOf!.byteLength + (this.extra === null ? 0 : this.extra.lo.byteLength * 2);
  }
}
