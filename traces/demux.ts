// One reader for all CPUs of a multi-threaded trace. The engine asks for each CPU's records
// separately (`read(cpu, batch)`, in that CPU's program order); opening one reader per CPU, each
// skipping the others' records, re-reads and re-decompresses the whole file once per CPU (64
// threads: 8× the work; 3000 threads: 242 s and 1 GB). Here the trace is read and decompressed
// once and its records are dealt out to per-CPU queues.
//
// Memory is bounded whatever the thread count and whatever the file's layout:
// - Queued records live in chunks of `chunkRecords` records taken from a pool of at most
//   `memoryRecords` records (19 bytes each: address 8, gap 4, content 4, vm 2, op 1). A CPU's
//   queue is a linked list of chunks (index links in typed arrays: no object per chunk).
// - A read for CPU c hands out `target` records, target = min(batch size, memoryRecords /
//   (2·CPUs)), and pulls input only until c has that many queued: in a trace whose threads
//   interleave (perf, drmemtrace, CSV, native files from `convert` or `gen`), every CPU then holds
//   about `target` records and nothing more is ever buffered.
// - When c's records lie far ahead in the file (a layout with one thread after the other), the
//   records in between must wait somewhere: when the pool is full, the chunk allocated last
//   goes to an unlinked temporary file (the chunks allocated first are the ones the engine needs
//   first), and is read back when its CPU gets to it. Disk use is at most the trace's records ×
//   19 bytes; the file is unlinked at once, so nothing is left behind, even after a crash.
// Per CPU the bookkeeping is 20 bytes (queue head, tail, position, count).
//
// Records reach each CPU exactly as a reader opened for that CPU alone would give them: the same
// records in the same order (tested against per-CPU readers, with and without spilling).

import { closeSync, mkdtempSync, openSync, readSync, rmdirSync, rmSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccessBatch, RecordColumns } from './batch.ts';
import { RECORD_COLUMNS, allocRecords, copyRecords, createBatch } from './batch.ts';
import type { TraceReader } from './reader.ts';
import { TraceError } from './open.ts';

/** Records held in memory by default, over all CPUs (2 Mi records ≈ 38 MiB). */
export const DEMUX_MEMORY_RECORDS = 1 << 21;
/** Bytes of one record in memory and on disk. */
const RECORD_BYTES = 19;
/** Runs of one CPU at least this long are copied with TypedArray.set (memcpy) instead of a loop. */
const COPY_RUN = 16;

export interface DemuxOptions {
  /** Records held in memory at most, over all CPUs; beyond that chunks spill to a temporary file. */
  memoryRecords?: number;
  /** Directory for the spill file (default: the OS temporary directory). */
  spillDir?: string;
}

export class Demux {
  /** Records per chunk and chunks in the pool. */
  readonly chunkRecords: number;
  readonly slots: number;
  /** Records a read pulls input for, per CPU (see the file comment). */
  readonly target: number;
  /** Chunks written to the spill file and read back from it (for tests and benchmarks). */
  spilled = 0;
  loaded = 0;
  private readonly cpus: number;
  private readonly input: AccessBatch = createBatch();
  private eof = false;
  private pulling: Promise<void> | null = null;

  // The pool: `slots` chunks of chunkRecords records, column by column; grown by doubling.
  private poolSlots = 0;
  private pool: RecordColumns = allocRecords(0);
  private readonly freeSlots: number[] = [];
  /** Chunk in each slot, and the slots in allocation order (doubly linked; `slots` = list head). */
  private slotChunk = new Int32Array(0);
  private slotPrev = new Int32Array(0);
  private slotNext = new Int32Array(0);

  // Chunks: next in the CPU's queue (or in the free list), records, slot (-1 = on disk only), disk offset (-1 = none).
  private chunkNext = new Int32Array(64);
  private chunkCount = new Int32Array(64);
  private chunkSlot = new Int32Array(64);
  private chunkDisk = new Float64Array(64);
  private freeChunk = -1;
  private chunksUsed = 0;

  // Per CPU: queue head and tail chunk, records of the head already handed out, records queued.
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  private readonly headPos: Int32Array;
  private readonly queued: Float64Array;

  // The spill file: append offset, chunks with a disk copy (at 0 the file is emptied), staging buffer.
  private fd = -1;
  private spillEnd = 0;
  private diskChunks = 0;
  private stage: Buffer;

  constructor(
    private readonly reader: TraceReader,
    cpus: number,
    private readonly path: string,
    opts: DemuxOptions = {},
  ) {
    const memory = Math.max(1024, opts.memoryRecords ?? DEMUX_MEMORY_RECORDS);
    this.cpus = cpus;
    // Chunks small enough that the pool holds ~4 per CPU (each CPU has an open tail chunk), at most one batch.
    let chunk = 8192;
    while (chunk > 64 && chunk * 4 * cpus > memory) chunk >>= 1;
    this.chunkRecords = chunk;
    this.slots = Math.max(8, Math.floor(memory / chunk));
    this.target = Math.max(1, Math.min(this.input.capacity, Math.floor(memory / (2 * cpus))));
    this.spillDir = opts.spillDir ?? tmpdir();
    this.head = new Int32Array(cpus).fill(-1);
    this.tail = new Int32Array(cpus).fill(-1);
    this.headPos = new Int32Array(cpus);
    this.queued = new Float64Array(cpus);
    this.stage = Buffer.alloc(chunk * RECORD_BYTES + 16);
    this.growChunks(64);
  }
  private readonly spillDir: string;

  /** Fill `out` with CPU cpu's next records; 0 once its stream has ended. */
  async read(cpu: number, out: AccessBatch): Promise<number> {
    // Exactly `want` records per read (fewer only at the end of the CPU's stream), however much is
    // queued: batch boundaries then do not depend on the order in which CPUs are read (the engine's
    // turns depend a little on where batches end, and a sweep replays a capture made in CPU order).
    const want = Math.min(out.capacity, this.target);
    while (this.queued[cpu] < want && !this.eof) {
      // Reads may interleave (each awaits): they share one pull at a time.
      this.pulling ??= this.pull().finally(() => (this.pulling = null));
      await this.pulling;
    }
    let n = 0;
    const K = this.chunkRecords;
    while (n < want) {
      const h = this.head[cpu];
      if (h < 0) break;
      if (this.chunkSlot[h] < 0) this.load(h);
      const from = this.chunkSlot[h] * K + this.headPos[cpu];
      const k = Math.min(want - n, this.chunkCount[h] - this.headPos[cpu]);
      copyRecords(this.pool, from, out, n, k);
      n += k;
      this.queued[cpu] -= k;
      this.headPos[cpu] += k;
      if (this.headPos[cpu] === this.chunkCount[h]) {
        this.headPos[cpu] = 0;
        if (h === this.tail[cpu]) {
          this.head[cpu] = this.tail[cpu] = -1;
        } else {
          this.head[cpu] = this.chunkNext[h];
        }
        this.release(h);
      }
    }
    out.cpu.fill(cpu, 0, n);
    out.count = n;
    return n;
  }

  /** Read one input batch and deal its records to the CPUs' queues. */
  private async pull(): Promise<void> {
    const inb = this.input;
    const r = this.reader.fill(inb);
    const n = typeof r === 'number' ? r : await r;
    if (n === 0) {
      this.eof = true;
      return;
    }
    const cpuCol = inb.cpu;
    const cpus = this.cpus;
    let i = 0;
    while (i < n) {
      const c = cpuCol[i];
      if (c >= cpus) throw new TraceError(`${this.path}: a record of CPU ${c}, but the trace's index counted ${cpus} CPUs; was the file changed during the run?`);
      let j = i + 1;
      while (j < n && cpuCol[j] === c) j++;
      this.append(c, i, j);
      i = j;
    }
  }

  /** Append input records [i, j), all of CPU c, to c's queue. */
  private append(c: number, i: number, j: number): void {
    const K = this.chunkRecords;
    const inb = this.input;
    while (i < j) {
      let t = this.tail[c];
      // A tail takes more records while it is in memory, has room, and has no disk copy (which would go stale).
      if (t < 0 || this.chunkSlot[t] < 0 || this.chunkDisk[t] >= 0 || this.chunkCount[t] === K) t = this.newTail(c);
      const at = this.chunkSlot[t] * K + this.chunkCount[t];
      const k = Math.min(j - i, K - this.chunkCount[t]);
      const pool = this.pool;
      if (k >= COPY_RUN) {
        copyRecords(inb, i, pool, at, k);
      } else {
        for (let x = 0; x < k; x++) {
          pool.addrHi[at + x] = inb.addrHi[i + x];
          pool.addrLo[at + x] = inb.addrLo[i + x];
          pool.op[at + x] = inb.op[i + x];
          pool.vm[at + x] = inb.vm[i + x];
          pool.gapNs[at + x] = inb.gapNs[i + x];
          pool.content[at + x] = inb.content[i + x];
        }
      }
      this.chunkCount[t] += k;
      this.queued[c] += k;
      i += k;
    }
  }

  /** A new, empty tail chunk for CPU c, in memory. */
  private newTail(c: number): number {
    const t = this.newChunk();
    this.chunkSlot[t] = this.takeSlot(t);
    const old = this.tail[c];
    if (old < 0) {
      this.head[c] = t;
      this.headPos[c] = 0;
    } else {
      this.chunkNext[old] = t;
    }
    this.tail[c] = t;
    return t;
  }

  private newChunk(): number {
    let t = this.freeChunk;
    if (t >= 0) {
      this.freeChunk = this.chunkNext[t];
    } else {
      if (this.chunksUsed === this.chunkNext.length) this.growChunks(this.chunkNext.length * 2);
      t = this.chunksUsed++;
    }
    this.chunkNext[t] = -1;
    this.chunkCount[t] = 0;
    this.chunkSlot[t] = -1;
    this.chunkDisk[t] = -1;
    return t;
  }

  /** A chunk fully handed out: free its slot, its disk copy and its id. */
  private release(h: number): void {
    const slot = this.chunkSlot[h];
    if (slot >= 0) this.freeSlot(slot);
    if (this.chunkDisk[h] >= 0 && --this.diskChunks === 0) {
      // Nothing left on disk: start the spill file over, so it never outgrows what is queued.
      this.spillEnd = 0;
      ftruncateSync(this.fd, 0);
    }
    this.chunkNext[h] = this.freeChunk;
    this.freeChunk = h;
  }

  /**
   * A free slot for chunk t. When the pool is full, the chunk allocated last goes to disk: the
   * chunks allocated first are at the heads of their queues, the next ones the engine needs.
   */
  private takeSlot(t: number): number {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      if (this.poolSlots < this.slots) {
        this.growPool(Math.min(this.slots, Math.max(16, this.poolSlots * 2)));
        slot = this.freeSlots.pop()!;
      } else {
        slot = this.slotPrev[this.slots]; // the list's last = allocated last
        this.evict(this.slotChunk[slot]);
        this.freeSlots.pop();
      }
    }
    this.slotChunk[slot] = t;
    // Append to the allocation-order list.
    const last = this.slotPrev[this.slots];
    this.slotPrev[slot] = last;
    this.slotNext[slot] = this.slots;
    this.slotNext[last] = slot;
    this.slotPrev[this.slots] = slot;
    return slot;
  }

  private freeSlot(slot: number): void {
    const p = this.slotPrev[slot];
    const q = this.slotNext[slot];
    this.slotNext[p] = q;
    this.slotPrev[q] = p;
    this.slotChunk[slot] = -1;
    this.freeSlots.push(slot);
  }

  /** Chunk t leaves memory: written to the spill file unless a copy is there already. */
  private evict(t: number): void {
    const slot = this.chunkSlot[t];
    if (this.chunkDisk[t] < 0) {
      const n = this.chunkCount[t];
      const from = slot * this.chunkRecords;
      const s = this.stage;
      let off = 0;
      for (const col of RECORD_COLUMNS) off += copyOut(s, off, this.pool[col], from, n);
      if (this.fd < 0) this.openSpill();
      writeAll(this.fd, s, off, this.spillEnd);
      this.chunkDisk[t] = this.spillEnd;
      this.spillEnd += off;
      this.diskChunks++;
      this.spilled++;
    }
    // A CPU whose tail goes to disk starts a new chunk for its next record (see append).
    this.chunkSlot[t] = -1;
    this.freeSlot(slot);
  }

  /** Bring chunk h back from the spill file into a slot. */
  private load(h: number): void {
    const slot = this.takeSlot(h);
    const n = this.chunkCount[h];
    const bytes = n * RECORD_BYTES;
    const s = this.stage;
    let got = 0;
    while (got < bytes) {
      const k = readSync(this.fd, s, got, bytes - got, this.chunkDisk[h] + got);
      if (k === 0) throw new TraceError(`${this.path}: the demultiplexer's spill file was cut short (disk full?)`);
      got += k;
    }
    const at = slot * this.chunkRecords;
    let off = 0;
    for (const col of RECORD_COLUMNS) off += copyIn(s, off, this.pool[col], at, n);
    this.chunkSlot[h] = slot;
    this.loaded++;
  }

  private openSpill(): void {
    // Unlinked as soon as it is open: the space is the process's until it exits, and no file is left behind.
    const dir = mkdtempSync(join(this.spillDir, 'tiersim-demux-'));
    const file = join(dir, 'spill');
    this.fd = openSync(file, 'w+');
    rmSync(file, { force: true });
    rmdirSync(dir);
  }

  private growPool(slots: number): void {
    const pool = allocRecords(slots * this.chunkRecords);
    copyRecords(this.pool, 0, pool, 0, this.poolSlots * this.chunkRecords);
    this.pool = pool;
    const chunk = new Int32Array(slots).fill(-1);
    chunk.set(this.slotChunk);
    this.slotChunk = chunk;
    // slotPrev/slotNext have one more entry: the list head at index `this.slots` (fixed).
    if (this.slotPrev.length === 0) {
      this.slotPrev = new Int32Array(this.slots + 1);
      this.slotNext = new Int32Array(this.slots + 1);
      this.slotPrev[this.slots] = this.slotNext[this.slots] = this.slots;
    }
    for (let s = slots - 1; s >= this.poolSlots; s--) this.freeSlots.push(s);
    this.poolSlots = slots;
  }

  private growChunks(n: number): void {
    const grow = <T extends Int32Array | Float64Array>(a: T, b: T): T => {
      b.set(a as never);
      return b;
    };
    this.chunkNext = grow(this.chunkNext, new Int32Array(n));
    this.chunkCount = grow(this.chunkCount, new Int32Array(n));
    this.chunkSlot = grow(this.chunkSlot, new Int32Array(n));
    this.chunkDisk = grow(this.chunkDisk, new Float64Array(n));
  }

  /** Malformed records the reader skipped (with skipBad). */
  get badRecords(): number {
    return this.reader.badRecords;
  }

  close(): void {
    this.reader.close();
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/** Copy n elements of column `a` from index `from` into buffer s at byte `off`; returns bytes written. */
function copyOut(s: Buffer, off: number, a: Uint32Array | Float32Array | Uint16Array | Uint8Array, from: number, n: number): number {
  const bytes = n * a.BYTES_PER_ELEMENT;
  s.set(new Uint8Array(a.buffer, a.byteOffset + from * a.BYTES_PER_ELEMENT, bytes), off);
  return bytes;
}

/** The reverse of copyOut. */
function copyIn(s: Buffer, off: number, a: Uint32Array | Float32Array | Uint16Array | Uint8Array, at: number, n: number): number {
  const bytes = n * a.BYTES_PER_ELEMENT;
  new Uint8Array(a.buffer, a.byteOffset + at * a.BYTES_PER_ELEMENT, bytes).set(s.subarray(off, off + bytes));
  return bytes;
}

function writeAll(fd: number, b: Buffer, bytes: number, position: number): void {
  let done = 0;
  while (done < bytes) done += writeSync(fd, b, done, bytes - done, position + done);
}
