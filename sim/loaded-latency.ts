// Loaded latency: each tier's bandwidth use u over the last window sets its latency for the next
// window, so a busy tier is slower, not idle-fast. Accesses move lineBytes each, migrations whole
// pages, and both count against the tiers they touch. Two curve shapes (machine.loadModel):
//
// - `mm1` (default): latency = idle · (1 + q·u/(1 − u)), u = bytes / (window · mean of the read and
//   write peaks), capped at machine.maxUtilization: the M/M/1 shape (README "Machines").
// - `curve`: latency = idle · m(u), m piecewise linear through machine.loadCurve's points
//   (utilisation:multiplier). The default points follow the shape of the Intel MLC loaded-latency
//   curves published for DDR and CXL memory — flat to about half the peak, a knee near 70–80 %,
//   2–3× idle near saturation (Colloid SOSP'24 Fig. 1–2: local DRAM up to 2.5× idle under an
//   antagonist; Pond ASPLOS'23 and the CXL device studies in FACTS §8 show the same knee). The
//   exact points are [estimate]. Here u = (read bytes / read peak + written bytes / write peak) /
//   window, so a device with asymmetric bandwidth (CXL: Micron CZ120 reaches its peak at 2:1 R:W,
//   FACTS §8) saturates sooner under writes.
//
// Both models add, per tier (machine.tiers.N.*): background antagonist traffic (antagonistGBps,
// constant or pulsed: on for pulseOnMs, off for pulseOffMs, from startMs) that shares the device
// with the workload, and a queue/MLP limit (queueDepth): when Little's law asks for more requests in
// flight than the device queue holds (λ·L > D), requests wait outside it and latency grows by λ·L/D.
//
// Per tier the engine counts arrivals (cache lines, the workload's and the antagonist's) and
// occupancy (Σ latency of those arrivals = ∫ in-flight dt), as the CHA TOR inserts / occupancy
// counters do for demand reads; occupancy / arrivals is the loaded latency, occupancy / time the
// mean number in flight. The counters live in the engine's counter array (stats.ts loadBase), so
// warm-up and epochs difference them like every other counter. Everything here runs once per
// window (machine.bandwidthWindowUs), never per access.

import type { CostModel } from './cost-model.ts';
import type { Config, KeySpec } from './config.ts';
import { ConfigError, MAX_GBPS, MAX_SIM_MS, parseNumber } from './config.ts';
import { C_TIER_BASE, TIER_STRIDE, LOAD_ARRIVALS, LOAD_OCCUPANCY_NS, LOAD_ANTAGONIST_BYTES, loadBase } from './stats.ts';

export const LOAD_MODELS = ['mm1', 'curve'] as const;

/** Default utilisation→multiplier points of the `curve` model (shape of MLC loaded-latency curves; points [estimate]). */
export const DEFAULT_LOAD_CURVE = '0:1,0.5:1.1,0.7:1.3,0.8:1.6,0.9:2.2,1:3';

/** Per-tier keys of the loaded-latency model (machine.tiers.N.<field>); every default leaves a run unchanged. */
export const LOAD_TIER_FIELDS: Record<string, KeySpec> = {
  queueDepth: { default: 0, doc: 'Requests the device can hold in flight (queue/MLP limit); beyond it latency grows by in-flight / queueDepth (Little\'s law). 0 = no limit. [estimate] 64–512 for a CXL controller.', type: 'number', integer: true, min: 0, max: 1e6 },
  antagonistGBps: { default: 0, doc: 'Background antagonist traffic on this tier (another tenant\'s bandwidth, as in Colloid\'s experiments); shares the tier\'s bandwidth with the workload.', type: 'number', min: 0, max: MAX_GBPS },
  antagonistWriteShare: { default: 0, doc: 'Share of the antagonist\'s bytes that are writes (0–1).', type: 'number', min: 0, max: 1 },
  antagonistStartMs: { default: 0, doc: 'Simulated time at which the antagonist starts.', type: 'number', min: 0, max: MAX_SIM_MS },
  antagonistPulseOnMs: { default: 0, doc: 'Pulsed antagonist: on for this long, then off for antagonistPulseOffMs, repeating; 0 = constant once started.', type: 'number', min: 0, max: MAX_SIM_MS },
  antagonistPulseOffMs: { default: 0, doc: 'Pulsed antagonist: off time between pulses (used when antagonistPulseOnMs > 0).', type: 'number', min: 0, max: MAX_SIM_MS },
};

/**
 * The key is a loaded-latency key at its default: left out of a run's identity and config.json, so
 * that runs made before these keys existed keep their identity (folder names, sweep completeness).
 */
export function isDefaultLoadKey(key: string, value: unknown): boolean {
  if (key === 'machine.loadModel') return value === 'mm1';
  if (key === 'machine.loadCurve') return value === DEFAULT_LOAD_CURVE;
  const m = /^machine\.tiers\.\d+\.(\w+)$/.exec(key);
  return m !== null && m[1] in LOAD_TIER_FIELDS && LOAD_TIER_FIELDS[m[1]].default === value;
}

/** Parse machine.loadCurve: "u:m,u:m,…", u rising from 0, multipliers ≥ 1. Returns [u…] and [m…]. */
export function parseLoadCurve(text: string): { u: Float64Array; m: Float64Array } {
  const parts = text.split(',').map((p) => p.split(':').map((s) => parseNumber(s.trim())));
  const bad = (why: string) => new ConfigError(`machine.loadCurve: ${why}; expected points "utilisation:multiplier" separated by commas, starting at 0, e.g. "${DEFAULT_LOAD_CURVE}"; found "${text}"`);
  if (parts.length < 2) throw bad('at least two points are needed');
  const u = new Float64Array(parts.length);
  const m = new Float64Array(parts.length);
  parts.forEach((p, i) => {
    if (p.length !== 2 || !p.every(Number.isFinite)) throw bad(`point ${i + 1} is not two numbers`);
    [u[i], m[i]] = p;
    if (u[i] < 0 || u[i] > 10) throw bad(`utilisation ${u[i]} is outside 0–10`);
    if (m[i] < 1 || m[i] > 1000) throw bad(`multiplier ${m[i]} is outside 1–1000`);
    if (i > 0 && u[i] <= u[i - 1]) throw bad('utilisations must rise');
    if (i > 0 && m[i] < m[i - 1]) throw bad('multipliers must not fall');
  });
  if (u[0] !== 0) throw bad('the first point must be at utilisation 0');
  return { u, m };
}

/** The multiplier at utilisation x: linear between points, the last point's beyond it. */
export function curveAt(u: Float64Array, m: Float64Array, x: number): number {
  if (x <= 0) return m[0];
  for (let i = 1; i < u.length; i++) if (x <= u[i]) return m[i - 1] + ((m[i] - m[i - 1]) * (x - u[i - 1])) / (u[i] - u[i - 1]);
  return m[m.length - 1];
}

/** Per tier: the antagonist's schedule. */
interface Antagonist {
  bytesPerNs: number;
  writeShare: number;
  startNs: number;
  onNs: number;
  offNs: number;
}

/** Time the antagonist is on during [0, t): whole periods, then the part of the last one. */
function activeUntil(a: Antagonist, t: number): number {
  const s = t - a.startNs;
  if (s <= 0) return 0;
  if (a.onNs <= 0) return s;
  const period = a.onNs + a.offNs;
  const whole = Math.floor(s / period);
  return whole * a.onNs + Math.min(s - whole * period, a.onNs);
}

export class LoadedLatency {
  /** Current latency of tier t: read at [2t], write at [2t + 1]; and the same divided by mlp (what an access adds to its CPU's clock). */
  readonly latNs: Float64Array;
  readonly latMlpNs: Float64Array;
  /** Idle latency of tier 0 divided by mlp, read at [0] and write at [1]: the all-local baseline. */
  readonly idealMlpNs: Float64Array;
  /** Bytes moved per tier in the current window. */
  readonly windowBytes: Float64Array;
  windowStartNs = 0;
  readonly windowNs: number;
  readonly invMlp: number;
  /** The `curve` model is on (per-tier latency columns are reported). */
  readonly curve: boolean;
  private readonly idleNs: Float64Array;
  private readonly peakBytesPerNs: Float64Array;
  private readonly readBytesPerNs: Float64Array;
  private readonly writeBytesPerNs: Float64Array;
  private readonly queueDepth: Float64Array;
  private readonly antagonists: (Antagonist | null)[];
  private readonly curveU: Float64Array;
  private readonly curveM: Float64Array;
  /** Per tier, the counters at the start of the window: accesses, bytes read, bytes written. */
  private readonly last: Float64Array;
  private readonly counters: Float64Array | null;
  private readonly tiers: number;

  /** `counters`: the engine's counter array (arrivals and occupancy are kept there); `config`: the run's, for the load keys (absent = the default model, no antagonists). */
  constructor(
    private readonly cost: CostModel,
    counters: Float64Array | null = null,
    config: Config | null = null,
  ) {
    const n = (this.tiers = cost.tiers.length);
    this.invMlp = 1 / cost.mlp;
    this.idleNs = new Float64Array(2 * n);
    cost.tiers.forEach((t, i) => {
      this.idleNs[2 * i] = t.readLatencyNs;
      this.idleNs[2 * i + 1] = t.writeLatencyNs;
    });
    this.latNs = this.idleNs.slice();
    this.latMlpNs = this.latNs.map((l) => l * this.invMlp);
    this.idealMlpNs = Float64Array.of(this.idleNs[0] * this.invMlp, this.idleNs[1] * this.invMlp);
    this.peakBytesPerNs = Float64Array.from(cost.tiers, (t) => t.peakBytesPerNs);
    this.windowBytes = new Float64Array(n);
    this.windowNs = cost.windowNs;
    this.counters = counters;
    this.last = new Float64Array(3 * n);
    const get = (key: string, fallback: number | string): number | string => (config && key in config && config[key] !== null ? (config[key] as number | string) : fallback);
    this.curve = get('machine.loadModel', 'mm1') === 'curve';
    const { u, m } = parseLoadCurve(get('machine.loadCurve', DEFAULT_LOAD_CURVE) as string);
    this.curveU = u;
    this.curveM = m;
    // GB/s = bytes per ns.
    this.readBytesPerNs = new Float64Array(n);
    this.writeBytesPerNs = new Float64Array(n);
    this.queueDepth = new Float64Array(n);
    this.antagonists = [];
    for (let t = 0; t < n; t++) {
      const tier = (f: string, fallback: number) => get(`machine.tiers.${t}.${f}`, fallback) as number;
      this.readBytesPerNs[t] = tier('readGBps', this.peakBytesPerNs[t]);
      this.writeBytesPerNs[t] = tier('writeGBps', this.peakBytesPerNs[t]);
      this.queueDepth[t] = tier('queueDepth', 0);
      const gbps = tier('antagonistGBps', 0);
      this.antagonists.push(
        gbps > 0
          ? { bytesPerNs: gbps, writeShare: tier('antagonistWriteShare', 0), startNs: tier('antagonistStartMs', 0) * 1e6, onNs: tier('antagonistPulseOnMs', 0) * 1e6, offNs: tier('antagonistPulseOffMs', 0) * 1e6 }
          : null,
      );
    }
  }

  /** Antagonist bytes on tier t during [from, to) (0 without one). */
  antagonistBytes(t: number, from: number, to: number): number {
    const a = this.antagonists[t];
    return a ? a.bytesPerNs * (activeUntil(a, to) - activeUntil(a, from)) : 0;
  }

  /** Start a new window at `now`: account the window that ends, and set latencies from its use. */
  roll(now: number): void {
    const elapsed = Math.max(now - this.windowStartNs, this.windowNs);
    const q = this.cost.queueFactor;
    const maxUtil = this.cost.maxUtilization;
    const lineBytes = this.cost.lineBytes;
    const c = this.counters;
    for (let t = 0; t < this.tiers; t++) {
      const anta = this.antagonistBytes(t, this.windowStartNs, this.windowStartNs + elapsed);
      // What the window moved, from the engine's counters (accesses, bytes read and written, migrations included).
      let accesses = 0;
      let readBytes = this.windowBytes[t];
      let writeBytes = 0;
      if (c !== null) {
        const tb = C_TIER_BASE + TIER_STRIDE * t;
        accesses = c[tb] - this.last[3 * t];
        readBytes = c[tb + 1] - this.last[3 * t + 1];
        writeBytes = c[tb + 2] - this.last[3 * t + 2];
        this.last[3 * t] = c[tb];
        this.last[3 * t + 1] = c[tb + 1];
        this.last[3 * t + 2] = c[tb + 2];
        // CHA-style counters: every line that arrived in the window waited the latency charged in it.
        const arrivals = accesses + anta / lineBytes;
        const lb = loadBase(this.tiers, t);
        c[lb + LOAD_ARRIVALS] += arrivals;
        c[lb + LOAD_OCCUPANCY_NS] += arrivals * this.latNs[2 * t];
        c[lb + LOAD_ANTAGONIST_BYTES] += anta;
      }
      let factor: number;
      if (!this.curve) {
        // Kept in the engine's historical operation order (outputs byte-identical when nothing is added).
        let u = (anta > 0 ? this.windowBytes[t] + anta : this.windowBytes[t]) / (elapsed * this.peakBytesPerNs[t]);
        if (u > maxUtil) u = maxUtil;
        factor = 1 + (q * u) / (1 - u);
      } else {
        const w = this.antagonists[t]?.writeShare ?? 0;
        const u = ((readBytes + anta * (1 - w)) / this.readBytesPerNs[t] + (writeBytes + anta * w) / this.writeBytesPerNs[t]) / elapsed;
        factor = curveAt(this.curveU, this.curveM, u);
      }
      const d = this.queueDepth[t];
      if (d > 0) {
        // Little's law: λ·L requests would be in flight; past the queue's depth they wait outside it.
        const inFlight = ((accesses + anta / lineBytes) / elapsed) * this.idleNs[2 * t] * factor;
        if (inFlight > d) factor *= inFlight / d;
      }
      for (let k = 0; k < 2; k++) {
        this.latNs[2 * t + k] = this.idleNs[2 * t + k] * factor;
        this.latMlpNs[2 * t + k] = this.latNs[2 * t + k] * this.invMlp;
      }
      this.windowBytes[t] = 0;
    }
    this.windowStartNs = now;
  }
}
