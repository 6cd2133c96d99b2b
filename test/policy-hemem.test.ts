import { describe, expect, it } from 'vitest';
import { makeEngine } from './helpers.ts';
import type { Access } from './helpers.ts';
import { definePolicy, EVENT_LOAD_LOCAL, EVENT_LOAD_REMOTE, EVENT_STORE } from '../policies/policy.ts';
import hememDef, { Hemem, resolveHememParams, L_DRAM_COLD, L_DRAM_HOT, L_SLOW_COLD, L_SLOW_HOT } from '../policies/hemem.ts';
import type { HememParams } from '../policies/hemem.ts';
import { resolveConfig, policyParams } from '../sim/run.ts';
import type { EngineResult } from '../sim/engine.ts';
import * as S from '../sim/stats.ts';
import seedrandom from 'seedrandom';

function counter(res: EngineResult, name: string): number {
  const i = res.policyCounterNames.indexOf(name);
  return i < 0 ? NaN : res.policyCounters[i];
}

/** Every event sampled (period 1) and drained every 1 µs; accesses 5 µs apart, so each sample is seen before the next access. */
const BASE: HememParams = { preset: 'sosp21', hotReadThreshold: 100, hotWriteThreshold: 100, coolingThreshold: 1000, samplePeriod: 1, policyIntervalMs: 1e6, migrateBudgetMiB: 10240, coolingPages: 8192, listOpNs: 0 };

function hememRun(trace: Access[], over: Partial<HememParams>, localPages: number, cxlPages: number, afterSample?: (h: Hemem, page: number, event: number) => void) {
  let inst!: Hemem;
  const def = definePolicy({
    ...hememDef,
    create(_p, host) {
      inst = new Hemem({ ...BASE, ...over }, host);
      inst.start();
      const hooks = inst.hooks();
      if (!afterSample) return hooks;
      return {
        ...hooks,
        onSample: (page: number, event: number) => {
          inst.onSample(page, event);
          afterSample(inst, page, event);
        },
      };
    },
  });
  const engine = makeEngine({ perCpu: [trace], localPages, cxlPages, policy: def, sets: { 'sampler.drainIntervalUs': 1 } });
  return { engine, get: () => inst };
}

const R = (page: number, gap = 5000): Access => [page, 'R', gap];
const W = (page: number, gap = 5000): Access => [page, 'W', gap];

describe('hemem: presets', () => {
  it('sosp21 is the default; the artifact preset has the artifact commit values; explicit values override', () => {
    const { config } = resolveConfig({ flags: { policy: 'hemem' } });
    const sosp = resolveHememParams(policyParams(config, hememDef as never) as unknown as HememParams);
    expect([sosp.preset, sosp.hotReadThreshold, sosp.hotWriteThreshold, sosp.coolingThreshold, sosp.samplePeriod, sosp.policyIntervalMs, sosp.migrateBudgetMiB]).toEqual(['sosp21', 8, 8, 18, 5003, 1000, 10240]);
    const art = resolveConfig({ sets: { 'policy.hemem.preset': 'artifact', 'policy.hemem.samplePeriod': 997 }, flags: { policy: 'hemem' } }).config;
    const a = resolveHememParams(policyParams(art, hememDef as never) as unknown as HememParams);
    expect([a.hotReadThreshold, a.hotWriteThreshold, a.coolingThreshold, a.samplePeriod]).toEqual([4, 4, 10, 997]);
    expect(() => resolveConfig({ sets: { 'policy.hemem.preset': 'hotos' }, flags: { policy: 'hemem' } })).toThrow(/sosp21, artifact/);
  });
});

describe('hemem: hot threshold and the cooling clock', () => {
  it('a page turns hot on the sample that brings reads to the read threshold, or writes to the write threshold', async () => {
    // Local holds page 0; page 1 is on CXL. Read threshold 3, write threshold 2. Page 1 gets
    // R, W, R (2 reads, 1 write): cold. One more read (3 reads) makes it hot → slow hot list.
    // Page 2 gets W, W: 2 writes → hot although it has no reads.
    const cold = hememRun([R(0), R(1), W(1), R(1), R(0)], { hotReadThreshold: 3, hotWriteThreshold: 2 }, 1, 4);
    await cold.engine.run();
    const h = cold.get();
    expect([h.acc[3 * 1 + EVENT_LOAD_REMOTE], h.acc[3 * 1 + EVENT_STORE]]).toEqual([2, 1]);
    expect(h.lists.listOf[1]).toBe(L_SLOW_COLD);
    const hot = hememRun([R(0), R(1), W(1), R(1), R(1), W(2), W(2), R(0), R(0)], { hotReadThreshold: 3, hotWriteThreshold: 2 }, 1, 4);
    await hot.engine.run();
    expect(hot.get().lists.listOf[1]).toBe(L_SLOW_HOT);
    expect(hot.get().lists.listOf[2]).toBe(L_SLOW_HOT);
    // Page 0 (DRAM): 3 local reads, the last one's sample delivered by the engine's final drain when
    // the run ends: the read threshold 3 is reached, so it is hot on DRAM's hot list.
    expect(hot.get().acc[3 * 0 + EVENT_LOAD_LOCAL]).toBe(3);
    expect(hot.get().lists.listOf[0]).toBe(L_DRAM_HOT);
  });

  it('a counter above the cooling threshold advances the global clock; each page halves when next looked at', async () => {
    // Page ids follow first touch: 0 (DRAM), then 1 and 2 (CXL). Cooling threshold 3 (a counter of
    // 4 advances the clock). The clock and the remote-read counters of pages 2 and 1 after each
    // sample of page 1 or 2:
    //   R1 → p1 = 1          R1 → p1 = 2
    //   R2 → p2 = 1 … R2 → p2 = 4 > 3 → clock 1; p2 stays 4 and p1 stays 2 until looked at (lazy)
    //   R1 → p1: 2 >> (1 − 0) = 1, + 1 = 2
    //   R2 → p2: 4 >> 1 = 2, + 1 = 3
    //   R2 → p2: 4 > 3 → clock 2
    //   R1 → p1: 2 >> (2 − 1) = 1, + 1 = 2
    // (The final R0 only lets the last R1's sample be drained before the run ends.)
    const log: Array<[number, number, number]> = [];
    const r = hememRun([R(0), R(1), R(1), R(2), R(2), R(2), R(2), R(1), R(2), R(2), R(1), R(0)], { coolingThreshold: 3 }, 1, 4, (h, page) => {
      if (page !== 0) log.push([h.globalClock, h.acc[3 * 2 + EVENT_LOAD_REMOTE], h.acc[3 * 1 + EVENT_LOAD_REMOTE]]);
    });
    const res = await r.engine.run();
    expect(log).toEqual([
      [0, 0, 1],
      [0, 0, 2],
      [0, 1, 2],
      [0, 2, 2],
      [0, 3, 2],
      [1, 4, 2],
      [1, 4, 2],
      [1, 3, 2],
      [2, 4, 2],
      [2, 4, 2],
    ]);
    expect(counter(res, 'coolings')).toBe(2);
    // Page 2 was last brought up to date at clock 1 (before its increment pushed the clock to 2):
    // it is halved once more when next looked at.
    expect(r.get().localClock[2]).toBe(1);
    r.get().catchUp(2);
    expect(r.get().acc[3 * 2 + EVENT_LOAD_REMOTE]).toBe(2);
  });
});

describe('hemem: policy thread', () => {
  // Local holds pages 0 and 1; page 2 is on CXL. Read threshold 2. The policy thread runs every
  // 0.1 ms; the last access comes 0.2 ms later so that it runs after all samples are in.
  it('promotes a hot slow page by demoting the oldest cold DRAM page', async () => {
    // Page 0: 2 reads → hot (DRAM hot list). Page 1: 1 read → cold. Page 2: 2 reads → slow hot.
    // Round: DRAM has no free frame → demote DRAM's oldest cold page (page 1) → promote page 2.
    const r = hememRun([R(0), R(1), R(0), R(2), R(2), R(0, 200000)], { hotReadThreshold: 2, policyIntervalMs: 0.1 }, 2, 4);
    const res = await r.engine.run();
    expect(res.counters[S.C_PROMOTED]).toBe(1);
    expect(res.counters[S.C_DEMOTED]).toBe(1);
    expect(r.engine.host.tierOf(2)).toBe(0);
    expect(r.engine.host.tierOf(1)).toBe(1);
    expect(r.get().lists.listOf[2]).toBe(L_DRAM_HOT);
    expect(r.get().lists.listOf[1]).toBe(L_SLOW_COLD);
    expect(counter(res, 'demotedForRoom')).toBe(1);
    expect(r.engine.checkInvariants()).toEqual([]);
  });

  it('stops promoting when all of DRAM is hot', async () => {
    // Same, but page 1 also gets 2 reads: both DRAM pages are hot, DRAM's cold list is empty →
    // page 2 goes back on the slow hot list and the round ends; every later round does the same.
    const r = hememRun([R(0), R(1), R(0), R(1), R(2), R(2), R(0, 200000)], { hotReadThreshold: 2, policyIntervalMs: 0.1 }, 2, 4);
    const res = await r.engine.run();
    expect(res.counters[S.C_PROMOTED]).toBe(0);
    expect(res.counters[S.C_DEMOTED]).toBe(0);
    expect(r.engine.host.tierOf(2)).toBe(1);
    expect(r.get().lists.listOf[2]).toBe(L_SLOW_HOT);
    // Rounds at 0.1 and 0.2 ms (the run ends at ≈ 0.23 ms): both stop on an all-hot DRAM.
    expect(counter(res, 'stopsAllDramHot')).toBe(2);
  });

  it('the cooling walk moves DRAM pages that cooled below the thresholds to the cold list, so promotion resumes', async () => {
    // Read threshold 2, cooling threshold 2 (a counter of 3 advances the clock). Samples:
    //   R0 R1 R0 R1 → pages 0 and 1 (DRAM) have 2 reads each: hot, on DRAM's hot list (1 newest)
    //   R2 R2       → page 2 (CXL) hot, on the slow hot list
    //   R2          → page 2 at 3 > 2: clock 1
    //   R2          → page 2: 3 >> 1 = 1, + 1 = 2: still hot
    // Round 1 (0.1 ms): page 2 hot, DRAM full, DRAM's cold list empty → stop. The cooling walk
    // then visits DRAM's hot list newest first: page 1 (2 >> 1 = 1 < 2) and page 0 (likewise) move
    // to DRAM's cold list in that order, so page 1 is its oldest entry.
    // Round 2 (0.2 ms): demote page 1, promote page 2.
    const r = hememRun([R(0), R(1), R(0), R(1), R(2), R(2), R(2), R(2), R(0, 200000)], { hotReadThreshold: 2, coolingThreshold: 2, policyIntervalMs: 0.1 }, 2, 4);
    const res = await r.engine.run();
    expect(counter(res, 'coolings')).toBe(1);
    expect(counter(res, 'stopsAllDramHot')).toBe(1);
    expect(counter(res, 'cooledOffHotList')).toBe(2);
    expect(res.counters[S.C_PROMOTED]).toBe(1);
    expect(r.engine.host.tierOf(2)).toBe(0);
    expect(r.engine.host.tierOf(1)).toBe(1);
    expect(r.engine.host.tierOf(0)).toBe(0);
  });
});

describe('hemem: list consistency under a seeded random run', () => {
  it('every page is on exactly one list, of its own tier, hot flag matching the list', async () => {
    // Small periods so that everything happens: every 3rd event sampled, cooling at 5, policy
    // thread every 50 µs; 64 pages over a local tier of 8 and a CXL tier of 64.
    const rng = seedrandom.alea('hemem-lists');
    const trace: Access[] = [];
    for (let i = 0; i < 20000; i++) {
      const page = rng() < 0.8 ? Math.floor(rng() * 12) + (i > 10000 ? 30 : 0) : Math.floor(rng() * 64);
      trace.push([page, rng() < 0.3 ? 'W' : 'R', 200]);
    }
    const r = hememRun(trace, { samplePeriod: 3, hotReadThreshold: 3, hotWriteThreshold: 2, coolingThreshold: 5, policyIntervalMs: 0.05, coolingPages: 4 }, 8, 64);
    const res = await r.engine.run();
    expect(r.engine.checkInvariants()).toEqual([]);
    const h = r.get();
    const n = r.engine.host.pageCount();
    let onLists = 0;
    for (let p = 0; p < n; p++) {
      const l = h.lists.listOf[p];
      expect(l >= 0, `page ${p} on a list`).toBe(true);
      expect(l <= L_DRAM_COLD, `page ${p}: DRAM list iff in DRAM`).toBe(r.engine.host.tierOf(p) === 0);
      expect(l === L_DRAM_HOT || l === L_SLOW_HOT, `page ${p}: hot flag`).toBe(h.hot[p] === 1);
    }
    for (let l = 0; l < 4; l++) onLists += h.lists.size[l];
    expect(onLists).toBe(n);
    expect(res.counters[S.C_PROMOTED]).toBeGreaterThan(0);
    expect(counter(res, 'coolings')).toBeGreaterThan(0);
  });
});
