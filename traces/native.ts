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
    if (this.header.flags & ~(FLAG_VM | FLAG_GAP | FLAG_CONTENT | FLAG_INSTRUCTION_LEVEL)) {
      throw new TraceError(`${this.opts.path}: byte 12: unknown header flags 0x${this.header.flags.toString(16)}; written by a newer tiersim?`);
    }
    return this.header;
  }

  /** Read the next block (of any CPU) into the staging buffer; false at a clean end. */
  private async nextBlock(): Promise<boolean> {
    const at = this.offset;
    const got = await this.take(this.hdr, BLOCK_HEADER_BYTES);
    if (got === 0) return false;
    const path = this.opts.path;
    if (got < BLOCK_HEADER_BYTES) throw new TraceError(`${path}: byte ${at}: truncated block header (${got} of ${BLOCK_HEADER_BYTES} bytes); the file is cut short`);
    const count = this.hdr.readUInt32LE(0);
    const cpu = this.hdr.readUInt16LE(4);
    const bytes = this.hdr.readUInt32LE(8);
    const check = this.hdr.readUInt32LE(12);
    const flags = this.header.flags;
    if ((check ^ count) >>> 0 !== BLOCK_CHECK || count === 0 || count > MAX_BLOCK_RECORDS || bytes !== payloadBytes(count, flags)) {
      throw new TraceError(`${path}: byte ${at}: expected a block header (1–${MAX_BLOCK_RECORDS} records, check word), found count ${count}, ${bytes} payload bytes, check 0x${check.toString(16)}; the file is corrupt`);
    }
    if (cpu >= this.header.cpus) throw new TraceError(`${path}: byte ${at + 4}: block of CPU ${cpu}, but the header declares ${this.header.cpus} CPUs; the file is corrupt`);
    const have = await this.take(this.stageBytes, bytes);
    if (have < bytes) throw new TraceError(`${path}: byte ${at + BLOCK_HEADER_BYTES + have}: truncated block (${have} of ${bytes} payload bytes); the file is cut short`);
    this.blockCount = count;
    this.blockCpu = cpu;
    this.blockDone = 0;
    this.blockOffset = at;
    return true;
  }

  async fill(batch: AccessBatch): Promise<number> {
    if (!this.header) await this.readHeader();
    const want = this.opts.cpu;
    let n = 0;
    while (n < batch.capacity) {
      if (this.blockDone >= this.blockCount) {
        if (!(await this.nextBlock())) break;
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
    const flags = this.header.flags;
    const st = this.stage;
    let off = 0;
    b.addrLo.set(new Uint32Array(st, off + 4 * from, k), at);
    off += 4 * count;
    b.addrHi.set(new Uint32Array(st, off + 4 * from, k), at);
    off += 4 * count;
    if (flags & FLAG_GAP) {
      b.gapNs.set(new Float32Array(st, off + 4 * from, k), at);
      off += 4 * count;
    } else b.gapNs.fill(0, at, at + k);
    if (flags & FLAG_CONTENT) {
      b.content.set(new Uint32Array(st, off + 4 * from, k), at);
      off += 4 * count;
    } else b.content.fill(0, at, at + k);
    if (flags & FLAG_VM) {
      b.vm.set(new Uint16Array(st, off + 2 * from, k), at);
      off += pad4(2 * count);
    } else b.vm.fill(0, at, at + k);
    const ops = new Uint8Array(st, off + from, k);
    b.op.set(ops, at);
    b.cpu.fill(this.blockCpu, at, at + k);
    // Ops are 0/1; anything else means corruption the check word did not catch. Speed trick:
    // test four ops per step through a 32-bit view when the slice is aligned.
    let i = 0;
    if (((off + from) & 3) === 0) {
      const w = new Uint32Array(st, off + from, k >>> 2);
      let bad = 0;
      for (let j = 0; j < w.length; j++) bad |= w[j];
      i = (bad & 0xfefefefe) === 0 ? w.length * 4 : 0;
    }
    for (; i < k; i++) {
      if (ops[i] > 1) throw new TraceError(`${this.opts.path}: byte ${this.blockOffset + BLOCK_HEADER_BYTES + off + from + i}: expected op 0 (read) or 1 (write), found ${ops[i]}; the file is corrupt`);
    }
    if (flags & FLAG_VM) {
      const vms = this.header.vms;
      for (let i = at; i < at + k; i++) {
        if (b.vm[i] >= vms) throw new TraceError(`${this.opts.path}: block at byte ${this.blockOffset}: record ${from + i - at} has vm ${b.vm[i]} but the header declares ${vms}; the file is corrupt`);
      }
    }
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
