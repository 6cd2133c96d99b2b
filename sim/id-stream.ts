// Translated access streams: what the engine runs over (DESIGN.md "Translate once"). Each access is
// one 32-bit code — its page's dense stream id, the 4 KiB sub-page within a huge page, and a write
// bit — plus its compute gap (and, for VM workloads, the content it writes). A stream is
// translated once, in one pass, through a PageTable; then every run (and every sweep point) reads
// ids. Batches are ranges [start, end) of arrays the source owns: views, never copies.
//
// - StreamingIdSource translates an address source batch by batch as the engine pulls it (raw
//   single runs, and multi-CPU traces behind the LLC filter, whose stream depends on the order the
//   engine pulls CPUs in).
// - translateSource drains a source into an IdTrace held in memory (benchmarks, oracles, sweeps);
//   StoredIdSource replays one. Translated trace files on disk are id-cache.ts.
// - Batch boundaries are kept as the address source returned them: the engine ends a turn at a
//   batch end, so a stored stream replays exactly as the live source ran.

import type { AccessBatch, AccessSource } from '../traces/batch.ts';
import { createBatch, OP_WRITE } from '../traces/batch.ts';
import { PageTable } from './page-table.ts';
import type { PageKeys } from './page-table.ts';
import { grow } from './columns.ts';

/** One CPU's next accesses: records [start, end) of the arrays (valid until that CPU's next batch). */
export interface IdBatch {
  code: Int32Array;
  gapNs: Float32Array;
  /** Content fingerprint written by each access (0 = unknown); null when the stream carries none. */
  content: Uint32Array | null;
  start: number;
  end: number;
}

/** Where the engine's accesses come from: per-CPU translated batches and the keys of the ids. */
export interface IdSource {
  readonly name: string;
  readonly cpus: number;
  readonly vms: number;
  /** Page size the ids are for. */
  readonly pageBytes: number;
  /** (vm, vpn) of every stream id. */
  readonly keys: PageKeys;
  /** Stream ids so far (a streaming source grows as it translates). */
  streamPages(): number;
  /** Footprint as the address source reports it (sizes the machine by ratio), or undefined. */
  footprintPages(pageBytes: number): number | undefined;
  vmPages?(vm: number): number | undefined;
  /** The next batch of `cpu` (null at its end). */
  next(cpu: number): IdBatch | null | Promise<IdBatch | null>;
  close?(): void | Promise<void>;
  /** Accesses per stream id over each CPU's first `perCpuLimit` records: stored streams only (oracles). */
  accessCounts?(perCpuLimit: number): Float64Array;
}

export function isIdSource(s: AccessSource | IdSource): s is IdSource {
  return typeof (s as IdSource).next === 'function';
}

/** log2 of 4 KiB sub-pages per page: bits of the sub-page field of a code (0 with 4 KiB pages, 9 with 2 MiB). */
export function subBitsOf(pageBytes: number): number {
  const s = Math.log2(pageBytes / 4096);
  if (!Number.isInteger(s) || s < 0 || s > 18) throw new RangeError(`page size must be a power of two from 4 KiB to 1 GiB, found ${pageBytes} bytes`);
  return s;
}

/** Most stream ids a code can carry at this page size (31 bits hold id, sub-page and the write bit). */
export function maxStreamPages(pageBytes: number): number {
  return 2 ** (30 - subBitsOf(pageBytes));
}

/**
 * Translate records [0, n) of an address batch to codes ((id << subBits | subpage) << 1 | write)
 * in `out`. The ids come from `table` (new pages get the next ids, in stream order).
 */
export function encodeBatch(table: PageTable, b: AccessBatch, n: number, pageBytes: number, out: Int32Array): void {
  const subBits = subBitsOf(pageBytes);
  table.translate(b, n, 12 + subBits, out);
  if (table.pages > maxStreamPages(pageBytes)) throw new RangeError(`the stream touches more than ${maxStreamPages(pageBytes)} pages of ${pageBytes / 1024} KiB, the most a 32-bit access code holds`);
  const subMask = (1 << subBits) - 1;
  const op = b.op;
  const lo = b.addrLo;
  for (let j = 0; j < n; j++) out[j] = (((out[j] << subBits) | ((lo[j] >>> 12) & subMask)) << 1) | (op[j] === OP_WRITE ? 1 : 0);
}

/** Translates an address source batch by batch, as the engine pulls it. */
export class StreamingIdSource implements IdSource {
  readonly name: string;
  readonly cpus: number;
  readonly vms: number;
  readonly table: PageTable;
  private readonly batches: AccessBatch[];
  private readonly out: IdBatch[];

  constructor(
    private readonly source: AccessSource,
    readonly pageBytes: number,
  ) {
    this.name = source.name;
    this.cpus = source.cpus;
    this.vms = source.vms;
    this.table = new PageTable(source.footprintPages(pageBytes) ?? 1024);
    this.batches = Array.from({ length: this.cpus }, () => createBatch());
    this.out = this.batches.map((b) => ({ code: new Int32Array(b.capacity), gapNs: b.gapNs, content: b.content, start: 0, end: 0 }));
  }

  get keys(): PageKeys {
    return this.table;
  }

  streamPages(): number {
    return this.table.pages;
  }

  footprintPages(pageBytes: number): number | undefined {
    return this.source.footprintPages(pageBytes);
  }

  vmPages(vm: number): number | undefined {
    return (this.source as AccessSource & { vmPages?(vm: number): number | undefined }).vmPages?.(vm);
  }

  next(cpu: number): IdBatch | null | Promise<IdBatch | null> {
    const r = this.source.read(cpu, this.batches[cpu]);
    return typeof r === 'number' ? this.encode(cpu, r) : r.then((n) => this.encode(cpu, n));
  }

  private encode(cpu: number, n: number): IdBatch | null {
    if (n === 0) return null;
    const o = this.out[cpu];
    encodeBatch(this.table, this.batches[cpu], n, this.pageBytes, o.code);
    o.end = n;
    return o;
  }

  close(): void | Promise<void> {
    return this.source.close?.();
  }
}

/** One CPU of a translated stream held in memory, with the batch sizes of the source it came from. */
export interface IdTraceCpu {
  count: number;
  code: Int32Array;
  gapNs: Float32Array;
  content: Uint32Array | null;
  batches: Uint32Array;
}

/** A whole translated stream in memory (typed arrays only: structured-cloneable, shareable). */
export interface IdTrace {
  name: string;
  pageBytes: number;
  vms: number;
  cpus: IdTraceCpu[];
  /** Distinct pages (stream ids 0 … pages − 1) and their keys. */
  pages: number;
  keyLo: Int32Array;
  keyVmHi: Int32Array;
  /** The footprint the address source reported, per page size (what sizes the machine). */
  footprint4k: number | null;
  footprint2m: number | null;
  vmPages: number[] | null;
}

/** Read a whole address source once and translate it (CPU 0's stream first, then CPU 1's, …). */
export async function translateSource(source: AccessSource, pageBytes: number): Promise<IdTrace> {
  const ids = new StreamingIdSource(source, pageBytes);
  const cpus: IdTraceCpu[] = [];
  for (let cpu = 0; cpu < source.cpus; cpu++) {
    let code = new Int32Array(1 << 16);
    let gap = new Float32Array(1 << 16);
    let content = new Uint32Array(0);
    let anyContent = false;
    const sizes: number[] = [];
    let n = 0;
    for (;;) {
      const r = ids.next(cpu);
      const b = r instanceof Promise ? await r : r;
      if (b === null) break;
      const k = b.end - b.start;
      sizes.push(k);
      code = grow(code, n + k);
      gap = grow(gap, n + k);
      code.set(b.code.subarray(b.start, b.end), n);
      gap.set(b.gapNs.subarray(b.start, b.end), n);
      if (b.content !== null) {
        const c = b.content.subarray(b.start, b.end);
        if (!anyContent && c.some((v) => v !== 0)) {
          anyContent = true;
          content = new Uint32Array(code.length);
        }
        if (anyContent) {
          content = grow(content, n + k);
          content.set(c, n);
        }
      }
      n += k;
    }
    cpus.push({ count: n, code: code.slice(0, n), gapNs: gap.slice(0, n), content: anyContent ? content.slice(0, n) : null, batches: Uint32Array.from(sizes) });
  }
  const t = ids.table;
  const vmPages = ids.vmPages(0) === undefined ? null : Array.from({ length: source.vms }, (_, v) => ids.vmPages(v) ?? 0);
  await source.close?.();
  return {
    name: source.name,
    pageBytes,
    vms: source.vms,
    cpus,
    pages: t.pages,
    keyLo: t.lo.slice(0, t.pages),
    keyVmHi: t.vmHi.slice(0, t.pages),
    footprint4k: source.footprintPages(4096) ?? null,
    footprint2m: source.footprintPages(2 * 1024 * 1024) ?? null,
    vmPages,
  };
}

/** A stored stream's footprint at 4 KiB or 2 MiB pages, as its address source reported it. */
export function footprintOf(pageBytes: number, f: { footprint4k: number | null; footprint2m: number | null }): number | undefined {
  if (pageBytes === 4096) return f.footprint4k ?? undefined;
  if (pageBytes === 2 * 1024 * 1024) return f.footprint2m ?? undefined;
  return undefined;
}

/** Replays an IdTrace: the same batches, keys and footprint as the source it was translated from. */
export class StoredIdSource implements IdSource {
  readonly name: string;
  readonly cpus: number;
  readonly vms: number;
  readonly pageBytes: number;
  readonly keys: PageKeys;
  private readonly out: IdBatch[];
  private readonly nextBatch: Int32Array;

  constructor(private readonly t: IdTrace) {
    this.name = t.name;
    this.cpus = t.cpus.length;
    this.vms = t.vms;
    this.pageBytes = t.pageBytes;
    this.keys = { lo: t.keyLo, vmHi: t.keyVmHi };
    this.out = t.cpus.map((c) => ({ code: c.code, gapNs: c.gapNs, content: c.content, start: 0, end: 0 }));
    this.nextBatch = new Int32Array(this.cpus);
  }

  streamPages(): number {
    return this.t.pages;
  }

  footprintPages(pageBytes: number): number | undefined {
    return footprintOf(pageBytes, this.t);
  }

  vmPages(vm: number): number | undefined {
    return this.t.vmPages?.[vm];
  }

  next(cpu: number): IdBatch | null {
    const c = this.t.cpus[cpu];
    const k = this.nextBatch[cpu];
    if (k >= c.batches.length) return null;
    this.nextBatch[cpu] = k + 1;
    const o = this.out[cpu];
    o.start = o.end;
    o.end = o.start + c.batches[k];
    return o;
  }

  /** Start again from the first record (repeated benchmark runs). */
  rewind(): void {
    this.nextBatch.fill(0);
    for (const o of this.out) o.start = o.end = 0;
  }

  accessCounts(perCpuLimit: number): Float64Array {
    return countAccesses(this.t, perCpuLimit);
  }
}

/** Accesses per stream id over each CPU's first `perCpuLimit` records. */
export function countAccesses(t: IdTrace, perCpuLimit: number): Float64Array {
  const counts = new Float64Array(t.pages);
  const shift = 1 + subBitsOf(t.pageBytes);
  for (const c of t.cpus) {
    const n = Math.min(c.count, perCpuLimit);
    for (let i = 0; i < n; i++) counts[c.code[i] >>> shift]++;
  }
  return counts;
}
