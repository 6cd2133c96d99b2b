import { describe, expect, it } from 'vitest';
import { makeEngine, probePolicy } from './helpers.ts';
import type { Access } from './helpers.ts';
import type { Host } from '../policies/policy.ts';
import { PAGE_SPLIT } from '../policies/policy.ts';
import { findPolicy } from '../policies/registry.ts';
import * as S from '../sim/stats.ts';
import { definePolicy } from '../policies/policy.ts';
import memtisDef, { Memtis, L_FAST_INACTIVE, L_SLOW_ACTIVE, L_SLOW_INACTIVE } from '../policies/memtis.ts';
import type { MemtisParams } from '../policies/memtis.ts';
import seedrandom from 'seedrandom';

const DEFAULTS = Object.fromEntries(Object.entries(memtisDef.params).map(([k, v]) => [k, v.default])) as unknown as MemtisParams;

// 2 MiB runs with thp.enabled (khugepaged off); capacities in 4 KiB pages (512 per 2 MiB frame).
// Huge page A is the 2 MiB range at 4 KiB page 0, page id 0. The probe (main) policy places it in
// `home`, splits it at 50 µs (its 512 4 KiB pages get ids 1 … 512, in address order, and inherit
// its accessed bit) and at 250 µs migrates 4 KiB page id 1 (A's first) to `target`. thp-range scans
// every 100 µs: at 100 µs it clears the inherited bits (coverage 512), at 200 µs it reads the
// pages accessed in between (the `touched` sub-pages, at ≈ 120 µs). Later accesses at ≈ 320 µs.
const A = 0;
const FIRST = 1;
const THP = { pageSizeKiB: 2048, 'thp.enabled': true, 'thp.khugepaged': false, 'tlb.enabled': true };

function policyCounter(res: { policyCounterNames: string[]; policyCounters: Float64Array }, name: string): number {
  const i = res.policyCounterNames.indexOf(`thp-range.${name}`);
  if (i < 0) throw new Error(`no counter thp-range.${name}`);
  return res.policyCounters[i];
}

async function scenario(o: { home: number; target: number; touched: number[]; later: number[]; params?: Record<string, unknown>; localPages?: number; sets?: Record<string, unknown> }) {
  let host!: Host;
  let ok: boolean | null = null;
  const probe = probePolicy((h) => {
    host = h;
    h.after(50000, 1);
    h.after(250000, 2);
    return {
      place: () => o.home,
      onTimer: (id) => {
        if (id === 1) expect(h.splitPage(0)).toBe(FIRST);
        else ok = h.migrate(FIRST, o.target, true);
      },
    };
  });
  const acc: Access[] = [[A, 'R', 10]];
  o.touched.forEach((k, i) => acc.push([A + k, 'R', i === 0 ? 120000 : 10]));
  o.later.forEach((k, i) => acc.push([A + k, 'R', i === 0 ? (o.touched.length > 0 ? 200000 : 320000) : 10]));
  const e = makeEngine({ perCpu: [acc], localPages: o.localPages ?? 4 * 512, cxlPages: 10 * 512, policy: probe, sets: { ...THP, ...o.sets } });
  const def = findPolicy('thp-range');
  const params = Object.fromEntries(Object.entries(def.params).map(([k, v]) => [k, v.default]));
  e.attachWith(def, { ...params, scanPeriodMs: 0.1, promoteMinYoung: 4, ...o.params });
  const res = await e.run();
  expect(e.checkInvariants()).toEqual([]);
  const c = (n: string) => policyCounter(res, n);
  const tlbBase = S.tlbCounterBase(2);
  return { res, host, ok, c, walks: res.counters[tlbBase + S.TLB_COUNTER_NAMES.indexOf('tlbL2Misses')], l1: res.counters[tlbBase + S.TLB_COUNTER_NAMES.indexOf('tlbL1Misses')] };
}

describe('thp-range: translation-aware migration of whole 2 MiB ranges', () => {
  const later = [100, 101, 102, 103, 104, 105, 106, 107];

  it('a promotion of one 4 KiB page moves the whole range when K = 4 of its pages were accessed, and collapses it', async () => {
    // Coverage at 200 µs = 4 (sub-pages 1–4 touched at 120 µs) ≥ K = 4: the other 511 pages follow
    // the probe's page to tier 0: 512 promotions, 2 MiB migrated; MADV_COLLAPSE maps A whole in tier 0.
    // Walks: A's 2 MiB entry at first touch (1), sub-pages 1–4 (4), then the 8 later accesses to new
    // sub-pages all hit A's one 2 MiB entry after a single walk (1): 6, each also an L1 miss.
    const r = await scenario({ home: 1, target: 0, touched: [1, 2, 3, 4], later });
    expect(r.ok).toBe(true);
    expect(r.c('rangePromotions')).toBe(1);
    expect(r.c('rangePagesMoved')).toBe(511);
    expect(r.res.counters[S.C_PROMOTED]).toBe(512);
    expect(r.res.counters[S.C_MIGRATED_BYTES]).toBe(512 * 4096);
    expect(r.c('rangeCollapses')).toBe(1);
    expect(r.host.flags(0) & PAGE_SPLIT).toBe(0);
    expect(r.host.tierOf(0)).toBe(0);
    expect(r.res.usedFrames[0]).toBe(1);
    expect(r.res.usedFrames[1]).toBe(0);
    expect(r.walks).toBe(1 + 4 + 1);
    expect(r.l1).toBe(6);
  });

  it('with K − 1 = 3 pages accessed only the one 4 KiB page moves, and the later accesses walk 4 KiB entries', async () => {
    // Coverage 3 < 4: nothing follows. 1 promotion, 4 KiB migrated; walks 1 + 3 + 8 (one per new 4 KiB page).
    const r = await scenario({ home: 1, target: 0, touched: [1, 2, 3], later });
    expect(r.c('rangeTooFewYoung')).toBe(1);
    expect(r.c('rangePromotions')).toBe(0);
    expect(r.res.counters[S.C_PROMOTED]).toBe(1);
    expect(r.res.counters[S.C_MIGRATED_BYTES]).toBe(4096);
    expect(r.host.flags(0) & PAGE_SPLIT).toBe(PAGE_SPLIT);
    expect(r.res.usedFrames[0]).toBe(1 / 512);
    expect(r.walks).toBe(1 + 3 + 8);
  });

  it('with a tiny TLB (4-entry L1 and L2 for 4 KiB pages) the collapsed range keeps its reach: 1 walk for 16 later accesses instead of 16', async () => {
    // Later: 4 KiB pages 100–107 twice. Collapsed (K = 4 touched): one 2 MiB walk, then 15 L1 hits.
    // Not moved (3 touched): 8 pages cycle through 4 LRU entries in L1 and in L2, so each of the 16
    // accesses walks. Totals: 1 (A) + 4 + 1 = 6 and 1 + 3 + 16 = 20.
    const tiny = { 'tlb.l1Entries4KiB': 4, 'tlb.l1Ways4KiB': 4, 'tlb.l2Entries': 4, 'tlb.l2Ways': 4 };
    const twice = [...later, ...later];
    const moved = await scenario({ home: 1, target: 0, touched: [1, 2, 3, 4], later: twice, sets: tiny });
    expect(moved.c('rangeCollapses')).toBe(1);
    expect(moved.walks).toBe(6);
    const left = await scenario({ home: 1, target: 0, touched: [1, 2, 3], later: twice, sets: tiny });
    expect(left.res.counters[S.C_MIGRATED_BYTES]).toBe(4096);
    expect(left.walks).toBe(20);
  });

  it('without collapse the range moves whole but stays mapped with 4 KiB pages (8 walks later)', async () => {
    const r = await scenario({ home: 1, target: 0, touched: [1, 2, 3, 4], later, params: { collapse: false } });
    expect(r.res.counters[S.C_PROMOTED]).toBe(512);
    expect(r.c('rangeCollapses')).toBe(0);
    expect(r.host.flags(0) & PAGE_SPLIT).toBe(PAGE_SPLIT);
    expect(r.res.usedFrames[0]).toBe(1);
    expect(r.walks).toBe(1 + 4 + 8);
  });

  it('a promotion before the range was measured, or without room for the range, moves one page', async () => {
    // Scans every 1 ms: none before the promotion at 250 µs.
    const early = await scenario({ home: 1, target: 0, touched: [1, 2, 3, 4], later, params: { scanPeriodMs: 1 } });
    expect(early.c('rangeUnmeasured')).toBe(1);
    expect(early.res.counters[S.C_PROMOTED]).toBe(1);
    // Tier 0 of 2 blocks with reservePct 60: 2 − 1/512 − 511/512 = 1 frame free after the move < 1.2.
    const full = await scenario({ home: 1, target: 0, touched: [1, 2, 3, 4], later, localPages: 2 * 512, params: { reservePct: 60 } });
    expect(full.c('rangeNoRoom')).toBe(1);
    expect(full.res.counters[S.C_PROMOTED]).toBe(1);
  });

  it('a demotion moves the whole range when none of its pages was accessed in the last period, one page otherwise', async () => {
    // Range in tier 0, no access between the scans at 100 and 200 µs: coverage 0 ≤ demoteMaxYoung 0.
    const cold = await scenario({ home: 0, target: 1, touched: [], later });
    expect(cold.c('rangeDemotions')).toBe(1);
    expect(cold.res.counters[S.C_DEMOTED]).toBe(512);
    expect(cold.host.tierOf(0)).toBe(1); // collapsed in tier 1
    expect(cold.res.usedFrames[0]).toBe(0);
    // One page accessed (coverage 1): only the probe's page moves.
    const warm = await scenario({ home: 0, target: 1, touched: [9], later });
    expect(warm.c('rangeDemotions')).toBe(0);
    expect(warm.res.counters[S.C_DEMOTED]).toBe(1);
    expect(warm.res.usedFrames[0]).toBe(511 / 512);
  });

  it('the coverage scan tests 512 PTEs per 4 KiB-mapped range per period', async () => {
    // Scans at 100, 200, 300 µs each test A's 512 pages (split at 50 µs); the run ends at ≈ 320 µs.
    const r = await scenario({ home: 1, target: 0, touched: [1, 2, 3], later, params: { collapse: false } });
    expect(r.c('rangesScanned')).toBe(3);
    expect(r.res.counters[S.C_PTE_SCANS]).toBe(3 * 512);
  });

  it('attached beside a policy without onMigrated it warns that the policy misses its moves; beside memtis or a kernel policy it does not', async () => {
    const warnings = async (main: string) => {
      const e = makeEngine({ perCpu: [[[0, 'R', 10]]], localPages: 4 * 512, cxlPages: 4 * 512, policy: main, sets: THP });
      const def = findPolicy('thp-range');
      e.attachWith(def, Object.fromEntries(Object.entries(def.params).map(([k, v]) => [k, v.default])));
      return (await e.run()).warnings.filter((w) => w.includes('onMigrated'));
    };
    expect(await warnings('hemem')).toHaveLength(1);
    expect(await warnings('memtis')).toHaveLength(0);
    expect(await warnings('numa-tiering')).toHaveLength(0); // lib/kernel-thp.ts
  });

  it('a migration of a whole huge page is not a range move: nothing else moves and nothing is scanned', async () => {
    const probe = probePolicy((h) => {
      h.after(250000, 1);
      return { place: () => 1, onTimer: () => void h.migrate(0, 0, true) };
    });
    const acc: Access[] = [[A, 'R', 10], [512, 'R', 10], [A + 5, 'R', 320000]];
    const e = makeEngine({ perCpu: [acc], localPages: 4 * 512, cxlPages: 10 * 512, policy: probe, sets: THP });
    const def = findPolicy('thp-range');
    e.attachWith(def, { ...Object.fromEntries(Object.entries(def.params).map(([k, v]) => [k, v.default])), scanPeriodMs: 0.1 });
    const res = await e.run();
    expect(res.counters[S.C_PROMOTED]).toBe(1);
    expect(res.usedFrames).toEqual(new Float64Array([1, 1]));
    expect(policyCounter(res, 'rangesScanned')).toBe(0);
    expect(res.counters[S.C_PTE_SCANS]).toBe(0);
  });
});

describe('thp-range with memtis: the policy hears of range moves and collapses, and its lists stay true', () => {
  // 16 huge pages; in pages 0–7 sub-pages 0–7 are hot (skewed: memtis splits them), in pages 8–15
  // sub-pages 0–399 (broad). With local = 6 huge pages thp-range moves split ranges whole (memtis's
  // onMigrated); with 8, khugepaged (every 2 ms) collapses split ranges (memtis's onCollapsed).
  for (const [local, exercised] of [[6, 'rangePromotions'], [8, 'thpCollapses']] as const) {
    it(`local ${local}: ${exercised} happen${local === 6 ? ', deterministically' : ''}; every mapped page is on one memtis list of its tier, retired 4 KiB ids and split huge pages on none`, async () => {
      const rng = seedrandom.alea('thp-range-memtis');
      const trace: Access[] = [];
      for (let i = 0; i < 16 * 512; i += 64) trace.push([i, 'R', 100]);
      for (let i = 0; i < 400000; i++) {
        const huge = Math.floor(rng() * 16);
        const sub = rng() < 0.8 ? Math.floor(rng() * (huge < 8 ? 8 : 400)) : Math.floor(rng() * 512);
        trace.push([huge * 512 + sub, rng() < 0.2 ? 'W' : 'R', 100]);
      }
      let inst!: Memtis;
      const memtis = definePolicy({
        ...memtisDef,
        create(_p, host) {
          inst = new Memtis({ ...DEFAULTS, demoteWatermarkPct: 0, demoteWatermarkMinMB: 0, promoteWatermarkMinMB: 0, adaptiveSampling: false, coolingPeriodSamples: 1000, adaptationPeriodSamples: 100, migrationPeriodMs: 1, storePeriod: 17 }, host);
          inst.start();
          return inst.hooks();
        },
      });
      const e = makeEngine({ perCpu: [trace], localPages: local * 512, cxlPages: 20 * 512, policy: memtis, sets: { ...THP, 'sampler.drainIntervalUs': 10, 'thp.khugepaged': true, 'thp.scanSleepMs': 2 } });
      const def = findPolicy('thp-range');
      e.attachWith(def, { ...Object.fromEntries(Object.entries(def.params).map(([k, v]) => [k, v.default])), scanPeriodMs: 2, promoteMinYoung: 100, reservePct: 0 });
      const res = await e.run();
      expect(e.checkInvariants()).toEqual([]);
      const n = exercised === 'thpCollapses' ? res.counters[S.thpCounterBase(2) + S.THP_COUNTER_NAMES.indexOf('thpCollapses')] : policyCounter(res, exercised);
      expect(n).toBeGreaterThan(0);
      const host = e.host;
      const hist = new Float64Array(16);
      for (let p = 0; p < host.pageCount(); p++) {
        const l = inst.lists.listOf[p];
        if (host.flags(p) & PAGE_SPLIT) {
          expect(l, `split or retired page ${p} on no list`).toBe(-1);
          continue;
        }
        if (host.tierOf(p) < 0) continue;
        expect(l >= 0, `page ${p} on a list`).toBe(true);
        expect(l <= L_FAST_INACTIVE, `page ${p}: fast list iff in the fast tier`).toBe(host.tierOf(p) === 0);
        hist[inst.bin[p]] += inst.lists.weightOf(p);
      }
      expect(Array.from(inst.hist)).toEqual(Array.from(hist));
      if (local === 6) {
        // Deterministic: the same run again gives the same counters.
        const again = makeEngine({ perCpu: [trace], localPages: local * 512, cxlPages: 20 * 512, policy: memtis, sets: { ...THP, 'sampler.drainIntervalUs': 10, 'thp.khugepaged': true, 'thp.scanSleepMs': 2 } });
        again.attachWith(def, { ...Object.fromEntries(Object.entries(def.params).map(([k, v]) => [k, v.default])), scanPeriodMs: 2, promoteMinYoung: 100, reservePct: 0 });
        const res2 = await again.run();
        expect(Array.from(res2.counters)).toEqual(Array.from(res.counters));
        expect(Array.from(res2.policyCounters)).toEqual(Array.from(res.policyCounters));
      }
    }, 60_000);
  }

  it('memtis re-lists at once a page that another attached policy moved (onMigrated)', async () => {
    // 4 KiB pages: page 0 first-touched in tier 0 (memtis: fast inactive list). At 50 µs a --with
    // probe demotes it; right after its migrate call memtis has it on a slow list, before any
    // kmigraterd re-sort (migrationPeriodMs 1000).
    let inst!: Memtis;
    const memtis = definePolicy({
      ...memtisDef,
      create(_p, host) {
        inst = new Memtis({ ...DEFAULTS, migrationPeriodMs: 1000, adaptiveSampling: false }, host);
        inst.start();
        return inst.hooks();
      },
    });
    let after = -2;
    const mover = probePolicy((h) => {
      h.after(50000, 1);
      return { onTimer: () => ((after = h.migrate(0, 1, true) ? inst.lists.listOf[0] : -3), undefined) };
    }, { name: 'mover' });
    const e = makeEngine({ perCpu: [[[0, 'R', 10], [1, 'R', 100000]]], localPages: 64, cxlPages: 64, policy: memtis });
    e.attachWith(mover, {});
    await e.run();
    expect(after === L_SLOW_ACTIVE || after === L_SLOW_INACTIVE).toBe(true);
  });
});
