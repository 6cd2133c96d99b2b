// Per-CPU reading of a plain (uncompressed) multi-CPU native trace by positioned reads.
//
// A native file stores each CPU's records in blocks of its own (traces/FORMAT.md), so nothing
// has to be demultiplexed: one pass over the 16-byte block headers (a seek from one to the next,
// no payload read) lists each CPU's blocks, and a CPU's read then fetches its next block's
// columns straight into the batch's typed arrays. Every byte is read once, whatever the thread
// count and whatever the layout; memory is 12 bytes per block (8192 records) plus 16 bytes per CPU.
// Compressed native files cannot seek: they go through the demultiplexer (traces/demux.ts).

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { AccessBatch } from './batch.ts';
import { BLOCK_HEADER_BYTES, HEADER_BYTES, checkHeader, checkSlice, columnOffsets, decodeBlockHeader, decodeHeader } from './native.ts';
import type { NativeHeader } from './native.ts';
import { TraceError } from './open.ts';

export class NativeBlocks {
  readonly header: NativeHeader;
  readonly badRecords = 0;
  private fd: number;
  /** Blocks sorted by CPU (file order within a CPU): byte offset and record count; CPU c's are [first[c], first[c + 1]). */
  private readonly blockAt: Float64Array;
  private readonly blockCount: Int32Array;
  private readonly first: Int32Array;
  /** Per CPU: its next block (index into the sorted lists), records of it already read, simulated time so far. */
  private readonly next: Int32Array;
  private readonly pos: Int32Array;
  private readonly spanNs: Float64Array;

  constructor(private readonly path: string) {
    this.fd = openSync(path, 'r');
    try {
      const size = fstatSync(this.fd).size;
      const h = Buffer.alloc(HEADER_BYTES);
      this.header = decodeHeader(h.subarray(0, readFully(this.fd, h, 0, HEADER_BYTES, 0)), path);
      checkHeader(this.header, path);
      // One pass over the block headers, in file order.
      let at: Float64Array = new Float64Array(1024);
      let count = new Int32Array(1024);
      let cpu = new Uint16Array(1024);
      let blocks = 0;
      let records = 0;
      const bh = Buffer.alloc(BLOCK_HEADER_BYTES);
      for (let off = HEADER_BYTES; off < size; ) {
        const got = readFully(this.fd, bh, 0, BLOCK_HEADER_BYTES, off);
        if (got < BLOCK_HEADER_BYTES) throw new TraceError(`${path}: byte ${off}: truncated block header (${got} of ${BLOCK_HEADER_BYTES} bytes); the file is cut short`);
        const b = decodeBlockHeader(bh, off, this.header, path);
        if (off + BLOCK_HEADER_BYTES + b.bytes > size) {
          throw new TraceError(`${path}: byte ${size}: truncated block (${size - off - BLOCK_HEADER_BYTES} of ${b.bytes} payload bytes); the file is cut short`);
        }
        if (blocks === at.length) {
          at = grow(at, new Float64Array(blocks * 2));
          count = grow(count, new Int32Array(blocks * 2));
          cpu = grow(cpu, new Uint16Array(blocks * 2));
        }
        at[blocks] = off;
        count[blocks] = b.count;
        cpu[blocks++] = b.cpu;
        records += b.count;
        off += BLOCK_HEADER_BYTES + b.bytes;
      }
      if (this.header.records >= 0 && records !== this.header.records) {
        throw new TraceError(`${path}: byte ${size}: expected ${this.header.records} records (the header's count), found ${records}; the file is cut short or corrupt`);
      }
      // Counting sort by CPU, stable: each CPU's blocks stay in file (program) order.
      const cpus = this.header.cpus;
      this.first = new Int32Array(cpus + 1);
      for (let i = 0; i < blocks; i++) this.first[cpu[i] + 1]++;
      for (let c = 0; c < cpus; c++) this.first[c + 1] += this.first[c];
      const fill = this.first.slice(0, cpus);
      this.blockAt = new Float64Array(blocks);
      this.blockCount = new Int32Array(blocks);
      for (let i = 0; i < blocks; i++) {
        const j = fill[cpu[i]]++;
        this.blockAt[j] = at[i];
        this.blockCount[j] = count[i];
      }
      this.next = this.first.slice(0, cpus);
      this.pos = new Int32Array(cpus);
      this.spanNs = new Float64Array(cpus);
    } catch (err) {
      closeSync(this.fd);
      throw err;
    }
  }

  /** Fill `b` with CPU cpu's next records (columns read straight from the file); 0 at its end. */
  read(cpu: number, b: AccessBatch): number {
    let n = 0;
    const fd = this.fd;
    while (n < b.capacity && this.next[cpu] < this.first[cpu + 1]) {
      const blk = this.next[cpu];
      const count = this.blockCount[blk];
      const from = this.pos[cpu];
      const k = Math.min(b.capacity - n, count - from);
      const payload = this.blockAt[blk] + BLOCK_HEADER_BYTES;
      const cols = columnOffsets(count, this.header.flags);
      readColumn(fd, b.addrLo, n, k, payload + cols.addrLo + 4 * from, this.path);
      readColumn(fd, b.addrHi, n, k, payload + cols.addrHi + 4 * from, this.path);
      if (cols.gap >= 0) readColumn(fd, b.gapNs, n, k, payload + cols.gap + 4 * from, this.path);
      else b.gapNs.fill(0, n, n + k);
      if (cols.content >= 0) readColumn(fd, b.content, n, k, payload + cols.content + 4 * from, this.path);
      else b.content.fill(0, n, n + k);
      if (cols.vm >= 0) readColumn(fd, b.vm, n, k, payload + cols.vm + 2 * from, this.path);
      else b.vm.fill(0, n, n + k);
      readColumn(fd, b.op, n, k, payload + cols.op + from, this.path);
      this.spanNs[cpu] = checkSlice(b, n, k, { path: this.path, header: this.header, blockAt: this.blockAt[blk], count, from, cpu, spanNs: this.spanNs[cpu] });
      n += k;
      if (from + k === count) {
        this.next[cpu] = blk + 1;
        this.pos[cpu] = 0;
      } else {
        this.pos[cpu] = from + k;
      }
    }
    b.cpu.fill(cpu, 0, n);
    b.count = n;
    return n;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

function grow<T extends Float64Array | Int32Array | Uint16Array>(a: T, b: T): T {
  b.set(a as never);
  return b;
}

function readFully(fd: number, buf: Uint8Array, at: number, bytes: number, position: number): number {
  let got = 0;
  while (got < bytes) {
    const k = readSync(fd, buf, at + got, bytes - got, position + got);
    if (k === 0) break;
    got += k;
  }
  return got;
}

/** Read k elements of a column at byte `position` into arr[at …] (the file was checked to hold them). */
function readColumn(fd: number, arr: Uint32Array | Float32Array | Uint16Array | Uint8Array, at: number, k: number, position: number, path: string): void {
  const bytes = k * arr.BYTES_PER_ELEMENT;
  const view = new Uint8Array(arr.buffer, arr.byteOffset + at * arr.BYTES_PER_ELEMENT, bytes);
  if (readFully(fd, view, 0, bytes, position) < bytes) throw new TraceError(`${path}: byte ${position}: the file ended early; was it changed during the run?`);
}
