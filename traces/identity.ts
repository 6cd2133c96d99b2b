// The identity of a trace file is its content, not its path, size or mtime: `cp -p`, `rsync -t`
// and regenerating scripts rewrite a trace keeping all three. A run's identity, the trace index
// cache and any translated-trace cache key on this hash.
//
// Cost: SHA-256 over the file's bytes as stored (compressed files are hashed compressed, so the
// cost is the smaller size). Measured on this project's 2-core VM (SHA extensions): 136 MB from the
// page cache in 115–125 ms of CPU, about 1 s per GB, once per run, before the simulation.
//
// Speed trick: a run asks for the identity up to three times (the run's identity, the translated-
// stream cache key, the trace index); a process hashes a file once and answers again from memory
// while the file is provably the same file, unchanged: same device, inode, size, mtime and ctime.
// ctime is set by the kernel on every write, rename or utimes and cannot be set back, so the cases
// above (same path, size and mtime, other content) change it. A file whose ctime was within 2 s of
// the start of its hashing is not remembered (a write in the same timestamp tick as the hash could
// leave ctime unchanged on a coarse-grained file system), nor one that changed while it was read.

import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';

export interface TraceIdentity {
  /** SHA-256 of the file's bytes, hex. */
  sha256: string;
  /** Bytes hashed (the file's size when it was read). */
  bytes: number;
}

/** Files this process hashed, by path, with the stat they had (see the header). */
const known = new Map<string, { stat: BigIntStats; id: TraceIdentity }>();
/** A file not changed since this long before its hashing started is remembered (ns). */
const SETTLED_NS = 2_000_000_000n;

function statOf(path: string): BigIntStats | undefined {
  try {
    return statSync(path, { bigint: true });
  } catch {
    return undefined; // hashing reports the error
  }
}

function sameFile(a: BigIntStats, b: BigIntStats): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/** Bytes read per call while hashing: big enough that per-call costs vanish. */
const HASH_CHUNK = 4 << 20;
/**
 * One read buffer for every hash this process takes (hashes run one at a time per call, never
 * concurrently on it: see `hashing`). Speed trick: a fresh buffer per chunk (what a read stream
 * hands out) costs a page fault per 4 KiB of it on this VM, more than SHA-256 itself; reading into
 * one buffer again and again keeps the cost at the hash (≈ 1 GB/s with SHA extensions).
 */
let hashBuf: Buffer | undefined;
/** The hash in progress, so that a second call waits for the buffer instead of sharing it. */
let hashing: Promise<unknown> = Promise.resolve();

/** Hash a trace file's content (read in 4 MiB chunks into one buffer: memory flat in the file's size). */
export function traceIdentity(path: string): Promise<TraceIdentity> {
  const before = statOf(path);
  const memo = known.get(path);
  if (memo && before && sameFile(memo.stat, before)) return Promise.resolve({ ...memo.id });
  const run = hashing.then(() => hashFile(path, before));
  hashing = run.catch(() => undefined);
  return run;
}

async function hashFile(path: string, before: BigIntStats | undefined): Promise<TraceIdentity> {
  const memo = known.get(path);
  if (memo && before && sameFile(memo.stat, before)) return { ...memo.id }; // hashed while this call waited
  const startNs = BigInt(Date.now()) * 1_000_000n;
  const hash = createHash('sha256');
  let bytes = 0;
  const fh = await open(path, 'r');
  try {
    hashBuf ??= Buffer.allocUnsafe(HASH_CHUNK);
    for (;;) {
      const { bytesRead } = await fh.read(hashBuf, 0, HASH_CHUNK, null);
      if (bytesRead === 0) break;
      bytes += bytesRead;
      hash.update(bytesRead === HASH_CHUNK ? hashBuf : hashBuf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  const id = { sha256: hash.digest('hex'), bytes };
  const after = statOf(path);
  if (before && after && sameFile(before, after) && before.ctimeNs < startNs - SETTLED_NS && BigInt(bytes) === before.size) known.set(path, { stat: before, id });
  else known.delete(path);
  return id;
}

/** Forget the hashes this process remembered (a benchmark timing what a fresh process does). */
export function forgetTraceIdentities(): void {
  known.clear();
}
