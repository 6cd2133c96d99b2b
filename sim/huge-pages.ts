// Huge pages (pages larger than 4 KiB; README "Memtis huge-page splitting"):
//
// - Internal fragmentation: one bit per 4 KiB sub-page ever touched, so the summary can report the
//   share of resident huge-page bytes never touched (hugePageWaste). Marked after each turn of the
//   access loop from the access codes (each carries its sub-page), never per access.
// - Splitting (Host.splitPage, Linux split_huge_page): the 512 sub-pages become base pages mapped
//   in place in the huge page's tier, each a page id of its own (appended: page-ids.ts), flagged
//   K_BASE (a base frame counts 4096 / pageBytes of a frame); the huge page keeps its id with no
//   frame and K_SPLIT, and the access loop sends its accesses to the sub-page (splitBase + index).
// - Transparent huge pages for real (thp.enabled, sim/thp.ts): a huge page needs a free 2 MiB block
//   of its tier, else it is mapped with 4 KiB pages (toBase); khugepaged collapses them back.

import type { Core } from './core.ts';
import { grow } from './columns.ts';
import { S_ACCESSED, S_DIRTY, S_HINT, K_BASE, K_GUEST_PAGED, K_SPLIT, K_SWAPPED, K_SWAP_COPY } from './memory.ts';
import { Thp } from './thp.ts';

export class HugePages {
  /** Per split huge page, the page id of its first sub-page. */
  splitBase = new Int32Array(0);
  /** Per 4 KiB sub-page id, the huge page whose range it maps (-1 for other ids); for ThpHost.rangeOf. */
  private headOf = new Int32Array(0);
  /** Distinct 4 KiB sub-pages touched so far. */
  touchedSubpages = 0;
  /** Per stream id: one bit per sub-page touched (words per page), and how many are set. */
  private subTouched: Uint32Array;
  private subCount: Int32Array;
  private readonly words: number;
  /** Transparent huge pages (thp.enabled): 2 MiB blocks per tier, 4 KiB fallback, khugepaged; null when off. */
  readonly thp: Thp | null;

  constructor(
    private readonly core: Core,
    expectedStreamPages: number,
  ) {
    this.words = core.subPages >= 32 ? core.subPages >>> 5 : core.subPages > 1 ? 1 : 0;
    const n = this.words > 0 ? expectedStreamPages : 0;
    this.subTouched = new Uint32Array(this.words * n);
    this.subCount = new Int32Array(n);
    this.thp = core.config['thp.enabled'] === true ? new Thp(core, this) : null;
  }

  /** The run has pages larger than 4 KiB. */
  get on(): boolean {
    return this.words > 0;
  }

  /**
   * Mark the sub-pages of access codes [from, to) as touched. Speed trick: done after the access loop
   * rather than per access, so these bitmap loads are independent of each other instead of stalling
   * the loop's dependency chain (measured 3–5 % less time per access with 2 MiB pages on the old
   * engine); a page whose sub-pages are all touched skips the bitmap. Only the count is reported.
   */
  markSubpages(code: Int32Array, from: number, to: number, streamPages: number): void {
    const words = this.words;
    if (streamPages > this.subCount.length) {
      this.subTouched = grow(this.subTouched, streamPages * words);
      this.subCount = grow(this.subCount, streamPages);
    }
    const bits = this.subTouched;
    const counts = this.subCount;
    const full = words << 5;
    const subBits = this.core.subBits;
    const subMask = (1 << subBits) - 1;
    const idShift = subBits + 1;
    let added = 0;
    for (let i = from; i < to; i++) {
      const x = code[i];
      const sid = x >>> idShift;
      if (counts[sid] === full) continue;
      const sub = (x >>> 1) & subMask;
      const w = sid * words + (sub >>> 5);
      const old = bits[w] | 0; // int32, as `now` (a uint32 above 2^31 would never equal it)
      const now = old | (1 << (sub & 31));
      if (now !== old) {
        bits[w] = now;
        counts[sid]++;
        added++;
      }
    }
    this.touchedSubpages += added;
  }

  /** Host.splitPage: split a huge page in place; the first sub-page's id, or -1 (see Host.splitPage). */
  split(page: number): number {
    const core = this.core;
    const m = core.memory;
    const subs = core.subPages;
    if (subs <= 1 || core.vm.on || page < 0 || page >= m.pages) return -1;
    const frame = m.frame[page];
    if (m.flags[page] & (K_SPLIT | K_BASE) || frame < 0 || m.frameRefs[frame] !== 1) return -1;
    const tier = m.frameTier[frame];
    // The huge entry leaves every TLB that holds it (the split's own flush is in splitHugePageNs;
    // the IPI round to other holders is the translation model's).
    if (core.tlb.on) core.ops.chargeKernelNs(core.tlb.shootdown(page));
    const first = this.toBase(page, tier);
    // The sub-pages stay in the huge page's 2 MiB block (split_huge_page remaps in place).
    if (this.thp !== null) this.thp.splitInPlace(page, first, tier);
    core.ops.chargeKernelNs(core.cost.splitHugePageNs);
    return first;
  }

  /**
   * Map a huge page (mapped, in `tier`) with 4 KiB pages instead: its sub-pages become base pages
   * in `tier`, each a page id of its own; the huge page keeps its id, with no frame and K_SPLIT.
   * Capacity use is unchanged. Returns the first sub-page's id. No cost is charged here.
   */
  toBase(page: number, tier: number): number {
    const core = this.core;
    const m = core.memory;
    const subs = core.subPages;
    const keep = m.state[page] & (S_ACCESSED | S_DIRTY);
    m.unmap(page);
    const first = this.appendSubPages(page, 0);
    for (let k = 0; k < subs; k++) {
      const q = first + k;
      m.map(q, m.allocFrame(tier));
      m.state[q] |= keep;
    }
    // One huge frame freed, subs base frames of baseUnit each taken: use is unchanged.
    m.usedFrames[tier] += subs * m.baseUnit - 1;
    m.mappedPages += subs - 1;
    return first;
  }

  /**
   * Give a huge page that has no frame (never mapped, or swapped out whole) 4 KiB page ids that are
   * not mapped either (sim/thp.ts: a fault that falls back with less than 2 MiB of room, and a
   * swap-in, both of which map one 4 KiB page at a time): `flags` (K_SWAPPED, K_SWAP_COPY) are the
   * sub-pages' own, as each 4 KiB swap entry of a THP swapped out whole holds its part. Returns the
   * first sub-page's id; capacity use is unchanged.
   */
  toBaseUnmapped(page: number, flags: number): number {
    const m = this.core.memory;
    const first = this.appendSubPages(page, flags);
    m.flags[page] &= ~(K_SWAPPED | K_SWAP_COPY | K_GUEST_PAGED);
    return first;
  }

  /** Append the sub-page ids of huge page `page` (frame-less, flagged K_BASE | flags) and mark it split. */
  private appendSubPages(page: number, flags: number): number {
    const core = this.core;
    const m = core.memory;
    const subs = core.subPages;
    // The sub-pages' 4 KiB vpns: the huge vpn shifted left by s bits, plus the sub-page index
    // (the low s bits are zero, so adding the index never carries into the high word).
    const s = core.subBits;
    const ids = core.ids;
    const hi = ids.vpnHi(page);
    const lo = ids.vpnLo(page);
    const subHi = (hi << s) | (lo >>> (32 - s));
    const subLo = lo << s;
    const vm = ids.vm(page);
    const first = m.pages;
    for (let k = 0; k < subs; k++) {
      const q = ids.append(vm, subHi, subLo + k);
      m.flags[q] = K_BASE | flags;
    }
    m.state[page] &= ~(S_ACCESSED | S_DIRTY | S_HINT);
    m.flags[page] |= K_SPLIT;
    this.splitBase = grow(this.splitBase, page + 1);
    this.splitBase[page] = first;
    this.headOf = grow(this.headOf, first + subs, -1);
    this.headOf.fill(page, first, first + subs);
    return first;
  }

  /**
   * ThpHost.rangeOf: the huge page whose 2 MiB range, mapped with 4 KiB pages now, holds `page`
   * (`page` itself when it is that split huge page), or -1: a huge page mapped whole, a 4 KiB run,
   * or a retired sub-page id of a range collapsed since (flagged base + split, frame-less).
   */
  rangeOf(page: number): number {
    const m = this.core.memory;
    if (page < 0 || page >= m.pages) return -1;
    let h = page;
    if (m.flags[page] & K_BASE) {
      if (m.flags[page] & K_SPLIT) return -1;
      h = page < this.headOf.length ? this.headOf[page] : -1;
      if (h < 0) return -1;
    }
    return (m.flags[h] & (K_SPLIT | K_BASE)) === K_SPLIT ? h : -1;
  }

  bytes(): number {
    return this.subTouched.byteLength + this.subCount.byteLength + this.splitBase.byteLength + this.headOf.byteLength + (this.thp?.bytes() ?? 0);
  }
}
