import { describe, expect, it } from 'vitest';
import { HIST_BINS, histogramQuantile, latencyBin, binLowerNs } from '../sim/stats.ts';

describe('latency histogram', () => {
  it('is exact below 4096 ns: p50 and p99 of 1…100 ns are 50 and 99', () => {
    const h = new Float64Array(HIST_BINS);
    for (let ns = 1; ns <= 100; ns++) h[latencyBin(ns)]++;
    expect(histogramQuantile(h, 0.5)).toBe(50);
    expect(histogramQuantile(h, 0.99)).toBe(99);
    expect(histogramQuantile(h, 1)).toBe(100);
  });

  it('bins large latencies logarithmically within 2.2 % (32 bins per octave)', () => {
    for (const ns of [5000, 20000, 1e6, 3.3e7]) {
      const lower = binLowerNs(latencyBin(ns));
      expect(lower).toBeLessThanOrEqual(ns);
      expect(ns / lower).toBeLessThan(2 ** (1 / 32) + 1e-9);
    }
  });

  it('returns 0 for an empty histogram', () => {
    expect(histogramQuantile(new Float64Array(HIST_BINS), 0.99)).toBe(0);
  });
});
