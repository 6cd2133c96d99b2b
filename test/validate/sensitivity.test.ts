// The sensitivity pass's bookkeeping on hand-made numbers: which costs become factors (a tier's
// read and write figures move together; costs the default workload never charges are listed, not
// run) and what counts as a change of the ranking.

import { describe, expect, it } from 'vitest';
import { compareRanking, factorsOf, rank } from './sensitivity.ts';
import type { CostEntry } from '../../sim/cost-model.ts';

const entry = (key: string, value: number, low?: number, high?: number): CostEntry => ({ key, value, low, high, unit: 'ns', tag: 'estimate', source: 'test' });

describe('sensitivity factors', () => {
  it('ranged costs become factors, a tier\'s read and write merge, unranged and uncharged costs do not run', () => {
    const { factors, skipped } = factorsOf([
      entry('cost.hintFaultNs', 2000, 1000, 3000),
      entry('machine.lineBytes', 64),
      entry('cost.swapInNs', 20000, 10000, 100000),
      entry('machine.tiers.1.readLatencyNs', 180, 140, 410),
      entry('machine.tiers.1.writeLatencyNs', 180, 140, 410),
      entry('machine.tiers.1.readGBps', 51, 32, 64),
    ]);
    expect(factors.map((f) => [f.name, f.keys, f.low, f.high])).toEqual([
      ['cost.hintFaultNs', ['cost.hintFaultNs'], 1000, 3000],
      ['machine.tiers.1.latency', ['machine.tiers.1.readLatencyNs', 'machine.tiers.1.writeLatencyNs'], 140, 410],
      ['machine.tiers.1.bandwidth', ['machine.tiers.1.readGBps'], 32, 64],
    ]);
    expect(skipped.map((s) => s.key)).toEqual(['cost.swapInNs']);
  });
});

describe('ranking changes', () => {
  const base = { 'first-touch': 1.4, tpp: 1.2, memtis: 1.03, hemem: 1.04 };
  it('ranks by slowdown, lower first', () => {
    expect(rank(base)).toEqual(['memtis', 'hemem', 'tpp', 'first-touch']);
  });
  it('a swap among the others is listed but is no change', () => {
    const c = compareRanking(base, { ...base, tpp: 1.05, hemem: 1.06 });
    expect(c).toEqual({ winner: null, crossed: [], swaps: ['tpp ahead of hemem'], changed: false });
  });
  it('another winner is a change', () => {
    const c = compareRanking(base, { ...base, hemem: 1.02 });
    expect(c.winner).toBe('hemem');
    expect(c.changed).toBe(true);
  });
  it('a policy that no longer beats first-touch is a change', () => {
    const c = compareRanking(base, { ...base, tpp: 1.45 });
    expect(c.crossed).toEqual(['tpp']);
    expect(c.winner).toBeNull();
    expect(c.changed).toBe(true);
  });
});
