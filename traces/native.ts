// Reader and writer of tiersim's native binary trace format, documented in traces/FORMAT.md
// ("Native binary format"). In short: a 64-byte little-endian header, then blocks of at most
// 8192 records of one CPU each, stored column by column (addrLo, addrHi, gapNs, content, vm, op)
// so that a block is copied straight into AccessBatch typed arrays with TypedArray.set (memcpy);
// no per-record work at all on the read path. Optionally gzip/zstd/xz compressed as a whole.

import { openSync, readSync, writeSync, closeSync, createWriteStream, renameSync, rmSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { spawn } from 'node:child_process';
import { createGzip } from 'node:zlib';
import type { Writable } from 'node:stream';
import type { AccessBatch } from './batch.ts';
import { DEFAULT_BATCH_RECORDS } from './batch.ts';
import { ByteStream, TraceError, detectCompression, readRawHead } from './open.ts';
import type { ReaderOptions, TraceFormat, TraceReader } from './reader.ts';
import { PageSet } from './page-set.ts';
import { GAP_EXPECTED, MAX_GAP_NS, MAX_SPAN_NS, SPAN_EXPECTED, gapInRange, showNs } from './limits.ts';

/** Bit pattern of the largest float32 gap in range (see checkSlice). */
const MAX_GAP_BITS = new Uint32Array(Float32Array.of(MAX_GAP_NS).buffer)[0] - (Math.fround(MAX_GAP_NS) > MAX_GAP_NS ? 1 : 0);

export const NATIVE_MAGIC = Buffer.from('TSIMTRC\0', 'latin1');
export const NATIVE_VERSION = 1;
export const HEADER_BYTES = 64;
export const BLOCK_HEADER_BYTES = 16;
/** Block check word: count XOR this, so a block header read at a wrong offset is caught. */
const BLOCK_CHECK = 0x4b4c4254; // "TBLK"
export const MAX_BLOCK_RECORDS = DEFAULT_BATCH_RECORDS;

/** Header flags: which optional columns the blocks hold, and what the source was. */
export const FLAG_VM = 1;
export const FLAG_GAP = 2;
export const FLAG_CONTENT = 4;
/** Converted from an instruction-level trace: the LLC filter is on by default. */
export const FLAG_INSTRUCTION_LEVEL = 1 << 16;

export interface NativeHeader {
  version: number;
  flags: number;
  pageSizeHint: number;
  cpus: number;
  vms: number;
  /** -1 when unknown (e.g. written through a compressor). */
  records: number;
  footprint4k: number;
  footprint2m: number;
}

export function encodeHeader(h: NativeHeader): Buffer {
  const b = Buffer.alloc(HEADER_BYTES);
  NATIVE_MAGIC.copy(b, 0);
  b.writeUInt16LE(h.version, 8);
  b.writeUInt16LE(HEADER_BYTES, 10);
  b.writeUInt32LE(h.flags >>> 0, 12);
  b.writeUInt32LE(h.pageSizeHint, 16);
  b.writeUInt16LE(h.cpus, 20);
  b.writeUInt16LE(h.vms, 22);
  b.writeDoubleLE(h.records, 24);
  b.writeDoubleLE(h.footprint4k, 32);
  b.writeDoubleLE(h.footprint2m, 40);
  return b;
}

export function decodeHeader(b: Buffer, path: string): NativeHeader {
  if (b.length < HEADER_BYTES || !b.subarray(0, 8).equals(NATIVE_MAGIC)) {
    const looks = b.length === 0 ? 'an empty file' : /^[\x09\x0a\x0d\x20-\x7e]*$/.test(b.toString('latin1', 0, 64)) ? `text ("${b.toString('latin1', 0, 24).replace(/\n/g, '\\n')}…")` : `binary data starting ${b.subarray(0, 8).toString('hex')}`;
    throw new TraceError(`${path}: byte 0: expected the native trace magic "TSIMTRC\\0" and a ${HEADER_BYTES}-byte header, found ${looks}`);
  }
  const version = b.readUInt16LE(8);
  if (version !== NATIVE_VERSION) throw new TraceError(`${path}: byte 8: native trace version ${version}, this tiersim reads version ${NATIVE_VERSION}; convert the file again with this version`);
  const hb = b.readUInt16LE(10);
  if (hb !== HEADER_BYTES) throw new TraceError(`${path}: byte 10: expected header size ${HEADER_BYTES}, found ${hb}; the header is corrupt`);
  return {
    version,
    flags: b.readUInt32LE(12),
    pageSizeHint: b.readUInt32LE(16),
    cpus: b.readUInt16LE(20),
    vms: b.readUInt16LE(22),
    records: b.readDoubleLE(24),
    footprint4k: b.readDoubleLE(32),
    footprint2m: b.readDoubleLE(40),
  };
}

/**
 * Every header field in its range (traces/FORMAT.md "Ranges"): a header is written once, by tiersim,
 * so anything else is corruption, reported at the field's byte offset.
 */
export function checkHeader(h: NativeHeader, path: string): void {
  const fail = (byte: number, expected: string, found: number | string): never => {
    throw new TraceError(`${path}: byte ${byte}: expected ${expected}, found ${found}; the header is corrupt`);
  };
  if (h.flags & ~(FLAG_VM | FLAG_GAP | FLAG_CONTENT | FLAG_INSTRUCTION_LEVEL)) {
    throw new TraceError(`${path}: byte 12: unknown header flags 0x${h.flags.toString(16)}; written by a newer tiersim?`);
  }
  if (h.pageSizeHint !== 4096) fail(16, 'a page-size hint of 4096', h.pageSizeHint);
  if (h.cpus === 0) fail(20, 'a CPU count of 1–65535', 0);
  if (h.vms === 0) fail(22, 'a VM count of 1–65535', 0);
  // Counts are exact integers, or all three -1 (unknown: a compressed file).
  const unknown = h.records === -1;
  const count = (x: number, max: number) => (unknown ? x === -1 : Number.isInteger(x) && x >= 0 && x <= max);
  if (!(unknown || count(h.records, 2 ** 53))) fail(24, 'a record count of 0–2^53, or -1 (unknown)', h.records);
  if (!count(h.footprint4k, h.records)) fail(32, unknown ? '-1 (unknown, as the record count)' : `a 4 KiB page count of 0–${h.records} (the record count)`, h.footprint4k);
  if (!count(h.footprint2m, h.footprint4k)) fail(40, unknown ? '-1 (unknown, as the record count)' : `a 2 MiB page count of 0–${h.footprint4k} (the 4 KiB page count)`, h.footprint2m);
  if (!unknown && (h.records > 0) !== (h.footprint4k > 0)) fail(32, `a 4 KiB page count ≥ 1 for ${h.records} records`, h.footprint4k);
}

/** Payload bytes of a block of n records with the given flags (each column padded to 4 bytes). */
export function payloadBytes(n: number, flags: number): number {
  let bytes = 8 * n; // addrLo, addrHi
  if (flags & FLAG_GAP) bytes += 4 * n;
  if (flags & FLAG_CONTENT) bytes += 4 * n;
  if (flags & FLAG_VM) bytes += pad4(2 * n);
  bytes += pad4(n); // op
  return bytes;
}

const pad4 = (x: number) => (x + 3) & ~3;

/** A block header read at byte `at`, checked against the file header (errors name the byte offset). */
export function decodeBlockHeader(hdr: Buffer, at: number, header: NativeHeader, path: string): { count: number; cpu: number; bytes: number } {
  const count = hdr.readUInt32LE(0);
  const cpu = hdr.readUInt16LE(4);
  const bytes = hdr.readUInt32LE(8);
  const check = hdr.readUInt32LE(12);
  if ((check ^ count) >>> 0 !== BLOCK_CHECK || count === 0 || count > MAX_BLOCK_RECORDS || bytes !== payloadBytes(count, header.flags)) {
    throw new TraceError(`${path}: byte ${at}: expected a block header (1–${MAX_BLOCK_RECORDS} records, check word), found count ${count}, ${bytes} payload bytes, check 0x${check.toString(16)}; the file is corrupt`);
  }
  if (cpu >= header.cpus) throw new TraceError(`${path}: byte ${at + 4}: block of CPU ${cpu}, but the header declares ${header.cpus} CPUs; the file is corrupt`);
  return { count, cpu, bytes };
}

/** Byte offsets, within a block's payload, of its columns (-1 = absent); `end` = payload bytes. */
export function columnOffsets(count: number, flags: number): { addrLo: number; addrHi: number; gap: number; content: number; vm: number; op: number } {
  let off = 8 * count; // addrLo, then addrHi at 4·count
  const gap = flags & FLAG_GAP ? off : -1;
  if (gap >= 0) off += 4 * count;
  const content = flags & FLAG_CONTENT ? off : -1;
  if (content >= 0) off += 4 * count;
  const vm = flags & FLAG_VM ? off : -1;
  if (vm >= 0) off += pad4(2 * count);
  return { addrLo: 0, addrHi: 4 * count, gap, content, vm, op: off };
}

export interface SliceSource {
  path: string;
  header: NativeHeader;
  /** Byte offset of the block (its 16-byte header), its record count, and the slice's first record in it. */
  blockAt: number;
  count: number;
  from: number;
  cpu: number;
  /** The CPU's simulated time (sum of gaps) before this slice. */
  spanNs: number;
}

/**
 * Check records [at, at + k) of a batch just copied from a native block: ops 0/1 and vms within the
 * header's count (corruption the check word did not catch), gaps in range and the CPU's total
 * within MAX_SPAN_NS (traces/FORMAT.md "Ranges"). Returns the CPU's new total; errors name the
 * byte offset of the bad value.
 * Speed tricks: four ops per step through a 32-bit view; a float32 in [0, MAX] has its bit
 * pattern in [0, bits(MAX)] (negatives, infinities and NaN have larger ones), so one integer max
 * over the gaps finds any bad value, and only then are they searched.
 */
export function checkSlice(b: AccessBatch, at: number, k: number, src: SliceSource): number {
  const cols = columnOffsets(src.count, src.header.flags);
  const byteOf = (col: number, size: number, i: number) => src.blockAt + BLOCK_HEADER_BYTES + col + size * (src.from + i - at);
  const ops = b.op;
  let i = at;
  if ((at & 3) === 0 && ops.byteOffset === 0) {
    const w = new Uint32Array(ops.buffer, at, k >>> 2);
    let bad = 0;
    for (let j = 0; j < w.length; j++) bad |= w[j];
    if ((bad & 0xfefefefe) === 0) i = at + w.length * 4;
  }
  for (; i < at + k; i++) {
    if (ops[i] > 1) throw new TraceError(`${src.path}: byte ${byteOf(cols.op, 1, i)}: expected op 0 (read) or 1 (write), found ${ops[i]}; the file is corrupt`);
  }
  if (cols.vm >= 0) {
    const vms = src.header.vms;
    for (let j = at; j < at + k; j++) {
      if (b.vm[j] >= vms) throw new TraceError(`${src.path}: byte ${byteOf(cols.vm, 2, j)}: expected a vm below the header's count ${vms}, found ${b.vm[j]}; the file is corrupt`);
    }
  }
  if (cols.gap < 0) return src.spanNs;
  const gaps = b.gapNs;
  const bits = new Uint32Array(gaps.buffer, gaps.byteOffset + 4 * at, k);
  let worst = 0;
  let sum = 0;
  for (let j = 0; j < k; j++) {
    const u = bits[j];
    if (u > worst) worst = u;
    sum += gaps[at + j];
  }
  if (worst > MAX_GAP_BITS) {
    for (let j = at; j < at + k; j++) {
      if (!gapInRange(gaps[j])) throw new TraceError(`${src.path}: byte ${byteOf(cols.gap, 4, j)}: expected ${GAP_EXPECTED}, found ${showNs(gaps[j])}; the file is corrupt`);
    }
  }
  const span = src.spanNs + sum;
  if (span > MAX_SPAN_NS) throw new TraceError(`${src.path}: byte ${src.blockAt}: expected ${SPAN_EXPECTED}, found CPU ${src.cpu} reaching ${showNs(span)} in this block`);
  return span;
}

/**
 * Sequential reader. Blocks are assembled in an aligned staging buffer from the decompressed
 * chunks (one memcpy), then copied column by column into the batch (a second memcpy).
 */
export class NativeReader implements TraceReader {
  badRecords = 0;
  header!: NativeHeader;
  private readonly stream: ByteStream | null = null;
  private chunk: Buffer | null = null;
  private chunkPos = 0;
  private stage = new ArrayBuffer(payloadBytes(MAX_BLOCK_RECORDS, FLAG_GAP | FLAG_CONTENT | FLAG_VM));
  private stageBytes = new Uint8Array(this.stage);
  /** Byte offset (decompressed) of the next unread byte, for error messages. */
  private offset = 0;
  // The block being handed out: its record count, CPU and how many records are already out.
  private blockCount = 0;
  private blockCpu = 0;
  private blockDone = 0;
  private blockOffset = 0;
  private readonly hdr = Buffer.alloc(BLOCK_HEADER_BYTES);

  /** Plain (uncompressed) file: read blocks with positioned reads straight into the staging buffer. */
  private fd = -1;
  /** Records in the blocks read so far (all CPUs), checked against the header at the end. */
  private recordsSeen = 0;
  /** Per CPU: simulated time its gaps add up to (checked against MAX_SPAN_NS). */
  private spanNs = new Float64Array(16);

  constructor(private readonly opts: ReaderOptions) {
    if (detectCompression(readRawHead(opts.path, 8)) === 'none') {
      // Speed trick: positioned reads instead of a stream (one memcpy and an async step per chunk fewer).
      this.fd = openSync(opts.path, 'r');
    } else {
      this.stream = new ByteStream(opts.path);
    }
  }

  /** Copy exactly n bytes into dst; returns bytes copied (< n only at the end of the stream). */
  private async take(dst: Uint8Array, n: number): Promise<number> {
    let got = 0;
    if (this.fd >= 0) {
      while (got < n) {
        const k = readSync(this.fd, dst, got, n - got, this.offset + got);
        if (k === 0) break;
        got += k;
      }
      this.offset += got;
      return got;
    }
    while (got < n) {
      if (this.chunk === null || this.chunkPos >= this.chunk.length) {
        this.chunk = await this.stream!.next();
        this.chunkPos = 0;
        if (this.chunk === null) break;
      }
      const k = Math.min(n - got, this.chunk.length - this.chunkPos);
      dst.set(this.chunk.subarray(this.chunkPos, this.chunkPos + k), got);
      this.chunkPos += k;
      got += k;
    }
    this.offset += got;
    return got;
  }

  async readHeader(): Promise<NativeHeader> {
    const b = Buffer.alloc(HEADER_BYTES);
    const got = await this.take(b, HEADER_BYTES);
    this.header = decodeHeader(b.subarray(0, got), this.opts.path);
    checkHeader(this.header, this.opts.path);
    return this.header;
  }

  /** Read the next block (of any CPU) into the staging buffer; false at a clean end. */
  private async nextBlock(): Promise<boolean> {
    const at = this.offset;
    const got = await this.take(this.hdr, BLOCK_HEADER_BYTES);
    if (got === 0) return false;
    const path = this.opts.path;
    if (got < BLOCK_HEADER_BYTES) throw new TraceError(`${path}: byte ${at}: truncated block header (${got} of ${BLOCK_HEADER_BYTES} bytes); the file is cut short`);
    const { count, cpu, bytes } = decodeBlockHeader(this.hdr, at, this.header, path);
    const have = await this.take(this.stageBytes, bytes);
    if (have < bytes) throw new TraceError(`${path}: byte ${at + BLOCK_HEADER_BYTES + have}: truncated block (${have} of ${bytes} payload bytes); the file is cut short`);
    this.blockCount = count;
    this.blockCpu = cpu;
    this.blockDone = 0;
    this.blockOffset = at;
    this.recordsSeen += count;
    return true;
  }

  /** A plain file cut at a block boundary reads cleanly: only its header's record count tells. */
  private checkRecordCount(): void {
    const declared = this.header.records;
    if (declared >= 0 && this.recordsSeen !== declared) {
      throw new TraceError(`${this.opts.path}: byte ${this.offset}: expected ${declared} records (the header's count), found ${this.recordsSeen}; the file is cut short or corrupt`);
    }
  }

  async fill(batch: AccessBatch): Promise<number> {
    if (!this.header) await this.readHeader();
    const want = this.opts.cpu;
    let n = 0;
    while (n < batch.capacity) {
      if (this.blockDone >= this.blockCount) {
        if (!(await this.nextBlock())) {
          this.checkRecordCount();
          break;
        }
        if (want >= 0 && this.blockCpu !== want) {
          this.blockDone = this.blockCount; // another CPU's block
          continue;
        }
      }
      const k = Math.min(batch.capacity - n, this.blockCount - this.blockDone);
      this.copyOut(batch, n, this.blockDone, k);
      this.blockDone += k;
      n += k;
      // A batch holds records of one CPU only when asked for one; with cpu = -1 records keep their cpu column.
    }
    batch.count = n;
    return n;
  }

  private copyOut(b: AccessBatch, at: number, from: number, k: number): void {
    const count = this.blockCount;
    const cols = columnOffsets(count, this.header.flags);
    const st = this.stage;
    b.addrLo.set(new Uint32Array(st, cols.addrLo + 4 * from, k), at);
    b.addrHi.set(new Uint32Array(st, cols.addrHi + 4 * from, k), at);
    if (cols.gap >= 0) b.gapNs.set(new Float32Array(st, cols.gap + 4 * from, k), at);
    else b.gapNs.fill(0, at, at + k);
    if (cols.content >= 0) b.content.set(new Uint32Array(st, cols.content + 4 * from, k), at);
    else b.content.fill(0, at, at + k);
    if (cols.vm >= 0) b.vm.set(new Uint16Array(st, cols.vm + 2 * from, k), at);
    else b.vm.fill(0, at, at + k);
    b.op.set(new Uint8Array(st, cols.op + from, k), at);
    b.cpu.fill(this.blockCpu, at, at + k);
    const cpu = this.blockCpu;
    if (cpu >= this.spanNs.length) {
      const grown = new Float64Array(Math.max(cpu + 1, this.spanNs.length * 2));
      grown.set(this.spanNs);
      this.spanNs = grown;
    }
    this.spanNs[cpu] = checkSlice(b, at, k, { path: this.opts.path, header: this.header, blockAt: this.blockOffset, count, from, cpu, spanNs: this.spanNs[cpu] });
  }

  close(): void {
    this.stream?.close();
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

export const nativeFormat: TraceFormat = {
  name: 'native',
  summary: 'tiersim native binary trace (traces/FORMAT.md), written by `npm run trace -- convert|gen`',
  instructionLevel: false, // decided per file by FLAG_INSTRUCTION_LEVEL
  detect: (head) => head.length >= 8 && head.subarray(0, 8).equals(NATIVE_MAGIC),
  async open(opts) {
    const r = new NativeReader(opts);
    await r.readHeader();
    return r;
  },
};

/**
 * Writer: buffers records per CPU into blocks of MAX_BLOCK_RECORDS and writes them as they fill.
 * Output by extension: .zst → `zstd -c`, .xz → `xz -c`, .gz → zlib gzip, else plain; a plain file
 * gets its record count and footprint patched into the header at the end.
 */
export class NativeWriter {
  records = 0;
  private readonly bufs: AccessBatch[] = [];
  private readonly out: Writable;
  private readonly fileStream?: WriteStream;
  private readonly child?: ReturnType<typeof spawn>;
  private readonly pages4k = new PageSet(1 << 12);
  private readonly pages2m = new PageSet(1 << 8);
  private failed: Error | null = null;
  /** Distinct 4 KiB / 2 MiB pages written so far. */
  get footprint4k(): number {
    return this.pages4k.size;
  }
  get footprint2m(): number {
    return this.pages2m.size;
  }

  constructor(
    private readonly path: string,
    private readonly flags: number,
    private readonly cpus: number,
    private readonly vms: number,
  ) {
    const compress = /\.zst$/.test(path) ? 'zstd' : /\.xz$/.test(path) ? 'xz' : /\.gz$/.test(path) ? 'gzip' : 'none';
    // Written under a temporary name and renamed by close(), so a crash never leaves a file that looks whole.
    this.tmpPath = `${path}.tmp-${process.pid}`;
    this.fileStream = createWriteStream(this.tmpPath);
    this.fileStream.on('error', (e) => (this.failed = e));
    if (compress === 'zstd' || compress === 'xz') {
      const child = spawn(compress, ['-c', '-q'], { stdio: ['pipe', 'pipe', 'inherit'] });
      child.on('error', (e) => (this.failed = new TraceError(`${path}: writing .${compress === 'zstd' ? 'zst' : 'xz'} needs the \`${compress}\` program (${(e as NodeJS.ErrnoException).code})`)));
      child.stdout!.pipe(this.fileStream);
      this.child = child;
      this.out = child.stdin!;
    } else if (compress === 'gzip') {
      const gz = createGzip();
      gz.pipe(this.fileStream);
      this.out = gz;
    } else {
      this.out = this.fileStream;
    }
    this.compressed = compress !== 'none';
    this.out.write(encodeHeader(this.headerNow(-1)));
  }
  private readonly compressed: boolean;
  private readonly tmpPath: string;

  private headerNow(records: number, cpus = this.cpus, vms = this.vms): NativeHeader {
    return {
      version: NATIVE_VERSION, flags: this.flags, pageSizeHint: 4096, cpus, vms, records,
      footprint4k: records < 0 ? -1 : this.pages4k.size, footprint2m: records < 0 ? -1 : this.pages2m.size,
    };
  }

  /** Append the records of a batch (any mix of CPUs). Resolves when the output has room again. */
  async write(b: AccessBatch): Promise<void> {
    for (let i = 0; i < b.count; i++) {
      const cpu = b.cpu[i];
      if (cpu >= this.cpus) throw new TraceError(`${this.path}: record of CPU ${cpu}, but the trace was declared with ${this.cpus} CPUs`);
      let buf = this.bufs[cpu];
      if (!buf) buf = this.bufs[cpu] = { ...emptyBatch() };
      const j = buf.count++;
      buf.addrLo[j] = b.addrLo[i];
      buf.addrHi[j] = b.addrHi[i];
      buf.op[j] = b.op[i];
      buf.vm[j] = b.vm[i];
      buf.gapNs[j] = b.gapNs[i];
      buf.content[j] = b.content[i];
      if ((b.vm[i] !== 0 && !(this.flags & FLAG_VM)) || (b.content[i] !== 0 && !(this.flags & FLAG_CONTENT))) {
        throw new TraceError(`${this.path}: record ${this.records + i} has a vm or content value but the trace was opened without that column`);
      }
      if (b.vm[i] >= this.vms) throw new TraceError(`${this.path}: record of vm ${b.vm[i]}, but the trace was declared with ${this.vms} VMs`);
      this.pages4k.touch(b.vm[i], b.addrHi[i], b.addrLo[i], 12);
      this.pages2m.touch(b.vm[i], b.addrHi[i], b.addrLo[i], 21);
      if (buf.count === MAX_BLOCK_RECORDS) await this.flush(cpu);
    }
  }

  private async flush(cpu: number): Promise<void> {
    const buf = this.bufs[cpu];
    const n = buf.count;
    if (n === 0) return;
    const flags = this.flags;
    const block = Buffer.alloc(BLOCK_HEADER_BYTES + payloadBytes(n, flags));
    block.writeUInt32LE(n, 0);
    block.writeUInt16LE(cpu, 4);
    block.writeUInt32LE(payloadBytes(n, flags), 8);
    block.writeUInt32LE((n ^ BLOCK_CHECK) >>> 0, 12);
    let off = BLOCK_HEADER_BYTES;
    const put = (arr: ArrayBufferView, bytes: number) => {
      Buffer.from(arr.buffer, arr.byteOffset, bytes).copy(block, off);
      off += pad4(bytes);
    };
    put(buf.addrLo, 4 * n);
    put(buf.addrHi, 4 * n);
    if (flags & FLAG_GAP) put(buf.gapNs, 4 * n);
    if (flags & FLAG_CONTENT) put(buf.content, 4 * n);
    if (flags & FLAG_VM) put(buf.vm, 2 * n);
    put(buf.op, n);
    buf.count = 0;
    this.records += n;
    if (this.failed) throw this.failed;
    if (!this.out.write(block)) await new Promise<void>((resolve) => this.out.once('drain', resolve));
  }

  /**
   * Flush every CPU's last block, close the output, and in a plain file patch the header with the
   * record count, footprint and the CPU/VM counts actually used (`cpus`, `vms`). A compressed file
   * keeps the header written first: records and footprint -1 (unknown), CPU/VM counts as declared.
   */
  async close(cpus = this.cpus, vms = this.vms): Promise<NativeHeader> {
    for (let c = 0; c < this.bufs.length; c++) if (this.bufs[c]) await this.flush(c);
    const done = new Promise<void>((resolve, reject) => {
      this.fileStream!.on('close', resolve);
      this.fileStream!.on('error', reject);
    });
    const child = this.child;
    const exited = child
      ? new Promise<number | null>((resolve) => {
          child.on('close', resolve);
          child.on('error', () => resolve(null)); // a compressor that never started: this.failed says why
        })
      : Promise.resolve(0);
    this.out.end();
    try {
      await done;
      const code = await exited;
      if (this.failed) throw this.failed;
      if (code !== 0) throw new TraceError(`${this.path}: the compressor exited with status ${code}; nothing was written`);
    } catch (err) {
      rmSync(this.tmpPath, { force: true });
      throw err;
    }
    const header = this.compressed ? this.headerNow(-1) : this.headerNow(this.records, cpus, vms);
    if (!this.compressed) {
      const fd = openSync(this.tmpPath, 'r+');
      try {
        writeSync(fd, encodeHeader(header), 0, HEADER_BYTES, 0);
      } finally {
        closeSync(fd);
      }
    }
    renameSync(this.tmpPath, this.path);
    return header;
  }

  /** The file being written until close() renames it (for a signal handler that must remove it). */
  get tempPath(): string {
    return this.tmpPath;
  }

  /** Give up: stop the compressor, close the file and remove it, so a failed or stopped writer leaves nothing. */
  async abort(): Promise<void> {
    this.child?.kill();
    const file = this.fileStream!;
    const closed = file.closed ? Promise.resolve() : new Promise<void>((resolve) => file.once('close', () => resolve()));
    this.out.destroy();
    file.destroy();
    await closed;
    rmSync(this.tmpPath, { force: true });
  }
}

function emptyBatch(): AccessBatch {
  const n = MAX_BLOCK_RECORDS;
  return {
    capacity: n, count: 0,
    addrHi: new Uint32Array(n), addrLo: new Uint32Array(n), op: new Uint8Array(n), cpu: new Uint16Array(n),
    vm: new Uint16Array(n), gapNs: new Float32Array(n), content: new Uint32Array(n),
  };
}
