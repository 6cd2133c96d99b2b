import { describe, expect, it } from 'vitest';
import { LoadedLatency, parseLoadCurve, curveAt, DEFAULT_LOAD_CURVE, isDefaultLoadKey } from '../sim/loaded-latency.ts';
import type { CostModel } from '../sim/cost-model.ts';
import { C_TIER_BASE, TIER_STRIDE, LOAD_ARRIVALS, LOAD_OCCUPANCY_NS, LOAD_ANTAGONIST_BYTES, loadBase, counterCount, C_ACCESSES, C_LATENCY_SUM_NS } from '../sim/stats.ts';
import { CORE_SCHEMA } from '../sim/config.ts';
import { resolveConfig, relevantConfig } from '../sim/run.ts';
import { makeEngine } from './helpers.ts';
import type { Access } from './helpers.ts';
import { asLoadHost } from '../sim/host.ts';

/** Two tiers: DRAM 100 ns, 200 GB/s both ways; CXL 200 ns, 64 GB/s read, 32 GB/s write (2:1, as CZ120). */
function cost(): CostModel {
  return {
    tiers: [
      { readLatencyNs: 100, writeLatencyNs: 100, peakBytesPerNs: 200 },
      { readLatencyNs: 200, writeLatencyNs: 200, peakBytesPerNs: 48 },
    ],
    mlp: 1,
    queueFactor: 0.5,
    maxUtilization: 0.95,
    windowNs: 10_000,
    lineBytes: 64,
  } as unknown as CostModel;
}

const TIERS = {
  'machine.tiers.0.readGBps': 200,
  'machine.tiers.0.writeGBps': 200,
  'machine.tiers.1.readGBps': 64,
  'machine.tiers.1.writeGBps': 32,
};

describe('loaded-latency curve', () => {
  it('parses points and interpolates linearly, flat past the last point', () => {
    const { u, m } = parseLoadCurve('0:1,0.5:1.1,0.7:1.3,1:3');
    expect(curveAt(u, m, 0)).toBe(1);
    expect(curveAt(u, m, 0.25)).toBeCloseTo(1.05, 12);
    expect(curveAt(u, m, 0.6)).toBeCloseTo(1.2, 12);
    expect(curveAt(u, m, 0.85)).toBeCloseTo(2.15, 12);
    expect(curveAt(u, m, 4)).toBe(3);
  });

  it('rejects curves that do not start at 0, fall, or are not numbers', () => {
    expect(() => parseLoadCurve('0.1:1,1:2')).toThrow(/first point/);
    expect(() => parseLoadCurve('0:1,0.5:2,0.4:3')).toThrow(/rise/);
    expect(() => parseLoadCurve('0:2,1:1.5')).toThrow(/fall/);
    expect(() => parseLoadCurve('0:1,x:2')).toThrow(/not two numbers/);
    expect(() => parseLoadCurve('0:1')).toThrow(/two points/);
  });

  it('declares the same default curve in the config schema as the model uses, and leaves defaults out of a run identity', () => {
    expect(CORE_SCHEMA['machine.loadCurve'].default).toBe(DEFAULT_LOAD_CURVE);
    expect(isDefaultLoadKey('machine.tiers.0.antagonistGBps', 0)).toBe(true);
    expect(isDefaultLoadKey('machine.tiers.0.antagonistGBps', 5)).toBe(false);
    const { config } = resolveConfig();
    expect(Object.keys(relevantConfig(config)).some((k) => /antagonist|queueDepth|loadModel|loadCurve/.test(k))).toBe(false);
    const on = resolveConfig({ sets: { 'machine.tiers.0.antagonistGBps': 10 } }).config;
    expect(relevantConfig(on)['machine.tiers.0.antagonistGBps']).toBe(10);
  });
});

describe('antagonist traffic', () => {
  it('alone raises tier-0 latency to the curve value at its utilisation: 160 GB/s of 200 → u 0.8 → ×1.6 → 160 ns', () => {
    const counters = new Float64Array(counterCount(2));
    const load = new LoadedLatency(cost(), counters, { 'machine.loadModel': 'curve', 'machine.loadCurve': DEFAULT_LOAD_CURVE, ...TIERS, 'machine.tiers.0.antagonistGBps': 160 });
    load.roll(10_000);
    expect(load.latNs[0]).toBeCloseTo(160, 9);
    expect(load.latNs[1]).toBeCloseTo(160, 9);
    // Tier 1 untouched: idle.
    expect(load.latNs[2]).toBe(200);
    // The window's antagonist lines: 160 B/ns · 10 µs / 64 B = 25 000, at the idle 100 ns charged in that window.
    const lb = loadBase(2, 0);
    expect(counters[lb + LOAD_ARRIVALS]).toBeCloseTo(25_000, 6);
    expect(counters[lb + LOAD_OCCUPANCY_NS]).toBeCloseTo(2_500_000, 3);
    expect(counters[lb + LOAD_ANTAGONIST_BYTES]).toBeCloseTo(1_600_000, 3);
  });

  it('counts writes against the write peak: 24 GB/s half writes on a 64/32 GB/s CXL device → u = 12/64 + 12/32 = 0.5625 → ×1.1625', () => {
    const load = new LoadedLatency(cost(), new Float64Array(counterCount(2)), { 'machine.loadModel': 'curve', 'machine.loadCurve': DEFAULT_LOAD_CURVE, ...TIERS, 'machine.tiers.1.antagonistGBps': 24, 'machine.tiers.1.antagonistWriteShare': 0.5 });
    load.roll(10_000);
    // Curve 0.5:1.1 → 0.7:1.3: 1.1 + 0.2 · 0.0625 / 0.2 = 1.1625.
    expect(load.latNs[2]).toBeCloseTo(200 * 1.1625, 9);
    // The same bytes all read: u = 24/64 = 0.375 → 1 + 0.1 · 0.375/0.5 = 1.075.
    const reads = new LoadedLatency(cost(), new Float64Array(counterCount(2)), { 'machine.loadModel': 'curve', ...TIERS, 'machine.tiers.1.antagonistGBps': 24 });
    reads.roll(10_000);
    expect(reads.latNs[2]).toBeCloseTo(200 * 1.075, 9);
  });

  it('in the M/M/1 model adds to the bandwidth use: 100 GB/s of 200 → u 0.5 → 1 + 0.5 · 0.5/0.5 = 1.5', () => {
    const load = new LoadedLatency(cost(), new Float64Array(counterCount(2)), { 'machine.tiers.0.antagonistGBps': 100 });
    load.roll(10_000);
    expect(load.latNs[0]).toBeCloseTo(150, 9);
  });

  it('pulses switch on and off at the stated times: start 1 ms, on 2 ms, off 3 ms', () => {
    const load = new LoadedLatency(cost(), new Float64Array(counterCount(2)), {
      'machine.loadModel': 'curve',
      ...TIERS,
      'machine.tiers.0.antagonistGBps': 160,
      'machine.tiers.0.antagonistStartMs': 1,
      'machine.tiers.0.antagonistPulseOnMs': 2,
      'machine.tiers.0.antagonistPulseOffMs': 3,
    });
    const ms = 1e6;
    // On during [1, 3) and [6, 8) ms, off elsewhere before 11 ms.
    expect(load.antagonistBytes(0, 0, 1 * ms)).toBe(0);
    expect(load.antagonistBytes(0, 1 * ms, 3 * ms)).toBeCloseTo(160 * 2 * ms, 0);
    expect(load.antagonistBytes(0, 3 * ms, 6 * ms)).toBe(0);
    expect(load.antagonistBytes(0, 5.5 * ms, 6.5 * ms)).toBeCloseTo(160 * 0.5 * ms, 0);
    expect(load.antagonistBytes(0, 0, 11 * ms)).toBeCloseTo(160 * 4 * ms, 0);
    // Window by window: latency is the curve value after an on window, idle after an off one.
    const latAfter = (endMs: number) => {
      load.windowStartNs = endMs * ms - 10_000;
      load.roll(endMs * ms);
      return load.latNs[0];
    };
    expect(latAfter(0.5)).toBe(100);
    expect(latAfter(1.5)).toBeCloseTo(160, 9);
    expect(latAfter(2.99)).toBeCloseTo(160, 9);
    expect(latAfter(4)).toBe(100);
    expect(latAfter(6.01)).toBeCloseTo(160, 9);
    expect(latAfter(8.5)).toBe(100);
    // A window half inside a pulse sees half the bytes: u 0.4 → 1 + 0.1 · 0.4/0.5 = 1.08.
    load.windowStartNs = 3 * ms - 5_000;
    load.roll(3 * ms + 5_000);
    expect(load.latNs[0]).toBeCloseTo(108, 9);
  });

  it('with a queue limit, latency grows by in-flight / depth (Little\'s law)', () => {
    const load = new LoadedLatency(cost(), new Float64Array(counterCount(2)), { 'machine.loadModel': 'curve', ...TIERS, 'machine.tiers.0.antagonistGBps': 64, 'machine.tiers.0.queueDepth': 64 });
    load.roll(10_000);
    // u = 64/200 = 0.32 → ×(1 + 0.1 · 0.32/0.5) = 1.064 → 106.4 ns; λ = 1 line/ns → 106.4 in flight > 64 → × 106.4/64.
    expect(load.latNs[0]).toBeCloseTo(106.4 * (106.4 / 64), 9);
  });
});

describe('arrival and occupancy counters in a run', () => {
  /** n reads of one page, gapNs apart. */
  const reads = (n: number, gapNs: number): Access[] => Array.from({ length: n }, () => [0, 'R', gapNs] as Access);

  it('obey Little\'s law on a constant load and agree with the latency the accesses were charged', async () => {
    // One page in DRAM, a read every 1 µs (mlp 1, 100 ns idle): 64 B per ~1.1 µs, u ≈ 0.0003: latency stays ≈ idle.
    const engine = makeEngine({ perCpu: [reads(20_000, 1000)], localPages: 16, cxlPages: 16, sets: { 'machine.loadModel': 'curve' } });
    const res = await engine.run();
    const c = res.counters;
    const lb = loadBase(2, 0);
    const arrivals = c[lb + LOAD_ARRIVALS];
    const occupancy = c[lb + LOAD_OCCUPANCY_NS];
    // Every access but those of the last, unfinished window is counted (a window holds ~9 accesses).
    expect(arrivals).toBeGreaterThan(20_000 - 10);
    expect(arrivals).toBeLessThanOrEqual(20_000);
    expect(c[C_TIER_BASE]).toBe(20_000);
    // occupancy / arrivals = the mean latency the access loop charged (avgLatencyNs), ≈ 100 ns.
    const avg = c[C_LATENCY_SUM_NS] / c[C_ACCESSES];
    expect(occupancy / arrivals).toBeCloseTo(avg, 1);
    expect(avg).toBeGreaterThan(100);
    expect(avg).toBeLessThan(100.1);
    // Little: mean in flight = λ · W = (20 000 / simTime) · 100 ns ≈ 100 / 1100 = 0.0909.
    expect(occupancy / res.simTimeNs).toBeCloseTo((arrivals / res.simTimeNs) * (occupancy / arrivals), 12);
    expect(occupancy / res.simTimeNs).toBeCloseTo(100 / 1100, 3);
    // The Host gives the same counters to policies.
    const host = asLoadHost(engine.host, 'test');
    expect(host.tierArrivals(0)).toBe(arrivals);
    expect(host.tierOccupancyNs(0)).toBe(occupancy);
  });

  it('charge the workload the antagonist-loaded latency: 172 GB/s on 215 GB/s DRAM → u 0.8 → 160 ns per read', async () => {
    // Reads 10 µs apart: every access starts a new window, the workload's own use is ~0.003 % of the peak.
    const engine = makeEngine({ perCpu: [reads(2000, 10_000)], localPages: 16, cxlPages: 16, sets: { 'machine.loadModel': 'curve', 'machine.tiers.0.antagonistGBps': 172 } });
    const res = await engine.run();
    const c = res.counters;
    // The first read is charged idle (no window has ended), the other 1999 at 160 ns (+ the workload's 0.003 %).
    const avg = c[C_LATENCY_SUM_NS] / c[C_ACCESSES];
    expect(avg).toBeCloseTo((100 + 1999 * 160) / 2000, 0);
    const lb = loadBase(2, 0);
    expect(c[lb + LOAD_OCCUPANCY_NS] / c[lb + LOAD_ARRIVALS]).toBeCloseTo(160, 0);
    // 172 GB/s over the run (up to the last window).
    expect(c[lb + LOAD_ANTAGONIST_BYTES] / res.simTimeNs).toBeCloseTo(172, 0);
    expect(c[C_TIER_BASE + TIER_STRIDE]).toBe(0);
  });
});
