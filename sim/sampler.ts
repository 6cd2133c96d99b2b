// PEBS-style sampling (README "Sampling-based policies"): per event kind (loads served by tier 0,
// loads served elsewhere, stores) one sample every `period` events, into a ring buffer of
// sampler.ringSamples entries drained to the policies every sampler.drainIntervalUs; samples that
// find the ring full are lost and counted. Each drained sample costs cost.sampleNs of kernel CPU.
// Deterministic: the same config and seed take the same samples. The access loop counts events
// down in `countdown` itself (a subtraction per access while sampling is on) and calls take().

import type { Core } from './core.ts';
import { SimError } from './core.ts';
import { EVENT_KINDS } from './host.ts';
import { C_KERNEL_CPU_NS, C_SAMPLES, C_SAMPLES_LOST } from './stats.ts';
import { TAG_SAMPLE_DRAIN } from './timer-heap.ts';

export class Sampler {
  readonly period = new Float64Array(EVENT_KINDS);
  /** Events left until the next sample, per kind (0 = kind not sampled). */
  readonly countdown = new Float64Array(EVENT_KINDS);
  /** Any kind sampled: lets the access loop skip the countdowns when none is. */
  on = false;
  private readonly ringPage: Int32Array;
  private readonly ringEvent: Uint8Array;
  private readonly ringSub: Uint16Array;
  private ringCount = 0;
  private drainScheduled = false;
  private readonly drainIntervalNs: number;

  constructor(private readonly core: Core) {
    const ring = core.config['sampler.ringSamples'] as number;
    this.ringPage = new Int32Array(ring);
    this.ringEvent = new Uint8Array(ring);
    this.ringSub = new Uint16Array(ring);
    this.drainIntervalNs = (core.config['sampler.drainIntervalUs'] as number) * 1e3;
  }

  /** Host.sample: one sample every `period` events of `event` (0 = off); the first subscription starts the drain timer. */
  subscribe(event: number, period: number): void {
    if (!(event >= 0 && event < EVENT_KINDS)) throw new SimError(`sample: unknown event kind ${event}`);
    this.period[event] = Math.max(0, Math.floor(period));
    this.countdown[event] = this.period[event];
    this.on = this.period.some((p) => p > 0);
    if (period > 0 && !this.drainScheduled) {
      this.drainScheduled = true;
      this.core.events.push(this.core.nowNs + this.drainIntervalNs, TAG_SAMPLE_DRAIN);
    }
  }

  /** The countdown of `event` reached 0 on an access to `page` (its 4 KiB sub-page `sub`). */
  take(page: number, event: number, sub: number): void {
    this.countdown[event] = this.period[event];
    if (this.ringCount < this.ringPage.length) {
      this.ringPage[this.ringCount] = page;
      this.ringEvent[this.ringCount] = event;
      this.ringSub[this.ringCount] = sub;
      this.ringCount++;
    } else {
      this.core.counters[C_SAMPLES_LOST]++;
    }
  }

  /** The drain timer: hand the ring to the policies and schedule the next drain. */
  onDrainTimer(timeNs: number): void {
    this.drain();
    this.core.events.push(timeNs + this.drainIntervalNs, TAG_SAMPLE_DRAIN);
  }

  /** Deliver the ring's samples (also once at the end of the run, so that none vanish). */
  drain(): void {
    const n = this.ringCount;
    this.ringCount = 0;
    const counters = this.core.counters;
    counters[C_SAMPLES] += n;
    counters[C_KERNEL_CPU_NS] += n * this.core.cost.sampleNs;
    const hooks = this.core.policies.hooks;
    if (hooks.onSample === undefined) return;
    for (let i = 0; i < n; i++) hooks.onSample(this.ringPage[i], this.ringEvent[i], this.ringSub[i]);
  }

  get pending(): number {
    return this.ringCount;
  }
}
