// zswap: a compressed cache in front of swap (Documentation/admin-guide/mm/zswap.rst; mm/zswap.c
// zswap_store, zswap_load, zswap_is_full / zswap_can_accept, shrink_worker). Off by default.
//
// - Store (a page reclaimed to swap, page-ops.ts evict): a same-filled page (zero content in the
//   page-content model) is kept as a bare entry with no data; any other page is compressed (kernel
//   CPU zswap.compressNs) to 4096 / ratio bytes, where the ratio is the page's own: a seeded draw,
//   uniform over [1 − s, 1 + s] × zswap.compressionRatio (s = zswap.ratioSpread, 0.5), so the mean
//   ratio is the one given.
// - The pool lives in memory: its bytes, packed into 4 KiB pages (zsmalloc), are taken from the
//   capacity of the tier the page was evicted from, so a full pool leaves less for everything else.
// - Limit: the pool may hold zswap.maxPoolPercent (20) of all memory; when a store would exceed it,
//   the oldest entries are written back to the swap device (the shrink worker) until the pool is
//   under zswap.acceptThresholdPercent (90) of the limit; a page that still does not fit goes to swap.
// - A THP (thp.enabled) is never stored: Linux 6.6 zswap_store returns false for a large folio
//   ("Large folios aren't supported"), so it goes to the swap device whole; a 4 KiB page of a 2 MiB
//   run (split or fallen back) is stored as 4 KiB (page-ops.ts zswapStore).
// - Load (swap-in, faults.ts): an entry in the pool is decompressed (zswap.decompressNs, stalls the
//   faulting CPU) and freed (zswap's exclusive loads); otherwise the page comes from the device.
// Costs and ratios: FACTS.md §6 (max_pool_percent 20, accept_threshold_percent 90 [doc]; ratios
// ≈ 2.6 lz4 … 4.0 zstd [secondary]); compress 4 µs / decompress 1 µs per 4 KiB page [estimate:
// lz4 at ≈ 1 GB/s compress, 4 GB/s decompress; zstd 3–5× slower; ranges 1–20 µs and 0.5–5 µs].

import type { Config, Schema } from './config.ts';
import { MAX_EVENT_NS } from './config.ts';
import { grow } from './columns.ts';

export const SWAP_SCHEMA: Schema = {
  'zswap.enabled': { default: false, type: 'boolean', doc: 'Compress reclaimed pages into a pool in memory before they reach swap (mm/zswap.c).' },
  'zswap.maxPoolPercent': { default: 20, type: 'number', min: 0, max: 100, doc: 'zswap max_pool_percent: the pool may hold this share of all memory (kernel default 20). [doc]' },
  'zswap.acceptThresholdPercent': { default: 90, type: 'number', min: 0, max: 100, doc: 'zswap accept_threshold_percent: once full, the pool writes back to swap until it is below this share of its limit (kernel default 90). [doc]' },
  'zswap.compressionRatio': { default: 3, type: 'number', min: 1, max: 64, doc: 'Mean compression ratio of a page; each page draws its own, uniform over [0.5, 1.5] × this (FACTS §6: lz4 ≈ 2.6, zstd ≈ 4.0). [secondary, 2–4]' },
  'zswap.ratioSpread': { default: 0.5, type: 'number', min: 0, max: 0.99, doc: 'Spread of the per-page compression ratio: each page draws uniformly from [1 − s, 1 + s] × zswap.compressionRatio (0 = every page the same). [model]' },
  'zswap.compressNs': { default: 4000, type: 'number', min: 0, max: MAX_EVENT_NS, doc: 'Kernel CPU to compress one 4 KiB page (lz4 ≈ 1 GB/s; zstd slower). [estimate, 1000–20000]' },
  'zswap.decompressNs': { default: 1000, type: 'number', min: 0, max: MAX_EVENT_NS, doc: 'Time to decompress one 4 KiB page on a swap-in; stalls the faulting CPU. [estimate, 500–5000]' },
};

export const ZS_STORED = 0;
export const ZS_SAME_FILLED = 1;
export const ZS_LOADS = 2;
export const ZS_REJECTED = 3;
export const ZS_WRITTEN_BACK = 4;
export const ZS_POOL_BYTES = 5;
export const ZS_STORED_PAGES = 6;
/** Time swap-ins spent decompressing, ns. */
export const ZS_LOAD_NS = 7;
/** Memory the pool saves now: bytes of the pages it holds minus the pool's bytes. */
export const ZS_SAVED_BYTES = 8;
/** Compressed entries held now (storedPages minus the same-filled ones). */
export const ZS_DATA_PAGES = 9;
export const ZS_NAMES = ['stores', 'sameFilled', 'loads', 'rejected', 'writtenBack', 'poolBytes', 'storedPages', 'loadNs', 'savedBytes', 'dataPages'] as const;

const BASE = 4096;
/** zswap entry state per page: 0 none, 1 compressed, 2 same-filled. */
const E_NONE = 0;
const E_DATA = 1;
const E_SAME = 2;

export class Zswap {
  readonly on: boolean;
  private readonly limitBytes: number;
  private readonly acceptBytes: number;
  private readonly ratio: number;
  private readonly spread: number;
  readonly compressNs: number;
  readonly decompressNs: number;
  private readonly seed: number;
  /** Frames of the run one 4 KiB pool page takes (1, or 1/512 with 2 MiB pages). */
  private readonly unit: number;
  /** Per page: entry state, compressed bytes, tier whose capacity holds them, store sequence. */
  private entry = new Uint8Array(0);
  private bytes = new Float64Array(0);
  private tierOf = new Uint8Array(0);
  /** Per page: the bytes it held in memory (4 KiB for a 4 KiB page of a 2 MiB run, else pageBytes), and their sum over entries. */
  private raw = new Float64Array(0);
  private rawBytes = 0;
  /** Store order (for writeback, oldest first): page ids; lazily skips entries loaded since. */
  private fifo = new Int32Array(1024);
  private fifoHead = 0;
  private fifoTail = 0;
  /** Pool bytes per tier, and the frames taken from each tier's capacity for them. */
  readonly poolBytes: Float64Array;
  readonly poolFrames: Float64Array;
  readonly stats = new Float64Array(ZS_NAMES.length);

  constructor(config: Config, totalFrames: number, pageBytes: number, tiers: number) {
    const get = (k: string): number => (typeof config[k] === 'number' ? (config[k] as number) : (SWAP_SCHEMA[k].default as number));
    this.on = config['zswap.enabled'] === true;
    this.limitBytes = (totalFrames * pageBytes * get('zswap.maxPoolPercent')) / 100;
    this.acceptBytes = (this.limitBytes * get('zswap.acceptThresholdPercent')) / 100;
    this.ratio = get('zswap.compressionRatio');
    this.spread = get('zswap.ratioSpread');
    this.compressNs = get('zswap.compressNs');
    this.decompressNs = get('zswap.decompressNs');
    this.seed = typeof config.seed === 'number' ? config.seed : 1;
    this.unit = BASE / pageBytes;
    this.poolBytes = new Float64Array(tiers);
    this.poolFrames = new Float64Array(tiers);
  }

  private ensure(n: number): void {
    if (n <= this.entry.length) return;
    this.entry = grow(this.entry.length ? this.entry : new Uint8Array(1024), n);
    this.bytes = grow(this.bytes.length ? this.bytes : new Float64Array(1024), n);
    this.tierOf = grow(this.tierOf.length ? this.tierOf : new Uint8Array(1024), n);
    this.raw = grow(this.raw.length ? this.raw : new Float64Array(1024), n);
  }

  has(page: number): boolean {
    return page < this.entry.length && this.entry[page] !== E_NONE;
  }

  /** The page's compression ratio: a hash of (seed, page) mapped to [1 − spread, 1 + spread] × the mean (deterministic). */
  ratioOf(page: number): number {
    let h = Math.imul(page ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(this.seed, 0xc2b2ae35);
    h ^= h >>> 16;
    h = Math.imul(h, 0x7feb352d);
    h ^= h >>> 15;
    return this.ratio * (1 - this.spread + (2 * this.spread * (h >>> 0)) / 2 ** 32);
  }

  /**
   * zswap_store of `page` (pageBytes of memory) reclaimed from `tier`; `zero`: same-filled content.
   * Returns 0 when the pool took it (the caller charges compressNs unless same-filled), or −1 when
   * it must go to swap. `capacity` is the engine's capacity column, adjusted for the pool's frames;
   * `writeBack(page)` sends an older entry to the swap device.
   */
  store(page: number, tier: number, pageBytes: number, zero: boolean, capacity: Float64Array, used: Float64Array, writeBack: (page: number) => void): number {
    this.ensure(page + 1);
    if (zero) {
      this.entry[page] = E_SAME;
      this.tierOf[page] = tier;
      this.stats[ZS_SAME_FILLED]++;
      this.stats[ZS_STORED_PAGES]++;
      this.raw[page] = pageBytes;
      this.rawBytes += pageBytes;
      this.stats[ZS_SAVED_BYTES] = this.rawBytes - this.stats[ZS_POOL_BYTES];
      return 0;
    }
    const b = Math.ceil(pageBytes / this.ratioOf(page));
    let total = this.totalBytes();
    if (total + b > this.limitBytes) {
      // Pool full: the shrink worker writes the oldest entries back until below the accept threshold.
      while (total > this.acceptBytes - b && this.fifoHead < this.fifoTail) {
        const old = this.fifo[this.fifoHead++];
        if (this.entry[old] !== E_DATA) continue;
        this.drop(old, capacity);
        this.stats[ZS_WRITTEN_BACK]++;
        writeBack(old);
        total = this.totalBytes();
      }
      if (total + b > this.limitBytes) {
        this.stats[ZS_REJECTED]++;
        return -1;
      }
    }
    // The pool's frames come out of the tier's capacity; never below what the tier already uses.
    const frames = Math.ceil((this.poolBytes[tier] + b) / BASE) * this.unit;
    const extra = frames - this.poolFrames[tier];
    if (extra > 0 && used[tier] + extra > capacity[tier]) {
      this.stats[ZS_REJECTED]++;
      return -1;
    }
    capacity[tier] -= extra;
    this.poolFrames[tier] = frames;
    this.poolBytes[tier] += b;
    this.entry[page] = E_DATA;
    this.bytes[page] = b;
    this.raw[page] = pageBytes;
    this.rawBytes += pageBytes;
    this.tierOf[page] = tier;
    if (this.fifoTail >= this.fifo.length) {
      // Compact the consumed head before growing.
      this.fifo.copyWithin(0, this.fifoHead, this.fifoTail);
      this.fifoTail -= this.fifoHead;
      this.fifoHead = 0;
      if (this.fifoTail >= this.fifo.length) this.fifo = grow(this.fifo, this.fifoTail + 1);
    }
    this.fifo[this.fifoTail++] = page;
    this.stats[ZS_STORED]++;
    this.stats[ZS_STORED_PAGES]++;
    this.stats[ZS_DATA_PAGES]++;
    this.stats[ZS_POOL_BYTES] = this.totalBytes();
    this.stats[ZS_SAVED_BYTES] = this.rawBytes - this.stats[ZS_POOL_BYTES];
    return 0;
  }

  /** zswap_load: the page is in the pool; free its entry. Returns true if it was compressed (decompress cost). */
  load(page: number, capacity: Float64Array): boolean {
    const compressed = this.entry[page] === E_DATA;
    this.drop(page, capacity);
    this.stats[ZS_LOADS]++;
    if (compressed) this.stats[ZS_LOAD_NS] += this.decompressNs;
    this.stats[ZS_SAVED_BYTES] = this.rawBytes - this.stats[ZS_POOL_BYTES];
    return compressed;
  }

  /** Free an entry and give its frames back to the tier's capacity. */
  private drop(page: number, capacity: Float64Array): void {
    const e = this.entry[page];
    this.entry[page] = E_NONE;
    this.stats[ZS_STORED_PAGES]--;
    this.rawBytes -= this.raw[page];
    if (e !== E_DATA) return;
    this.stats[ZS_DATA_PAGES]--;
    const t = this.tierOf[page];
    this.poolBytes[t] -= this.bytes[page];
    const frames = Math.ceil(this.poolBytes[t] / BASE) * this.unit;
    capacity[t] += this.poolFrames[t] - frames;
    this.poolFrames[t] = frames;
    this.stats[ZS_POOL_BYTES] = this.totalBytes();
  }

  totalBytes(): number {
    let s = 0;
    for (let t = 0; t < this.poolBytes.length; t++) s += this.poolBytes[t];
    return s;
  }
}
