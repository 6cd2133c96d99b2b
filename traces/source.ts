// From a trace path to an AccessSource the engine can run: detect the format from the content,
// make (or load from cache) the pre-pass index that sizes the machine, open one reader per CPU,
// and put the LLC filter in front when the trace is instruction-level.
//
// The pre-pass: tiers are sized from the footprint (machine.ratio), which a text trace does not
// state, so the trace is read once before the run to count records, CPUs, VMs and distinct
// 4 KiB / 2 MiB pages (PageSet: memory ∝ pages touched). The result is cached under
// results/.trace-index/ keyed by the trace's content (SHA-256, traces/identity.ts), so only the
// first run of a trace pays for it, and a trace rewritten in place (same path, size and mtime) is
// counted again. Native traces written to a plain file carry these numbers in their header.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../sim/config.ts';
import type { AccessBatch, AccessSource } from './batch.ts';
import { createBatch, OP_WRITE } from './batch.ts';
import { detectCompression, readHead, readRawHead, TraceError } from './open.ts';
import type { ReaderOptions, TraceFormat, TraceReader } from './reader.ts';
import { FORMATS, findFormat } from './formats.ts';
import { NativeReader, FLAG_INSTRUCTION_LEVEL } from './native.ts';
import { PageSet } from './page-set.ts';
import { LlcFilterSource } from './llc-filter.ts';
import { traceIdentity } from './identity.ts';
import { Demux } from './demux.ts';
import { NativeBlocks } from './native-blocks.ts';
import type { DemuxOptions } from './demux.ts';
import type { TraceIdentity } from './identity.ts';
import type { LlcStats } from './llc-filter.ts';

export interface TraceIndex {
  format: string;
  instructionLevel: boolean;
  records: number;
  reads: number;
  writes: number;
  cpus: number;
  vms: number;
  footprint4k: number;
  footprint2m: number;
  badRecords: number;
}

/** Detect the format of a trace from its (decompressed) first bytes; `forced` ≠ auto skips detection. */
export async function detectFormat(path: string, forced = 'auto'): Promise<TraceFormat> {
  if (forced !== 'auto') return findFormat(forced);
  const head = await readHead(path, 8192);
  if (head.length === 0) throw new TraceError(`${path}: the trace is empty (0 bytes${/\.(zst|gz|xz)$/.test(path) ? ' after decompression' : ''}); expected one of: ${FORMATS.map((f) => f.name).join(', ')}`);
  for (const f of FORMATS) if (f.detect(head, path)) return f;
  const printable = !/[\x00-\x08\x0e-\x1f]/.test(head.toString('latin1', 0, 256)); // text, possibly UTF-8
  const looks = printable ? `text starting "${head.toString('utf8', 0, 60).replace(/\n/g, '\\n')}"` : `binary data starting ${head.subarray(0, 8).toString('hex')}`;
  throw new TraceError(
    `${path}: unknown trace format: found ${looks}. Known formats: ${FORMATS.map((f) => `${f.name} (${f.summary})`).join('; ')}. ` +
      `Force one with --set trace.format=NAME`,
  );
}

export function readerOptions(config: Config, path: string, cpu: number): ReaderOptions {
  return {
    path,
    cpu,
    skipBad: config['trace.skipBad'] === true,
    nsPerInstruction: (config['trace.nsPerInstruction'] as number | undefined) ?? 0.5,
  };
}

/** Is the trace instruction-level (LLC filter on by default)? Native files say so in their header. */
export function isInstructionLevel(format: TraceFormat, reader: TraceReader): boolean {
  if (reader instanceof NativeReader) return (reader.header.flags & FLAG_INSTRUCTION_LEVEL) !== 0;
  return format.instructionLevel;
}

/** Read a whole trace once (all CPUs) and count what sizing and `trace stats` need. */
export async function scanTrace(
  format: TraceFormat,
  opts: ReaderOptions,
  onBatch?: (b: AccessBatch, reader: TraceReader) => void,
): Promise<TraceIndex> {
  const reader = await format.open({ ...opts, cpu: -1 });
  const b = createBatch();
  const pages4k = new PageSet(1 << 12);
  const pages2m = new PageSet(1 << 8);
  let records = 0;
  let writes = 0;
  let maxCpu = -1;
  let maxVm = 0;
  try {
    for (;;) {
      const r = reader.fill(b);
      const n = typeof r === 'number' ? r : await r;
      if (n === 0) break;
      records += n;
      const { addrHi, addrLo, op, vm, cpu } = b;
      for (let i = 0; i < n; i++) {
        writes += op[i];
        const v = vm[i];
        if (v > maxVm) maxVm = v;
        if (cpu[i] > maxCpu) maxCpu = cpu[i];
        pages4k.touch(v, addrHi[i], addrLo[i], 12);
        pages2m.touch(v, addrHi[i], addrLo[i], 21);
      }
      onBatch?.(b, reader);
    }
  } finally {
    reader.close();
  }
  const index: TraceIndex = {
    format: format.name,
    instructionLevel: isInstructionLevel(format, reader),
    records,
    reads: records - writes,
    writes,
    cpus: maxCpu + 1,
    vms: maxVm + 1,
    footprint4k: pages4k.size,
    footprint2m: pages2m.size,
    badRecords: reader.badRecords,
  };
  if (records === 0) {
    throw new TraceError(`${opts.path}: the trace holds no memory accesses (format ${format.name}${index.badRecords ? `, ${index.badRecords} malformed records skipped` : ''}); an empty trace is an error, not a zero-row result`);
  }
  return index;
}

/** Version of the cached index files: bump when TraceIndex or how it is counted changes. */
const INDEX_VERSION = 2;

/**
 * The cache file of a trace's index. Its name is the trace's content hash (not its path, size or
 * mtime: `cp -p` and regenerating scripts keep those) plus what changes the counts (format, skipBad).
 */
function indexPath(id: TraceIdentity, format: string, skipBad: boolean): string {
  const key = createHash('sha256').update(JSON.stringify([id.sha256, id.bytes, format, skipBad, INDEX_VERSION])).digest('hex').slice(0, 24);
  return join('results', '.trace-index', `${key}.json`);
}

const INDEX_COUNTS = ['records', 'reads', 'writes', 'cpus', 'vms', 'footprint4k', 'footprint2m', 'badRecords'] as const;

/**
 * A cached index if the file is whole and belongs to this trace; undefined otherwise (missing,
 * cut short by a crash, edited, or another trace's), so that the pre-pass runs again.
 */
function loadIndex(file: string, id: TraceIdentity, format: string, skipBad: boolean): TraceIndex | undefined {
  let parsed: { version?: unknown; sha256?: unknown; skipBad?: unknown; index?: Record<string, unknown> };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const ix = parsed?.index;
  if (!ix || parsed.version !== INDEX_VERSION || parsed.sha256 !== id.sha256 || parsed.skipBad !== skipBad || ix.format !== format) return undefined;
  if (typeof ix.instructionLevel !== 'boolean') return undefined;
  for (const k of INDEX_COUNTS) {
    const v = ix[k];
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= -1)) return undefined;
  }
  const i = ix as unknown as TraceIndex;
  if (!(i.records >= 1 && i.cpus >= 1 && i.cpus <= 65536 && i.vms >= 1 && i.vms <= 65536 && i.footprint4k >= 1 && i.footprint4k <= i.records && i.footprint2m >= 1 && i.footprint2m <= i.footprint4k)) return undefined;
  return i;
}

/** Write the cache file whole or not at all: a temporary file renamed over it (rename is atomic). */
function saveIndex(file: string, id: TraceIdentity, skipBad: boolean, index: TraceIndex): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(tmp, JSON.stringify({ version: INDEX_VERSION, sha256: id.sha256, bytes: id.bytes, skipBad, index }, null, 1));
    renameSync(tmp, file);
  } catch {
    // A read-only checkout still runs, just without the cache.
    rmSync(tmp, { force: true });
  }
}

/**
 * The index of a trace: from a native header, the cache, or a pre-pass (then cached). `identity`
 * is the trace's content hash when the caller has it already (a run hashes its trace once).
 */
export async function traceIndex(config: Config, path: string, format: TraceFormat, identity?: TraceIdentity): Promise<TraceIndex> {
  const opts = readerOptions(config, path, -1);
  if (format.name === 'native') {
    const r = new NativeReader(opts);
    try {
      const h = await r.readHeader();
      if (h.records >= 0 && h.footprint4k >= 0) {
        if (h.records === 0) throw new TraceError(`${path}: the native trace holds no records; an empty trace is an error`);
        return {
          format: 'native', instructionLevel: (h.flags & FLAG_INSTRUCTION_LEVEL) !== 0, records: h.records, reads: -1, writes: -1,
          cpus: h.cpus, vms: h.vms, footprint4k: h.footprint4k, footprint2m: h.footprint2m, badRecords: 0,
        };
      }
    } finally {
      r.close();
    }
  }
  const useCache = config['trace.indexCache'] !== false;
  const id = useCache ? (identity ?? (await traceIdentity(path))) : undefined;
  const file = id ? indexPath(id, format.name, opts.skipBad) : '';
  if (id) {
    const cached = loadIndex(file, id, format.name, opts.skipBad);
    if (cached) return cached;
  }
  if (process.stderr.isTTY) process.stderr.write(`pre-pass over ${path} (${format.name}) to size the machine; cached for later runs…\n`);
  const index = await scanTrace(format, opts);
  if (id) saveIndex(file, id, opts.skipBad, index);
  return index;
}

export interface TraceRunStats {
  format: string;
  badRecords: number;
  llc?: LlcStats;
}

/**
 * A trace as an AccessSource: one sequential reader over the whole file (opened on first use). A
 * one-CPU trace hands that reader's batches straight on; a multi-CPU trace deals them out to
 * per-CPU queues (traces/demux.ts), so the file is read and decompressed once whatever the
 * thread count, with bounded memory; a plain multi-CPU native file is read per CPU by positioned
 * reads of its blocks (traces/native-blocks.ts).
 */
export class TraceSource implements AccessSource {
  readonly name: string;
  readonly cpus: number;
  readonly vms: number;
  private reader: TraceReader | undefined;
  private opening: Promise<TraceReader> | undefined;
  private demux: Demux | undefined;
  private blocks: NativeBlocks | undefined;

  constructor(
    readonly path: string,
    readonly format: TraceFormat,
    readonly index: TraceIndex,
    private readonly config: Config,
    private readonly demuxOptions: DemuxOptions = {},
  ) {
    this.name = path;
    this.cpus = index.cpus;
    this.vms = index.vms;
  }

  footprintPages(pageBytes: number): number | undefined {
    if (pageBytes === 4096) return this.index.footprint4k;
    if (pageBytes === 2 * 1024 * 1024) return this.index.footprint2m;
    return undefined;
  }

  async read(cpu: number, batch: AccessBatch): Promise<number> {
    if (this.blocks) return this.blocks.read(cpu, batch);
    if (this.reader === undefined) {
      if (this.cpus > 1 && this.format.name === 'native' && detectCompression(readRawHead(this.path, 8)) === 'none') {
        // A plain native file lists each CPU's blocks: positioned reads, nothing to demultiplex.
        this.blocks = new NativeBlocks(this.path);
        return this.blocks.read(cpu, batch);
      }
      this.opening ??= Promise.resolve(this.format.open(readerOptions(this.config, this.path, -1)));
      const reader = await this.opening;
      if (this.reader === undefined) {
        this.reader = reader;
        if (this.cpus > 1) this.demux = new Demux(reader, this.cpus, this.path, this.demuxOptions);
      }
    }
    if (this.demux) return this.demux.read(cpu, batch);
    return this.reader.fill(batch);
  }

  /** The demultiplexer of a multi-CPU trace, once reading has started (for tests and benchmarks). */
  get demultiplexer(): Demux | undefined {
    return this.demux;
  }

  badRecords(): number {
    return this.reader?.badRecords ?? 0;
  }

  close(): void {
    if (this.demux) this.demux.close();
    else this.reader?.close();
    this.blocks?.close();
  }
}

/** A trace source for a run (wrapped by the LLC filter when on) and a way to read its stats at the end. */
/** `identity`: the trace's content hash when the caller has taken it already (then it is not hashed twice). */
export async function openTraceSource(config: Config, identity?: TraceIdentity): Promise<{ source: AccessSource; stats: () => TraceRunStats }> {
  const path = config.trace as string;
  const format = await detectFormat(path, (config['trace.format'] as string | undefined) ?? 'auto');
  const index = await traceIndex(config, path, format, identity);
  const traceSource = new TraceSource(path, format, index, config);
  const llcSetting = (config['llc.enabled'] as string | undefined) ?? 'auto';
  const llcOn = llcSetting === 'true' || (llcSetting === 'auto' && index.instructionLevel);
  if (!llcOn) return { source: traceSource, stats: () => ({ format: format.name, badRecords: traceSource.badRecords() }) };
  const filter = new LlcFilterSource(traceSource, llcOptions(config));
  return { source: filter, stats: () => ({ format: format.name, badRecords: traceSource.badRecords(), llc: filter.stats() }) };
}

export function llcOptions(config: Config) {
  return {
    sizeBytes: Math.round((config['llc.sizeMiB'] as number) * 1024 * 1024),
    ways: config['llc.ways'] as number,
    lineBytes: config['llc.lineBytes'] as number,
    hitLatencyNs: config['llc.hitLatencyNs'] as number,
  };
}

export { OP_WRITE };
