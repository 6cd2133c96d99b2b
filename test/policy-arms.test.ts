// ARMS: the EWMAs, the top-K cut-off and the cost/benefit decisions on worked examples (FakeHost).

import { describe, expect, it } from 'vitest';
import { FakeHost } from './lib-fake-host.ts';
import { Arms, ewma, kthLargest } from '../policies/arms.ts';
import armsDef from '../policies/arms.ts';
import { EVENT_LOAD_REMOTE, FAULT_FIRST_TOUCH } from '../policies/policy.ts';

/** samplePeriod 1000, interval 100 ms, α 0.5 / 0.05 (horizon 0.1 s / 0.05 = 2 s), latencies 100 / 180 ns, one migration 1 ms. */
function make(caps: number[], tiers: number[]): { host: FakeHost; arms: Arms } {
  const host = new FakeHost(caps);
  const p = Object.fromEntries(Object.entries(armsDef.params).map(([k, v]) => [k, v.default])) as ConstructorParameters<typeof Arms>[0];
  const arms = new Arms({ ...p, samplePeriod: 1000, intervalMs: 100, alphaShort: 0.5, alphaLong: 0.05, fastLatencyNs: 100, slowLatencyNs: 180, migrateCostNs: 1e6 }, host);
  tiers.forEach((t, i) => {
    host.addPage(t, i);
    arms.onFault(i, FAULT_FIRST_TOUCH);
  });
  return { host, arms };
}

function samples(arms: Arms, page: number, n: number): void {
  for (let i = 0; i < n; i++) arms.onSample(page, EVENT_LOAD_REMOTE);
}

describe('ARMS helpers', () => {
  it('ewma weights the newest value by alpha', () => {
    expect(ewma(0, 3, 0.5)).toBe(1.5);
    expect(ewma(1.5, 0, 0.5)).toBe(0.75);
    expect(ewma(10, 20, 0.25)).toBe(12.5);
  });
  it('kthLargest finds the k-th largest value', () => {
    const a = Float64Array.from([3, 1, 4, 1, 5, 9, 2, 6]);
    expect(kthLargest(a, 8, 3)).toBe(5);
    expect(kthLargest(Float64Array.from([2, 2, 2]), 3, 2)).toBe(2);
  });
});

describe('ARMS rounds on a worked example', () => {
  it('swaps a page whose rate difference pays for two migrations, then rejects one that does not', () => {
    // DRAM holds 1 page (page 0); pages 1 and 2 on the slow tier.
    const { host, arms } = make([1, 4], [0, 1, 1]);
    // Interval 1: page 1 sampled 3 times. short = 0.5·3 = 1.5, long = 0.05·3 = 0.15, score 1.5.
    // One scored page ≤ K = 1: no cut-off. rate = 1.5 · 1000 / 0.1 s = 15000/s; page 0: 0.
    // Benefit (15000 − 0) · 80 ns · 2 s = 2.4 ms > 2 migrations = 2 ms: swap.
    samples(arms, 1, 3);
    arms.round();
    expect(arms.short[1]).toBeCloseTo(1.5, 12);
    expect(arms.long[1]).toBeCloseTo(0.15, 12);
    expect(host.log).toEqual(['demote 0', 'promote 1']);
    // Interval 2: page 2 sampled twice, page 1 not. Page 1: short 0.75, long 0.1425 → 0.75.
    // Page 2: short 1.0, long 0.1 → 1.0. Two pages > K = 1: cut-off = 1.0, page 2 is the hot set.
    // Victim: page 1 (0.75 < 1.0). Benefit (10000 − 7500) · 80 · 2 = 0.4 ms ≤ 2 ms: rejected.
    samples(arms, 2, 2);
    arms.round();
    expect(arms.cutoff).toBe(1);
    expect(host.log).toEqual(['demote 0', 'promote 1']);
    expect(host.get('rejectedByCost')).toBe(1);
  });

  it('promotes into a free frame only once one migration pays', () => {
    const { host, arms } = make([2, 4], [0, 1]);
    // Interval 1: 1 sample → short 0.5 → rate 5000/s → 5000 · 80 · 2 = 0.8 ms ≤ 1 ms: not yet.
    samples(arms, 1, 1);
    arms.round();
    expect(host.log).toEqual([]);
    // Interval 2: 2 samples → short 0.5·2 + 0.5·0.5 = 1.25 → 12500/s → 2 ms > 1 ms: promote.
    samples(arms, 1, 2);
    arms.round();
    expect(host.log).toEqual(['promote 1']);
    expect(host.get('promotedToFree')).toBe(1);
  });
});
