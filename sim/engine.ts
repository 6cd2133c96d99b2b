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
import { PageTable, REC, R_FRAME, R_FLAGS } from './page-table.ts';
import { TimerHeap } from './timer-heap.ts';
import * as S from './stats.ts';
import type { AccessBatch, AccessSource } from '../traces/batch.ts';
import { createBatch, OP_WRITE } from '../traces/batch.ts';
import type { Host, PolicyHooks, PolicyDefinition } from '../policies/policy.ts';
import {
  EVENT_KINDS, EVENT_LOAD_LOCAL, EVENT_LOAD_REMOTE, EVENT_STORE, FAULT_FIRST_TOUCH, FAULT_HINT, FAULT_SWAP_IN,
  PAGE_ACCESSED, PAGE_DIRTY, PAGE_HINT_ARMED, PAGE_SWAPPED,
} from '../policies/policy.ts';

/** Engine-internal timer tags are negative; policy timers are id·2 (one-shot) or id·2 + 1 (periodic). */
const TAG_SAMPLE_DRAIN = -1;

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

export interface EngineResult {
  /** Counters over the measured period (end minus warm-up snapshot). */
  counters: Float64Array;
  policyCounterNames: string[];
  policyCounters: Float64Array;
  histogram: Float64Array;
  simTimeNs: number;
  idealTimeNs: number;
  usedFrames: Float64Array;
  epochs: EpochRow[];
  pages: number;
  engineBytes: number;
}

export class Engine implements Host {
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
  private readonly readLatNs: Float64Array;
  private readonly writeLatNs: Float64Array;
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
  private readonly active: Uint8Array;
  private nowNs = 0;
  /** CPU whose fault is being handled (synchronous work stalls it), or -1 in a daemon. */
  private ctxCpu = -1;
  private pendingStallNs = 0;

  readonly counters: Float64Array;
  readonly histogram = new Float64Array(S.HIST_BINS);
  private policyCounterNames: string[] = [];
  private policyCounters = new Float64Array(16);

  private readonly timers = new TimerHeap();
  private timerPeriodNs = new Float64Array(16);

  private readonly lowFrames: Float64Array;
  private readonly highFrames: Float64Array;
  private readonly pressureArmed: Uint8Array;

  private readonly samplePeriod = new Float64Array(EVENT_KINDS);
  private readonly sampleCountdown = new Float64Array(EVENT_KINDS);
  private readonly ringPage: Int32Array;
  private readonly ringEvent: Uint8Array;
  private ringCount = 0;
  private drainScheduled = false;

  private readonly costFirstTouchNs: number;
  private readonly costHintFaultNs: number;
  private readonly costSwapInNs: number;
  private readonly costSwapOutNs: number;
  private readonly costPteScanNs: number;
  private readonly costSampleNs: number;
  private readonly costMigrationNs: number;
  private readonly drainIntervalNs: number;

  private readonly random_: () => number;
  private hooks: PolicyHooks = {};
  private maxAccesses: number;

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
    this.readLatNs = Float64Array.from(this.idleReadLatNs);
    this.writeLatNs = Float64Array.from(this.idleWriteLatNs);
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
    this.active = new Uint8Array(this.cpus).fill(1);
    this.counters = new Float64Array(S.counterCount(n));

    this.lowFrames = new Float64Array(n).fill(-1);
    this.highFrames = new Float64Array(n);
    this.pressureArmed = new Uint8Array(n).fill(1);

    this.ringPage = new Int32Array(config['sampler.ringSamples'] as number);
    this.ringEvent = new Uint8Array(this.ringPage.length);

    const zeroNs = this.pageBytes / (config['cost.zeroGBps'] as number);
    this.costFirstTouchNs = (config['cost.firstTouchFaultNs'] as number) + zeroNs;
    this.costHintFaultNs = config['cost.hintFaultNs'] as number;
    this.costSwapInNs = config['cost.swapInNs'] as number;
    this.costSwapOutNs = config['cost.swapOutNs'] as number;
    this.costPteScanNs = config['cost.pteScanNs'] as number;
    this.costSampleNs = config['cost.sampleNs'] as number;
    this.costMigrationNs =
      (config['cost.migrationFixedNs'] as number) +
      this.pageBytes / (config['cost.migrationCopyGBps'] as number) +
      (config['cost.tlbShootdownNs'] as number) +
      (config['cost.tlbShootdownPerCpuNs'] as number) * Math.max(0, this.cpus - 1);
    this.drainIntervalNs = (config['sampler.drainIntervalUs'] as number) * 1e3;
    this.maxAccesses = (config['run.maxAccesses'] as number) || Infinity;
    this.random_ = seedrandom.alea(`${config.seed}/policy/${config.policy}`);
  }

  /** Instantiate the policy against this engine (its Host). */
  attach(policy: PolicyDefinition, params: Record<string, unknown>): void {
    this.hooks = policy.create(params as never, this);
  }

  // ---------------------------------------------------------------- main loop

  async run(): Promise<EngineResult> {
    const epochNs = (this.config['stats.epochMs'] as number) * 1e6;
    const warmupNs = (this.config['run.warmupMs'] as number) * 1e6;
    let nextEpochNs = epochNs;
    let warmupDone = warmupNs <= 0;
    let warmCounters = new Float64Array(this.counters.length);
    let warmPolicy = new Float64Array(0);
    let warmHist = new Float64Array(S.HIST_BINS);
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
        counters: subtract(counters, lastEpochCounters),
        policyCounters: subtract(policy, lastEpochPolicy),
        usedFrames: this.usedFrames.slice(),
      });
      lastEpochCounters = counters;
      lastEpochPolicy = policy;
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
      const nextTimer = this.timers.peekTimeNs();
      if (nextTimer <= min) {
        this.fireTimer();
        continue;
      }
      if (!warmupDone && warmupNs <= min) {
        warmupDone = true;
        warmCounters = this.counters.slice();
        warmPolicy = this.policyCounters.slice(0, this.policyCounterNames.length);
        warmHist = this.histogram.slice();
        warmIdealNs = max(this.idealNs);
        continue;
      }
      if (nextEpochNs <= min) {
        closeEpoch(nextEpochNs);
        nextEpochNs += epochNs;
        continue;
      }
      let limit = second < nextTimer ? second : nextTimer;
      if (nextEpochNs < limit) limit = nextEpochNs;
      if (!warmupDone && warmupNs < limit) limit = warmupNs;
      const done = this.runCpu(c, limit, this.maxAccesses - total);
      total += done;
      if (this.pos[c] >= this.batches[c].count) await this.refill(c);
    }
    const endNs = max(this.clockNs);
    closeEpoch(endNs);
    if (!warmupDone) {
      // The run ended inside the warm-up period: report everything rather than nothing.
      warmupDone = true;
    }
    const counters = subtract(this.counters.slice(), warmCounters);
    const policy = this.policyCounters.slice(0, this.policyCounterNames.length);
    const policyDelta = subtract(policy, padTo(warmPolicy, policy.length));
    return {
      counters,
      policyCounterNames: this.policyCounterNames.slice(),
      policyCounters: policyDelta,
      histogram: subtract(this.histogram.slice(), warmHist),
      simTimeNs: endNs - Math.min(warmupNs, endNs),
      idealTimeNs: max(this.idealNs) - warmIdealNs,
      usedFrames: this.usedFrames.slice(),
      epochs,
      pages: this.pt.pages,
      engineBytes: this.pt.bytes(),
    };
  }

  private async refill(c: number): Promise<void> {
    const batch = this.batches[c];
    const r = this.source.read(c, batch);
    const n = typeof r === 'number' ? r : await r;
    batch.count = n;
    this.pos[c] = 0;
    if (n === 0) this.active[c] = 0;
  }

  /**
   * The per-access path: runs CPU c's buffered accesses until its clock passes limitNs, its batch
   * ends, or `budget` accesses are done. Typed arrays and locals only; returns accesses done.
   */
  private runCpu(c: number, limitNs: number, budget: number): number {
    const b = this.batches[c];
    const pt = this.pt;
    const shift = this.pageShift;
    const hiShift = 32 - shift;
    const counters = this.counters;
    const hist = this.histogram;
    const lineBytes = this.lineBytes;
    const invMlp = this.invMlp;
    const idealRead = this.idleReadLatNs[0];
    const idealWrite = this.idleWriteLatNs[0];
    const hooks = this.hooks;
    const oracle = hooks.onAccessOracle !== undefined;
    const sampling = this.sampleCountdown;
    let clock = this.clockNs[c];
    let ideal = this.idealNs[c];
    let i = this.pos[c];
    const end = Math.min(b.count, i + budget);
    const start = i;
    while (i < end) {
      const gap = b.gapNs[i];
      clock += gap;
      ideal += gap;
      this.nowNs = clock;
      if (clock >= this.windowStartNs + this.windowNs) this.rollWindow(clock);
      const hi = b.addrHi[i];
      const lo = b.addrLo[i];
      const isWrite = b.op[i] === OP_WRITE;
      // vpn = addr >> shift over the split 64-bit address.
      const page = pt.findOrInsert(b.vm[i], hi >>> shift, (lo >>> shift) | (hi << hiShift));
      const r = page * REC;
      let stall = 0;
      if (pt.rec[r + R_FRAME] < 0) {
        if (pt.rec[r + R_FLAGS] & PAGE_SWAPPED) {
          stall += this.allocate(page, c, true);
        } else {
          // The first-touch fault stalls the CPU (it is in simTimeNs) but is not memory-access
          // latency; the all-local baseline pays it too.
          // Reclaim done inside the fault (direct reclaim, synchronous migration) is a stall like any other.
          const t = this.allocate(page, c, false);
          clock += this.costFirstTouchNs;
          ideal += this.costFirstTouchNs;
          stall += t - this.costFirstTouchNs;
        }
      }
      const rec = pt.rec;
      let flags = rec[r + R_FLAGS];
      if (flags & PAGE_HINT_ARMED) {
        flags &= ~PAGE_HINT_ARMED;
        rec[r + R_FLAGS] = flags;
        stall += this.hintFault(page, c);
      }
      rec[r + R_FLAGS] = flags | (isWrite ? PAGE_ACCESSED | PAGE_DIRTY : PAGE_ACCESSED);
      const tier = pt.frameTier[rec[r + R_FRAME]];
      const lat = isWrite ? this.writeLatNs[tier] : this.readLatNs[tier];
      this.windowBytes[tier] += lineBytes;
      const tb = S.C_TIER_BASE + S.TIER_STRIDE * tier;
      counters[tb]++;
      counters[isWrite ? tb + 2 : tb + 1] += lineBytes;
      counters[isWrite ? S.C_WRITES : S.C_READS]++;
      const event = isWrite ? EVENT_STORE : tier === 0 ? EVENT_LOAD_LOCAL : EVENT_LOAD_REMOTE;
      if (sampling[event] > 0 && --sampling[event] === 0) this.takeSample(page, event);
      if (oracle) hooks.onAccessOracle!(page, isWrite);
      const latency = lat + stall;
      counters[S.C_LATENCY_SUM_NS] += latency;
      counters[S.C_STALL_NS] += stall;
      hist[latency < 4096 ? latency | 0 : S.latencyBin(latency)]++;
      clock += lat * invMlp + stall;
      ideal += (isWrite ? idealWrite : idealRead) * invMlp;
      i++;
      if (clock > limitNs) break;
    }
    counters[S.C_ACCESSES] += i - start;
    this.pos[c] = i;
    this.clockNs[c] = clock;
    this.idealNs[c] = ideal;
    return i - start;
  }

  /**
   * First touch or swap-in: place the page through the policy's rule. Returns the stall of the
   * faulting CPU (fault cost plus any direct reclaim and synchronous migration in the hooks).
   */
  private allocate(page: number, c: number, swapIn: boolean): number {
    const hooks = this.hooks;
    const want = hooks.place ? hooks.place(page, c) : 0;
    let tier = this.tierWithRoom(want);
    const cost = swapIn ? this.costSwapInNs : this.costFirstTouchNs;
    let stall = cost;
    if (tier < 0 && hooks.onPressure) {
      // Every tier is full: direct reclaim in the faulting CPU's context, then retry once.
      this.ctxCpu = c;
      hooks.onPressure(want, 1);
      this.ctxCpu = -1;
      stall += this.takePendingStall();
      tier = this.tierWithRoom(want);
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
    pt.rec[page * REC + R_FLAGS] &= ~PAGE_SWAPPED;
    this.usedFrames[tier]++;
    this.counters[swapIn ? S.C_SWAP_INS : S.C_FIRST_TOUCH_FAULTS]++;
    this.counters[S.C_KERNEL_CPU_NS] += cost;
    if (hooks.onFault) {
      this.ctxCpu = c;
      hooks.onFault(page, swapIn ? FAULT_SWAP_IN : FAULT_FIRST_TOUCH, c);
      this.ctxCpu = -1;
      stall += this.takePendingStall();
    }
    this.checkPressure();
    return stall;
  }

  /** Preferred tier if it has a free frame, else the next slower, else the next faster; -1 if none. */
  private tierWithRoom(want: number): number {
    const n = this.tiers;
    const w = want >= 0 && want < n ? want : 0;
    for (let t = w; t < n; t++) if (this.usedFrames[t] < this.capacityFrames[t]) return t;
    for (let t = w - 1; t >= 0; t--) if (this.usedFrames[t] < this.capacityFrames[t]) return t;
    return -1;
  }

  private hintFault(page: number, c: number): number {
    this.counters[S.C_HINT_FAULTS]++;
    this.counters[S.C_KERNEL_CPU_NS] += this.costHintFaultNs;
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
    const id = tag >> 1;
    if (tag & 1) this.timers.push(t + this.timerPeriodNs[id], tag);
    this.hooks.onTimer?.(id);
    this.checkPressure();
  }

  private rollWindow(now: number): void {
    const elapsed = Math.max(now - this.windowStartNs, this.windowNs);
    for (let t = 0; t < this.tiers; t++) {
      let u = this.windowBytes[t] / (elapsed * this.peakBytesPerNs[t]);
      if (u > this.maxUtil) u = this.maxUtil;
      const factor = 1 + (this.queueFactor * u) / (1 - u);
      this.readLatNs[t] = this.idleReadLatNs[t] * factor;
      this.writeLatNs[t] = this.idleWriteLatNs[t] * factor;
      this.windowBytes[t] = 0;
    }
    this.windowStartNs = now;
  }

  private takeSample(page: number, event: number): void {
    this.sampleCountdown[event] = this.samplePeriod[event];
    if (this.ringCount < this.ringPage.length) {
      this.ringPage[this.ringCount] = page;
      this.ringEvent[this.ringCount] = event;
      this.ringCount++;
    } else {
      this.counters[S.C_SAMPLES_LOST]++;
    }
  }

  private drainSamples(): void {
    const n = this.ringCount;
    this.ringCount = 0;
    this.counters[S.C_SAMPLES] += n;
    this.counters[S.C_KERNEL_CPU_NS] += n * this.costSampleNs;
    const hooks = this.hooks;
    if (!hooks.onSample) return;
    for (let i = 0; i < n; i++) hooks.onSample(this.ringPage[i], this.ringEvent[i]);
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
    return this.pt.rec[page * REC + R_FLAGS];
  }

  migrate(page: number, tier: number, async = false): boolean {
    const pt = this.pt;
    const frame = pt.frameOf(page);
    if (frame < 0 || tier < 0 || tier >= this.tiers) return false;
    const from = pt.frameTier[frame];
    if (from === tier || this.usedFrames[tier] >= this.capacityFrames[tier]) return false;
    pt.frameTier[frame] = tier;
    this.usedFrames[from]--;
    this.usedFrames[tier]++;
    const bytes = this.pageBytes;
    const counters = this.counters;
    counters[tier < from ? S.C_PROMOTED : S.C_DEMOTED]++;
    counters[S.C_MIGRATED_BYTES] += bytes;
    counters[S.C_TIER_BASE + S.TIER_STRIDE * from + 1] += bytes;
    counters[S.C_TIER_BASE + S.TIER_STRIDE * tier + 2] += bytes;
    this.windowBytes[from] += bytes;
    this.windowBytes[tier] += bytes;
    counters[S.C_KERNEL_CPU_NS] += this.costMigrationNs;
    if (!async && this.ctxCpu >= 0) this.pendingStallNs += this.costMigrationNs;
    return true;
  }

  evict(page: number): boolean {
    const pt = this.pt;
    const r = page * REC;
    if (pt.rec[r + R_FRAME] < 0) return false;
    const flags = pt.rec[r + R_FLAGS];
    const freedTier = pt.unmap(page);
    if (freedTier >= 0) this.usedFrames[freedTier]--;
    pt.rec[r + R_FLAGS] = (flags & ~(PAGE_ACCESSED | PAGE_DIRTY | PAGE_HINT_ARMED)) | PAGE_SWAPPED;
    this.counters[S.C_EVICTED]++;
    if (flags & PAGE_DIRTY) this.counters[S.C_KERNEL_CPU_NS] += this.costSwapOutNs;
    return true;
  }

  every(periodNs: number, id: number, firstDelayNs = periodNs): void {
    if (!(periodNs > 0)) throw new SimError(`timer ${id}: period must be > 0 ns, found ${periodNs}`);
    this.checkTimerId(id);
    this.timerPeriodNs[id] = periodNs;
    this.timers.push(this.nowNs + firstDelayNs, id * 2 + 1);
  }

  after(delayNs: number, id: number): void {
    this.checkTimerId(id);
    this.timers.push(this.nowNs + Math.max(0, delayNs), id * 2);
  }

  private checkTimerId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id > 1 << 20) throw new SimError(`timer id must be an integer in [0, 2^20], found ${id}`);
    if (id >= this.timerPeriodNs.length) {
      const t = new Float64Array(Math.max(id + 1, this.timerPeriodNs.length * 2));
      t.set(this.timerPeriodNs);
      this.timerPeriodNs = t;
    }
  }

  armHintFault(page: number): void {
    this.pt.rec[page * REC + R_FLAGS] |= PAGE_HINT_ARMED;
    this.counters[S.C_PTE_SCANS]++;
    this.counters[S.C_KERNEL_CPU_NS] += this.costPteScanNs;
  }

  testAndClearAccessed(page: number): boolean {
    const f = this.pt.rec[page * REC + R_FLAGS];
    this.pt.rec[page * REC + R_FLAGS] = f & ~PAGE_ACCESSED;
    this.counters[S.C_PTE_SCANS]++;
    this.counters[S.C_KERNEL_CPU_NS] += this.costPteScanNs;
    return (f & PAGE_ACCESSED) !== 0;
  }

  sample(event: number, period: number): void {
    if (!(event >= 0 && event < EVENT_KINDS)) throw new SimError(`sample: unknown event kind ${event}`);
    this.samplePeriod[event] = Math.max(0, Math.floor(period));
    this.sampleCountdown[event] = this.samplePeriod[event];
    if (period > 0 && !this.drainScheduled) {
      this.drainScheduled = true;
      this.timers.push(this.nowNs + this.drainIntervalNs, TAG_SAMPLE_DRAIN);
    }
  }

  counter(name: string): number {
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
    this.counters[S.C_KERNEL_CPU_NS] += ns;
  }

  setWatermarks(tier: number, lowFrames: number, highFrames: number): void {
    if (!(lowFrames <= highFrames)) throw new SimError(`setWatermarks(tier ${tier}): low ${lowFrames} must be ≤ high ${highFrames}`);
    this.lowFrames[tier] = lowFrames;
    this.highFrames[tier] = highFrames;
    this.pressureArmed[tier] = 1;
  }

  random(): number {
    return this.random_();
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
      if (f < 0 && !swapped) errors.push(`page ${p} has no frame and is not swapped out`);
      else if (f >= 0 && swapped) errors.push(`page ${p} has frame ${f} but is marked swapped out`);
      else if (f >= pt.frames) errors.push(`page ${p} maps frame ${f} beyond ${pt.frames}`);
      else if (f >= 0) refs[f]++;
    }
    const used = new Float64Array(this.tiers);
    let live = 0;
    for (let f = 0; f < pt.frames; f++) {
      if (refs[f] !== pt.frameRefs[f]) errors.push(`frame ${f}: refcount ${pt.frameRefs[f]} but ${refs[f]} pages map it`);
      if (refs[f] > 0) {
        live++;
        const t = pt.frameTier[f];
        if (t >= this.tiers) errors.push(`frame ${f} in unknown tier ${t}`);
        else used[t]++;
      }
    }
    if (live !== pt.liveFrames) errors.push(`${live} frames mapped but ${pt.liveFrames} allocated`);
    for (let t = 0; t < this.tiers; t++) {
      if (used[t] !== this.usedFrames[t]) errors.push(`tier ${t}: ${used[t]} frames in use but counter says ${this.usedFrames[t]}`);
      if (used[t] > this.capacityFrames[t]) errors.push(`tier ${t}: ${used[t]} frames exceed capacity ${this.capacityFrames[t]}`);
    }
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
