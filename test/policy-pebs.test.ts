import { describe, expect, it } from 'vitest';
import { makeEngine, probePolicy } from './helpers.ts';
import type { Access } from './helpers.ts';
import { definePolicy, EVENT_LOAD_REMOTE, EVENT_STORE } from '../policies/policy.ts';
import pebsDef, { Pebs, L_FAST, L_SLOW_COLD, L_SLOW_HOT } from '../policies/pebs.ts';
import type { PebsParams } from '../policies/pebs.ts';
import type { EngineResult } from '../sim/engine.ts';
import * as S from '../sim/stats.ts';
import { resolveConfig, runSimulation } from '../sim/run.ts';
import seedrandom from 'seedrandom';

function counter(res: EngineResult, name: string): number {
  const i = res.policyCounterNames.indexOf(name);
  return i < 0 ? NaN : res.policyCounters[i];
}

describe('engine sampler: period per event kind, ring buffer, drain', () => {
  it('takes one sample every `period` events of each subscribed kind and delivers them at the next drain', async () => {
    // Subscribed: remote loads every 3rd, stores every 2nd; local loads not sampled. Local holds 1
    // page. Drain every 10 µs. SIMPLE_MACHINE: mlp 1, local read 100, CXL read 200, CXL write 300,
    // first touch 1000 + 1 ns zeroing. Clock (ns), gap 3000 before each access:
    //   p0 R  3000 + 1001 + 100 → 4101   (local load: not sampled)
    //   p1 R  7101 + 1001 + 200 → 8302   (remote load #1)
    //   drain at 10000 (empty) — the gap of the next access crosses it
    //   p1 R 11302 + 200        → 11502  (remote load #2)
    //   p2 W 14502 + 1001 + 300 → 15803  (store #1)
    //   p1 R 18803 + 200        → 19003  (remote load #3 → sample page 1)
    //   drain at 20000 delivers (1, remote)
    //   p2 W 22003 + 300        → 22303  (store #2 → sample page 2)
    //   drain at 30000 delivers (2, store); the last access's gap (10000) crosses it
    //   p0 R 32303 + 100
    const seen: Array<[number, number, number]> = [];
    const probe = probePolicy((host) => {
      host.sample(EVENT_LOAD_REMOTE, 3);
      host.sample(EVENT_STORE, 2);
      return { onSample: (page, event) => seen.push([page, event, host.now()]) };
    });
    const trace: Access[] = [[0, 'R', 3000], [1, 'R', 3000], [1, 'R', 3000], [2, 'W', 3000], [1, 'R', 3000], [2, 'W', 3000], [0, 'R', 10000]];
    const e = makeEngine({ perCpu: [trace], localPages: 1, cxlPages: 4, policy: probe, sets: { 'sampler.drainIntervalUs': 10, 'cost.sampleNs': 700 } });
    const res = await e.run();
    expect(seen).toEqual([
      [1, EVENT_LOAD_REMOTE, 20000],
      [2, EVENT_STORE, 30000],
    ]);
    expect(res.counters[S.C_SAMPLES]).toBe(2);
    expect(res.counters[S.C_SAMPLES_LOST]).toBe(0);
    // Kernel CPU: 3 first-touch faults of 1001 ns + 2 samples of 700 ns.
    expect(res.counters[S.C_KERNEL_CPU_NS]).toBe(3 * 1001 + 2 * 700);
  });

  it('loses the samples that do not fit in the ring buffer before a drain, and counts them', async () => {
    // Every remote load sampled; ring of 2; 5 remote loads within one drain interval (1 ms):
    // 2 kept, 3 lost, and only the kept ones cost CPU.
    const seen: number[] = [];
    const probe = probePolicy((host) => {
      host.sample(EVENT_LOAD_REMOTE, 1);
      return { onSample: (page) => seen.push(page) };
    });
    const trace: Access[] = [[0, 'R'], [1, 'R'], [2, 'R'], [3, 'R'], [4, 'R'], [5, 'R'], [0, 'R', 2e6]];
    const e = makeEngine({ perCpu: [trace], localPages: 1, cxlPages: 8, policy: probe, sets: { 'sampler.ringSamples': 2, 'cost.sampleNs': 100 } });
    const res = await e.run();
    expect(seen).toEqual([1, 2]);
    expect(res.counters[S.C_SAMPLES]).toBe(2);
    expect(res.counters[S.C_SAMPLES_LOST]).toBe(3);
  });
});

const BASE: PebsParams = { samplePeriod: 1, storePeriod: 0, hotThreshold: 3, coolingThreshold: 1000, migratePeriodMs: 0.1, migrateBudgetMiB: 1024, listOpNs: 0 };

/** pebs wrapped so that the test can look at its state; every event sampled, drained every 1 µs. */
function pebsRun(trace: Access[], over: Partial<PebsParams>, localPages: number, cxlPages: number) {
  let inst!: Pebs;
  const def = definePolicy({
    ...pebsDef,
    create(_p, host) {
      inst = new Pebs({ ...BASE, ...over }, host);
      inst.start();
      return inst.hooks();
    },
  });
  const engine = makeEngine({ perCpu: [trace], localPages, cxlPages, policy: def, sets: { 'sampler.drainIntervalUs': 1 } });
  return { engine, get: () => inst };
}

describe('pebs: sample counts, threshold, halving, promotion with demotion to make room', () => {
  it('a slow-tier page becomes a candidate on its hotThreshold-th sample, not before', async () => {
    // Local holds 1 page (page 0); page 1 is on CXL. Every event is sampled and drained before the
    // next access (gaps of 5 µs, drain every 1 µs). Threshold 3: after 2 samples page 1 is still
    // cold, after the 3rd it is a candidate. No migration round runs (period 1e6 ms).
    const two = pebsRun([[0, 'R', 5000], [1, 'R', 5000], [1, 'R', 5000], [0, 'R', 5000]], { migratePeriodMs: 1e6 }, 1, 4);
    await two.engine.run();
    expect(two.get().count[1]).toBe(2);
    expect(two.get().lists.listOf[1]).toBe(L_SLOW_COLD);
    const three = pebsRun([[0, 'R', 5000], [1, 'R', 5000], [1, 'R', 5000], [1, 'W', 5000], [0, 'R', 5000]], { migratePeriodMs: 1e6 }, 1, 4);
    await three.engine.run();
    expect(three.get().count[1]).toBe(3);
    expect(three.get().lists.listOf[1]).toBe(L_SLOW_HOT);
  });

  it('a count above the cooling threshold halves every count (lazily), and a candidate that cooled below the threshold is not promoted', async () => {
    // HeMem's rule (src/pebs.c): a sampled count > PEBS_COOLING_THRESHOLD advances the global
    // clock; a page's count is shifted right by (global − its clock) when next looked at.
    // Local holds 1 page (page 0); hot threshold 3, cooling threshold 3; every access sampled and
    // drained before the next (5 µs gaps, 1 µs drains); migration round every 50 µs.
    //   p0 R           page 0: 1
    //   p1 R R R       page 1 (CXL): 1, 2, 3 → candidate (becameHot)
    //   p0 R R R       page 0: 2, 3, 4 → 4 > 3: global clock 1 (one cooling)
    //   p1 R           page 1 caught up 3 >> 1 = 1, then 2 (< 3, still on the candidate list)
    //   round at 50 µs page 1 has cooled below 3: back to the cold list, nothing promoted
    //   p0 R (60 µs gap) page 0 caught up 4 >> 1 = 2, then 3: not above 3, no further cooling
    const trace: Access[] = [[0, 'R', 5000], [1, 'R', 5000], [1, 'R', 5000], [1, 'R', 5000], [0, 'R', 5000], [0, 'R', 5000], [0, 'R', 5000], [1, 'R', 5000], [0, 'R', 60000]];
    const r = pebsRun(trace, { coolingThreshold: 3, migratePeriodMs: 0.05 }, 1, 4);
    const res = await r.engine.run();
    const p = r.get();
    expect(counter(res, 'becameHot')).toBe(1);
    expect(counter(res, 'coolings')).toBe(1);
    expect(p.globalClock).toBe(1);
    expect(p.count[1]).toBe(2);
    expect(p.count[0]).toBe(3);
    expect(p.lists.listOf[1]).toBe(L_SLOW_COLD);
    expect(res.counters[S.C_PROMOTED]).toBe(0);
  });

  it('does not jam at small sample periods: with 2 MiB pages and a 51-page hot set at 1:4, periods 1 and 100 move the hot set into DRAM', async () => {
    // hotset over 256 Ki 4 KiB pages = 512 huge pages, hot set 51 of them with 90 % of accesses;
    // DRAM = 1/5 of the footprint = 102 huge pages, filled by the initialisation pass with pages
    // 0 … 101 (the hot set starts at page 256). Stuck (nothing promoted, as with a time-based
    // cooling and an absolute threshold) the local share stays near 0.1 · 102/512 = 0.02. With
    // k hot pages in DRAM the local share is 0.9 · k/51 + 0.1 · 102/512; k ≥ 49 gives ≥ 0.885.
    for (const period of [1, 100]) {
      const { config } = resolveConfig({
        flags: { policy: 'pebs', pageSizeKiB: 2048, workload: 'hotset:pages=256Ki,hot=0.1,hotShare=0.9,accesses=8M,write=0.25' },
        sets: { 'policy.pebs.samplePeriod': period, 'stats.epochMs': 100 },
      });
      const { result } = await runSimulation(config);
      const last = result.epochs[result.epochs.length - 2]; // the last full 100 ms epoch
      const share = last.counters[S.C_TIER_BASE] / last.counters[S.C_ACCESSES];
      expect(share, `period ${period}`).toBeGreaterThanOrEqual(0.885);
    }
  });

  it('promotes a candidate by demoting the least recently sampled fast page, and stops when that page is hot', async () => {
    // Local holds 2 pages (0, 1), page 2 on CXL. Threshold 2.
    // Case A: samples in order 0, 1, 0, 1, 2, 2 → page 2 is a candidate (count 2). The fast list
    // by last sample: page 1 at the head, page 0 at the tail; page 0 has count 2 = hot, so the
    // round stops (all of DRAM is hot): nothing moves.
    const a = pebsRun([[0, 'R', 5000], [1, 'R', 5000], [0, 'R', 5000], [1, 'R', 5000], [2, 'R', 5000], [2, 'R', 5000], [0, 'R', 200000]], { hotThreshold: 2, migratePeriodMs: 0.1 }, 2, 4);
    const ra = await a.engine.run();
    expect(ra.counters[S.C_PROMOTED]).toBe(0);
    expect(counter(ra, 'stopsAllDramHot')).toBeGreaterThanOrEqual(1);
    expect(a.engine.host.tierOf(2)).toBe(1);
    // Case B: samples 0, 1, 0, 2, 2 → page 1 (count 1, sampled before page 0's second sample) is
    // the fast list's tail and cold: demoted, and page 2 promoted into its frame.
    const b = pebsRun([[0, 'R', 5000], [1, 'R', 5000], [0, 'R', 5000], [2, 'R', 5000], [2, 'R', 5000], [0, 'R', 200000]], { hotThreshold: 2, migratePeriodMs: 0.1 }, 2, 4);
    const rb = await b.engine.run();
    expect(rb.counters[S.C_PROMOTED]).toBe(1);
    expect(rb.counters[S.C_DEMOTED]).toBe(1);
    expect(b.engine.host.tierOf(2)).toBe(0);
    expect(b.engine.host.tierOf(1)).toBe(1);
    expect(b.get().lists.listOf[2]).toBe(L_FAST);
    expect(b.engine.checkInvariants()).toEqual([]);
  });
});

describe('pebs: list consistency under a seeded random run', () => {
  it('every page on one list of its own tier after promotions, demotions and coolings', async () => {
    const rng = seedrandom.alea('pebs-lists');
    const trace: Access[] = [];
    for (let i = 0; i < 20000; i++) {
      const page = rng() < 0.8 ? Math.floor(rng() * 12) + (i > 10000 ? 30 : 0) : Math.floor(rng() * 64);
      trace.push([page, rng() < 0.3 ? 'W' : 'R', 200]);
    }
    const r = pebsRun(trace, { samplePeriod: 3, hotThreshold: 3, coolingThreshold: 6, migratePeriodMs: 0.05 }, 8, 64);
    const res = await r.engine.run();
    expect(r.engine.checkInvariants()).toEqual([]);
    const p = r.get();
    const n = r.engine.host.pageCount();
    for (let page = 0; page < n; page++) {
      const l = p.lists.listOf[page];
      expect(l >= 0, `page ${page} on a list`).toBe(true);
      expect(l === L_FAST, `page ${page}: fast list iff in the fast tier`).toBe(r.engine.host.tierOf(page) === 0);
    }
    expect(p.lists.size[0] + p.lists.size[1] + p.lists.size[2]).toBe(n);
    expect(res.counters[S.C_PROMOTED]).toBeGreaterThan(0);
    expect(res.counters[S.C_DEMOTED]).toBeGreaterThan(0);
    expect(counter(res, 'coolings')).toBeGreaterThan(0);
  });
});
