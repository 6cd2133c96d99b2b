// damon-tiering on the engine: a tiny machine where mtier's first migration can be derived by hand.

import { describe, expect, it } from 'vitest';
import { makeEngine } from './helpers.ts';
import type { Access } from './helpers.ts';
import * as S from '../sim/stats.ts';
import { resolveDamonTiering } from '../policies/damon-tiering.ts';
import damonTiering from '../policies/damon-tiering.ts';

function defaults(over: Record<string, unknown> = {}) {
  const p = Object.fromEntries(Object.entries(damonTiering.params).map(([k, v]) => [k, v.default]));
  return { ...p, ...over } as Parameters<typeof resolveDamonTiering>[0];
}

describe('damon-tiering presets', () => {
  it('resolves mtier and hmsdk to the values of mtier.c and gen_migpol.py, and lets a parameter override one', () => {
    const m = resolveDamonTiering(defaults());
    expect([m.attrs.sampleUs, m.attrs.aggrUs, m.attrs.minNrRegions, m.attrs.maxNrRegions, m.attrs.goalAccessBp, m.attrs.goalAggrs]).toEqual([5000, 100000, 10, 1000, 400, 3]);
    expect([m.promote.minNrAccesses, m.promote.quotaMiB, m.promote.quotaResetMs, m.promote.goalBp, m.promote.applyIntervalUs]).toEqual([1, 200, 1000, 9970, 1e6]);
    expect([m.demote.maxNrAccesses, m.demote.goalBp, m.demote.weightNrAccesses, m.demote.weightAge]).toEqual([0, 50, 100, 100]);
    const h = resolveDamonTiering(defaults({ preset: 'hmsdk' }));
    expect([h.attrs.sampleUs, h.attrs.aggrUs, h.attrs.minNrRegions, h.attrs.maxNrRegions, h.attrs.goalAggrs]).toEqual([100000, 2e6, 100, 10000, 0]);
    expect([h.promote.quotaMs, h.demote.quotaMs, h.demote.minAgeAggrs, h.promote.quotaResetMs, h.demote.goalBp]).toEqual([2000, 1000, 15, 20000, 0]);
    expect(resolveDamonTiering(defaults({ sampleIntervalUs: 10000 })).attrs.sampleUs).toBe(10000);
  });
});

describe('damon-tiering (mtier) on a tiny hot set', () => {
  it('demotes its first page in the 12th quota window (esz = 2^12 B = one page), from kdamond, and promotes nothing while node 0 is near full', async () => {
    // Node 0 holds 64 pages, node 1 256. Pages 0–63 are written first (node 0), 64–127 next
    // (node 1); then only 64–127 are read, one access per ms, for 14.5 s. Interval tuning off.
    // Demotion scheme: node 0 has 0 free pages → score 0 → esz_bp doubles per 1 s window from
    // 10000: esz 2, 4, … B; the first window whose quota holds a 4 KiB page is window 12, opened
    // by the apply at 12.000 s (windows open at each 1 s apply). Its page: node-0 regions all have
    // nr_accesses 0; the young filter passes it (every node-0 page was made old by sampling long
    // before). Then free = 1/64 = 156 bp → score 31200 ≥ 2·goal → quota back to 1 B.
    // Promotion: used 10000 bp → score 10030 > goal → esz 1 B; after the demotion used 9843 bp →
    // +1.28 % a window from 1 B: no page within the run.
    const init: Access[] = Array.from({ length: 128 }, (_, p) => [p, 'W', 0]);
    const reads: Access[] = Array.from({ length: 14500 }, (_, i) => [64 + (i % 64), 'R', 1e6]);
    const e = makeEngine({
      perCpu: [[...init, ...reads]],
      localPages: 64,
      cxlPages: 256,
      policy: 'damon-tiering',
      sets: { 'policy.damon-tiering.intervalsGoalAggrs': 0, 'stats.epochMs': 100 },
    });
    const res = await e.run();
    const demotedBefore = res.epochs.filter((r) => r.endMs <= 12000).reduce((a, r) => a + r.counters[S.C_DEMOTED], 0);
    const epoch120 = res.epochs.find((r) => r.endMs > 12000 && r.endMs <= 12100)!;
    expect(demotedBefore).toBe(0);
    expect(epoch120.counters[S.C_DEMOTED]).toBe(1);
    expect(res.counters[S.C_DEMOTED]).toBe(1);
    expect(res.counters[S.C_PROMOTED]).toBe(0);
    // Migration ran in kdamond: kernel CPU, no application stall.
    expect(res.counters[S.C_STALL_NS]).toBe(0);
    expect(res.counters[S.C_KERNEL_CPU_NS]).toBeGreaterThan(0);
  });
});
