// An in-memory access stream: records generated or read once, replayed from typed arrays. Used by
// the benchmarks to time the engine without the generator or a reader, by sweeps to share one
// read of a trace between workers, and by tests for small hand-written scenarios.

import type { AccessBatch, AccessSource, RecordColumns } from './batch.ts';
import { allocRecords, copyRecords, createBatch } from './batch.ts';

/** One CPU's records in memory. */
export interface MemoryTrace extends RecordColumns {
  count: number;
}

/**
 * Drain one CPU of a source into memory (at most `limit` records). When `batchSizes` is given, the
 * size of every batch the source returned is appended to it, so a replay can hand out the same batches.
 */
export async function captureCpu(source: AccessSource, cpu: number, limit = Infinity, batchSizes?: number[]): Promise<MemoryTrace> {
  let cap = 1 << 16;
  let t: MemoryTrace = { count: 0, ...allocRecords(cap) };
  const b = createBatch();
  while (t.count < limit) {
    const r = source.read(cpu, b);
    const n = Math.min(typeof r === 'number' ? r : await r, limit - t.count);
    if (n === 0) break;
    batchSizes?.push(n);
    if (t.count + n > cap) {
      while (t.count + n > cap) cap *= 2;
      const grown: MemoryTrace = { count: t.count, ...allocRecords(cap) };
      copyRecords(t, 0, grown, 0, t.count);
      t = grown;
    }
    copyRecords(b, 0, t, t.count, n);
    t.count += n;
  }
  return t;
}

export interface MemorySourceOptions {
  /** Footprint in pages of a given size, when the caller knows it. */
  footprint?: (pageBytes: number) => number | undefined;
  /** Virtual machines in the records' vm column (default 1), and pages per VM when known. */
  vms?: number;
  vmPages?: (vm: number) => number | undefined;
}

/** Replays per-CPU memory traces (CPU i replays traces[i]). */
export class MemorySource implements AccessSource {
  readonly cpus: number;
  readonly vms: number;
  private readonly pos: Float64Array;

  constructor(
    readonly name: string,
    private readonly traces: MemoryTrace[],
    private readonly opts: MemorySourceOptions = {},
  ) {
    this.cpus = traces.length;
    this.vms = opts.vms ?? 1;
    this.pos = new Float64Array(traces.length);
  }

  footprintPages(pageBytes: number): number | undefined {
    return this.opts.footprint?.(pageBytes);
  }

  vmPages(vm: number): number | undefined {
    return this.opts.vmPages?.(vm);
  }

  read(cpu: number, b: AccessBatch): number {
    const t = this.traces[cpu];
    const from = this.pos[cpu];
    const n = Math.min(b.capacity, t.count - from);
    if (n <= 0) return (b.count = 0);
    copyRecords(t, from, b, 0, n);
    b.cpu.fill(cpu, 0, n);
    b.count = n;
    this.pos[cpu] = from + n;
    return n;
  }

  /** Start again from the first record (for repeated benchmark runs). */
  rewind(): void {
    this.pos.fill(0);
  }
}
