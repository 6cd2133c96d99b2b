// Translated streams kept on disk (DESIGN.md "Translate once"): the first run of a trace records its
// translated stream beside the trace index (results/.trace-index/<key>.ids) while it runs, so that
// every later run — and every point of a sweep — reads ids instead of decoding, filtering and
// hashing the trace again. Keyed by the trace's content (traces/identity.ts), the page size and
// every config key that changes the stream (trace.*, llc.*); a synthetic workload by its spec and
// seed (sweeps translate a shared workload once the same way), and by the code that makes streams
// (codeVersion), so that a reader or generator change never replays a stale stream.
//
// - File: chunks of access codes, gaps and (VM workloads) contents, one chunk per batch of the
//   address source, so that a replay hands the engine the same batches; then the keys of the
//   stream ids; then a JSON index (chunk offsets per CPU, footprint, input stats); then the
//   index's offset. Written to a temporary name and renamed when complete: a run that stops early
//   (run.maxAccesses, an error, a signal) leaves nothing.
// - Read in windows of consecutive chunks of one CPU (4 MiB): memory stays flat in the stream's
//   length, so streams larger than memory still run; batches are views into the window.
// - Not cached: a multi-CPU stream behind the LLC filter (CPUs meet the one cache in an order that
//   depends on the policy), runs cut short by run.maxAccesses (their LLC stats cover only what was
//   read), and any run with trace.indexCache=false.

import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.ts';
import type { AccessSource } from '../traces/batch.ts';
import type { TraceRunStats } from '../traces/source.ts';
import { LlcFilterSource } from '../traces/llc-filter.ts';
import { traceIdentity } from '../traces/identity.ts';
import { StreamingIdSource, footprintOf, subBitsOf } from './id-stream.ts';
import type { IdBatch, IdSource, IdTrace } from './id-stream.ts';
import type { PageKeys } from './page-table.ts';

const VERSION = 1;
const MAGIC = 'TSIMIDS1';
/** Bytes read per window (consecutive chunks of one CPU). */
const WINDOW_BYTES = 4 << 20;

interface CacheIndex {
  version: number;
  name: string;
  pageBytes: number;
  vms: number;
  content: boolean;
  /** Per CPU: chunk file offsets and record counts, flattened [offset, count, offset, count, …]. */
  chunks: number[][];
  pages: number;
  keysOffset: number;
  footprint4k: number | null;
  footprint2m: number | null;
  vmPages: number[] | null;
  stats: TraceRunStats | undefined;
}

/** The cache file of a run's stream, or undefined when its stream is not cached (see the header). */
export async function idCachePath(config: Config, traceSha256?: string): Promise<string | undefined> {
  if (config['trace.indexCache'] === false || (config['run.maxAccesses'] as number) > 0) return undefined;
  const keyed: Array<[string, unknown]> = Object.keys(config)
    .filter((k) => /^(trace|llc)\./.test(k))
    .sort()
    .map((k) => [k, config[k]]);
  const input = config.trace != null ? { sha256: traceSha256 ?? (await traceIdentity(config.trace as string)).sha256 } : { workload: config.workload, seed: config.seed };
  const key = createHash('sha256').update(JSON.stringify([VERSION, codeVersion(), input, config.pageSizeKiB, keyed])).digest('hex').slice(0, 24);
  return join('results', '.trace-index', `${key}.ids`);
}

let code: string | undefined;
/**
 * A hash of the code that makes a stream — the readers, generators and LLC filter (traces/*.ts) and
 * the translation (page-table.ts, id-stream.ts) — so that a cached stream is never replayed after
 * that code changed (a reader fix changes the stream of the same trace file).
 */
function codeVersion(): string {
  if (code === undefined) {
    const h = createHash('sha256');
    const traces = new URL('../traces/', import.meta.url);
    for (const f of readdirSync(traces).filter((n) => n.endsWith('.ts')).sort()) h.update(f).update(readFileSync(new URL(f, traces)));
    for (const f of ['page-table.ts', 'id-stream.ts']) h.update(f).update(readFileSync(new URL(f, import.meta.url)));
    code = h.digest('hex');
  }
  return code;
}

/** A stream whose order of records cannot depend on the engine: it can be recorded and replayed. */
export function recordable(source: AccessSource): boolean {
  return !(source.cpus > 1 && source instanceof LlcFilterSource);
}

/** Replays a cached translated stream from its file. */
export class CachedIdSource implements IdSource {
  readonly name: string;
  readonly cpus: number;
  readonly vms: number;
  readonly pageBytes: number;
  readonly keys: PageKeys;
  readonly stats: TraceRunStats | undefined;
  private readonly fd: number;
  private readonly index: CacheIndex;
  private readonly nextChunk: Int32Array;
  /** Per CPU: the window read last and the chunks in it still to hand out. */
  private readonly windows: Array<{ buf: ArrayBuffer; batches: IdBatch[]; next: number }>;

  constructor(path: string) {
    this.fd = openSync(path, 'r');
    try {
      const size = fstatSync(this.fd).size;
      const magic = Buffer.alloc(MAGIC.length);
      readSync(this.fd, magic, 0, magic.length, 0);
      if (magic.toString('latin1') !== MAGIC) throw new Error(`${path}: not a translated-stream cache file`);
      const tail = Buffer.alloc(8);
      readSync(this.fd, tail, 0, 8, size - 8);
      const at = tail.readDoubleLE(0);
      const json = Buffer.alloc(size - 8 - at);
      readSync(this.fd, json, 0, json.length, at);
      this.index = JSON.parse(json.toString('utf8')) as CacheIndex;
      if (this.index.version !== VERSION) throw new Error(`${path}: cache version ${this.index.version}, expected ${VERSION}`);
    } catch (err) {
      closeSync(this.fd);
      throw err;
    }
    const ix = this.index;
    this.name = ix.name;
    this.cpus = ix.chunks.length;
    this.vms = ix.vms;
    this.pageBytes = ix.pageBytes;
    this.stats = ix.stats;
    const keys = new Int32Array(2 * ix.pages);
    readSync(this.fd, new Uint8Array(keys.buffer), 0, keys.byteLength, ix.keysOffset);
    this.keys = { lo: keys.subarray(0, ix.pages), vmHi: keys.subarray(ix.pages) };
    this.nextChunk = new Int32Array(this.cpus);
    this.windows = ix.chunks.map(() => ({ buf: new ArrayBuffer(0), batches: [], next: 0 }));
  }

  streamPages(): number {
    return this.index.pages;
  }

  footprintPages(pageBytes: number): number | undefined {
    return footprintOf(pageBytes, this.index);
  }

  vmPages(vm: number): number | undefined {
    return this.index.vmPages?.[vm];
  }

  next(cpu: number): IdBatch | null {
    const w = this.windows[cpu];
    if (w.next >= w.batches.length && !this.readWindow(cpu)) return null;
    return w.batches[w.next++];
  }

  /** Read the next run of consecutive chunks of `cpu` (up to WINDOW_BYTES, at least one chunk). */
  private readWindow(cpu: number): boolean {
    const chunks = this.index.chunks[cpu];
    let k = this.nextChunk[cpu];
    if (2 * k >= chunks.length) return false;
    const per = this.index.content ? 12 : 8;
    const from = chunks[2 * k];
    let bytes = 0;
    let last = k;
    while (2 * last < chunks.length && chunks[2 * last] === from + bytes && (bytes === 0 || bytes + chunks[2 * last + 1] * per <= WINDOW_BYTES)) {
      bytes += chunks[2 * last + 1] * per;
      last++;
    }
    const w = this.windows[cpu];
    if (w.buf.byteLength < bytes) w.buf = new ArrayBuffer(Math.max(bytes, WINDOW_BYTES));
    readSync(this.fd, new Uint8Array(w.buf, 0, bytes), 0, bytes, from);
    w.batches.length = 0;
    w.next = 0;
    let off = 0;
    for (; k < last; k++) {
      const n = chunks[2 * k + 1];
      w.batches.push({
        code: new Int32Array(w.buf, off, n),
        gapNs: new Float32Array(w.buf, off + 4 * n, n),
        content: this.index.content ? new Uint32Array(w.buf, off + 8 * n, n) : null,
        start: 0,
        end: n,
      });
      off += n * per;
    }
    this.nextChunk[cpu] = last;
    return true;
  }

  /** Accesses per stream id over each CPU's first `perCpuLimit` records (a pass over the file). */
  accessCounts(perCpuLimit: number): Float64Array {
    const counts = new Float64Array(this.index.pages);
    const shift = 1 + subBitsOf(this.pageBytes);
    for (const chunks of this.index.chunks) {
      let left = perCpuLimit;
      for (let k = 0; 2 * k < chunks.length && left > 0; k++) {
        const n = Math.min(chunks[2 * k + 1], left);
        const code = new Int32Array(n);
        readSync(this.fd, new Uint8Array(code.buffer), 0, 4 * n, chunks[2 * k]);
        for (let i = 0; i < n; i++) counts[code[i] >>> shift]++;
        left -= n;
      }
    }
    return counts;
  }

  /** The whole stream in memory (benchmarks time the engine alone over it). */
  load(): IdTrace {
    const ix = this.index;
    const cpus = ix.chunks.map((chunks, cpu) => {
      let count = 0;
      for (let k = 1; k < chunks.length; k += 2) count += chunks[k];
      const code = new Int32Array(count);
      const gapNs = new Float32Array(count);
      const content = ix.content ? new Uint32Array(count) : null;
      const batches = new Uint32Array(chunks.length / 2);
      let n = 0;
      for (let b = this.next(cpu), k = 0; b !== null; b = this.next(cpu), k++) {
        code.set(b.code.subarray(b.start, b.end), n);
        gapNs.set(b.gapNs.subarray(b.start, b.end), n);
        if (content) content.set(b.content!.subarray(b.start, b.end), n);
        batches[k] = b.end - b.start;
        n += b.end - b.start;
      }
      return { count, code, gapNs, content, batches };
    });
    return { name: ix.name, pageBytes: ix.pageBytes, vms: ix.vms, cpus, pages: ix.pages, keyLo: this.keys.lo, keyVmHi: this.keys.vmHi, footprint4k: ix.footprint4k, footprint2m: ix.footprint2m, vmPages: ix.vmPages };
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * Translates an address source as the engine pulls it (StreamingIdSource) and writes what it
 * translated to the cache; the file is kept only if every CPU's stream was read to its end.
 */
export class RecordingIdSource extends StreamingIdSource {
  private fd: number;
  private readonly tmp: string;
  private offset = MAGIC.length;
  private readonly chunks: number[][];
  private readonly ended: Uint8Array;
  private content: boolean | undefined;

  constructor(
    source: AccessSource,
    pageBytes: number,
    private readonly path: string,
    private readonly stats: () => TraceRunStats | undefined,
  ) {
    super(source, pageBytes);
    mkdirSync(join(path, '..'), { recursive: true });
    this.tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    this.fd = openSync(this.tmp, 'w');
    writeSync(this.fd, MAGIC);
    this.chunks = Array.from({ length: source.cpus }, () => []);
    this.ended = new Uint8Array(source.cpus);
    // A VM stream carries the content each write leaves; others none (the first batch decides).
    this.content = source.vms > 1 ? true : undefined;
  }

  override next(cpu: number): IdBatch | null | Promise<IdBatch | null> {
    const r = super.next(cpu);
    return r instanceof Promise ? r.then((b) => this.record(cpu, b)) : this.record(cpu, r);
  }

  private record(cpu: number, b: IdBatch | null): IdBatch | null {
    if (this.fd < 0) return b;
    if (b === null) {
      this.ended[cpu] = 1;
      return b;
    }
    const n = b.end - b.start;
    this.content ??= b.content !== null && b.content.subarray(b.start, b.end).some((v) => v !== 0);
    if (!this.content && b.content !== null && b.content.subarray(b.start, b.end).some((v) => v !== 0)) {
      this.abandon(); // content appeared after batches recorded without it: not worth a rewrite
      return b;
    }
    try {
      this.chunks[cpu].push(this.offset, n);
      this.write(b.code.subarray(b.start, b.end));
      this.write(b.gapNs.subarray(b.start, b.end));
      if (this.content) this.write(b.content ? b.content.subarray(b.start, b.end) : new Uint32Array(n));
    } catch {
      this.abandon(); // a full disk or a lost file costs the cache, never the run
    }
    return b;
  }

  private write(a: Int32Array | Float32Array | Uint32Array): void {
    writeSync(this.fd, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    this.offset += a.byteLength;
  }

  private abandon(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    rmSync(this.tmp, { force: true });
  }

  /** Finish the file if every CPU's stream ended (else drop it), then close the address source. */
  override async close(): Promise<void> {
    try {
      this.finish();
    } catch {
      this.abandon();
    }
    await super.close();
  }

  private finish(): void {
    if (this.fd >= 0 && this.ended.every((e) => e === 1)) {
      const t = this.table;
      const keysOffset = this.offset;
      this.write(t.lo.subarray(0, t.pages));
      this.write(t.vmHi.subarray(0, t.pages));
      const index: CacheIndex = {
        version: VERSION,
        name: this.name,
        pageBytes: this.pageBytes,
        vms: this.vms,
        content: this.content === true,
        chunks: this.chunks,
        pages: t.pages,
        keysOffset,
        footprint4k: this.footprintPages(4096) ?? null,
        footprint2m: this.footprintPages(2 * 1024 * 1024) ?? null,
        vmPages: this.vmPages(0) === undefined ? null : Array.from({ length: this.vms }, (_, v) => this.vmPages(v) ?? 0),
        stats: this.stats(),
      };
      const at = this.offset;
      writeSync(this.fd, JSON.stringify(index));
      const tail = Buffer.alloc(8);
      tail.writeDoubleLE(at, 0);
      writeSync(this.fd, tail);
      closeSync(this.fd);
      this.fd = -1;
      renameSync(this.tmp, this.path);
    } else this.abandon();
  }
}

/** The cached stream at `path`, or undefined if there is none (or it cannot be read: then it is rebuilt). */
export function openCached(path: string): CachedIdSource | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return new CachedIdSource(path);
  } catch {
    rmSync(path, { force: true });
    return undefined;
  }
}

/**
 * Make sure the stream of `open()` is in the cache at `path`: translate it once, reading it to its
 * end (sweeps call this before their points start, so that every point reads ids). Returns false
 * when the stream cannot be recorded.
 */
export async function ensureCached(path: string, pageBytes: number, open: () => Promise<{ source: AccessSource; stats: () => TraceRunStats | undefined }>): Promise<boolean> {
  const cached = openCached(path);
  if (cached) {
    cached.close();
    return true;
  }
  const { source, stats } = await open();
  if (!recordable(source)) {
    await source.close?.();
    return false;
  }
  const rec = new RecordingIdSource(source, pageBytes, path, stats);
  try {
    for (let cpu = 0; cpu < source.cpus; cpu++) {
      for (;;) {
        const r = rec.next(cpu);
        if ((r instanceof Promise ? await r : r) === null) break;
      }
    }
  } finally {
    await rec.close();
  }
  return existsSync(path);
}

/**
 * Sweeps: translate every stream that two or more of `configs` replay once, into the cache, before
 * the points start (each point then reads ids). Returns the indices of the configs whose stream is
 * cached; the others read their input themselves (or share it otherwise: sweep-trace.ts).
 */
export async function translateOnce(
  configs: Config[],
  open: (config: Config) => Promise<{ source: AccessSource; stats: () => TraceRunStats | undefined }>,
  log: (s: string) => void,
  signal?: AbortSignal,
): Promise<Set<number>> {
  const shas = new Map<string, string>();
  const byPath = new Map<string, number[]>();
  for (let i = 0; i < configs.length; i++) {
    const c = configs[i];
    if (c.trace != null && !shas.has(c.trace as string)) {
      try {
        shas.set(c.trace as string, (await traceIdentity(c.trace as string)).sha256);
      } catch {
        continue; // an unreadable trace fails in its points, with their configs
      }
    }
    const path = await idCachePath(c, c.trace != null ? shas.get(c.trace as string) : undefined);
    if (path) byPath.set(path, [...(byPath.get(path) ?? []), i]);
  }
  const done = new Set<number>();
  for (const [path, members] of byPath) {
    if (members.length < 2 || signal?.aborted) continue;
    const c = configs[members[0]];
    const started = performance.now();
    try {
      if (await ensureCached(path, (c.pageSizeKiB as number) * 1024, () => open(c))) {
        for (const i of members) done.add(i);
        log(`${c.trace ?? c.workload} (${c.pageSizeKiB} KiB pages): translated once for ${members.length} runs into ${path} (${((performance.now() - started) / 1e3).toFixed(2)} s)`);
      }
    } catch (err) {
      log(`  could not translate ${c.trace ?? c.workload} once (${(err as Error).message}); each point reads it itself`);
    }
  }
  return done;
}
