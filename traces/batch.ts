// Access batches: the only shape in which accesses travel from a reader or generator to the
// engine. Columns are typed arrays filled in place, so no object is ever made per record.

/** Op codes in `AccessBatch.op`. Module constants, not an enum: per-file transpilers inline neither. */
export const OP_READ = 0;
export const OP_WRITE = 1;

/** Records per batch by default: large enough to amortise a call, small enough to stay in L2. */
export const DEFAULT_BATCH_RECORDS = 8192;

export interface AccessBatch {
  /** Records the columns can hold. */
  readonly capacity: number;
  /** Records filled by the last read. */
  count: number;
  /** Full 64-bit byte address, split because a double cannot hold 64 bits exactly. */
  readonly addrHi: Uint32Array;
  readonly addrLo: Uint32Array;
  /** OP_READ or OP_WRITE. */
  readonly op: Uint8Array;
  /** Trace thread (simulated CPU) and virtual machine of each record. */
  readonly cpu: Uint16Array;
  readonly vm: Uint16Array;
  /** Compute time on the CPU before this access, in nanoseconds. */
  readonly gapNs: Float32Array;
  /** Content fingerprint written by this access (0 = unknown / unchanged). */
  readonly content: Uint32Array;
}

/** The per-record columns of a batch; records held in memory use the same columns and names. */
export type RecordColumns = Pick<AccessBatch, 'addrHi' | 'addrLo' | 'op' | 'vm' | 'gapNs' | 'content'>;
export const RECORD_COLUMNS = ['addrHi', 'addrLo', 'op', 'vm', 'gapNs', 'content'] as const;

/** Empty record columns for `capacity` records. */
export function allocRecords(capacity: number): RecordColumns {
  return {
    addrHi: new Uint32Array(capacity),
    addrLo: new Uint32Array(capacity),
    op: new Uint8Array(capacity),
    vm: new Uint16Array(capacity),
    gapNs: new Float32Array(capacity),
    content: new Uint32Array(capacity),
  };
}

/** Copy records [start, start + n) of `from` to `to` at `at` (the cpu column is the caller's). */
export function copyRecords(from: RecordColumns, start: number, to: RecordColumns, at: number, n: number): void {
  to.addrHi.set(from.addrHi.subarray(start, start + n), at);
  to.addrLo.set(from.addrLo.subarray(start, start + n), at);
  to.op.set(from.op.subarray(start, start + n), at);
  to.vm.set(from.vm.subarray(start, start + n), at);
  to.gapNs.set(from.gapNs.subarray(start, start + n), at);
  to.content.set(from.content.subarray(start, start + n), at);
}

export function createBatch(capacity = DEFAULT_BATCH_RECORDS): AccessBatch {
  return {
    capacity,
    count: 0,
    addrHi: new Uint32Array(capacity),
    addrLo: new Uint32Array(capacity),
    op: new Uint8Array(capacity),
    cpu: new Uint16Array(capacity),
    vm: new Uint16Array(capacity),
    gapNs: new Float32Array(capacity),
    content: new Uint32Array(capacity),
  };
}

/**
 * Where accesses come from: a synthetic generator or a trace reader.
 * The engine keeps one clock per CPU and always advances the CPU whose clock is smallest, so a
 * source hands out each CPU's records separately (`read(cpu, batch)`), in that CPU's program order.
 */
export interface AccessSource {
  /** Human-readable name, e.g. the workload spec or the trace path. */
  readonly name: string;
  /** Number of trace threads; CPUs are numbered 0 … cpus − 1. */
  readonly cpus: number;
  /** Number of virtual machines (1 for a plain process trace). */
  readonly vms: number;
  /** Distinct pages of `pageBytes` the source will touch, when known before the run; else undefined. */
  footprintPages(pageBytes: number): number | undefined;
  /** Fill `batch` with the next records of `cpu`; resolve to the count, 0 at the end of that CPU's stream. */
  read(cpu: number, batch: AccessBatch): number | Promise<number>;
  /** Release files and workers. */
  close?(): void | Promise<void>;
}
