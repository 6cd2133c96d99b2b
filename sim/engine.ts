// The discrete-event engine (DESIGN.md "Flow of one access", "Time").
//
// - One clock per CPU (trace thread). The CPU with the smallest clock runs next; it keeps running
//   until its clock passes the next CPU's clock, the next timer or the end of the epoch, so a
//   single-CPU run is a tight loop over typed arrays.
// - Closed loop: an access advances its CPU by the compute gap plus latency / mlp, plus any stall
//   (allocation fault, hint fault, synchronous migration).
// - Policy daemons are timers in a (time, sequence) heap; trace records are not heap events.
// - The engine alone writes placement (page → frame → tier), capacity counters and clocks. It
//   implements the Host that policies act through; host calls never re-enter the policy.
// - Loaded latency: each tier's bandwidth use over the last window sets its latency for the next
//   window (M/M/1 shape, see machine.queueFactor), so a saturated tier is slower, not idle-fast.

import seedrandom from 'seedrandom';
import type { Config } from './config.ts';
import type { Tier } from './machine.ts';
import { PageTable, REC, R_FRAME, R_FLAGS, FLAG_MASK, TIER_SHIFT } from './page-table.ts';
import { TimerHeap } from './timer-heap.ts';
import { buildCostModel } from './cost-model.ts';
// Named imports, not a namespace: a namespace property load on a cold path deoptimises the hot loop.
import {
  C_ACCESSES, C_DEMOTED, C_EVICTED, C_FIRST_TOUCH_FAULTS, C_HINT_FAULTS, C_KERNEL_CPU_NS, C_LATENCY_SUM_NS, C_MIGRATED_BYTES, C_PROMOTED, C_PTE_SCANS, C_READS, C_SAMPLES, C_SAMPLES_LOST, C_STALL_NS, C_SWAP_INS, C_TIER_BASE, HIST_BINS, TIER_STRIDE, counterCount, latencyBin,
} from './stats.ts';
import type { AccessBatch, AccessSource } from '../traces/batch.ts';
import { createBatch, OP_WRITE } from '../traces/batch.ts';
import type { VmHost, PolicyHooks, PolicyDefinition } from './host.ts';
import {
  EVENT_KINDS, EVENT_LOAD_LOCAL, EVENT_LOAD_REMOTE, EVENT_STORE, FAULT_FIRST_TOUCH, FAULT_HINT, FAULT_SWAP_IN,
  PAGE_ACCESSED, PAGE_COW, PAGE_DIRTY, PAGE_GUEST_PAGED, PAGE_HINT_ARMED, PAGE_SWAPPED, PAGE_TOUCH_SAMPLE,
  PAGE_SPLIT, PAGE_BASE,
} from './host.ts';
import { resolveVms } from './vm-config.ts';
import { VmPageLists } from './vm-pages.ts';
import type { VmSpec } from './vm-config.ts';

/**
 * Engine-internal timer tags are negative; a policy timer's tag is ((id << OWNER_BITS) | owner)·2,
 * + 1 if periodic, where owner is the policy's index (0 = the main policy, then `with` policies).
 */
const TAG_SAMPLE_DRAIN = -1;
const OWNER_BITS = 4;
const MAX_POLICIES = 1 << OWNER_BITS;
/** Traps an access raises whatever its kind (hint fault, active-memory sample); a write also traps on PAGE_COW. */
const TRAP_ANY = PAGE_HINT_ARMED | PAGE_TOUCH_SAMPLE;
const COW_SHIFT = 4; // PAGE_COW = 1 << 4: w << COW_SHIFT selects the COW trap for writes only

/**
 * Per-VM state, VS_STRIDE Float64 columns per VM (engine-owned; reported in vm-timeseries.csv).
 * Levels: mapped (host-backed pages), touched, guestResident, balloon, balloonTarget, active.
 * Cumulative: guest page-outs / page-ins, host page-outs / page-ins, COW breaks, stall ns.
 */
export const VS_MAPPED = 0;
export const VS_TOUCHED = 1;
export const VS_GUEST_RESIDENT = 2;
export const VS_BALLOON = 3;
export const VS_BALLOON_TARGET = 4;
export const VS_ACTIVE = 5;
export const VS_GUEST_PAGE_OUTS = 6;
export const VS_GUEST_PAGE_INS = 7;
export const VS_HOST_PAGE_OUTS = 8;
export const VS_HOST_PAGE_INS = 9;
export const VS_COW_BREAKS = 10;
export const VS_STALL_NS = 11;
export const VS_STRIDE = 12;
export const VS_NAMES = [
  'allocatedPages', 'touchedPages', 'guestResidentPages', 'balloonPages', 'balloonTargetPages', 'activeEstimate',
  'guestPageOuts', 'guestPageIns', 'hostPageOuts', 'hostPageIns', 'cowBreaks', 'vmStallNs',
];
/** Records translated to page ids ahead of the access loop (see Engine.translate). */
const TRANSLATE_CHUNK = 1024;
/** Smallest translate chunk when several CPUs share the caches (see Engine.translateChunk). */
const TRANSLATE_CHUNK_MIN = 128;

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

export class SimError extends Error {
  override name = 'SimError';
}

export interface EpochRow {
  epoch: number;
  endMs: number;
  counters: Float64Array;
  policyCounters: Float64Array;
  usedFrames: Float64Array;
}

/** One epoch of the VM model: per-VM state columns (VS_*), clocks and the host's sharing and memory state. */
export interface VmEpochRow {
  endMs: number;
  stats: Float64Array;
  /** Per VM: simulated time of its CPUs and their all-local ideal time (for its slowdown). */
  timeNs: Float64Array;
  idealNs: Float64Array;
  memState: number;
  sharedPages: number;
  framesSaved: number;
}

export interface VmResult {
  count: number;
  spec: VmSpec;
  epochs: VmEpochRow[];
  final: VmEpochRow;
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
  engineBytes: number;
  /** The VM model's per-VM results, when the run has one (a VM policy attached, vm.count set, or a multi-VM source). */
  vm?: VmResult;
}

export class Engine implements VmHost {
  readonly pageBytes: number;
  readonly tiers: number;
  readonly cpus: number;
  readonly pt: PageTable;

  private readonly pageShift: number;
  private readonly lineBytes: number;
  private readonly invMlp: number;
  private readonly tierSpecs: Tier[];
  private readonly capacityFrames: Float64Array;
  readonly usedFrames: Float64Array;
  /** Current (loaded) latency of tier t: read at [2t], write at [2t + 1]. */
  private readonly latNs: Float64Array;
  private readonly idleReadLatNs: Float64Array;
  private readonly idleWriteLatNs: Float64Array;
  private readonly peakBytesPerNs: Float64Array;
  private readonly windowBytes: Float64Array;
  private windowStartNs = 0;
  private readonly windowNs: number;
  private readonly queueFactor: number;
  private readonly maxUtil: number;

  private readonly clockNs: Float64Array;
  private readonly idealNs: Float64Array;
  private readonly batches: AccessBatch[];
  private readonly pos: Int32Array;
  /** Per CPU, the page id of each record of its batch (-1 = not yet in the page table). */
  private readonly pageIds: Int32Array[];
  private readonly translatedTo: Int32Array;
  /**
   * Records per translate pass. Speed trick: with several CPUs each one's chunk shrinks (1024 /
   * CPUs, at least 128), so that the page records every CPU translated ahead still sit in L2 when
   * its turn comes (8 CPUs × 1024 records of slot and record lines overflowed it: measured 12 %
   * more time per access with 8 VMs).
   */
  private readonly translateChunk: number;
  /** Scratch of Engine.translate: packed key and low vpn word of each record of the chunk. */
  private readonly trKey = new Int32Array(TRANSLATE_CHUNK);
  private readonly trLo = new Int32Array(TRANSLATE_CHUNK);
  private readonly active: Uint8Array;
  private nowNs = 0;
  /** CPU whose fault is being handled (synchronous work stalls it), or -1 in a daemon. */
  private ctxCpu = -1;
  /** The CPU whose turn runCpu ran last. */
  private lastCpu = 0;
  private pendingStallNs = 0;

  readonly counters: Float64Array;
  readonly histogram = new Float64Array(HIST_BINS);
  private policyCounterNames: string[] = [];
  private policyCounters = new Float64Array(16);

  private readonly timers = new TimerHeap();

  /**
   * With pages larger than 4 KiB: one bit per 4 KiB sub-page ever touched, SUB_WORDS words per page,
   * to report internal fragmentation (resident huge-page bytes against bytes actually touched).
   */
  private subTouched: Uint32Array;
  /** Per page, its sub-pages touched so far (huge-page runs only; see markSubpages). */
  private subCount = new Int32Array(1024);
  private readonly subWords: number;
  touchedSubpages = 0;

  // ---- split huge pages (Host.splitPage); off the access path unless the run has huge pages
  /** 4 KiB sub-pages per page of the run (1 with 4 KiB pages). */
  private readonly subPages: number;
  /** Share of a frame one 4 KiB base frame takes (4096 / pageBytes): capacity counts in run pages. */
  private readonly baseUnit: number;
  /** Per split huge page, the page id of its first sub-page. */
  private splitBase = new Int32Array(0);
  private readonly costSplitNs: number;
  private readonly costMigrationBaseNs: number;

  private readonly lowFrames: Float64Array;
  private readonly highFrames: Float64Array;
  private readonly pressureArmed: Uint8Array;

  private readonly samplePeriod = new Float64Array(EVENT_KINDS);
  private readonly sampleCountdown = new Float64Array(EVENT_KINDS);
  private readonly ringPage: Int32Array;
  private readonly ringEvent: Uint8Array;
  private readonly ringSub: Uint16Array;
  private ringCount = 0;
  private drainScheduled = false;
  /** Any event kind sampled (lets the access path skip the countdowns when none is). */
  private samplingOn = false;

  private readonly costFirstTouchNs: number;
  private readonly costHintFaultNs: number;
  private readonly costSwapInNs: number;
  private readonly costSwapOutNs: number;
  private readonly costPteScanNs: number;
  readonly sampleCostNs: number;
  private readonly costMigrationNs: number;
  private readonly drainIntervalNs: number;

  /** Seeded random per attached policy (index = owner). */
  private readonly randoms: Array<() => number> = [];
  private hooks: PolicyHooks = {};
  /** Hooks of each attached policy: [0] = the main policy, then the `with` policies. */
  private readonly policyHooks: PolicyHooks[] = [];
  private readonly policyNames: string[] = [];
  /** Index of the policy whose hook or create() is running (tags its timers, picks its random). */
  private owner = 0;
  private timerPeriods: Float64Array[] = [new Float64Array(16)];
  private maxAccesses: number;
  /** How far a CPU may run past the next CPU's clock before they are interleaved again (run.cpuQuantumNs). */
  private readonly cpuQuantumNs: number;

  // ---- VM model (off the per-access path unless on; see VmHost)
  /** Any VM feature in use: per-VM accounting in faults, content tracking on writes. */
  private vmOn = false;
  /** 1 when writes carry content into pageContent (a number, so the access loop can mask with it). */
  private contentOn = 0;
  readonly vms: number;
  private vmSpec: VmSpec;
  private readonly vmStats: Float64Array;
  private readonly cpuVm: Int32Array;
  private readonly vmLimitHand: Float64Array;
  /** Each guest's pages in first-touch order with a CLOCK hand: the guest OS's LRU (its own reclaim and the balloon's). */
  private guestPages: VmPageLists | null = null;
  private pageContent = new Uint32Array(0);
  private mappedPages = 0;
  private memState = 0;
  /** Pages mapping a frame that another page also maps (kept up to date by sharedLeave / share). */
  private sharedMapped = 0;
  private readonly costCowBreakNs: number;
  private readonly costPageShareNs: number;
  private readonly costTouchSampleNs: number;
  private readonly costGuestPageOutNs: number;
  private vmEpochs: VmEpochRow[] = [];

  constructor(
    private readonly config: Config,
    tiers: Tier[],
    private readonly source: AccessSource,
  ) {
    this.tierSpecs = tiers;
    this.tiers = tiers.length;
    this.cpus = source.cpus;
    this.pageBytes = (config.pageSizeKiB as number) * 1024;
    this.pageShift = Math.log2(this.pageBytes);
    if (!Number.isInteger(this.pageShift) || this.pageShift < 12 || this.pageShift > 30) {
      throw new SimError(`pageSizeKiB must be a power of two between 4 and 1048576, found ${config.pageSizeKiB}`);
    }
    this.lineBytes = config['machine.lineBytes'] as number;
    this.invMlp = 1 / (config['cpu.mlp'] as number);
    this.pt = new PageTable();
    const n = this.tiers;
    this.capacityFrames = Float64Array.from(tiers, (t) => t.capacityFrames);
    this.usedFrames = new Float64Array(n);
    this.idleReadLatNs = Float64Array.from(tiers, (t) => t.readLatencyNs);
    this.idleWriteLatNs = Float64Array.from(tiers, (t) => t.writeLatencyNs);
    this.latNs = new Float64Array(2 * n);
    for (let t = 0; t < n; t++) {
      this.latNs[2 * t] = this.idleReadLatNs[t];
      this.latNs[2 * t + 1] = this.idleWriteLatNs[t];
    }
    // GB/s = bytes/ns; reads and writes share the device, so use is bytes / (mean of the two peaks).
    this.peakBytesPerNs = Float64Array.from(tiers, (t) => (t.readGBps + t.writeGBps) / 2);
    this.windowBytes = new Float64Array(n);
    this.windowNs = (config['machine.bandwidthWindowUs'] as number) * 1e3;
    this.queueFactor = config['machine.queueFactor'] as number;
    this.maxUtil = config['machine.maxUtilization'] as number;

    this.clockNs = new Float64Array(this.cpus);
    this.idealNs = new Float64Array(this.cpus);
    this.batches = Array.from({ length: this.cpus }, () => createBatch());
    this.pos = new Int32Array(this.cpus);
    this.pageIds = this.batches.map((b) => new Int32Array(b.capacity));
    this.translatedTo = new Int32Array(this.cpus);
    this.translateChunk = Math.max(TRANSLATE_CHUNK_MIN, TRANSLATE_CHUNK >> Math.ceil(Math.log2(Math.max(1, this.cpus))));
    this.active = new Uint8Array(this.cpus).fill(1);
    this.counters = new Float64Array(counterCount(n));

    this.subWords = this.pageShift > 12 ? 1 << (this.pageShift - 12 - 5) : 0;
    this.subTouched = new Uint32Array(this.subWords * 1024);
    this.subPages = this.pageBytes / 4096;
    this.baseUnit = 4096 / this.pageBytes;

    this.lowFrames = new Float64Array(n).fill(-1);
    this.highFrames = new Float64Array(n);
    this.pressureArmed = new Uint8Array(n).fill(1);

    this.ringPage = new Int32Array(config['sampler.ringSamples'] as number);
    this.ringEvent = new Uint8Array(this.ringPage.length);
    this.ringSub = new Uint16Array(this.ringPage.length);

    const cost = buildCostModel(config, tiers, this.pageBytes, this.cpus);
    this.costFirstTouchNs = cost.firstTouchNs;
    this.costHintFaultNs = cost.hintFaultNs;
    this.costSwapInNs = cost.swapInNs;
    this.costSwapOutNs = cost.swapOutNs;
    this.costPteScanNs = cost.pteScanNs;
    this.sampleCostNs = cost.sampleNs;
    this.costMigrationNs = cost.migrationNs;
    this.costMigrationBaseNs = cost.migrationBaseNs;
    this.costSplitNs = cost.splitHugePageNs;
    this.drainIntervalNs = (config['sampler.drainIntervalUs'] as number) * 1e3;
    this.maxAccesses = (config['run.maxAccesses'] as number) || Infinity;
    this.cpuQuantumNs = config['run.cpuQuantumNs'] as number;

    const hostPages = this.capacityFrames.reduce((a, b) => a + b, 0);
    const src = source as AccessSource & { vmPages?: (vm: number) => number | undefined };
    this.vmSpec = resolveVms(config, source.vms, src.vmPages?.bind(source), this.pageBytes, hostPages);
    this.vms = this.vmSpec.count;
    this.vmStats = new Float64Array(this.vms * VS_STRIDE);
    for (let v = 0; v < this.vms; v++) this.vmStats[v * VS_STRIDE + VS_BALLOON_TARGET] = this.vmSpec.balloonPages[v];
    this.cpuVm = new Int32Array(this.cpus).fill(-1);
    this.vmLimitHand = new Float64Array(this.vms);
    if (((config['vm.count'] as number | undefined) ?? 0) > 0 || source.vms > 1) this.enableVms();
    this.costCowBreakNs = cost.cowBreakNs;
    this.costPageShareNs = cost.pageShareNs;
    this.costTouchSampleNs = cost.touchSampleNs;
    this.costGuestPageOutNs = cost.guestPageOutNs;
  }

  /** Turn on the VM model: per-VM accounting in faults and content tracking on writes. */
  private enableVms(): void {
    if (this.vmOn) return;
    this.vmOn = true;
    this.contentOn = 1;
    this.pageContent = new Uint32Array(Math.max(1024, this.pt.pages * 2));
    // Pages touched before (none in a normal run: policies attach before it starts) are counted now.
    this.guestPages = new VmPageLists(this.vms);
    for (let p = 0; p < this.pt.pages; p++) {
      this.guestPages.add(this.pt.vm(p), p);
      const v = Math.min(this.pt.vm(p), this.vms - 1) * VS_STRIDE;
      this.vmStats[v + VS_TOUCHED]++;
      this.vmStats[v + VS_GUEST_RESIDENT]++;
      if (this.pt.frameOf(p) >= 0) this.vmStats[v + VS_MAPPED]++;
    }
  }

  /**
   * Instantiate the main policy against this engine (its Host). Speed trick: with one policy its
   * hooks are called directly, so a single-policy run pays nothing for composition.
   */
  attach(policy: PolicyDefinition, params: Record<string, unknown>): void {
    if (this.policyHooks.length > 0) throw new SimError(`attach: the main policy is already ${this.policyNames[0]}; use attachWith for extra policies`);
    this.hooks = this.create(policy, params);
  }

  /**
   * Attach an extra policy alongside the main one (`--with`): placement stays with the main
   * policy; onFault, onTimer, onSample and onPressure go to every policy in attach order. Each
   * policy has its own seeded random and its own timer ids.
   */
  attachWith(policy: PolicyDefinition, params: Record<string, unknown>): void {
    if (this.policyHooks.length === 0) throw new SimError('attachWith: attach the main policy first');
    if (this.policyNames.includes(policy.name)) throw new SimError(`policy ${policy.name} is attached twice (--policy / --with)`);
    if (this.policyHooks.length >= MAX_POLICIES) throw new SimError(`at most ${MAX_POLICIES} policies can be attached`);
    this.create(policy, params);
    this.hooks = this.composedHooks();
  }

  private create(policy: PolicyDefinition, params: Record<string, unknown>): PolicyHooks {
    const owner = this.policyHooks.length;
    this.policyNames.push(policy.name);
    this.randoms.push(seedrandom.alea(`${this.config.seed}/policy/${policy.name}`));
    this.timerPeriods[owner] ??= new Float64Array(16);
    if (policy.vm) this.enableVms();
    this.owner = owner;
    try {
      const hooks = policy.create(params as never, this);
      this.policyHooks.push(hooks);
      return hooks;
    } finally {
      this.owner = 0;
    }
  }

  /** One PolicyHooks that dispatches to every attached policy (built once, at attach time). */
  private composedHooks(): PolicyHooks {
    const all = this.policyHooks;
    const main = all[0];
    const out: PolicyHooks = {};
    if (main.place) out.place = main.place.bind(main);
    if (main.onAccessOracle) out.onAccessOracle = main.onAccessOracle.bind(main);
    const each = (name: 'onFault' | 'onSample' | 'onPressure') => all.some((h) => h[name] !== undefined);
    if (each('onFault')) {
      out.onFault = (page, kind, cpu) => {
        for (let k = 0; k < all.length; k++) {
          const f = all[k].onFault;
          if (f === undefined) continue;
          this.owner = k;
          f.call(all[k], page, kind, cpu);
        }
        this.owner = 0;
      };
    }
    if (each('onSample')) {
      out.onSample = (page, event, subpage) => {
        for (let k = 0; k < all.length; k++) {
          const f = all[k].onSample;
          if (f === undefined) continue;
          this.owner = k;
          f.call(all[k], page, event, subpage);
        }
        this.owner = 0;
      };
    }
    if (each('onPressure')) {
      out.onPressure = (tier, pages) => {
        for (let k = 0; k < all.length; k++) {
          const f = all[k].onPressure;
          if (f === undefined) continue;
          this.owner = k;
          f.call(all[k], tier, pages);
        }
        this.owner = 0;
      };
    }
    return out;
  }

  // ---------------------------------------------------------------- main loop

  async run(control: RunControl = {}): Promise<EngineResult> {
    const yieldEveryMs = control.yieldEveryMs ?? 50;
    let nextYieldMs = performance.now() + yieldEveryMs;
    let turns = 0;
    const epochNs = (this.config['stats.epochMs'] as number) * 1e6;
    const warmupNs = (this.config['run.warmupMs'] as number) * 1e6;
    let nextEpochNs = epochNs;
    let warmupDone = warmupNs <= 0;
    let warmCounters = new Float64Array(this.counters.length);
    let warmPolicy = new Float64Array(0);
    let warmHist = new Float64Array(HIST_BINS);
    let warmIdealNs = 0;
    const epochs: EpochRow[] = [];
    let lastEpochCounters = new Float64Array(this.counters.length);
    let lastEpochPolicy = new Float64Array(0);

    for (let c = 0; c < this.cpus; c++) await this.refill(c);

    const closeEpoch = (endNs: number) => {
      const counters = this.counters.slice();
      const policy = this.policyCounters.slice(0, this.policyCounterNames.length);
      epochs.push({
        epoch: epochs.length,
        endMs: endNs / 1e6,
        counters: subtract(counters.slice(), lastEpochCounters),
        policyCounters: subtract(policy.slice(), lastEpochPolicy),
        usedFrames: this.usedFrames.slice(),
      });
      lastEpochCounters = counters;
      lastEpochPolicy = policy;
      if (this.vmOn) this.vmEpochs.push(this.vmSnapshot(endNs));
    };

    let total = 0;
    for (;;) {
      // The CPU with the smallest clock, and the clock it may run up to.
      let c = -1;
      let min = Infinity;
      let second = Infinity;
      for (let i = 0; i < this.cpus; i++) {
        if (!this.active[i]) continue;
        const t = this.clockNs[i];
        if (t < min) {
          second = min;
          min = t;
          c = i;
        } else if (t < second) second = t;
      }
      if (c < 0 || total >= this.maxAccesses) break;
      // Every 16 turns, look at the wall clock; past the yield point, let the event loop run
      // (signal handlers, the progress bar) and stop if the run was aborted.
      if ((++turns & 15) === 0 && performance.now() >= nextYieldMs) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (control.signal?.aborted) throw new RunAborted('run aborted');
        control.onProgress?.({ accesses: total, simNowNs: min });
        nextYieldMs = performance.now() + yieldEveryMs;
      }
      // Events due by the smallest clock are handled in time order: warm-up snapshot, epoch end,
      // then timers (an epoch [a, b) closes before a timer due at b fires).
      const nextTimer = this.timers.peekTimeNs();
      if (!warmupDone && warmupNs <= min && warmupNs <= nextTimer && warmupNs <= nextEpochNs) {
        warmupDone = true;
        warmCounters = this.counters.slice();
        warmPolicy = this.policyCounters.slice(0, this.policyCounterNames.length);
        warmHist = this.histogram.slice();
        warmIdealNs = max(this.idealNs);
        continue;
      }
      if (nextEpochNs <= min && nextEpochNs <= nextTimer) {
        closeEpoch(nextEpochNs);
        nextEpochNs += epochNs;
        continue;
      }
      if (nextTimer <= min) {
        this.fireTimer();
        continue;
      }
      // Run CPU c until it passes the next CPU's clock by more than the quantum, or the next event
      // (runCpu then goes on with the next turns itself while no event is due).
      let limit = second + this.cpuQuantumNs;
      if (nextTimer < limit) limit = nextTimer;
      if (nextEpochNs < limit) limit = nextEpochNs;
      if (!warmupDone && warmupNs < limit) limit = warmupNs;
      const nextEventNs = !warmupDone && warmupNs < nextEpochNs ? warmupNs : nextEpochNs; // timers aside
      const done = this.runCpu(c, limit, this.maxAccesses - total, nextEventNs);
      total += done;
      // runCpu may have run other CPUs' turns after c's; only the last one can have ended its batch.
      c = this.lastCpu;
      if (this.pos[c] >= this.batches[c].count) await this.refill(c);
    }
    const endNs = max(this.clockNs);
    // Samples still in the ring when the trace ends are drained once more, so that none vanish.
    this.nowNs = endNs;
    if (this.ringCount > 0) this.drainSamples();
    closeEpoch(endNs);
    // A run that ends inside its warm-up reports everything rather than nothing (warmCounters are
    // still zero), and says so through measuredFromNs = 0.
    const measuredFromNs = warmupDone ? Math.max(0, warmupNs) : 0;
    const counters = subtract(this.counters.slice(), warmCounters);
    const policy = this.policyCounters.slice(0, this.policyCounterNames.length);
    const policyDelta = subtract(policy, padTo(warmPolicy, policy.length));
    return {
      counters,
      policyCounterNames: this.policyCounterNames.slice(),
      policyCounters: policyDelta,
      histogram: subtract(this.histogram.slice(), warmHist),
      simTimeNs: endNs - measuredFromNs,
      measuredFromNs,
      idealTimeNs: max(this.idealNs) - warmIdealNs,
      usedFrames: this.usedFrames.slice(),
      epochs,
      pages: this.pt.pages,
      touchedSubpages: this.subWords > 0 ? this.touchedSubpages : this.pt.pages,
      engineBytes: this.pt.bytes() + this.pageContent.byteLength,
      vm: this.vmOn ? { count: this.vms, spec: this.vmSpec, epochs: this.vmEpochs, final: this.vmSnapshot(endNs) } : undefined,
    };
  }

  private vmSnapshot(endNs: number): VmEpochRow {
    const timeNs = new Float64Array(this.vms);
    const idealNs = new Float64Array(this.vms);
    for (let c = 0; c < this.cpus; c++) {
      const v = this.cpuVm[c];
      if (v < 0 || v >= this.vms) continue;
      if (this.clockNs[c] > timeNs[v]) timeNs[v] = this.clockNs[c];
      if (this.idealNs[c] > idealNs[v]) idealNs[v] = this.idealNs[c];
    }
    return { endMs: endNs / 1e6, stats: this.vmStats.slice(), timeNs, idealNs, memState: this.memState, sharedPages: this.sharedPages(), framesSaved: this.mappedPages - this.pt.liveFrames };
  }

  /** Pages mapping a frame that more than one page maps. */
  private sharedPages(): number {
    return this.sharedMapped;
  }

  /** A page is about to leave its frame: keep the shared-page count (2 → 1 mappers unshares both). */
  private sharedLeave(page: number): void {
    const f = this.pt.rec[page * REC + R_FRAME];
    if (f < 0) return;
    const refs = this.pt.frameRefs[f];
    if (refs === 2) this.sharedMapped -= 2;
    else if (refs > 2) this.sharedMapped--;
  }

  private async refill(c: number): Promise<void> {
    const batch = this.batches[c];
    const r = this.source.read(c, batch);
    const n = typeof r === 'number' ? r : await r;
    batch.count = n;
    this.pos[c] = 0;
    this.translatedTo[c] = 0;
    if (n === 0) this.active[c] = 0;
  }

  /**
   * The per-access path: runs CPU c's buffered accesses until its clock passes limitNs, its batch
   * ends, or `budget` accesses are done. Typed arrays and locals only; returns accesses done.
   *
   * Then, as long as no event (timer, or eventNs: the next epoch end or warm-up point) is due by the
   * smallest clock, it goes on with the turn run() would start next: the CPU with the smallest clock,
   * up to the same limit. It returns to run() when an event is due, the batch of the CPU that ran
   * last (this.lastCpu) ends, or the budget is spent; run() then does exactly what it would have.
   * Speed trick: with 8 VMs and 20 µs compute gaps a turn is one access (the gap passes the
   * quantum), so returning to run() (its scan, event checks, the call and this function's set-up)
   * costs a good share of the access. Measured ~12 % more accesses/s with 8 VMs (best of 3–4
   * alternating runs: 2.11 → 2.38 M/s with balloon, idle-tax, page-sharing; 2.12 → 2.39 without);
   * no change for a single CPU, whose turns end only at events.
   */
  private runCpu(c: number, limitNs: number, budget: number, eventNs: number): number {
    // Speed trick: local copies of the imported and module constants this loop uses. V8 loads an
    // imported binding through its module cell (with a TDZ check) at every use, even optimised;
    // a local const is a register or an immediate. Measured with 2 MiB pages, zipf core case (best
    // of 4 alternating runs): first-touch 9.0 → 10.7 M accesses/s, memtis 7.3 → 8.3; no change
    // seen with 4 KiB pages (DRAM-bound) or 8 VMs.
    const kREC = REC, kR_FLAGS = R_FLAGS, kR_FRAME = R_FRAME, kTIER_SHIFT = TIER_SHIFT, kOP_WRITE = OP_WRITE;
    const kPAGE_SPLIT = PAGE_SPLIT, kPAGE_SWAPPED = PAGE_SWAPPED, kPAGE_ACCESSED = PAGE_ACCESSED;
    const kTRAP_ANY = TRAP_ANY, kCOW_SHIFT = COW_SHIFT;
    const kC_TIER_BASE = C_TIER_BASE, kTIER_STRIDE = TIER_STRIDE, kC_READS = C_READS, kC_ACCESSES = C_ACCESSES;
    const kC_LATENCY_SUM_NS = C_LATENCY_SUM_NS, kC_STALL_NS = C_STALL_NS;
    const kEVENT_STORE = EVENT_STORE, kEVENT_LOAD_LOCAL = EVENT_LOAD_LOCAL, kEVENT_LOAD_REMOTE = EVENT_LOAD_REMOTE;
    const pt = this.pt;
    const counters = this.counters;
    const hist = this.histogram;
    const lineBytes = this.lineBytes;
    const invMlp = this.invMlp;
    const latNs = this.latNs;
    const windowBytes = this.windowBytes;
    const idealLat0 = this.idleReadLatNs[0] * invMlp;
    const idealLat1 = this.idleWriteLatNs[0] * invMlp;
    const hooks = this.hooks;
    const oracle = hooks.onAccessOracle !== undefined;
    const contentOn = this.contentOn;
    const hugePages = this.subWords > 0;
    const sampling = this.sampleCountdown;
    const clocks = this.clockNs;
    const active = this.active;
    const cpus = this.cpus;
    let done = 0;
    for (;;) {
      const b = this.batches[c];
      const ids = this.pageIds[c];
      let samplingOn = this.samplingOn;
      let windowEnd = this.windowStartNs + this.windowNs;
      let translated = this.translatedTo[c];
      let clock = clocks[c];
      let ideal = this.idealNs[c];
      let i = this.pos[c];
      const end = Math.min(b.count, i + (budget - done));
      const start = i;
      while (i < end) {
        if (i >= translated) translated = this.translate(b, ids, i);
        const gap = b.gapNs[i];
        if (gap > 0) {
          // The compute gap elapses first; if a timer, epoch or warm-up boundary falls inside it, stop
          // here (gap consumed) so that event is handled before this access happens.
          clock += gap;
          ideal += gap;
          b.gapNs[i] = 0;
          if (clock > limitNs) break;
        }
        if (clock >= windowEnd) {
          this.rollWindow(clock);
          windowEnd = clock + this.windowNs;
        }
        // Speed trick: w (0 read, 1 write) indexes every read/write pair instead of branching on it.
        const w = b.op[i] === kOP_WRITE ? 1 : 0;
        let page = ids[i];
        if (page < 0) {
          const hi = b.addrHi[i];
          // vpn = addr >> shift over the split 64-bit address.
          page = pt.findOrInsert(b.vm[i], hi >>> this.pageShift, (b.addrLo[i] >>> this.pageShift) | (hi << (32 - this.pageShift)));
          ids[i] = page; // for markSubpages
        }
        let r = page * kREC;
        if (hugePages) {
          if (pt.rec[r + kR_FLAGS] & kPAGE_SPLIT) {
            // A split huge page: the access goes to the base page of its 4 KiB sub-page.
            page = this.splitBase[page] + ((b.addrLo[i] >>> 12) & (this.subPages - 1));
            r = page * kREC;
          }
        }
        // A hint fault is due only if the page was armed before this access began, not by a policy
        // reacting to this access's own allocation fault. Speed trick: one mask covers every trap —
        // hint fault and active-memory sample on any access, copy-on-write break on a write only.
        const armedBefore = pt.rec[r + kR_FLAGS] & (kTRAP_ANY | (w << kCOW_SHIFT));
        let stall = 0;
        if (pt.rec[r + kR_FRAME] < 0) {
          this.nowNs = clock;
          if (pt.rec[r + kR_FLAGS] & kPAGE_SWAPPED) {
            stall += this.allocate(page, c, true);
          } else {
            // The first-touch fault stalls the CPU (it is in simTimeNs) but is not memory-access
            // latency, and the all-local baseline pays it too. Reclaim done inside the fault (direct
            // reclaim, synchronous migration) is a stall like any other.
            const t = this.allocate(page, c, false);
            clock += this.costFirstTouchNs;
            ideal += this.costFirstTouchNs;
            stall += t - this.costFirstTouchNs;
          }
          samplingOn = this.samplingOn;
          // A timer armed inside the fault (kswapd woken, say) must not wait for the old limit.
          const t = this.timers.peekTimeNs();
          if (t < limitNs) limitNs = t;
        }
        let state = pt.rec[r + kR_FLAGS];
        if (state & armedBefore) {
          this.nowNs = clock;
          stall += this.trap(page, c, state & armedBefore);
          // The fault may have migrated the page, or even evicted it: then it comes back in first.
          if (pt.rec[r + kR_FRAME] < 0) stall += this.allocate(page, c, true);
          state = pt.rec[r + kR_FLAGS];
          samplingOn = this.samplingOn;
          const t = this.timers.peekTimeNs();
          if (t < limitNs) limitNs = t;
        }
        pt.rec[r + kR_FLAGS] = state | kPAGE_ACCESSED | (w << 1); // PAGE_DIRTY = 2
        if (w & contentOn) {
          // VM model only: the content this write leaves in the page (0 = unknown: keep).
          const v = b.content[i];
          if (v !== 0) this.pageContent[page] = v;
        }
        const tier = (state >>> kTIER_SHIFT) & 0xff;
        const lat = latNs[2 * tier + w];
        windowBytes[tier] += lineBytes;
        const tb = kC_TIER_BASE + kTIER_STRIDE * tier;
        counters[tb]++;
        counters[tb + 1 + w] += lineBytes;
        counters[kC_READS + w]++; // C_WRITES = C_READS + 1
        if (samplingOn) {
          const event = w === 1 ? kEVENT_STORE : tier === 0 ? kEVENT_LOAD_LOCAL : kEVENT_LOAD_REMOTE;
          if (sampling[event] > 0 && --sampling[event] === 0) this.takeSample(page, event, b.addrLo[i]);
        }
        if (oracle) {
          this.nowNs = clock;
          hooks.onAccessOracle!(page, w === 1);
        }
        const latency = lat + stall;
        counters[kC_LATENCY_SUM_NS] += latency;
        counters[kC_STALL_NS] += stall;
        hist[latency < 4096 ? latency | 0 : latencyBin(latency)]++;
        clock += lat * invMlp + stall;
        ideal += w === 1 ? idealLat1 : idealLat0;
        i++;
        if (clock > limitNs) break;
      }
      counters[kC_ACCESSES] += i - start;
      if (hugePages && i > start) this.markSubpages(b, ids, start, i);
      this.nowNs = clock;
      this.pos[c] = i;
      this.translatedTo[c] = translated;
      clocks[c] = clock;
      this.idealNs[c] = ideal;
      done += i - start;
      if (i >= b.count || done >= budget) break;
      // The turn run() would start next: the same smallest-clock scan and limit.
      let next = -1;
      let min = Infinity;
      let second = Infinity;
      for (let k = 0; k < cpus; k++) {
        if (!active[k]) continue;
        const t = clocks[k];
        if (t < min) {
          second = min;
          min = t;
          next = k;
        } else if (t < second) second = t;
      }
      const nextTimer = this.timers.peekTimeNs();
      if (next < 0 || nextTimer <= min || eventNs <= min) break;
      c = next;
      limitNs = second + this.cpuQuantumNs;
      if (nextTimer < limitNs) limitNs = nextTimer;
      if (eventNs < limitNs) limitNs = eventNs;
    }
    this.lastCpu = c;
    return done;
  }

  /**
   * Mark the 4 KiB sub-pages of records [from, to) of a batch as touched (huge-page runs only; ids
   * holds each record's page, as looked up before any split redirect). Speed trick: done after the
   * access loop rather than per access, so these bitmap loads (4 Mi bits for 16 GiB of 2 MiB pages:
   * L2 misses; perf put a quarter of the 2 MiB access loop's samples on the per-access bitmap test)
   * are independent of each other instead of stalling the access loop's dependency chain. Measured
   * 3–5 % less time per access with 2 MiB pages (interleaved A/B in one process). Only the count of
   * distinct sub-pages is reported, at the end of the run, so the order does not matter.
   */
  private markSubpages(b: AccessBatch, ids: Int32Array, from: number, to: number): void {
    const words = this.subWords;
    const pages = this.pt.pages;
    if (pages * words > this.subTouched.length) {
      const grown = new Uint32Array(Math.max(pages * words, this.subTouched.length * 2));
      grown.set(this.subTouched);
      this.subTouched = grown;
    }
    if (pages > this.subCount.length) {
      const grown = new Int32Array(Math.max(pages, this.subCount.length * 2));
      grown.set(this.subCount);
      this.subCount = grown;
    }
    const bits = this.subTouched;
    const counts = this.subCount;
    const full = words << 5;
    const subMask = full - 1;
    const addrLo = b.addrLo;
    let added = 0;
    for (let i = from; i < to; i++) {
      const page = ids[i];
      // Speed trick: a page whose sub-pages are all touched (after an init pass, every page) skips
      // the bitmap: one load from a 4-byte-per-page column that stays in cache.
      if (counts[page] === full) continue;
      const sub = (addrLo[i] >>> 12) & subMask;
      const w = page * words + (sub >>> 5);
      const old = bits[w] | 0; // int32, as `now` (a uint32 above 2^31 would never equal it)
      const now = old | (1 << (sub & 31));
      if (now !== old) {
        bits[w] = now;
        counts[page]++;
        added++;
      }
    }
    this.touchedSubpages += added;
  }

  /**
   * Look up the page ids of the next `translateChunk` records before running them. Speed trick:
   * these lookups are independent of each other, so the CPU overlaps their cache misses (measured
   * on this project's machines: ~40 ns per independent random read against ~170 ns per dependent
   * one), and the chunk is small enough that the access loop then finds the page records in L2.
   * Pages not yet in the table stay -1 and are inserted by the access loop on first touch, so the
   * table only ever holds touched pages. Returns the index translated up to.
   *
   * The lookups go through PageTable.findBatch (two passes of independent loads).
   */
  private translate(b: AccessBatch, ids: Int32Array, from: number): number {
    const pt = this.pt;
    const shift = this.pageShift;
    const hiShift = 32 - shift;
    const to = Math.min(b.count, from + this.translateChunk);
    const n = to - from;
    const addrHi = b.addrHi;
    const addrLo = b.addrLo;
    const vmCol = b.vm;
    const keys = this.trKey;
    const los = this.trLo;
    for (let j = 0; j < n; j++) {
      const i = from + j;
      const hi = addrHi[i];
      const key = (vmCol[i] << 20) | (hi >>> shift); // PageTable's packed key: vm << 20 | vpn high word
      const lo = (addrLo[i] >>> shift) | (hi << hiShift);
      keys[j] = key;
      los[j] = lo;
    }
    pt.findBatch(keys, los, n, ids, from);
    return to;
  }

  /**
   * First touch or swap-in: place the page through the policy's rule. Returns the stall of the
   * faulting CPU (fault cost plus any direct reclaim and synchronous migration in the hooks).
   */
  private allocate(page: number, c: number, swapIn: boolean): number {
    const hooks = this.hooks;
    const want = hooks.place ? hooks.place(page, c) : 0;
    const unit = this.unitOf(page);
    let tier = this.tierWithRoom(want, unit);
    const cost = swapIn ? this.costSwapInNs : this.costFirstTouchNs;
    let stall = cost;
    if (tier < 0 && hooks.onPressure) {
      // Every tier is full: direct reclaim in the faulting CPU's context, then retry once.
      this.ctxCpu = c;
      hooks.onPressure(want, 1);
      this.ctxCpu = -1;
      stall += this.takePendingStall();
      tier = this.tierWithRoom(want, unit);
    }
    if (tier < 0) {
      throw new SimError(
        `out of memory at ${(this.nowNs / 1e6).toFixed(3)} ms: page ${page} needs a frame but every tier is full ` +
          `(${this.tierSpecs.map((t, i) => `${t.name} ${this.usedFrames[i]}/${t.capacityFrames}`).join(', ')}) ` +
          `and policy ${this.config.policy} reclaimed nothing; give the machine more capacity`,
      );
    }
    const pt = this.pt;
    const frame = pt.allocFrame(tier);
    pt.map(page, frame);
    const guestPaged = pt.rec[page * REC + R_FLAGS] & PAGE_GUEST_PAGED;
    pt.rec[page * REC + R_FLAGS] &= ~(PAGE_SWAPPED | PAGE_GUEST_PAGED);
    this.usedFrames[tier] += unit;
    this.mappedPages++;
    if (this.vmOn) stall += this.vmPageIn(page, c, swapIn, guestPaged !== 0);
    this.counters[swapIn ? C_SWAP_INS : C_FIRST_TOUCH_FAULTS]++;
    this.counters[C_KERNEL_CPU_NS] += cost;
    if (hooks.onFault) {
      this.ctxCpu = c;
      hooks.onFault(page, swapIn ? FAULT_SWAP_IN : FAULT_FIRST_TOUCH, c);
      this.ctxCpu = -1;
      stall += this.takePendingStall();
    }
    this.checkPressure();
    return stall;
  }

  /** Preferred tier if it has room for `unit` frames, else the next slower, else the next faster; -1 if none. */
  private tierWithRoom(want: number, unit = 1): number {
    const n = this.tiers;
    const w = want >= 0 && want < n ? want : 0;
    for (let t = w; t < n; t++) if (this.usedFrames[t] + unit <= this.capacityFrames[t]) return t;
    for (let t = w - 1; t >= 0; t--) if (this.usedFrames[t] + unit <= this.capacityFrames[t]) return t;
    return -1;
  }

  /** Frames a page's frame counts for: 1, or 4096 / pageBytes for a base sub-page of a split huge page. */
  private unitOf(page: number): number {
    return this.pt.rec[page * REC + R_FLAGS] & PAGE_BASE ? this.baseUnit : 1;
  }

  private hintFault(page: number, c: number): number {
    this.counters[C_HINT_FAULTS]++;
    this.counters[C_KERNEL_CPU_NS] += this.costHintFaultNs;
    let stall = this.costHintFaultNs;
    if (this.hooks.onFault) {
      this.ctxCpu = c;
      this.hooks.onFault(page, FAULT_HINT, c);
      this.ctxCpu = -1;
      stall += this.takePendingStall();
      this.checkPressure();
    }
    return stall;
  }

  private takePendingStall(): number {
    const s = this.pendingStallNs;
    this.pendingStallNs = 0;
    return s;
  }

  /** Deliver pressure callbacks for tiers below their low watermark (engine context only). */
  private checkPressure(): void {
    const hooks = this.hooks;
    for (let t = 0; t < this.tiers; t++) {
      const free = this.capacityFrames[t] - this.usedFrames[t];
      if (this.pressureArmed[t]) {
        if (free < this.lowFrames[t] && hooks.onPressure) {
          this.pressureArmed[t] = 0;
          hooks.onPressure(t, this.highFrames[t] - free);
        }
      } else if (free >= this.highFrames[t]) {
        this.pressureArmed[t] = 1;
      }
    }
  }

  private fireTimer(): void {
    const t = this.timers.peekTimeNs();
    const tag = this.timers.pop();
    this.nowNs = t;
    if (tag === TAG_SAMPLE_DRAIN) {
      this.drainSamples();
      this.timers.push(t + this.drainIntervalNs, TAG_SAMPLE_DRAIN);
      return;
    }
    const owner = (tag >> 1) & (MAX_POLICIES - 1);
    const id = tag >> (OWNER_BITS + 1);
    if (tag & 1) this.timers.push(t + this.timerPeriods[owner][id], tag);
    const hooks = this.policyHooks[owner];
    if (hooks.onTimer) {
      this.owner = owner;
      hooks.onTimer(id);
      this.owner = 0;
    }
    this.checkPressure();
  }

  private rollWindow(now: number): void {
    const elapsed = Math.max(now - this.windowStartNs, this.windowNs);
    for (let t = 0; t < this.tiers; t++) {
      let u = this.windowBytes[t] / (elapsed * this.peakBytesPerNs[t]);
      if (u > this.maxUtil) u = this.maxUtil;
      const factor = 1 + (this.queueFactor * u) / (1 - u);
      this.latNs[2 * t] = this.idleReadLatNs[t] * factor;
      this.latNs[2 * t + 1] = this.idleWriteLatNs[t] * factor;
      this.windowBytes[t] = 0;
    }
    this.windowStartNs = now;
  }

  private takeSample(page: number, event: number, addrLo: number): void {
    this.sampleCountdown[event] = this.samplePeriod[event];
    if (this.ringCount < this.ringPage.length) {
      this.ringPage[this.ringCount] = page;
      this.ringEvent[this.ringCount] = event;
      // The sample holds the data address: keep its 4 KiB sub-page within a huge page.
      this.ringSub[this.ringCount] = (addrLo >>> 12) & (this.subPages - 1);
      this.ringCount++;
    } else {
      this.counters[C_SAMPLES_LOST]++;
    }
  }

  private drainSamples(): void {
    const n = this.ringCount;
    this.ringCount = 0;
    this.counters[C_SAMPLES] += n;
    this.counters[C_KERNEL_CPU_NS] += n * this.sampleCostNs;
    const hooks = this.hooks;
    if (!hooks.onSample) return;
    for (let i = 0; i < n; i++) hooks.onSample(this.ringPage[i], this.ringEvent[i], this.ringSub[i]);
  }

  // ---------------------------------------------------------------- Host

  now(): number {
    return this.nowNs;
  }
  capacity(tier: number): number {
    return this.capacityFrames[tier];
  }
  used(tier: number): number {
    return this.usedFrames[tier];
  }
  free(tier: number): number {
    return this.capacityFrames[tier] - this.usedFrames[tier];
  }
  pageCount(): number {
    return this.pt.pages;
  }
  tierOf(page: number): number {
    const f = this.pt.frameOf(page);
    return f < 0 ? -1 : this.pt.frameTier[f];
  }
  vpnLo(page: number): number {
    return this.pt.vpnLo(page);
  }
  vpnHi(page: number): number {
    return this.pt.vpnHi(page);
  }
  vmOf(page: number): number {
    return this.pt.vm(page);
  }
  flags(page: number): number {
    return this.pt.rec[page * REC + R_FLAGS] & FLAG_MASK;
  }

  migrate(page: number, tier: number, async = false): boolean {
    const pt = this.pt;
    const frame = pt.frameOf(page);
    if (frame < 0 || tier < 0 || tier >= this.tiers) return false;
    const from = pt.frameTier[frame];
    const base = (pt.rec[page * REC + R_FLAGS] & PAGE_BASE) !== 0;
    const unit = base ? this.baseUnit : 1;
    if (from === tier || this.usedFrames[tier] + unit > this.capacityFrames[tier]) return false;
    pt.setFrameTier(frame, tier);
    this.usedFrames[from] -= unit;
    this.usedFrames[tier] += unit;
    const bytes = base ? 4096 : this.pageBytes;
    const costNs = base ? this.costMigrationBaseNs : this.costMigrationNs;
    const counters = this.counters;
    counters[tier < from ? C_PROMOTED : C_DEMOTED]++;
    counters[C_MIGRATED_BYTES] += bytes;
    counters[C_TIER_BASE + TIER_STRIDE * from + 1] += bytes;
    counters[C_TIER_BASE + TIER_STRIDE * tier + 2] += bytes;
    this.windowBytes[from] += bytes;
    this.windowBytes[tier] += bytes;
    counters[C_KERNEL_CPU_NS] += costNs;
    if (!async && this.ctxCpu >= 0) this.pendingStallNs += costNs;
    return true;
  }

  evict(page: number): boolean {
    const pt = this.pt;
    const r = page * REC;
    if (pt.rec[r + R_FRAME] < 0) return false;
    const flags = pt.rec[r + R_FLAGS];
    this.sharedLeave(page);
    const freedTier = pt.unmap(page);
    if (freedTier >= 0) this.usedFrames[freedTier] -= this.unitOf(page);
    // A page that comes back gets a private frame, so it is no longer copy-on-write.
    pt.rec[r + R_FLAGS] = (flags & ~(PAGE_ACCESSED | PAGE_DIRTY | PAGE_HINT_ARMED | PAGE_COW)) | PAGE_SWAPPED;
    this.counters[C_EVICTED]++;
    this.mappedPages--;
    if (this.vmOn) {
      const v = pt.vm(page) * VS_STRIDE;
      this.vmStats[v + VS_MAPPED]--;
      this.vmStats[v + VS_HOST_PAGE_OUTS]++;
    }
    if (flags & PAGE_DIRTY) this.counters[C_KERNEL_CPU_NS] += this.costSwapOutNs;
    return true;
  }

  splitPage(page: number): number {
    const pt = this.pt;
    const r = page * REC;
    const subs = this.subPages;
    if (subs <= 1 || this.vmOn || page < 0 || page >= pt.pages) return -1;
    const flags = pt.rec[r + R_FLAGS];
    const frame = pt.rec[r + R_FRAME];
    if (flags & (PAGE_SPLIT | PAGE_BASE) || frame < 0 || pt.frameRefs[frame] !== 1) return -1;
    const tier = pt.frameTier[frame];
    pt.unmap(page);
    // The sub-pages' 4 KiB vpns: the huge vpn shifted left by s bits, plus the sub-page index
    // (the low s bits are zero, so adding the index never carries into the high word).
    const s = this.pageShift - 12;
    const hi = pt.vpnHi(page);
    const lo = pt.vpnLo(page);
    const subHi = (hi << s) | (lo >>> (32 - s));
    const subLo = lo << s;
    const vm = pt.vm(page);
    const first = pt.pages;
    const keep = flags & (PAGE_ACCESSED | PAGE_DIRTY);
    for (let k = 0; k < subs; k++) {
      const q = pt.appendPage(vm, subHi, subLo + k);
      pt.map(q, pt.allocFrame(tier));
      pt.rec[q * REC + R_FLAGS] |= keep;
    }
    pt.rec[r + R_FLAGS] = (flags & ~(PAGE_ACCESSED | PAGE_DIRTY | PAGE_HINT_ARMED)) | PAGE_SPLIT;
    if (page >= this.splitBase.length) {
      const grown = new Int32Array(Math.max(page + 1, this.splitBase.length * 2, 1024));
      grown.set(this.splitBase);
      this.splitBase = grown;
    }
    this.splitBase[page] = first;
    // One huge frame freed, subs base frames of baseUnit each taken: use is unchanged.
    this.usedFrames[tier] += subs * this.baseUnit - 1;
    this.mappedPages += subs - 1;
    this.chargeKernelNs(this.costSplitNs);
    return first;
  }

  every(periodNs: number, id: number, firstDelayNs = periodNs): void {
    if (!(periodNs > 0)) throw new SimError(`timer ${id}: period must be > 0 ns, found ${periodNs}`);
    this.checkTimerId(id);
    this.timerPeriods[this.owner][id] = periodNs;
    this.timers.push(this.nowNs + firstDelayNs, ((id << OWNER_BITS) | this.owner) * 2 + 1);
  }

  after(delayNs: number, id: number): void {
    this.checkTimerId(id);
    this.timers.push(this.nowNs + Math.max(0, delayNs), ((id << OWNER_BITS) | this.owner) * 2);
  }

  private checkTimerId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id > 1 << 20) throw new SimError(`timer id must be an integer in [0, 2^20], found ${id}`);
    const periods = this.timerPeriods[this.owner];
    if (id >= periods.length) {
      const t = new Float64Array(Math.max(id + 1, periods.length * 2));
      t.set(periods);
      this.timerPeriods[this.owner] = t;
    }
  }

  armHintFault(page: number): void {
    this.pt.rec[page * REC + R_FLAGS] |= PAGE_HINT_ARMED;
    this.counters[C_PTE_SCANS]++;
    this.counters[C_KERNEL_CPU_NS] += this.costPteScanNs;
  }

  testAndClearAccessed(page: number): boolean {
    const f = this.pt.rec[page * REC + R_FLAGS];
    this.pt.rec[page * REC + R_FLAGS] = f & ~PAGE_ACCESSED;
    this.counters[C_PTE_SCANS]++;
    this.counters[C_KERNEL_CPU_NS] += this.costPteScanNs;
    return (f & PAGE_ACCESSED) !== 0;
  }

  armHintFaults(pages: Int32Array, from: number, to: number, minTier: number, armed: Int32Array | null): number {
    let n = 0;
    for (let i = from; i < to; i++) {
      const p = pages[i];
      const t = this.tierOf(p);
      if (t < minTier || this.flags(p) & PAGE_HINT_ARMED) continue;
      this.armHintFault(p);
      if (armed !== null) armed[n] = p;
      n++;
    }
    return n;
  }

  testAndClearAccessedList(pages: Int32Array, from: number, to: number, tier: number, young: Int32Array): number {
    let n = 0;
    for (let i = from; i < to; i++) {
      const p = pages[i];
      if (tier >= 0 && this.tierOf(p) !== tier) continue;
      if (this.testAndClearAccessed(p)) young[n++] = p;
    }
    return n;
  }

  copyPageKeys(from: number, to: number, vm: Uint16Array, vpnHi: Uint32Array, vpnLo: Uint32Array): void {
    for (let p = from; p < to; p++) {
      vm[p] = this.pt.vm(p);
      vpnHi[p] = this.pt.vpnHi(p) >>> 0;
      vpnLo[p] = this.pt.vpnLo(p);
    }
  }

  sample(event: number, period: number): void {
    if (!(event >= 0 && event < EVENT_KINDS)) throw new SimError(`sample: unknown event kind ${event}`);
    this.samplePeriod[event] = Math.max(0, Math.floor(period));
    this.sampleCountdown[event] = this.samplePeriod[event];
    this.samplingOn = this.samplePeriod.some((p) => p > 0);
    if (period > 0 && !this.drainScheduled) {
      this.drainScheduled = true;
      this.timers.push(this.nowNs + this.drainIntervalNs, TAG_SAMPLE_DRAIN);
    }
  }

  counter(counterName: string): number {
    // Counters of `with` policies carry their policy's name (policy.<name>.<counter>), so that two
    // attached policies never add into one column.
    const name = this.owner > 0 ? `${this.policyNames[this.owner]}.${counterName}` : counterName;
    const existing = this.policyCounterNames.indexOf(name);
    if (existing >= 0) return existing;
    this.policyCounterNames.push(name);
    if (this.policyCounterNames.length > this.policyCounters.length) {
      const c = new Float64Array(this.policyCounters.length * 2);
      c.set(this.policyCounters);
      this.policyCounters = c;
    }
    return this.policyCounterNames.length - 1;
  }

  count(counterId: number, n = 1): void {
    this.policyCounters[counterId] += n;
  }

  chargeKernelNs(ns: number): void {
    this.counters[C_KERNEL_CPU_NS] += ns;
    // Work done in a fault (direct reclaim, say) runs in the faulting task: it stalls that CPU.
    if (this.ctxCpu >= 0) this.pendingStallNs += ns;
  }

  chargePteScans(n: number): void {
    this.counters[C_PTE_SCANS] += n;
    this.counters[C_KERNEL_CPU_NS] += n * this.costPteScanNs;
    if (this.ctxCpu >= 0) this.pendingStallNs += n * this.costPteScanNs;
  }

  setWatermarks(tier: number, lowFrames: number, highFrames: number): void {
    if (!(lowFrames <= highFrames)) throw new SimError(`setWatermarks(tier ${tier}): low ${lowFrames} must be ≤ high ${highFrames}`);
    this.lowFrames[tier] = lowFrames;
    this.highFrames[tier] = highFrames;
    this.pressureArmed[tier] = 1;
  }

  random(): number {
    return this.randoms[this.owner]();
  }

  // ---------------------------------------------------------------- VM model (VmHost)

  /**
   * Invariants of sharing and the VM model: every shared frame's mapper list holds exactly its
   * refcount of pages, all mapping it; a COW-shared page is marked PAGE_COW; mapped-page counters
   * match the page table; every VM holds no more frames than its limit.
   */
  private checkSharingAndVms(errors: string[]): void {
    const pt = this.pt;
    let mapped = 0;
    const perVm = new Float64Array(this.vms);
    for (let p = 0; p < pt.pages; p++) {
      const f = pt.frameOf(p);
      if (f < 0) continue;
      mapped++;
      if (this.vmOn) perVm[Math.min(pt.vm(p), this.vms - 1)]++;
      if (pt.frameRefs[f] > 1 && !(pt.rec[p * REC + R_FLAGS] & PAGE_COW)) errors.push(`page ${p} maps shared frame ${f} but is not copy-on-write`);
    }
    if (mapped !== this.mappedPages) errors.push(`${mapped} pages mapped but the engine counts ${this.mappedPages}`);
    let shared = 0;
    for (let f = 0; f < pt.frames; f++) if (pt.frameRefs[f] > 1) shared += pt.frameRefs[f];
    if (shared !== this.sharedMapped) errors.push(`${shared} pages map shared frames but the engine counts ${this.sharedMapped}`);
    const next = pt.shareNext;
    if (next !== null) {
      for (let f = 0; f < pt.frames; f++) {
        if (pt.frameRefs[f] < 2) continue;
        let n = 0;
        for (let p = pt.framePage[f]; p >= 0 && n <= pt.frameRefs[f]; p = next[p]) {
          if (pt.frameOf(p) !== f) errors.push(`frame ${f}: mapper list holds page ${p}, which maps frame ${pt.frameOf(p)}`);
          n++;
        }
        if (n !== pt.frameRefs[f]) errors.push(`frame ${f}: refcount ${pt.frameRefs[f]} but its mapper list holds ${n} pages`);
      }
    }
    if (!this.vmOn) return;
    for (let v = 0; v < this.vms; v++) {
      if (perVm[v] !== this.vmMapped(v)) errors.push(`vm ${v}: ${perVm[v]} pages mapped but its counter says ${this.vmMapped(v)}`);
      if (perVm[v] > this.vmSpec.limitPages[v]) errors.push(`vm ${v}: ${perVm[v]} pages mapped exceed its limit ${this.vmSpec.limitPages[v]}`);
      const s = v * VS_STRIDE;
      if (this.vmStats[s + VS_GUEST_RESIDENT] > this.vmStats[s + VS_TOUCHED]) errors.push(`vm ${v}: guest holds more pages than it touched`);
      if (this.vmStats[s + VS_MAPPED] > this.vmStats[s + VS_GUEST_RESIDENT]) errors.push(`vm ${v}: more pages backed than the guest holds`);
      // The guest never holds more than its memory less its kernel and balloon (one page over while it has nothing left to page out).
      if (this.vmStats[s + VS_GUEST_RESIDENT] > Math.max(1, this.guestCapacity(v))) errors.push(`vm ${v}: guest holds ${this.vmStats[s + VS_GUEST_RESIDENT]} pages but has room for ${this.guestCapacity(v)}`);
    }
  }

  /**
   * Per-VM accounting of a page getting a frame (fault path, VM model on only). Runs the guest OS
   * model (a guest short of memory pages itself, stalling the faulting CPU: the returned ns) and
   * enforces the VM's limit by host-paging its own pages (a CLOCK hand over page ids).
   */
  private vmPageIn(page: number, c: number, swapIn: boolean, guestPaged: boolean): number {
    const pt = this.pt;
    const vm = pt.vm(page);
    if (vm >= this.vms) throw new SimError(`page of vm ${vm} but the run has ${this.vms} VMs (vm.count); raise vm.count or leave it 0 to follow the workload`);
    if (this.cpuVm[c] < 0) this.cpuVm[c] = vm;
    if (page >= this.pageContent.length) {
      const grown = new Uint32Array(Math.max(page + 1, this.pageContent.length * 2));
      grown.set(this.pageContent);
      this.pageContent = grown;
    }
    const s = this.vmStats;
    const v = vm * VS_STRIDE;
    s[v + VS_MAPPED]++;
    if (!swapIn) {
      s[v + VS_TOUCHED]++;
      s[v + VS_GUEST_RESIDENT]++;
      this.guestPages!.add(vm, page);
    } else if (guestPaged) {
      s[v + VS_GUEST_PAGE_INS]++;
      s[v + VS_GUEST_RESIDENT]++;
    } else {
      s[v + VS_HOST_PAGE_INS]++;
    }
    let stall = 0;
    if (s[v + VS_GUEST_RESIDENT] > this.guestCapacity(vm)) {
      // The guest is short of memory: its own direct reclaim, in the faulting CPU's context.
      this.ctxCpu = c;
      this.guestShrink(vm, page);
      this.ctxCpu = -1;
      stall = this.takePendingStall();
    }
    if (s[v + VS_MAPPED] > this.vmSpec.limitPages[vm]) {
      // Over its limit (ESX max size): the host pages out one of the VM's own pages (the swap
      // write-back is kernel CPU, as any eviction; the VM pays when it faults the page back).
      const victim = this.vmVictim(vm, page);
      if (victim >= 0) this.evict(victim);
    }
    return stall;
  }

  /**
   * Guest OS model (every VM whenever the VM model is on): the pages a guest can hold for its
   * workload are its configured memory less its kernel's memory-sized structures
   * (vm.guestOsBytesPer4KiB) and its balloon. Pages it never touched are its free list.
   */
  private guestCapacity(vm: number): number {
    return this.vmSpec.memPages[vm] - this.vmSpec.guestOsPages[vm] - this.vmStats[vm * VS_STRIDE + VS_BALLOON];
  }

  /**
   * The guest is short of memory (a fault, or the balloon took its free pages): it pages out its
   * coldest pages to its virtual disk until it fits its capacity, never `except` (the page being
   * faulted in). The guest cannot tell which of its pages the host has swapped behind its back:
   * when its LRU picks one, the host first swaps it in for the guest to write it out (double
   * paging, the reason ESX prefers ballooning to host paging; paper §3.2 and §6.3). Costs stall
   * the VM (the faulting CPU through the fault context). Returns pages paged out.
   */
  private guestShrink(vm: number, except: number): number {
    const pt = this.pt;
    const s = vm * VS_STRIDE;
    let n = 0;
    while (this.vmStats[s + VS_GUEST_RESIDENT] > this.guestCapacity(vm)) {
      const p = this.guestVictim(vm, except);
      if (p < 0) break;
      if (pt.rec[p * REC + R_FRAME] >= 0) {
        this.guestPageOut(p);
      } else {
        pt.rec[p * REC + R_FLAGS] |= PAGE_GUEST_PAGED;
        this.vmStats[s + VS_GUEST_PAGE_OUTS]++;
        this.vmStats[s + VS_GUEST_RESIDENT]--;
        this.counters[C_KERNEL_CPU_NS] += this.costSwapInNs;
        this.stallVm(vm, this.costSwapInNs + this.costGuestPageOutNs);
      }
      n++;
    }
    return n;
  }

  /**
   * The guest's LRU: a CLOCK over the pages in its memory (first-touch order; pages it paged out
   * are skipped until they come back); a page whose accessed bit is set gets a second chance (the
   * bit is the page table's, cleared as a charged PTE scan like any scanner's; a host-swapped page
   * has it clear). -1 if the guest holds nothing but `except`.
   */
  private guestVictim(vm: number, except: number): number {
    const pt = this.pt;
    const list = this.guestPages!;
    const n = list.count(vm);
    let referenced = -1;
    for (let steps = 0; steps < 2 * n; steps++) {
      const p = list.next(vm);
      if (p === except || pt.rec[p * REC + R_FLAGS] & PAGE_GUEST_PAGED) continue;
      if (this.testAndClearAccessed(p)) {
        referenced = p;
        continue;
      }
      return p;
    }
    return referenced;
  }

  /** A mapped page of the VM other than `except`, not referenced since the hand last passed (CLOCK over page ids). */
  private vmVictim(vm: number, except: number): number {
    const pt = this.pt;
    const n = pt.pages;
    let hand = this.vmLimitHand[vm];
    let fallback = -1;
    for (let steps = 0; steps < 2 * n; steps++) {
      const p = hand;
      hand = hand + 1 >= n ? 0 : hand + 1;
      if (p === except || pt.rec[p * REC + R_FRAME] < 0 || pt.vm(p) !== vm) continue;
      const r = p * REC + R_FLAGS;
      if (pt.rec[r] & PAGE_ACCESSED) {
        pt.rec[r] &= ~PAGE_ACCESSED; // second chance (the host's own view of the bit, uncharged)
        fallback = p;
        continue;
      }
      this.vmLimitHand[vm] = hand;
      return p;
    }
    this.vmLimitHand[vm] = hand;
    return fallback;
  }

  /** Trapped access (armed bits due before it): active-memory sample, COW break, hint fault, in that order. */
  private trap(page: number, c: number, due: number): number {
    const pt = this.pt;
    const r = page * REC + R_FLAGS;
    let stall = 0;
    if (due & PAGE_TOUCH_SAMPLE) {
      pt.rec[r] &= ~PAGE_TOUCH_SAMPLE;
      this.counters[C_KERNEL_CPU_NS] += this.costTouchSampleNs;
      stall += this.costTouchSampleNs;
    }
    if (due & PAGE_COW) stall += this.breakCow(page, c);
    if (due & PAGE_HINT_ARMED) {
      pt.rec[r] &= ~PAGE_HINT_ARMED;
      stall += this.hintFault(page, c);
    }
    return stall;
  }

  /** A write to a copy-on-write page: a private copy, or the frame itself if no one else maps it any more. */
  private breakCow(page: number, c: number): number {
    const pt = this.pt;
    const r = page * REC;
    pt.rec[r + R_FLAGS] &= ~PAGE_COW;
    const f = pt.rec[r + R_FRAME];
    if (f < 0) return 0;
    if (pt.frameRefs[f] <= 1) {
      // Last mapper: the write-protect fault reuses the frame (as Linux do_wp_page).
      this.counters[C_KERNEL_CPU_NS] += this.costHintFaultNs;
      return this.costHintFaultNs;
    }
    let stall = this.costCowBreakNs;
    const want = pt.frameTier[f];
    let tier = this.tierWithRoom(want);
    if (tier < 0 && this.hooks.onPressure) {
      this.ctxCpu = c;
      this.hooks.onPressure(want, 1);
      this.ctxCpu = -1;
      stall += this.takePendingStall();
      tier = this.tierWithRoom(want);
    }
    if (tier < 0) {
      throw new SimError(`out of memory at ${(this.nowNs / 1e6).toFixed(3)} ms: a write to shared page ${page} needs a private frame but every tier is full and no policy reclaimed one`);
    }
    const nf = pt.rec[r + R_FRAME]; // reclaim may have evicted the page itself
    if (nf < 0) return stall;
    this.sharedLeave(page);
    pt.unmap(page);
    const frame = pt.allocFrame(tier);
    pt.map(page, frame);
    this.usedFrames[tier]++;
    this.counters[C_KERNEL_CPU_NS] += this.costCowBreakNs;
    if (this.vmOn) this.vmStats[pt.vm(page) * VS_STRIDE + VS_COW_BREAKS]++;
    this.checkPressure();
    return stall;
  }

  content(page: number): number {
    return page < this.pageContent.length ? this.pageContent[page] : 0;
  }

  frameOf(page: number): number {
    return this.pt.frameOf(page);
  }

  frameRefs(frame: number): number {
    return frame >= 0 && frame < this.pt.frames ? this.pt.frameRefs[frame] : 0;
  }

  frameOwner(frame: number): number {
    return frame >= 0 && frame < this.pt.frames && this.pt.frameRefs[frame] > 0 ? this.pt.framePage[frame] : -1;
  }

  share(page: number, withPage: number): boolean {
    const pt = this.pt;
    if (page === withPage || page < 0 || withPage < 0 || page >= pt.pages || withPage >= pt.pages) return false;
    const f = pt.frameOf(withPage);
    const g = pt.frameOf(page);
    if (f < 0 || g < 0 || f === g) return false;
    const content = this.content(page);
    // The byte compare: contents stand for the page bytes; unknown content never matches.
    if (content === 0 || content !== this.content(withPage)) return false;
    if (pt.frameRefs[f] >= 0xffff) return false; // 16-bit refcount saturated (ESX keeps an overflow table)
    this.sharedLeave(page);
    const freedTier = pt.unmap(page);
    if (freedTier >= 0) this.usedFrames[freedTier]--;
    this.sharedMapped += pt.frameRefs[f] === 1 ? 2 : 1;
    pt.mapShared(page, f);
    pt.rec[page * REC + R_FLAGS] |= PAGE_COW;
    pt.rec[withPage * REC + R_FLAGS] |= PAGE_COW;
    this.counters[C_KERNEL_CPU_NS] += this.costPageShareNs;
    return true;
  }

  vmMemPages(vm: number): number {
    return this.vmSpec.memPages[vm];
  }
  vmReservationPages(vm: number): number {
    return this.vmSpec.reservationPages[vm];
  }
  vmLimitPages(vm: number): number {
    return this.vmSpec.limitPages[vm];
  }
  vmShares(vm: number): number {
    return this.vmSpec.shares[vm];
  }
  vmMapped(vm: number): number {
    return this.vmStats[vm * VS_STRIDE + VS_MAPPED];
  }
  vmGuestResident(vm: number): number {
    return this.vmStats[vm * VS_STRIDE + VS_GUEST_RESIDENT];
  }
  vmNow(vm: number): number {
    let t = -1;
    for (let c = 0; c < this.cpus; c++) if (this.cpuVm[c] === vm && this.clockNs[c] > t) t = this.clockNs[c];
    return t < 0 ? this.nowNs : Math.max(t, this.nowNs);
  }
  balloonTarget(vm: number): number {
    return this.vmStats[vm * VS_STRIDE + VS_BALLOON_TARGET];
  }
  setBalloonTarget(vm: number, pages: number): void {
    this.vmStats[vm * VS_STRIDE + VS_BALLOON_TARGET] = Math.max(0, Math.floor(pages));
  }
  balloonSize(vm: number): number {
    return this.vmStats[vm * VS_STRIDE + VS_BALLOON];
  }
  setBalloonSize(vm: number, pages: number): void {
    const s = vm * VS_STRIDE;
    const max = this.vmSpec.memPages[vm] - this.vmSpec.guestOsPages[vm];
    this.vmStats[s + VS_BALLOON] = Math.max(0, Math.min(Math.floor(pages), max));
    // Inflating: the guest's allocator hands the balloon its free pages first, then the guest
    // reclaims (pages out its coldest pages) for the rest (paper §3.2). What it cannot give up
    // stays out of the balloon.
    if (this.vmOn && this.vmStats[s + VS_GUEST_RESIDENT] > this.guestCapacity(vm)) {
      this.guestShrink(vm, -1);
      const fit = max - this.vmStats[s + VS_GUEST_RESIDENT];
      if (this.vmStats[s + VS_BALLOON] > fit) this.vmStats[s + VS_BALLOON] = Math.max(0, fit);
    }
  }

  guestPageOut(page: number): boolean {
    const pt = this.pt;
    if (pt.rec[page * REC + R_FRAME] < 0) return false;
    const vm = pt.vm(page);
    this.evict(page);
    pt.rec[page * REC + R_FLAGS] |= PAGE_GUEST_PAGED;
    const v = vm * VS_STRIDE;
    this.vmStats[v + VS_HOST_PAGE_OUTS]--; // evict counted it as host paging
    this.vmStats[v + VS_GUEST_PAGE_OUTS]++;
    this.vmStats[v + VS_GUEST_RESIDENT]--;
    this.stallVm(vm, this.costGuestPageOutNs);
    return true;
  }

  setActiveEstimate(vm: number, fraction: number): void {
    this.vmStats[vm * VS_STRIDE + VS_ACTIVE] = fraction;
  }

  setMemState(state: number): void {
    this.memState = state;
  }

  stallVm(vm: number, ns: number): void {
    if (!(ns > 0)) return;
    this.vmStats[vm * VS_STRIDE + VS_STALL_NS] += ns;
    for (let c = 0; c < this.cpus; c++) {
      if (this.cpuVm[c] !== vm) continue;
      // The faulting CPU's clock is a local of the access loop: its stall goes through pendingStall
      // (and the access loop counts it in C_STALL_NS, so it is not counted here as well).
      if (c === this.ctxCpu) {
        this.pendingStallNs += ns;
      } else {
        this.clockNs[c] += ns;
        this.counters[C_STALL_NS] += ns;
      }
    }
  }

  armTouchSample(page: number): void {
    this.pt.rec[page * REC + R_FLAGS] |= PAGE_TOUCH_SAMPLE;
    this.counters[C_PTE_SCANS]++;
    this.counters[C_KERNEL_CPU_NS] += this.costPteScanNs;
  }

  // ---------------------------------------------------------------- checks

  /**
   * Engine invariants, for tests: every touched page maps exactly one frame, every used frame is in
   * one tier with refcount = pages mapping it, per-tier use matches and stays within capacity.
   * Returns the violations found (empty when all hold).
   */
  checkInvariants(): string[] {
    const pt = this.pt;
    const errors: string[] = [];
    const refs = new Uint32Array(pt.frames);
    for (let p = 0; p < pt.pages; p++) {
      const f = pt.frameOf(p);
      const swapped = (pt.rec[p * REC + R_FLAGS] & PAGE_SWAPPED) !== 0;
      const split = (pt.rec[p * REC + R_FLAGS] & PAGE_SPLIT) !== 0;
      if (split && f >= 0) errors.push(`page ${p} is split but maps frame ${f}`);
      else if (f < 0 && !swapped && !split) errors.push(`page ${p} has no frame and is not swapped out`);
      else if (f >= 0 && swapped) errors.push(`page ${p} has frame ${f} but is marked swapped out`);
      else if (f >= pt.frames) errors.push(`page ${p} maps frame ${f} beyond ${pt.frames}`);
      else if (f >= 0) {
        refs[f]++;
        const cached = (pt.rec[p * REC + R_FLAGS] >>> TIER_SHIFT) & 0xff;
        if (cached !== pt.frameTier[f]) errors.push(`page ${p}: record says tier ${cached} but its frame ${f} is in tier ${pt.frameTier[f]}`);
      }
    }
    const used = new Float64Array(this.tiers);
    let live = 0;
    for (let f = 0; f < pt.frames; f++) {
      if (refs[f] !== pt.frameRefs[f]) errors.push(`frame ${f}: refcount ${pt.frameRefs[f]} but ${refs[f]} pages map it`);
      if (refs[f] > 0) {
        live++;
        const t = pt.frameTier[f];
        if (t >= this.tiers) errors.push(`frame ${f} in unknown tier ${t}`);
        else used[t] += this.unitOf(pt.framePage[f]);
      }
    }
    if (live !== pt.liveFrames) errors.push(`${live} frames mapped but ${pt.liveFrames} allocated`);
    for (let t = 0; t < this.tiers; t++) {
      if (used[t] !== this.usedFrames[t]) errors.push(`tier ${t}: ${used[t]} frames in use but counter says ${this.usedFrames[t]}`);
      if (used[t] > this.capacityFrames[t]) errors.push(`tier ${t}: ${used[t]} frames exceed capacity ${this.capacityFrames[t]}`);
    }
    this.checkSharingAndVms(errors);
    return errors;
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
