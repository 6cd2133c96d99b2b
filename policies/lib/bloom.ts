// MGLRU's bloom filters over PMD entries (mm/vmscan.c: BLOOM_FILTER_SHIFT = 15, two filters per
// lruvec's mm_state indexed by seq % 2, k = 2 bits per key taken from one hash). The walk for
// max_seq = S tests filter S % 2 (filled by the walk for S − 1 and by look-around) and fills filter
// (S + 1) % 2, which it cleared when it started. A filter never filled since creation admits every
// key (the kernel's "filter == NULL" case).

export const BLOOM_FILTER_SHIFT = 15;
const WORDS = (1 << BLOOM_FILTER_SHIFT) >>> 5;
const MASK = (1 << BLOOM_FILTER_SHIFT) - 1;

export class BloomPair {
  private readonly bits = [new Uint32Array(WORDS), new Uint32Array(WORDS)];
  private readonly valid = [false, false];

  /** Clear filter seq % 2 and mark it in use (reset_bloom_filter). */
  reset(seq: number): void {
    const i = seq & 1;
    this.bits[i].fill(0);
    this.valid[i] = true;
  }

  /** Record a PMD key in filter seq % 2 (update_bloom_filter). */
  add(seq: number, key: number): void {
    const i = seq & 1;
    if (!this.valid[i]) return; // the kernel only adds to an allocated filter
    const h = hash32(key);
    const b = this.bits[i];
    const k1 = h & MASK;
    const k2 = (h >>> BLOOM_FILTER_SHIFT) & MASK;
    b[k1 >>> 5] |= 1 << (k1 & 31);
    b[k2 >>> 5] |= 1 << (k2 & 31);
  }

  /** May the PMD be young (test_bloom_filter)? True when the filter has never been set up. */
  test(seq: number, key: number): boolean {
    const i = seq & 1;
    if (!this.valid[i]) return true;
    const h = hash32(key);
    const b = this.bits[i];
    const k1 = h & MASK;
    const k2 = (h >>> BLOOM_FILTER_SHIFT) & MASK;
    return (b[k1 >>> 5] & (1 << (k1 & 31))) !== 0 && (b[k2 >>> 5] & (1 << (k2 & 31))) !== 0;
  }
}

/** A PMD key from (vm, vpnHi, vpnLo >>> pmdShift): a 32-bit mix (the kernel hashes the pmd pointer). */
export function pmdKey(vm: number, hi: number, loPmd: number): number {
  let h = Math.imul(loPmd ^ 0x9e3779b9, 0x85ebca6b);
  h ^= Math.imul(hi + 0x7f4a7c15, 0xc2b2ae35);
  h ^= Math.imul(vm + 1, 0x27d4eb2f);
  return h >>> 0;
}

function hash32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}
