// Senpai (TMO, ASPLOS'22): proactive reclaim driven by memory pressure. User space reads the
// cgroup's PSI memory `some` total every second and moves the cgroup's memory limit so that the
// stall stays near a target: tighten it a little while pressure is below target, loosen it (fast,
// exponentially) when pressure is above. Follows facebookincubator/senpai `senpai.py` (commit
// c51e8e2): Senpai.tick, Senpai.adjust, Cgroup.scale_limit / import_limit, the argparse defaults.
//
// - Tick (`Senpai.run`: time.sleep(1), then tick): total = PSI some total (µs); integral += the
//   change since the last tick.
// - Back off (`integral > pressure`): err = integral / pressure, adj = min((err / coeff_backoff)² ·
//   max_backoff, max_backoff), limit += limit · adj; then wait interval − 1 ticks.
// - Probe (pressure at or below target, after `interval` quiet ticks): err = pressure /
//   max(integral, 1), adj = min((err / coeff_probe)² · max_probe, max_probe), limit −= limit · adj.
//   Every adjustment resets the integral.
// - The limit (`import_limit`): int(limit + limit · adj), clamped to [min_size, max_size], rounded
//   down to 4 KiB. Senpai starts with the limit at memory.current (0 at the start of a run, so
//   min_size: the workload grows into it as pressure pushes the limit up, as in the README's
//   kernel-compile log starting at 100 MiB).
// - The limit is memory.high (senpai.py writes memory.high): writing a lower value reclaims down to it
//   in the writer (mm/memcontrol.c memory_high_write: asynchronous here, kernel CPU only); an
//   allocation that takes the cgroup over it reclaims back under it in the allocating task
//   (mem_cgroup_handle_over_high → reclaim_high, a memory stall). The penalty sleep when reclaim
//   cannot keep up (calculate_high_delay) is not modelled.
// - memory.current = frames in use across all tiers plus the zswap pool's (cgroup v2 charges it).
// - What is reclaimed: the kernel's own LRU, slowest tier first, evicting (to zswap when it is on,
//   else to swap or, for clean file pages, dropped), as early-reclaim.ts does. [model]
// - Pressure: Host.memPressureNs (sim/psi.ts: swap-ins, refaults, reclaim in the task).
// - Poking mode (`senpaiPoking`; facebookincubator/oomd src/oomd/plugins/SenpaiPoking.cpp, the
//   oomd plugin `senpai_poking`, stateless like memory.reclaim): no standing limit. After `interval`
//   ticks, if memory and IO PSI `some` avg10 and avg60 are all below `pressure_pct` (0.1 %), reclaim
//   (memory.current − min_size) · max_probe at once (memory.high written, then reset to max) and
//   count the interval again; otherwise check again the next tick. Allocations never reclaim.
//   (oomd's min also adds the cgroup's unreclaimable memory: none here, all pages can be swapped.)
// Defaults are senpai.py's: interval 6 (ticks of 1 s), pressure 10 000 µs, max_probe 0.01,
// max_backoff 1.0, coeff_probe 10, coeff_backoff 20, min_size 100 MiB, max_size 100 GiB. TMO's
// production fleet saved 20–32 % of memory with it [paper abstract, FACTS.md §6].

import type { Host } from '../policy.ts';
import type { Reclaimer } from './lru.ts';
import { MAX_MIB, MAX_SIM_MS } from '../../sim/config.ts';
import { framesInUse, startCapacities } from './early-reclaim.ts';

/** Senpai's parameters on every kernel policy (policy.<name>.senpai…), senpai.py's argparse defaults. */
export const SENPAI_PARAMS = {
  senpai: { default: false, doc: 'Senpai/TMO proactive reclaim (policies/lib/senpai.ts, facebookincubator/senpai senpai.py): every tick, move a memory.high limit so that PSI memory pressure stays near senpaiPressureUs per interval; off by default.' },
  senpaiIntervalTicks: { default: 6, min: 1, max: 1e6, integer: true, doc: 'senpai.py --interval: ticks between adjustments while pressure is below target (default 6, of senpaiTickMs each).' },
  senpaiTickMs: { default: 1000, min: 1, max: MAX_SIM_MS, doc: 'Time between Senpai reads of memory.pressure, in ms (senpai.py Senpai.run: time.sleep(1) → 1000).' },
  senpaiPressureUs: { default: 10000, min: 1, max: 1e12, doc: 'senpai.py --pressure: target memory stall (PSI some) per interval, in µs (default 10 000 = 10 ms).' },
  senpaiMaxProbe: { default: 0.01, min: 0, max: 1, doc: 'senpai.py --max-probe: largest share the limit is tightened by in one step (default 0.01 = 1 %).' },
  senpaiMaxBackoff: { default: 1.0, min: 0, max: 100, doc: 'senpai.py --max-backoff: largest share the limit is loosened by in one step (default 1.0 = doubles).' },
  senpaiCoeffProbe: { default: 10, min: 1e-6, max: 1e6, doc: 'senpai.py --coeff-probe: the probe reaches max_probe when pressure is 1/coeff_probe of target (default 10).' },
  senpaiCoeffBackoff: { default: 20, min: 1e-6, max: 1e6, doc: 'senpai.py --coeff-backoff: the back-off reaches max_backoff when pressure is coeff_backoff × target (default 20).' },
  senpaiMinSizeMiB: { default: 100, min: 0, max: MAX_MIB, doc: 'senpai.py --min-size: the limit never goes below this, in MiB (default 100).' },
  senpaiMaxSizeMiB: { default: 102400, min: 0, max: MAX_MIB, doc: 'senpai.py --max-size: the limit never goes above this, in MiB (default 100 GiB).' },
  senpaiPoking: { default: false, doc: 'Poking mode (oomd SenpaiPoking, stateless like memory.reclaim): every senpaiIntervalTicks, if memory and IO PSI avg10/avg60 are below senpaiPressurePct, reclaim (memory.current − senpaiMinSizeMiB) × senpaiMaxProbe once, keeping no limit.' },
  senpaiPressurePct: { default: 0.1, min: 0, max: 100, doc: 'Poking mode: memory and IO PSI some avg10 and avg60 must all be below this, in % (oomd SenpaiPoking mem_pressure_pct_ / io_pressure_pct_, default 0.1).' },
} as const;

export interface SenpaiOptions {
  intervalTicks: number;
  tickMs: number;
  pressureUs: number;
  maxProbe: number;
  maxBackoff: number;
  coeffProbe: number;
  coeffBackoff: number;
  minSizeMiB: number;
  maxSizeMiB: number;
  /** oomd SenpaiPoking: no standing limit, a reclaim poke when PSI averages are low (default false). */
  poking?: boolean;
  pressurePct?: number;
}

/** The options of a policy whose params include SENPAI_PARAMS, or undefined when Senpai is off. */
export function senpaiOptions(p: { senpai?: boolean } & Partial<Record<keyof typeof SENPAI_PARAMS, unknown>>): SenpaiOptions | undefined {
  if (p.senpai !== true) return undefined;
  const n = (k: keyof typeof SENPAI_PARAMS) => p[k] as number;
  return {
    intervalTicks: n('senpaiIntervalTicks'),
    tickMs: n('senpaiTickMs'),
    pressureUs: n('senpaiPressureUs'),
    maxProbe: n('senpaiMaxProbe'),
    maxBackoff: n('senpaiMaxBackoff'),
    coeffProbe: n('senpaiCoeffProbe'),
    coeffBackoff: n('senpaiCoeffBackoff'),
    minSizeMiB: n('senpaiMinSizeMiB'),
    maxSizeMiB: n('senpaiMaxSizeMiB'),
    poking: p.senpaiPoking === true,
    pressurePct: n('senpaiPressurePct'),
  };
}

/** Tick outcomes (Senpai.tick's branches). */
export const SENPAI_WAIT = 0;
export const SENPAI_PROBE = 1;
export const SENPAI_BACKOFF = 2;

export class Senpai {
  /** memory.high in bytes (a multiple of 4096). */
  limitBytes: number;
  /** PSI some total (µs) at the last tick, the stall since the last adjustment (µs), ticks to wait. */
  private lastTotalUs: number;
  integralUs = 0;
  graceTicks: number;
  private readonly minBytes: number;
  private readonly maxBytes: number;
  private readonly capacity0: Float64Array;
  private readonly evictOne: (page: number) => boolean;
  private readonly reached: () => boolean;
  /** Pages reclaimed: at ticks (memory_high_write, asynchronous) and in allocating tasks (reclaim_high). */
  reclaimedAtTick = 0;
  reclaimedInTask = 0;
  probes = 0;
  backoffs = 0;
  /**
   * Per tick (for plots and tests): time (ns), limit (bytes; poking: the poke's target, Infinity
   * when it did not poke), memory.current after the tick's reclaim (bytes), stall this tick (µs).
   */
  readonly log: { timeNs: number[]; limitBytes: number[]; currentBytes: number[]; deltaUs: number[] } = { timeNs: [], limitBytes: [], currentBytes: [], deltaUs: [] };

  /** Policy counters: senpaiProbes, senpaiBackoffs, senpaiReclaimedAtTick, senpaiReclaimedInTask. */
  private readonly counters: Int32Array;

  /** `timerId`: when given, Senpai asks for its tick every tickMs (the owner's onTimer calls tick()). */
  constructor(
    private readonly host: Host,
    readonly o: SenpaiOptions,
    timerId = -1,
  ) {
    this.counters = Int32Array.from(['senpaiProbes', 'senpaiBackoffs', 'senpaiReclaimedAtTick', 'senpaiReclaimedInTask'], (n) => host.counter(n));
    if (timerId >= 0) host.every(o.tickMs * 1e6, timerId);
    this.minBytes = o.minSizeMiB * 2 ** 20;
    this.maxBytes = o.maxSizeMiB * 2 ** 20;
    this.capacity0 = startCapacities(host);
    // Senpai.__init__: last_total = total(), grace_ticks = interval, limit reset to memory.current.
    this.lastTotalUs = this.totalUs();
    this.graceTicks = o.intervalTicks;
    // Poking keeps no limit (memory.high = max) between pokes.
    this.limitBytes = o.poking ? Infinity : this.clamp(this.currentBytes());
    this.evictOne = (page: number) => this.host.evict(page);
    this.reached = () => this.currentBytes() <= this.limitBytes;
  }

  /** PSI memory.pressure `some total=`: integer µs. */
  private totalUs(): number {
    return Math.floor(this.host.memPressureNs() / 1000);
  }

  currentBytes(): number {
    return framesInUse(this.host, this.capacity0) * this.host.pageBytes;
  }

  /** Cgroup.import_limit: clamp to [min_size, max_size] and round down to 4 KiB. */
  private clamp(limit: number): number {
    const x = Math.max(this.minBytes, Math.min(this.maxBytes, limit));
    return Math.floor(x / 4096) * 4096;
  }

  /** Senpai.adjust → Cgroup.scale_limit: limit = int(limit + limit · factor); the integral restarts. */
  private adjust(factor: number): void {
    this.limitBytes = this.clamp(Math.floor(this.limitBytes + this.limitBytes * factor));
    this.integralUs = 0;
  }

  /** Ticks since the last poke (poking mode: SenpaiPoking's state.ticks). */
  private pokeTicks = 0;

  /**
   * SenpaiPoking::tick: after `interval` ticks, if PSI is low, set the limit a max_probe share of the
   * way from memory.current down to min_size, for the caller to reclaim to (reclaim() then resets it
   * to max). Returns SENPAI_PROBE when it poked, else SENPAI_WAIT.
   */
  private tickPoking(): number {
    const o = this.o;
    this.log.timeNs.push(this.host.now());
    this.log.deltaUs.push(0);
    let outcome = SENPAI_WAIT;
    if (++this.pokeTicks >= o.intervalTicks) {
      const a = this.host.pressureAverages();
      const pct = o.pressurePct ?? 0.1;
      const cur = this.currentBytes();
      if (Math.max(a[0], a[1]) < pct && Math.max(a[2], a[3]) < pct && cur > this.minBytes) {
        const reclaimBytes = (cur - this.minBytes) * o.maxProbe;
        this.limitBytes = Math.floor((cur - reclaimBytes) / 4096) * 4096;
        this.pokeTicks = 0;
        this.probes++;
        this.host.count(this.counters[0]);
        outcome = SENPAI_PROBE;
      }
    }
    this.log.limitBytes.push(this.limitBytes);
    this.log.currentBytes.push(this.currentBytes());
    return outcome;
  }

  /** Senpai.tick: read pressure and move the limit. Returns SENPAI_WAIT, _PROBE or _BACKOFF. */
  tick(): number {
    const o = this.o;
    if (o.poking) return this.tickPoking();
    const total = this.totalUs();
    const delta = total - this.lastTotalUs;
    this.lastTotalUs = total;
    this.integralUs += delta;
    this.log.timeNs.push(this.host.now());
    this.log.deltaUs.push(delta);
    let outcome = SENPAI_WAIT;
    if (this.integralUs > o.pressureUs) {
      // Back off exponentially with the error; max_backoff when pressure is coeff_backoff × target.
      const err = this.integralUs / o.pressureUs;
      const adj = Math.min((err / o.coeffBackoff) ** 2 * o.maxBackoff, o.maxBackoff);
      this.adjust(adj);
      this.graceTicks = o.intervalTicks - 1;
      this.backoffs++;
      this.host.count(this.counters[1]);
      outcome = SENPAI_BACKOFF;
    } else if (this.graceTicks > 0) {
      this.graceTicks--;
    } else {
      // Tighten; max_probe when pressure is 1/coeff_probe of target (or none at all).
      const err = o.pressureUs / Math.max(this.integralUs, 1);
      const adj = Math.min((err / o.coeffProbe) ** 2 * o.maxProbe, o.maxProbe);
      this.adjust(-adj);
      this.graceTicks = o.intervalTicks - 1;
      this.probes++;
      this.host.count(this.counters[0]);
      outcome = SENPAI_PROBE;
    }
    this.log.limitBytes.push(this.limitBytes);
    this.log.currentBytes.push(this.currentBytes());
    return outcome;
  }

  /** memory.current above memory.high? */
  over(): boolean {
    return this.currentBytes() > this.limitBytes;
  }

  /**
   * Reclaim down to the limit (slowest tier first, evicting). `inTask`: in an allocating task
   * (reclaim_high), else in Senpai's write of memory.high. Returns pages reclaimed.
   */
  reclaim(reclaimer: Reclaimer, inTask: boolean): number {
    let n = 0;
    for (let t = this.host.tiers - 1; t >= 0 && !this.reached(); t--) n += reclaimer.shrink(t, this.evictOne, this.reached);
    this.host.count(this.counters[inTask ? 3 : 2], n);
    if (inTask) this.reclaimedInTask += n;
    else {
      this.reclaimedAtTick += n;
      // The tick's log entry shows memory.current after the reclaim its write of memory.high made.
      if (this.log.currentBytes.length > 0) this.log.currentBytes[this.log.currentBytes.length - 1] = this.currentBytes();
    }
    // Poking: memory.high goes back to max right after the poke (resetMemhigh).
    if (this.o.poking) this.limitBytes = Infinity;
    return n;
  }
}
