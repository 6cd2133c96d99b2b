// What the engine's parts share: the run's constants, the state every part reads (pages, counters,
// clocks, the event queue) and the parts themselves, so that each part can ask another one for
// what it owns (faults ask the VM model to account a page-in, the VM model asks the page
// operations to evict). Built once by Engine; nothing here runs on the per-access fast path
// except through locals the access loop copies out of it.

import type { Config } from './config.ts';
import type { Tier } from './machine.ts';
import type { CostModel } from './cost-model.ts';
import { buildCostModel } from './cost-model.ts';
import type { Memory } from './memory.ts';
import { TimerHeap } from './timer-heap.ts';
import { HIST_BINS, counterCount } from './stats.ts';
import type { LoadedLatency } from './loaded-latency.ts';
import type { Sampler } from './sampler.ts';
import type { PolicySet } from './compose.ts';
import type { VmModel } from './vm-model.ts';
import type { HugePages } from './huge-pages.ts';
import type { Faults } from './faults.ts';
import type { PageOps } from './page-ops.ts';
import type { Pins } from './pins.ts';
import type { PageIds } from './page-ids.ts';
import type { Tlb } from './tlb.ts';
import { Oracle, oracleUndeclared } from './oracle.ts';
import type { PageTypes } from './page-types.ts';
import type { Storage } from './storage.ts';
import type { Zswap } from './swap.ts';
import { Psi } from './psi.ts';

export class SimError extends Error {
  override name = 'SimError';
}

export class Core {
  readonly pageBytes: number;
  /** 4 KiB sub-pages per page of the run, and log2 of it (the sub-page field of an access code). */
  readonly subPages: number;
  readonly subBits: number;
  readonly cpus: number;
  readonly tiers: number;
  readonly cost: CostModel;
  readonly counters: Float64Array;
  readonly histogram = new Float64Array(HIST_BINS);
  readonly events = new TimerHeap();
  /** Per CPU: its clock, and its clock had every access been at local idle latency (the slowdown's baseline). */
  readonly clockNs: Float64Array;
  readonly idealNs: Float64Array;
  /** Simulated time of the access or event being handled. */
  nowNs = 0;
  /** Pages the run expects to touch (the stream's pages or the source's footprint): sizes columns up front. */
  expectedPages = 1024;
  /** CPU whose fault is being handled (synchronous work stalls it), or -1 in a daemon. */
  ctxCpu = -1;
  /** Stall the faulting CPU accumulates while its fault is handled. */
  pendingStallNs = 0;

  // The parts (set by Engine, in this order).
  memory!: Memory;
  ids!: PageIds;
  load!: LoadedLatency;
  sampler!: Sampler;
  policies!: PolicySet;
  vm!: VmModel;
  huge!: HugePages;
  faults!: Faults;
  ops!: PageOps;
  /** Page types (anon, shmem, file, cache) and the storage device below the tiers; both off by default. */
  types!: PageTypes;
  storage!: Storage;
  /** zswap pool in front of swap (swap.ts); off by default. */
  zswap!: Zswap;
  pins!: Pins;
  /** Address translation (sim/tlb.ts); tlb.on is false unless tlb.enabled. */
  tlb!: Tlb;
  /** Memory stall account (PSI memory some, sim/psi.ts), read by Senpai-style reclaim. */
  readonly psi: Psi;

  constructor(
    readonly config: Config,
    readonly tierSpecs: readonly Tier[],
    pageBytes: number,
    cpus: number,
  ) {
    this.pageBytes = pageBytes;
    this.subPages = pageBytes / 4096;
    this.subBits = Math.log2(this.subPages);
    if (!Number.isInteger(this.subBits) || this.subBits < 0 || this.subBits > 18) {
      throw new SimError(`pageSizeKiB must be a power of two between 4 and 1048576, found ${pageBytes / 1024}`);
    }
    this.cpus = cpus;
    this.tiers = tierSpecs.length;
    this.cost = buildCostModel(config, tierSpecs, pageBytes, cpus);
    this.counters = new Float64Array(counterCount(this.tiers));
    this.clockNs = new Float64Array(cpus);
    this.idealNs = new Float64Array(cpus);
    this.psi = new Psi(cpus);
  }

  /** Whole-run access counts per stream id, for oracle policies (set by Engine when one is attached). */
  oracleCounts: (() => Float64Array) | null = null;
  private oracleState: Oracle | null = null;

  /** The run's oracle (counted on first use); `policy` names the caller in the error when none was declared. */
  oracle(policy: string): Oracle {
    if (this.oracleState === null) {
      if (this.oracleCounts === null || !this.policies.oracle) throw oracleUndeclared(policy);
      this.oracleState = new Oracle(this, this.oracleCounts());
    }
    return this.oracleState;
  }

  /** Host.warn: warning text → the run time that retracts it (Infinity: always shown). */
  readonly warnings = new Map<string, number>();

  /** Stall of the faulting CPU accumulated so far, reset. */
  takePendingStall(): number {
    const s = this.pendingStallNs;
    this.pendingStallNs = 0;
    return s;
  }
}
