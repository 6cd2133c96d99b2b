// One read-only copy of a trace shared by all worker threads of a sweep.
//
// A trace point spends nearly all its time decoding the file (decompression, text parsing) and
// running it through the LLC filter — the sort trace: 27 M records read for 88 k that reach the
// engine, 7–9 s per point. Every point of a sweep over policies and capacities reads the same
// stream, so the sweep reads it once: the main thread opens the source exactly as a run does
// (run.ts openSource: the format reader, the LLC filter per llc.*), drains it into typed arrays
// backed by SharedArrayBuffers, and every worker replays that memory. Posting a SharedArrayBuffer
// to a worker shares it (no copy), so N workers hold one copy.
//
// Exactness: the replay hands the engine the same records in the same batches (the batch sizes of
// the original reads are recorded), the same footprint (both page sizes) and the same input stats
// (bad records, LLC hits) as the live source, so a point's row is byte-identical to `npm run sim`
// (tested). That holds when the stream does not depend on the engine:
//   - a multi-CPU trace behind the LLC filter is not shared: CPUs meet the one cache in the order
//     the engine pulls their batches, which depends on simulated time, hence on the policy;
//   - run.maxAccesses > 0 is not shared: the run stops reading early, and its LLC stats with it.
// Points that do not qualify simply open the trace themselves, as before.
//
// Which points share a stream: equal values of every key except those only the engine, machine and
// policies read (policy*, machine.*, cost.*, cpu.*, sampler.*, stats.*, run.warmupMs, seed,
// pageSizeKiB, workload). A key added later by a trace reader is therefore part of the share key
// by default: it can only prevent sharing, never share streams that differ.

import type { Config } from './config.ts';
import { openSource } from './run.ts';
import type { AccessBatch, AccessSource } from '../traces/batch.ts';
import { copyRecords } from '../traces/batch.ts';
import { captureCpu } from '../traces/memory-source.ts';
import type { MemoryTrace } from '../traces/memory-source.ts';
import { LlcFilterSource } from '../traces/llc-filter.ts';
import type { TraceRunStats } from '../traces/source.ts';

const ENGINE_ONLY = [/^policy(\.|$)/, /^machine\./, /^cost\./, /^cpu\./, /^sampler\./, /^stats\./, /^run\.warmupMs$/, /^seed$/, /^pageSizeKiB$/, /^workload$/];

/** The share key of a point's input stream, or undefined if the point must read its trace itself. */
export function shareKey(config: Config): string | undefined {
  if (config.trace === null || config.trace === undefined) return undefined;
  if ((config['run.maxAccesses'] as number) > 0) return undefined;
  const keyed: Array<[string, unknown]> = [];
  for (const k of Object.keys(config).sort()) if (!ENGINE_ONLY.some((re) => re.test(k))) keyed.push([k, config[k]]);
  return JSON.stringify(keyed);
}

/** One CPU's records in shared memory, and the sizes of the batches the live source returned. */
interface SharedCpu extends MemoryTrace {
  batches: Uint32Array;
}

/** Everything a worker needs to replay the stream; structured-cloneable (typed arrays over SharedArrayBuffers). */
export interface SharedTrace {
  name: string;
  vms: number;
  cpus: SharedCpu[];
  footprint4k: number | null;
  footprint2m: number | null;
  stats: TraceRunStats | undefined;
  records: number;
}

/** A copy of src[0, n) in a SharedArrayBuffer, same element type. */
function sharedCopy<T extends Uint32Array | Uint8Array | Uint16Array | Float32Array>(src: T, n: number): T {
  const Ctor = src.constructor as new (b: SharedArrayBuffer) => T;
  const out = new Ctor(new SharedArrayBuffer(Math.max(1, n) * src.BYTES_PER_ELEMENT));
  out.set(src.subarray(0, n) as never);
  return out;
}

/**
 * Read a point's source once into shared memory. Returns undefined when the stream would not be
 * the same for every policy (a multi-CPU trace behind the LLC filter); the points then read it themselves.
 */
export async function captureSource(config: Config): Promise<SharedTrace | undefined> {
  const { source, stats } = await openSource(config);
  try {
    if (source.cpus > 1 && source instanceof LlcFilterSource) return undefined;
    const cpus: SharedCpu[] = [];
    let records = 0;
    for (let cpu = 0; cpu < source.cpus; cpu++) {
      const sizes: number[] = [];
      const t = await captureCpu(source, cpu, Infinity, sizes);
      const n = t.count;
      records += n;
      cpus.push({
        count: n,
        addrHi: sharedCopy(t.addrHi, n),
        addrLo: sharedCopy(t.addrLo, n),
        op: sharedCopy(t.op, n),
        vm: sharedCopy(t.vm, n),
        gapNs: sharedCopy(t.gapNs, n),
        content: sharedCopy(t.content, n),
        batches: sharedCopy(Uint32Array.from(sizes), sizes.length),
      });
    }
    return {
      name: source.name,
      vms: source.vms,
      cpus,
      footprint4k: source.footprintPages(4096) ?? null,
      footprint2m: source.footprintPages(2 * 1024 * 1024) ?? null,
      stats: stats(),
      records,
    };
  } finally {
    await source.close?.();
  }
}

/** Replays a SharedTrace: same records, same batch sizes, same footprint as the live source. */
export class SharedTraceSource implements AccessSource {
  readonly name: string;
  readonly cpus: number;
  readonly vms: number;
  private readonly pos: Float64Array;
  private readonly nextBatch: Float64Array;
  /** Records left of the recorded batch being handed out (a smaller engine batch takes it in parts). */
  private readonly left: Float64Array;

  constructor(private readonly t: SharedTrace) {
    this.name = t.name;
    this.cpus = t.cpus.length;
    this.vms = t.vms;
    this.pos = new Float64Array(this.cpus);
    this.nextBatch = new Float64Array(this.cpus);
    this.left = new Float64Array(this.cpus);
  }

  footprintPages(pageBytes: number): number | undefined {
    if (pageBytes === 4096) return this.t.footprint4k ?? undefined;
    if (pageBytes === 2 * 1024 * 1024) return this.t.footprint2m ?? undefined;
    return undefined;
  }

  read(cpu: number, b: AccessBatch): number {
    const c = this.t.cpus[cpu];
    let left = this.left[cpu];
    if (left === 0) {
      const k = this.nextBatch[cpu];
      if (k >= c.batches.length) return (b.count = 0);
      left = c.batches[k];
      this.nextBatch[cpu] = k + 1;
    }
    const from = this.pos[cpu];
    const n = Math.min(left, b.capacity);
    copyRecords(c, from, b, 0, n);
    b.cpu.fill(cpu, 0, n);
    b.count = n;
    this.pos[cpu] = from + n;
    this.left[cpu] = left - n;
    return n;
  }
}
