// A count-min sketch with per-cell "hot bits", as NeoMem's device-side profiler NeoProf implements it
// in hardware (PKUZHOU/NeoProf_FPGA `hardware_test_design/common/afu/sketch/cmsketch.sv`,
// `neoprof_avmm_slave.sv`):
//
// - `depth` rows (ARRAY_DEPTH, 2) of 2^widthBits saturating counters (HASH_WIDTH, CNT_WIDTH 16 bits);
//   each key increments one counter per row, chosen by that row's seeded hash; its estimate is the
//   minimum over the rows (never below the true count; above it only when the key collides in
//   every row).
// - Hot detection: when a key's estimate exceeds the threshold and at least one of its cells'
//   hot bits is clear, the key is newly hot and every one of its cells' hot bits is set, so a key
//   is reported once per epoch (two keys sharing all cells are reported once between them).
// - Histogram (the driver's neomem_hist, 64 bins): counters of row 0 binned by value, the last bin
//   holding everything above it; a quantile of it estimates the collision noise of a counter.
// - reset() clears counters and hot bits (the RESET / SET_THRESHOLD register writes).
// Typed arrays only; add() is called once per access reaching the device, so it allocates nothing.

/** Hash of a 32-bit key for one row: multiply-xorshift with the row's seed, top widthBits bits. */
function hash(key: number, seed: number, widthBits: number): number {
  if (widthBits === 0) return 0;
  let h = Math.imul(key ^ seed, 0x9e3779b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca77);
  h ^= h >>> 13;
  return h >>> (32 - widthBits);
}

export class CountMinSketch {
  readonly depth: number;
  readonly width: number;
  readonly maxCount: number;
  private readonly counts: Uint16Array;
  private readonly hot: Uint8Array;
  private readonly seeds: Uint32Array;

  /** seeds: one per row (from the run's seed, so hashing is deterministic). counterBits ≤ 16. */
  constructor(
    depth: number,
    readonly widthBits: number,
    counterBits: number,
    seeds: ArrayLike<number>,
  ) {
    if (!(depth >= 1 && seeds.length >= depth)) throw new RangeError('count-min sketch: need depth ≥ 1 and one seed per row');
    if (!(widthBits >= 0 && widthBits <= 24)) throw new RangeError('count-min sketch: widthBits must be in 0 … 24');
    if (!(counterBits >= 1 && counterBits <= 16)) throw new RangeError('count-min sketch: counterBits must be in 1 … 16');
    this.depth = depth;
    this.width = 1 << widthBits;
    this.maxCount = 2 ** counterBits - 1;
    this.counts = new Uint16Array(depth * this.width);
    this.hot = new Uint8Array(depth * this.width);
    this.seeds = Uint32Array.from({ length: depth }, (_, r) => seeds[r]);
  }

  /** Column of `key` in `row`. */
  index(row: number, key: number): number {
    return hash(key, this.seeds[row], this.widthBits);
  }

  /** Count one occurrence of key (saturating) and return its new estimate. */
  add(key: number): number {
    const w = this.width;
    const max = this.maxCount;
    const c = this.counts;
    let min = max;
    for (let r = 0; r < this.depth; r++) {
      const i = r * w + hash(key, this.seeds[r], this.widthBits);
      const v = c[i] < max ? c[i] + 1 : max;
      c[i] = v;
      if (v < min) min = v;
    }
    return min;
  }

  /** The key's estimate: the minimum of its counters. */
  estimate(key: number): number {
    const w = this.width;
    let min = this.maxCount;
    for (let r = 0; r < this.depth; r++) {
      const v = this.counts[r * w + hash(key, this.seeds[r], this.widthBits)];
      if (v < min) min = v;
    }
    return min;
  }

  /** Set the key's hot bits; true if any was clear (the key is newly hot: cmsketch.sv new_hb). */
  markHot(key: number): boolean {
    const w = this.width;
    let fresh = false;
    for (let r = 0; r < this.depth; r++) {
      const i = r * w + hash(key, this.seeds[r], this.widthBits);
      if (this.hot[i] === 0) fresh = true;
      this.hot[i] = 1;
    }
    return fresh;
  }

  /** Row 0's counters binned by value into out[0 … out.length − 1] (the last bin takes larger values). */
  histogram(out: Float64Array): void {
    out.fill(0);
    const last = out.length - 1;
    for (let i = 0; i < this.width; i++) {
      const v = this.counts[i];
      out[v < last ? v : last]++;
    }
  }

  reset(): void {
    this.counts.fill(0);
    this.hot.fill(0);
  }
}

/** The smallest bin index whose cumulative count reaches percentile% of the total (the driver's get_error_bound). */
export function histogramPercentile(hist: Float64Array, percentile: number): number {
  let total = 0;
  for (let i = 0; i < hist.length; i++) total += hist[i];
  // u32 arithmetic in the driver: total · p / 100, truncated.
  const target = Math.floor((total * percentile) / 100);
  let acc = 0;
  for (let i = 0; i < hist.length; i++) {
    acc += hist[i];
    if (acc >= target) return i;
  }
  return 0;
}

/**
 * The counter value above which the top `fraction` of the histogram lies: walking the bins from the
 * highest, the first whose cumulative count reaches fraction · total, at least 1 (NeoMem's
 * get_neomem_hist_percentile_reversed).
 */
export function histogramPercentileReversed(hist: Float64Array, fraction: number): number {
  let total = 0;
  for (let i = 0; i < hist.length; i++) total += hist[i];
  let acc = 0;
  let value = 0;
  for (let i = hist.length - 1; i >= 0; i--) {
    acc += hist[i];
    if (acc >= fraction * total) {
      value = i;
      break;
    }
  }
  return value <= 0 ? 1 : value;
}
