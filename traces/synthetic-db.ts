// A database with double caching (issue 15 item 5): PostgreSQL-style shared buffers in shared memory
// on top of the kernel's page cache. A workload of its own: `db:key=value,…`, no other phases.
//
// - Table and index blocks (`blocks` 4 KiB pages of a file, page type cache: reached by read() /
//   write(), never mapped) are requested with Zipf(theta) popularity (ranks scattered by a seeded
//   permutation).
// - Shared buffers (`buffers` pages of shared memory, type shmem, on the anon/swap-backed LRU): a
//   block in a buffer is served from it; usage count +1 per access, capped at 5 (BM_MAX_USAGE_COUNT,
//   FACTS §6 from PostgreSQL freelist.c).
// - A miss runs the clock sweep (StrategyGetBuffer): the hand decrements usage counts until it
//   finds a buffer at 0; a dirty victim is written back with write() (a write to its block's page-
//   cache page), then the new block is read with read() — a read of its page-cache page and a write
//   of the buffer (the copy touches both) — unless `direct=1` (O_DIRECT: the block goes straight
//   between the device and the buffer, the page cache is never touched).
// - `write` share of accesses dirty their buffer. One thread; `gapNs` of compute per record.
// - The generator keeps which block each buffer holds, so a run can count double-cached blocks
//   (in shared buffers and resident in the page cache at once): bench/db-double-cache.ts. The
//   generator runs up to one batch ahead of the simulated clock, so the pool it reports is the one
//   a batch (≤ 8192 records) later than the engine's state [model].
// Address layout (4 KiB pages from 0x10000000, VM 0): buffers at [0x10000, 0x10000 + buffers), the
// file at [0x10000 + buffers + 4096, … + blocks).

import seedrandom from 'seedrandom';
import type { AccessBatch } from './batch.ts';
import { OP_READ, OP_WRITE } from './batch.ts';
import { parseNumber } from '../sim/config.ts';

export class DbWorkloadError extends Error {
  override name = 'DbWorkloadError';
}

export const DB_PARAMS: Record<string, { default: number | string; doc: string }> = {
  blocks: { default: '64Ki', doc: 'Table and index blocks (4 KiB pages of the data files).' },
  buffers: { default: '16Ki', doc: 'shared_buffers in 4 KiB pages (PostgreSQL default guidance: ~25 % of RAM).' },
  accesses: { default: '2M', doc: 'Block requests by the database (each is 1–5 memory accesses: buffer hit, or write-back, read() copy and buffer fill).' },
  theta: { default: 0.9, doc: 'Zipf exponent of block popularity.' },
  write: { default: 0.1, doc: 'Share of requests that modify their block (dirty the buffer).' },
  direct: { default: 0, doc: '1: O_DIRECT (blocks bypass the page cache); 0: buffered read()/write().' },
  gapNs: { default: 200, doc: 'Compute time between two memory accesses, in ns.' },
};

const BASE_PAGE = 0x10000;
const FILE_GAP = 4096;
/** BM_MAX_USAGE_COUNT (src/backend/storage/buffer/freelist.c). */
export const BM_MAX_USAGE_COUNT = 5;

export interface DbSpec {
  blocks: number;
  buffers: number;
  accesses: number;
  theta: number;
  write: number;
  direct: boolean;
  gapNs: number;
}

export function isDbWorkload(spec: string): boolean {
  return /^\s*db\s*(:|$)/.test(spec);
}

export function parseDbWorkload(spec: string): DbSpec {
  if (spec.includes('+')) throw new DbWorkloadError(`workload "${spec}": db cannot be combined with other phases`);
  const colon = spec.indexOf(':');
  const given: Record<string, string> = {};
  if (colon >= 0 && spec.slice(colon + 1).trim() !== '') {
    for (const kv of spec.slice(colon + 1).split(',')) {
      const eq = kv.indexOf('=');
      const key = eq > 0 ? kv.slice(0, eq).trim() : '';
      if (!Object.hasOwn(DB_PARAMS, key)) throw new DbWorkloadError(`workload "${spec}": db has no parameter "${kv}". Valid: ${Object.keys(DB_PARAMS).join(', ')}`);
      given[key] = kv.slice(eq + 1).trim();
    }
  }
  const val = (k: string) => {
    const v = parseNumber(given[k] ?? String(DB_PARAMS[k].default));
    if (!Number.isFinite(v)) throw new DbWorkloadError(`workload "${spec}": db.${k} expects a number, found "${given[k]}"`);
    return v;
  };
  const s: DbSpec = {
    blocks: Math.floor(val('blocks')),
    buffers: Math.floor(val('buffers')),
    accesses: Math.floor(val('accesses')),
    theta: val('theta'),
    write: val('write'),
    direct: val('direct') !== 0,
    gapNs: val('gapNs'),
  };
  const bad = (what: string) => new DbWorkloadError(`workload "${spec}": db ${what}`);
  if (!(s.blocks >= 1 && s.blocks <= 1 << 26)) throw bad(`needs blocks in [1, 2^26], found ${s.blocks}`);
  if (!(s.buffers >= 1 && s.buffers <= 1 << 26)) throw bad(`needs buffers in [1, 2^26], found ${s.buffers}`);
  if (!(s.accesses >= 1 && s.accesses <= 1e12)) throw bad(`needs accesses in [1, 1e12], found ${s.accesses}`);
  if (!(s.theta >= 0 && s.theta <= 100)) throw bad(`needs theta in [0, 100], found ${s.theta}`);
  if (!(s.write >= 0 && s.write <= 1)) throw bad(`needs write in [0, 1], found ${s.write}`);
  if (!(s.gapNs >= 0 && s.gapNs <= 1e9)) throw bad(`needs gapNs in [0, 1e9], found ${s.gapNs}`);
  return s;
}

/** First 4 KiB page number of the shared buffers and of the data file (dense layout). */
export function dbLayout(s: DbSpec): { bufferBase: number; fileBase: number } {
  return { bufferBase: BASE_PAGE, fileBase: BASE_PAGE + s.buffers + FILE_GAP };
}

export class DbWorkload {
  readonly s: DbSpec;
  /** Block in each buffer (−1 empty), buffer of each block (−1 none), usage count and dirty bit per buffer. */
  readonly blockOfBuf: Int32Array;
  readonly bufOfBlock: Int32Array;
  private readonly usage: Uint8Array;
  private readonly dirty: Uint8Array;
  private hand = 0;
  /** Requests generated so far, and records still pending from the last request (a request is 1–5 records: dirty write-back read + write, read(), buffer fill, the access). */
  private done = 0;
  private readonly pendPage = new Float64Array(5);
  private readonly pendOp = new Uint8Array(5);
  private pendN = 0;
  private pendAt = 0;
  private readonly rng: () => number;
  private readonly prob: Float32Array;
  private readonly alias: Int32Array;
  private readonly perm: Int32Array;
  private readonly bufferBase: number;
  private readonly fileBase: number;
  /** Counters: buffer hits, misses, dirty write-backs. */
  hits = 0;
  misses = 0;
  writeBacks = 0;

  constructor(spec: string, seed: number, zipf: (n: number, theta: number) => { prob: Float32Array; alias: Int32Array }, permutation: (n: number, rng: () => number) => Int32Array) {
    this.s = parseDbWorkload(spec);
    const s = this.s;
    this.blockOfBuf = new Int32Array(s.buffers).fill(-1);
    this.bufOfBlock = new Int32Array(s.blocks).fill(-1);
    this.usage = new Uint8Array(s.buffers);
    this.dirty = new Uint8Array(s.buffers);
    this.rng = seedrandom.alea(`${seed}/workload/0/db`);
    const z = zipf(s.blocks, s.theta);
    this.prob = z.prob;
    this.alias = z.alias;
    this.perm = permutation(s.blocks, seedrandom.alea(`${seed}/workload/perm/db`));
    const l = dbLayout(s);
    this.bufferBase = l.bufferBase;
    this.fileBase = l.fileBase;
  }

  /** 4 KiB pages the workload may touch: all buffers and (at most) every block. */
  footprintPages(pageBytes: number): number {
    return Math.ceil((this.s.buffers * 4096) / pageBytes) + Math.ceil((this.s.blocks * 4096) / pageBytes);
  }

  /** Typed regions: the buffers are shmem, the file page cache (unless O_DIRECT, when it is never touched). */
  regions(): Array<{ vm: number; start: number; end: number; type: number }> {
    return [
      { vm: 0, start: this.bufferBase, end: this.bufferBase + this.s.buffers, type: 1 },
      { vm: 0, start: this.fileBase, end: this.fileBase + this.s.blocks, type: 3 },
    ];
  }

  /** 4 KiB page number of block b's page-cache page. */
  filePage(block: number): number {
    return this.fileBase + block;
  }

  private push(page: number, op: number): void {
    this.pendPage[this.pendN] = page;
    this.pendOp[this.pendN++] = op;
  }

  /** One block request: its 1–4 records into the pending queue. */
  private request(): void {
    const s = this.s;
    const u = this.rng() * s.blocks;
    const k = Math.floor(u);
    const rank = u - k < this.prob[k] ? k : this.alias[k];
    const block = this.perm[rank];
    const isWrite = this.rng() < s.write;
    this.pendN = 0;
    this.pendAt = 0;
    let buf = this.bufOfBlock[block];
    if (buf >= 0) {
      this.hits++;
      if (this.usage[buf] < BM_MAX_USAGE_COUNT) this.usage[buf]++;
    } else {
      this.misses++;
      // Clock sweep: decrement usage counts until a buffer at 0 (an empty one is taken at once).
      for (;;) {
        const b = this.hand;
        this.hand = this.hand + 1 === s.buffers ? 0 : this.hand + 1;
        if (this.blockOfBuf[b] < 0 || this.usage[b] === 0) {
          buf = b;
          break;
        }
        this.usage[b]--;
      }
      const old = this.blockOfBuf[buf];
      if (old >= 0) {
        if (this.dirty[buf]) {
          this.writeBacks++;
          // write() of the dirty block: the buffer is read, the page-cache page written (O_DIRECT: device only).
          this.push(this.bufferBase + buf, OP_READ);
          if (!s.direct) this.push(this.fileBase + old, OP_WRITE);
        }
        this.bufOfBlock[old] = -1;
      }
      // read() of the block: the page-cache page is read and copied into the buffer.
      if (!s.direct) this.push(this.fileBase + block, OP_READ);
      this.push(this.bufferBase + buf, OP_WRITE);
      this.blockOfBuf[buf] = block;
      this.bufOfBlock[block] = buf;
      this.usage[buf] = 1;
      this.dirty[buf] = 0;
    }
    // The request itself: the buffer is read, or written.
    this.push(this.bufferBase + buf, isWrite ? OP_WRITE : OP_READ);
    if (isWrite) this.dirty[buf] = 1;
  }

  read(cpu: number, b: AccessBatch): number {
    if (cpu !== 0) return 0;
    const gap = this.s.gapNs;
    let n = 0;
    while (n < b.capacity) {
      if (this.pendAt >= this.pendN) {
        if (this.done >= this.s.accesses) break;
        this.request();
        this.done++;
      }
      const p = this.pendPage[this.pendAt];
      b.addrHi[n] = Math.floor(p / 0x100000);
      b.addrLo[n] = ((p & 0xfffff) * 4096) >>> 0;
      b.op[n] = this.pendOp[this.pendAt++];
      b.cpu[n] = 0;
      b.vm[n] = 0;
      b.gapNs[n] = gap;
      b.content[n] = 0;
      n++;
    }
    b.count = n;
    return n;
  }
}
