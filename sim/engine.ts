// The discrete-event engine (DESIGN.md "Time", "Engine shape"): the event loop and the CPUs'
// clocks. Everything else is a part of its own (core.ts wires them):
//
//   access-loop.ts   the per-access path          faults.ts       first touch, swap-in, traps
//   memory.ts        pages, frames, tiers          page-ops.ts     what policies ask (migrate, …)
//   page-ids.ts      stream ids → page ids         id-stream.ts    translated access streams
//   cost-model.ts    every charge                  loaded-latency  bandwidth → latency
//   compose.ts       policy + `--with` policies    policy-host.ts  the Host a policy is given
//   sampler.ts       PEBS-style sampling           vm-model.ts     VMs, guests, sharing
//   huge-pages.ts    splits, sub-page marks        invariants.ts   checks for tests
//   tlb.ts           dTLBs, page walks, shootdowns
//
// - One clock per CPU (trace thread). The CPU with the smallest clock runs next, until its clock
//   passes the next CPU's clock by more than run.cpuQuantumNs, or the next event is due.
// - Events — warm-up end, epoch ends, the sampler's drain, policy timers — are one queue keyed
//   (time, priority, sequence): an epoch [a, b) closes before a timer due at b fires, and the
//   warm-up snapshot before both. Trace records are not events.
// - Closed loop: an access advances its CPU by the compute gap plus latency / mlp, plus any stall.
// - The engine alone writes placement, capacity counters and clocks; policies act through the
//   Host object they are given (policy-host.ts), never through this class.

import type { Config } from './config.ts';
import type { Tier } from './machine.ts';
import type { AccessSource } from '../traces/batch.ts';
import { Core, SimError } from './core.ts';
import type { PolicyDefinition, PolicyHooks, VmHost, OracleHost } from './host.ts';
import { Memory } from './memory.ts';
import { PageIds } from './page-ids.ts';
import { LoadedLatency } from './loaded-latency.ts';
import { Sampler } from './sampler.ts';
import { PolicySet } from './compose.ts';
import { VmModel } from './vm-model.ts';
import type { VmResult } from './vm-model.ts';
import { HugePages } from './huge-pages.ts';
import { Tlb } from './tlb.ts';
import { Faults } from './faults.ts';
import { PageOps } from './page-ops.ts';
import { Pins } from './pins.ts';
import { AccessLoop } from './access-loop.ts';
import { PageTypes, regionsFromConfig } from './page-types.ts';
import { Storage } from './storage.ts';
import { Zswap } from './swap.ts';
import { checkInvariants } from './invariants.ts';
import { StreamingIdSource, isIdSource } from './id-stream.ts';
import type { IdSource } from './id-stream.ts';
import { HIST_BINS } from './stats.ts';
import { PRIORITY_EPOCH, PRIORITY_WARMUP, TAG_EPOCH_END, TAG_KHUGEPAGED, TAG_SAMPLE_DRAIN, TAG_WARMUP_END } from './timer-heap.ts';

export { SimError };
export { VS_MAPPED, VS_TOUCHED, VS_GUEST_RESIDENT, VS_BALLOON, VS_BALLOON_TARGET, VS_ACTIVE, VS_GUEST_PAGE_OUTS, VS_GUEST_PAGE_INS, VS_HOST_PAGE_OUTS, VS_HOST_PAGE_INS, VS_COW_BREAKS, VS_STALL_NS, VS_STRIDE, VS_NAMES } from './vm-model.ts';
export type { VmEpochRow, VmResult } from './vm-model.ts';

/**
 * How a caller watches and stops a run (the CLI's progress bar, SIGTERM/SIGINT handling). The run
 * loop yields to Node's event loop at least every `yieldEveryMs` of wall time (default 50), so that
 * signal handlers and timers get to run; it then reports progress and, if `signal` is aborted,
 * throws a RunAborted error. Yielding never changes results: it happens between turns.
 */
export interface RunControl {
  signal?: AbortSignal;
  onProgress?(p: RunProgress): void;
  yieldEveryMs?: number;
}

export interface RunProgress {
  /** Accesses simulated so far. */
  accesses: number;
  /** The smallest CPU clock: simulated time reached, in ns. */
  simNowNs: number;
}

/** The run was stopped through RunControl.signal (SIGTERM, SIGINT): nothing it computed is a result. */
export class RunAborted extends Error {
  override name = 'RunAborted';
}

export interface EpochRow {
  epoch: number;
  endMs: number;
  counters: Float64Array;
  policyCounters: Float64Array;
  usedFrames: Float64Array;
}

export interface EngineResult {
  /** Counters over the measured period (end minus warm-up snapshot). */
  counters: Float64Array;
  policyCounterNames: string[];
  policyCounters: Float64Array;
  histogram: Float64Array;
  simTimeNs: number;
  /** Simulated time the summary starts at: run.warmupMs, or 0 if the run ended inside the warm-up. */
  measuredFromNs: number;
  idealTimeNs: number;
  usedFrames: Float64Array;
  epochs: EpochRow[];
  pages: number;
  /** Distinct 4 KiB sub-pages touched (equals pages for 4 KiB runs). */
  touchedSubpages: number;
  /** Bytes of per-page engine state: page and frame columns, page-id maps, translation keys and table. */
  engineBytes: number;
  /** The VM model's per-VM results, when the run has one (a VM policy attached, vm.count set, or a multi-VM source). */
  vm?: VmResult;
  /** Pinned-page columns (sim/pins.ts), when the run has pinned ranges or a movable tier. */
  pins?: Array<[string, number]>;
  /** Policies' warnings about what the results mean (Host.warn), those the run did not outlive. */
  warnings: string[];
}

/** Counter values at a point in time (warm-up end, epoch end). */
interface Snapshot {
  counters: Float64Array;
  policy: Float64Array;
  histogram: Float64Array;
  idealNs: number;
  pins: Float64Array;
}

export class Engine {
  readonly pageBytes: number;
  readonly tiers: number;
  readonly cpus: number;
  private readonly core: Core;
  private readonly source: IdSource;
  private readonly loop: AccessLoop;

  constructor(config: Config, tiers: Tier[], source: AccessSource | IdSource) {
    this.pageBytes = (config.pageSizeKiB as number) * 1024;
    const src: IdSource = isIdSource(source) ? source : new StreamingIdSource(source, this.pageBytes);
    if (src.pageBytes !== this.pageBytes) throw new SimError(`the access stream is translated for ${src.pageBytes / 1024} KiB pages but the run has ${this.pageBytes / 1024} KiB pages`);
    this.source = src;
    this.tiers = tiers.length;
    this.cpus = src.cpus;
    const core = (this.core = new Core(config, tiers, this.pageBytes, src.cpus));
    // Columns are sized from what the stream will touch: exactly for a stored stream, the
    // source's footprint for one translated as it runs.
    const expected = Math.max(src.streamPages(), src.footprintPages(this.pageBytes) ?? 0) || 1024;
    core.expectedPages = expected;
    core.memory = new Memory(tiers, this.pageBytes, expected);
    core.ids = new PageIds(core.memory, src.keys, src.cpus > 1, expected);
    core.load = new LoadedLatency(core.cost, core.counters, config);
    core.sampler = new Sampler(core);
    core.policies = new PolicySet(core);
    core.vm = new VmModel(core, src.vms, src.vmPages?.bind(src));
    core.huge = new HugePages(core, expected);
    core.types = new PageTypes();
    core.types.setRegions(regionsFromConfig(config));
    core.storage = new Storage(config);
    core.zswap = new Zswap(config, tiers.reduce((a, t) => a + t.capacityFrames, 0), this.pageBytes, tiers.length);
    core.tlb = new Tlb(core);
    core.faults = new Faults(core);
    core.ops = new PageOps(core);
    core.pins = new Pins(core);
    this.loop = new AccessLoop(core);
    core.tlb.active = this.loop.active;
    const counts = src.accessCounts?.bind(src);
    if (counts) {
      const max = (config['run.maxAccesses'] as number) || Infinity;
      core.oracleCounts = () => counts(Math.ceil(max / src.cpus));
    }
  }

  /** Instantiate the main policy; it gets a Host of its own. */
  attach(policy: PolicyDefinition, params: Record<string, unknown>): void {
    this.core.policies.attach(policy, params);
  }

  /** Attach an extra policy alongside the main one (`--with`): see compose.ts. */
  attachWith(policy: PolicyDefinition, params: Record<string, unknown>): void {
    this.core.policies.attachWith(policy, params);
  }

  /** The main policy's Host (for tests and tools that inspect a run; policies get their own). */
  get host(): VmHost & OracleHost {
    const h = this.core.policies.hosts[0];
    if (!h) throw new SimError('attach a policy first');
    return h;
  }

  /** The hooks an attached policy returned (0 = the main policy), for tests and tools that inspect its state. */
  policyHooks(owner = 0): PolicyHooks {
    const h = this.core.policies.all[owner];
    if (!h) throw new SimError(`no policy attached at ${owner}`);
    return h;
  }

  get usedFrames(): Float64Array {
    return this.core.memory.usedFrames;
  }

  /** Frames allocated and not freed (fewer than mapped pages when frames are shared). */
  get liveFrames(): number {
    return this.core.memory.liveFrames;
  }

  /** Mapped pages per tier and page type, at [tier · 4 + PT_*] (a scan of the pages: for reports and tests, not per access). */
  pageTypeCounts(): Float64Array {
    const m = this.core.memory;
    const types = this.core.types;
    const out = new Float64Array(this.tiers * 4);
    for (let p = 0; p < m.pages; p++) {
      const t = m.tierOf(p);
      if (t >= 0) out[t * 4 + types.of(p)]++;
    }
    return out;
  }

  /** zswap's counters (swap.ts ZS_*), zero when it is off. */
  get zswapStats(): Float64Array {
    return this.core.zswap.stats;
  }

  /** The storage device's counters (storage.ts ST_*), zero when it is off. */
  get storageStats(): Float64Array {
    return this.core.storage.stats;
  }

  /** Engine invariants (see invariants.ts): the violations found, empty when all hold. */
  checkInvariants(): string[] {
    return checkInvariants(this.core);
  }

  // ---------------------------------------------------------------- the event loop

  async run(control: RunControl = {}): Promise<EngineResult> {
    const core = this.core;
    const loop = this.loop;
    const config = core.config;
    const yieldEveryMs = control.yieldEveryMs ?? 50;
    let nextYieldMs = performance.now() + yieldEveryMs;
    let turns = 0;
    const epochNs = (config['stats.epochMs'] as number) * 1e6;
    const warmupNs = (config['run.warmupMs'] as number) * 1e6;
    const maxAccesses = (config['run.maxAccesses'] as number) || Infinity;
    const quantumNs = config['run.cpuQuantumNs'] as number;
    core.events.push(epochNs, TAG_EPOCH_END, PRIORITY_EPOCH);
    if (warmupNs > 0) core.events.push(warmupNs, TAG_WARMUP_END, PRIORITY_WARMUP);
    let warm: Snapshot | null = null;
    const epochs: EpochRow[] = [];
    let lastEpoch: Snapshot = { counters: new Float64Array(core.counters.length), policy: new Float64Array(0), histogram: core.histogram, idealNs: 0, pins: new Float64Array(0) };
    const closeEpoch = (endNs: number) => {
      // Speed trick: an epoch row reads counters only, so the latency histogram (5,056 bins, 40 KB)
      // is not copied at every epoch end (~800 per core-workload run).
      const now = this.snapshot(false);
      epochs.push({
        epoch: epochs.length,
        endMs: endNs / 1e6,
        counters: subtract(now.counters.slice(), lastEpoch.counters),
        policyCounters: subtract(now.policy.slice(), lastEpoch.policy),
        usedFrames: core.memory.usedFrames.slice(),
      });
      lastEpoch = now;
      if (core.vm.on) core.vm.epochs.push(core.vm.snapshot(endNs));
    };

    for (let c = 0; c < this.cpus; c++) await this.refill(c);
    let total = 0;
    for (;;) {
      // The CPU with the smallest clock, and the clock it may run up to.
      let c = -1;
      let min = Infinity;
      let second = Infinity;
      for (let i = 0; i < this.cpus; i++) {
        if (!loop.active[i]) continue;
        const t = core.clockNs[i];
        if (t < min) {
          second = min;
          min = t;
          c = i;
        } else if (t < second) second = t;
      }
      if (c < 0 || total >= maxAccesses) break;
      // Every 16 turns, look at the wall clock; past the yield point, let the event loop run
      // (signal handlers, the progress bar) and stop if the run was aborted.
      if ((++turns & 15) === 0 && performance.now() >= nextYieldMs) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (control.signal?.aborted) throw new RunAborted('run aborted');
        control.onProgress?.({ accesses: total, simNowNs: min });
        nextYieldMs = performance.now() + yieldEveryMs;
      }
      // Events due by the smallest clock are handled in (time, priority, sequence) order.
      const nextEvent = core.events.peekTimeNs();
      if (nextEvent <= min) {
        const tag = core.events.pop();
        if (tag === TAG_WARMUP_END) warm = this.snapshot();
        else if (tag === TAG_EPOCH_END) {
          closeEpoch(nextEvent);
          core.events.push(nextEvent + epochNs, TAG_EPOCH_END, PRIORITY_EPOCH);
        } else this.fireTimer(tag, nextEvent);
        continue;
      }
      // Run CPU c until it passes the next CPU's clock by more than the quantum, or the next event.
      const limit = second + quantumNs < nextEvent ? second + quantumNs : nextEvent;
      total += loop.run(c, limit, maxAccesses - total);
      // The loop may have run other CPUs' turns after c's; only the last one can have ended its batch.
      c = loop.lastCpu;
      const b = loop.batch[c]!;
      if (loop.pos[c] >= b.end) await this.refill(c);
    }
    const endNs = max(core.clockNs);
    // Samples still in the ring when the trace ends are drained once more, so that none vanish.
    core.nowNs = endNs;
    if (core.sampler.pending > 0) core.sampler.drain();
    closeEpoch(endNs);
    return this.result(endNs, warm, warmupNs, epochs);
  }

  private fireTimer(tag: number, timeNs: number): void {
    const core = this.core;
    core.nowNs = timeNs;
    if (tag === TAG_SAMPLE_DRAIN) {
      core.sampler.onDrainTimer(timeNs);
      return;
    }
    if (tag === TAG_KHUGEPAGED) {
      core.huge.thp!.khugepaged(timeNs);
      core.faults.checkPressure();
      return;
    }
    core.policies.fire(tag, timeNs);
    core.faults.checkPressure();
  }

  private async refill(c: number): Promise<void> {
    const loop = this.loop;
    const r = this.source.next(c);
    const b = r instanceof Promise ? await r : r;
    loop.batch[c] = b;
    loop.gapTakenAt[c] = -1;
    if (b === null) {
      loop.active[c] = 0;
      return;
    }
    loop.pos[c] = b.start;
    loop.prefetchedTo[c] = b.start;
    this.core.ids.ensureStream(this.source.streamPages());
  }

  /** The run's totals so far; withHistogram = false leaves the live histogram in (for snapshots that never read it). */
  private snapshot(withHistogram = true): Snapshot {
    const core = this.core;
    const histogram = withHistogram ? core.histogram.slice() : core.histogram;
    return { counters: core.counters.slice(), policy: core.policies.snapshot(), histogram, idealNs: max(core.idealNs), pins: core.pins.counters.slice() };
  }

  private result(endNs: number, warm: Snapshot | null, warmupNs: number, epochs: EpochRow[]): EngineResult {
    const core = this.core;
    const m = core.memory;
    // A run that ends inside its warm-up reports everything rather than nothing, and says so
    // through measuredFromNs = 0.
    const measuredFromNs = warm !== null ? Math.max(0, warmupNs) : 0;
    const base = warm ?? { counters: new Float64Array(core.counters.length), policy: new Float64Array(0), histogram: new Float64Array(HIST_BINS), idealNs: 0, pins: new Float64Array(core.pins.counters.length) };
    const policy = core.policies.snapshot();
    const table = this.source instanceof StreamingIdSource ? this.source.table.bytes() : 0;
    const keys = this.source.keys.lo.byteLength + this.source.keys.vmHi.byteLength;
    return {
      counters: subtract(core.counters.slice(), base.counters),
      policyCounterNames: core.policies.counterNames.slice(),
      policyCounters: subtract(policy, padTo(base.policy, policy.length)),
      histogram: subtract(core.histogram.slice(), base.histogram),
      simTimeNs: endNs - measuredFromNs,
      measuredFromNs,
      idealTimeNs: max(core.idealNs) - base.idealNs,
      usedFrames: m.usedFrames.slice(),
      epochs,
      pages: m.pages,
      touchedSubpages: core.huge.on ? core.huge.touchedSubpages : m.pages,
      engineBytes: m.bytes() + core.ids.bytes() + core.huge.bytes() + core.tlb.bytes() + core.pins.pinned.byteLength + core.vm.pageContent.byteLength + (table > 0 ? table : keys),
      vm: core.vm.result(endNs),
      pins: core.pins.report ? core.pins.columns(subtract(core.pins.counters.slice(), base.pins)) : undefined,
      warnings: [...core.warnings].filter(([, untilNs]) => endNs < untilNs).map(([text]) => text),
    };
  }
}

function subtract(a: Float64Array, b: Float64Array): Float64Array {
  for (let i = 0; i < a.length && i < b.length; i++) a[i] -= b[i];
  return a;
}

function padTo(a: Float64Array, n: number): Float64Array {
  if (a.length >= n) return a;
  const b = new Float64Array(n);
  b.set(a);
  return b;
}

function max(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m;
}
