// Opening a trace file as a stream of byte chunks, decompressing on the fly.
//
// Compression is detected by magic bytes, never by extension:
//   gzip 1f 8b · zstd 28 b5 2f fd · xz fd 37 7a 58 5a 00 · zlib 78 01/5e/9c/da (damo's json_zlib).
// gzip and zlib use Node's zlib. Node 20 has no zstd and no xz, so .zst and .xz are decompressed by
// the system's `zstd -dc` / `xz -dc` in a child process: streaming, bounded memory, and the
// decompression runs on another core in parallel with parsing. If the binary is missing the error
// says which package to install (see traces/FORMAT.md "Compression").

import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { createReadStream, openSync, readSync, closeSync, fstatSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import { ConfigError } from '../sim/config.ts';

/** Any problem with a trace file: bad content, unreadable, missing decompressor. Exit status 2 in the CLIs. */
export class TraceError extends ConfigError {
  override name = 'TraceError';
}

export type Compression = 'none' | 'gzip' | 'zstd' | 'xz' | 'zlib';

/** Read chunk size for plain files: big enough that per-chunk costs vanish, small enough for L2/L3. */
const FILE_CHUNK = 1 << 20;

export function detectCompression(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  if (head.length >= 6 && head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58 && head[4] === 0x5a && head[5] === 0x00) return 'xz';
  // zlib: CMF 0x78 (deflate, 32 KiB window) and a header checksum that divides by 31.
  if (head.length >= 2 && head[0] === 0x78 && ((head[0] << 8) | head[1]) % 31 === 0) return 'zlib';
  return 'none';
}

/** The first bytes of the file as stored (not decompressed). */
export function readRawHead(path: string, n = 16): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw openError(path, err as NodeJS.ErrnoException);
  }
  try {
    // A directory opens fine on Linux and fails only at the read (EISDIR): say so before that.
    if (fstatSync(fd).isDirectory()) throw new TraceError(`${path}: expected a trace file, found a directory`);
    const buf = Buffer.alloc(n);
    let got: number;
    try {
      got = readSync(fd, buf, 0, n, 0);
    } catch (err) {
      throw openError(path, err as NodeJS.ErrnoException);
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** A file that cannot be opened or read, as one line naming the cause. */
function openError(path: string, err: NodeJS.ErrnoException): TraceError {
  const why: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EISDIR: 'it is a directory',
    ENOTDIR: 'a part of the path is not a directory',
    EIO: 'input/output error while reading',
  };
  return new TraceError(`${path}: cannot read the trace: ${why[err.code ?? ''] ?? err.code ?? String(err)}${err.code && why[err.code] ? ` (${err.code})` : ''}`);
}

export function fileSize(path: string): number {
  return statSync(path).size;
}

/**
 * A pull-based stream of decompressed byte chunks. `next()` resolves to the next chunk or null at
 * the end; a decompressor failure (corrupt or truncated input) rejects with a TraceError.
 */
export class ByteStream {
  readonly compression: Compression;
  /** Decompressed bytes handed out so far (for byte offsets in error messages). */
  offset = 0;
  /** Compressed bytes read from disk so far, for progress bars (plain files: same as offset). */
  get rawBytesRead(): number {
    return this.raw ? this.raw.bytesRead : this.offset;
  }
  private readonly it?: AsyncIterator<Buffer>;
  private readonly child?: ChildProcessByStdio<Writable, Readable, Readable>;
  private readonly raw?: ReturnType<typeof createReadStream>;
  private readonly readable?: Readable;
  /** Plain file read into one reused buffer (`reuse`): the open file, and the buffer. */
  private file?: Promise<FileHandle>;
  private buf?: Buffer;
  private childExit?: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = '';
  private spawnError?: NodeJS.ErrnoException;
  private closed = false;

  /**
   * `reuse`: the caller is done with a chunk when it asks for the next one, so a plain file is read
   * into one buffer again and again. Speed trick: a read stream hands out a fresh buffer per chunk,
   * and fresh memory costs a page fault per 4 KiB of it on this VM (a 136 MB trace: ~0.5 s of
   * faults, several times the parsing of it); compressed input keeps its streams either way.
   */
  constructor(readonly path: string, reuse = false) {
    this.compression = detectCompression(readRawHead(path, 8));
    if (reuse && this.compression === 'none') {
      this.file = open(path, 'r');
      this.file.catch(() => {}); // reported by next(); a stream closed before reading never asks
    } else if (this.compression === 'zstd' || this.compression === 'xz') {
      const tool = this.compression; // `zstd -dc` / `xz -dc`
      // We feed the file to the decompressor ourselves, so that compressed bytes read are known (progress).
      const child = spawn(tool, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
      this.child = child;
      this.raw = createReadStream(path, { highWaterMark: FILE_CHUNK });
      this.raw.pipe(child.stdin);
      child.stdin.on('error', () => {}); // EPIPE when we stop reading early: expected
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (s: string) => {
        if (this.stderr.length < 2000) this.stderr += s;
      });
      child.on('error', (err) => {
        this.spawnError = err as NodeJS.ErrnoException;
      });
      this.childExit = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
      this.readable = child.stdout;
    } else {
      this.raw = createReadStream(path, { highWaterMark: FILE_CHUNK });
      this.readable =
        this.compression === 'gzip' ? this.raw.pipe(createGunzip({ chunkSize: 256 * 1024 })) :
        this.compression === 'zlib' ? this.raw.pipe(createInflate({ chunkSize: 256 * 1024 })) : this.raw;
      // Errors on the raw file must reach the iterator even when piped through zlib.
      if (this.readable !== this.raw) this.raw.on('error', (err) => this.readable!.destroy(err));
    }
    if (this.readable) this.it = this.readable[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  async next(): Promise<Buffer | null> {
    if (this.closed) return null;
    if (this.file) return this.nextReused(this.file);
    let r: IteratorResult<Buffer>;
    try {
      r = await this.it!.next();
    } catch (err) {
      throw this.failure(err as NodeJS.ErrnoException);
    }
    if (!r.done) {
      this.offset += r.value.length;
      return r.value;
    }
    if (this.child && this.childExit) {
      const { code, signal } = await this.childExit;
      if (this.spawnError) throw this.failure(this.spawnError);
      if (code !== 0) {
        const msg = this.stderr.trim().split('\n').slice(-2).join(' ').slice(0, 300);
        throw new TraceError(`${this.path}: ${this.compression} -dc failed (${signal ?? `exit ${code}`}) after ${this.offset} decompressed bytes: ${msg || 'no message'}; the file is corrupt or truncated`);
      }
    }
    this.closed = true;
    return null;
  }

  /** The next chunk of a plain file, in the one buffer (valid until the next call). */
  private async nextReused(file: Promise<FileHandle>): Promise<Buffer | null> {
    let got: number;
    try {
      const fh = await file;
      this.buf ??= Buffer.allocUnsafe(FILE_CHUNK);
      got = (await fh.read(this.buf, 0, FILE_CHUNK, null)).bytesRead;
    } catch (err) {
      if (this.closed) return null; // closed while reading: nobody waits for the chunk
      throw this.failure(err as NodeJS.ErrnoException);
    }
    if (this.closed) return null; // closed while reading
    if (got === 0) {
      this.close();
      return null;
    }
    this.offset += got;
    return got === FILE_CHUNK ? this.buf : this.buf.subarray(0, got);
  }

  private failure(err: NodeJS.ErrnoException): TraceError {
    if (err.code === 'ENOENT' && err.syscall?.startsWith('spawn')) {
      return new TraceError(
        `${this.path}: is ${this.compression}-compressed, and decompressing it needs the \`${this.compression}\` program, which is not on PATH ` +
          `(Debian/Ubuntu: apt-get install ${this.compression === 'zstd' ? 'zstd' : 'xz-utils'}); or decompress the file first`,
      );
    }
    if (err.code === 'Z_BUF_ERROR' || err.code === 'Z_DATA_ERROR' || err.code === 'ERR_STREAM_PREMATURE_CLOSE') {
      return new TraceError(`${this.path}: ${this.compression} data is corrupt or truncated near decompressed byte ${this.offset} (${err.message})`);
    }
    if (err.code) return new TraceError(`${this.path}: cannot read trace (${err.code}: ${err.message})`);
    return err instanceof TraceError ? err : new TraceError(`${this.path}: ${err.message}`);
  }

  close(): void {
    if (this.file) {
      if (!this.closed) this.file.then((fh) => fh.close()).catch(() => {});
      this.closed = true;
      return;
    }
    if (this.closed && !this.child) return;
    this.closed = true;
    // Errors after an early close (e.g. the file opening late, EPIPE) concern nobody any more.
    this.readable!.on('error', () => {});
    this.raw?.on('error', () => {});
    this.readable!.destroy();
    this.raw?.destroy();
    if (this.child && this.child.exitCode === null) this.child.kill();
  }
}

/** The first `n` decompressed bytes (fewer if the file is shorter), for format detection. */
export async function readHead(path: string, n = 8192): Promise<Buffer> {
  const s = new ByteStream(path);
  const parts: Buffer[] = [];
  let got = 0;
  try {
    while (got < n) {
      const c = await s.next();
      if (!c) break;
      parts.push(c);
      got += c.length;
    }
  } catch (err) {
    // A truncated compressed file can still be identified from its head; report errors in the real read.
    if (got === 0) throw err;
  } finally {
    s.close();
  }
  return Buffer.concat(parts).subarray(0, n);
}

/** Cut text for an error message: at most `max` characters, control characters shown escaped. */
export function cut(text: string, max = 80): string {
  const clean = text.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return clean.length > max ? `${clean.slice(0, max)}… (${clean.length} chars)` : clean;
}
