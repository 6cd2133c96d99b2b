// An in-memory access stream: records generated or read once, replayed from typed arrays. Used by
// the benchmarks to time the engine without the generator or a reader, and by tests for small
// hand-written scenarios.

import type { AccessBatch, AccessSource } from './batch.ts';
import { createBatch } from './batch.ts';

export interface MemoryTrace {
  count: number;
  addrHi: Uint32Array;
  addrLo: Uint32Array;
  op: Uint8Array;
  gapNs: Float32Array;
}

/** Drain one CPU of a source into memory (bounded by `limit` records). */
export async function captureCpu(source: AccessSource, cpu: number, limit = Infinity): Promise<MemoryTrace> {
  let cap = 1 << 16;
  let t: MemoryTrace = alloc(cap);
  const b = createBatch();
  for (;;) {
    const r = source.read(cpu, b);
    const n = typeof r === 'number' ? r : await r;
    if (n === 0 || t.count >= limit) break;
    if (t.count + n > cap) {
      while (t.count + n > cap) cap *= 2;
      const u = alloc(cap);
      u.addrHi.set(t.addrHi.subarray(0, t.count));
      u.addrLo.set(t.addrLo.subarray(0, t.count));
      u.op.set(t.op.subarray(0, t.count));
      u.gapNs.set(t.gapNs.subarray(0, t.count));
      u.count = t.count;
      t = u;
    }
    t.addrHi.set(b.addrHi.subarray(0, n), t.count);
    t.addrLo.set(b.addrLo.subarray(0, n), t.count);
    t.op.set(b.op.subarray(0, n), t.count);
    t.gapNs.set(b.gapNs.subarray(0, n), t.count);
    t.count += n;
  }
  t.count = Math.min(t.count, limit);
  return t;
}

function alloc(cap: number): MemoryTrace {
  return { count: 0, addrHi: new Uint32Array(cap), addrLo: new Uint32Array(cap), op: new Uint8Array(cap), gapNs: new Float32Array(cap) };
}

/** Replays per-CPU memory traces (CPU i replays traces[i]); vm 0, no content. */
export class MemorySource implements AccessSource {
  readonly cpus: number;
  readonly vms = 1;
  private readonly pos: Float64Array;

  constructor(
    readonly name: string,
    private readonly traces: MemoryTrace[],
    private readonly footprint?: (pageBytes: number) => number | undefined,
  ) {
    this.cpus = traces.length;
    this.pos = new Float64Array(traces.length);
  }

  footprintPages(pageBytes: number): number | undefined {
    return this.footprint?.(pageBytes);
  }

  read(cpu: number, b: AccessBatch): number {
    const t = this.traces[cpu];
    const from = this.pos[cpu];
    const n = Math.min(b.capacity, t.count - from);
    if (n <= 0) return 0;
    b.addrHi.set(t.addrHi.subarray(from, from + n));
    b.addrLo.set(t.addrLo.subarray(from, from + n));
    b.op.set(t.op.subarray(from, from + n));
    b.gapNs.set(t.gapNs.subarray(from, from + n));
    b.cpu.fill(cpu, 0, n);
    b.vm.fill(0, 0, n);
    b.content.fill(0, 0, n);
    b.count = n;
    this.pos[cpu] = from + n;
    return n;
  }

  /** Start again from the first record (for repeated benchmark runs). */
  rewind(): void {
    this.pos.fill(0);
  }
}
