import { describe, expect, it } from 'vitest';
import { makeEngine } from './helpers.ts';
import type { Access } from './helpers.ts';
import { FakeHost } from './lib-fake-host.ts';
import { findPolicy } from '../policies/registry.ts';
import { definePolicy, PAGE_BASE, PAGE_SPLIT } from '../policies/policy.ts';
import type { PolicyDefinition } from '../policies/policy.ts';
import type { TieringKernel } from '../policies/lib/kernel.ts';
import { ActiveInactiveLru, ADD_FAULT } from '../policies/lib/lru.ts';
import { kernelHeardCollapsed, kernelHeardMigrated } from '../policies/lib/kernel-thp.ts';
import * as S from '../sim/stats.ts';

// The kernel policies (policies/lib/kernel.ts) hear of pages moved by a --with mechanism
// (onMigrated) and of collapsed ranges (onCollapsed): policies/lib/kernel-thp.ts.

describe('kernel-thp: re-listing moved pages and collapsed ranges (classic LRU, by hand)', () => {
  // 2 tiers; a "huge page" of 4 base pages (ppf 4) so that a collapse retires ids 0–3 into id 4.
  const setup = () => {
    const host = new FakeHost([16, 16]);
    for (let p = 0; p < 5; p++) host.addPage(1, p);
    const lru = new ActiveInactiveLru(host);
    lru.ensure(5);
    const k = { reclaimer: lru, lastCpu: new Int16Array(5).fill(7), ppf: 4, ensure: (n: number) => lru.ensure(n) };
    for (let p = 0; p < 4; p++) lru.add(p, 1, ADD_FAULT, p === 1); // page 1 active, the others inactive
    return { lru, k };
  };

  it('a moved page leaves its old node\'s lists for the new node\'s, keeping PG_active and PG_referenced (folio_migrate_flags)', () => {
    const { lru, k } = setup();
    lru.markAccessed(0); // inactive, unreferenced → referenced
    kernelHeardMigrated(k, 0, 1, 0);
    kernelHeardMigrated(k, 1, 1, 0);
    expect([lru.listTier(0), lru.listTier(1), lru.listTier(2)]).toEqual([0, 0, 1]);
    expect([lru.isActive(0), lru.isActive(1)]).toEqual([false, true]);
    expect([lru.size(0), lru.size(1)]).toEqual([2, 2]);
    // PG_referenced survived the move: the next mark_page_accessed activates page 0 (inactive + referenced → active).
    lru.markAccessed(0);
    expect(lru.isActive(0)).toBe(true);
  });

  it('a collapse takes the 4 KiB ids off the lists and puts the new huge page on its tier\'s inactive list, with no last_cpupid', () => {
    const { lru, k } = setup();
    kernelHeardCollapsed(k, 4, 0, 0);
    expect([0, 1, 2, 3].map((p) => lru.listTier(p))).toEqual([-1, -1, -1, -1]);
    expect(lru.listTier(4)).toBe(0);
    expect(lru.isActive(4)).toBe(false); // folio_add_lru outside a fault: not activated
    expect([lru.size(0), lru.size(1)]).toEqual([1, 0]);
    expect(k.lastCpu[4]).toBe(-1);
  });
});

// 2 MiB runs with thp.enabled (khugepaged off) and thp.fragmentedPct 50: tier 0 has 4 blocks, 2 of
// them holding a kernel page (4 KiB pages only), tier 1 8 blocks, 4 of them. First touch, 1 µs
// apart: huge pages A = 0 and C = 1 take tier 0's two free blocks; E = 2 finds none and falls back
// to 4 KiB pages in tier 0 (thpFaultFallback). Tier 0 then has 1 frame = 512 base pages free:
// zone_watermark_ok for an order-9 page needs free − 511 > low, so the next pages go to tier 1.
// thp-range measures coverage every 50 ms; NUMA balancing's first pass is at 120 ms (scanDelayMs),
// after two coverage scans (a range's coverage is measured by then: 0 for E, untouched since its
// first touch), then every 100 ms (task_scan_min's floor with 256 MB scan windows).
const THP = { pageSizeKiB: 2048, 'thp.enabled': true, 'thp.khugepaged': false, 'thp.fragmentedPct': 50 };
const NT = { scanDelayMs: 120, scanPeriodMinMs: 1, scanPeriodMaxMs: 4 };
const RANGE = { scanPeriodMs: 50, promoteMinYoung: 4 };

/** numa-tiering (or another kernel policy) with NT's parameters, optionally without the two hooks (the control). */
function numaTiering(hooks: boolean, name = 'numa-tiering'): PolicyDefinition {
  const def = findPolicy(name);
  const params = Object.fromEntries(Object.entries(def.params).map(([k, v]) => [k, k in NT ? { ...v, default: NT[k as keyof typeof NT] } : v]));
  return definePolicy({
    ...def,
    params,
    create(p, host) {
      const h = def.create(p as never, host);
      if (!hooks) delete h.onMigrated, delete h.onCollapsed;
      return h;
    },
  });
}

async function run(trace: Access[], hooks = true, name = 'numa-tiering') {
  const e = makeEngine({ perCpu: [trace], localPages: 4 * 512, cxlPages: 8 * 512, policy: numaTiering(hooks, name), sets: THP });
  const def = findPolicy('thp-range');
  e.attachWith(def, { ...Object.fromEntries(Object.entries(def.params).map(([k, v]) => [k, v.default])), ...RANGE });
  const res = await e.run();
  expect(e.checkInvariants()).toEqual([]);
  const kernel = (e.policyHooks(0) as unknown as { kernel: TieringKernel }).kernel;
  const pc = (n: string) => res.policyCounters[res.policyCounterNames.indexOf(n)];
  const thp = (n: (typeof S.THP_COUNTER_NAMES)[number]) => res.counters[S.thpCounterBase(2) + S.THP_COUNTER_NAMES.indexOf(n)];
  const host = e.host;
  // The id of huge page h (2 MiB page number): ids are handed out in first-touch order, sub-pages of a fallback included.
  const huge = (h: number) => {
    for (let p = 0; p < host.pageCount(); p++) if ((host.flags(p) & PAGE_BASE) === 0 && host.vpnLo(p) === h) return p;
    throw new Error(`no huge page ${h}`);
  };
  return { e, res, kernel, pc, thp, host, huge };
}

/** First touch of huge pages `huge` (1 µs apart), then `rounds` rounds of accesses to `hot` 4 KiB pages, 20 µs apart. */
function trace(huge: number[], hot: number[], rounds: number): Access[] {
  const t: Access[] = huge.map((h) => [h * 512, 'R', 1000]);
  for (let i = 0; i < rounds; i++) for (const p of hot) t.push([p + (i % 7), 'R', 20000]);
  return t;
}

describe('numa-tiering + thp-range: the kernel\'s lists follow whole-range moves and collapses', () => {
  it('a whole-range promotion: every page of the range is on its new tier\'s lists, and no warning says the policy misses the moves', async () => {
    // D1–D4 = 3–6 take tier 1's 4 free blocks; B = 7 falls back to 4 KiB pages in tier 1. A, C and
    // B's sub-pages 0–6 (7 ≥ K = 4 of them young each period) stay hot; E is never touched again.
    // B's first hot hint fault finds tier 0 without room (512 ≤ high + 512) and wakes its kswapd,
    // which demotes E's cold 4 KiB pages (A and C are young); the next promotes a B page, and
    // thp-range moves B's other 511 pages after it: 512 promoted in all (D's huge pages cannot be
    // promoted: tier 0 has no free block, and a NUMA promotion does not split). No free block for
    // MADV_COLLAPSE in tier 0 either, so B stays mapped with 4 KiB pages.
    const tr = trace([0, 1, 2, 3, 4, 5, 6, 7], [0, 512, 7 * 512], 20000);
    const r = await run(tr);
    expect(r.thp('thpFaultHuge')).toBe(6);
    expect(r.thp('thpFaultFallback')).toBe(2);
    expect(r.pc('thp-range.rangePromotions')).toBe(1);
    expect(r.pc('promoteSuccess')).toBe(1);
    expect(r.res.counters[S.C_PROMOTED]).toBe(512);
    const B = r.huge(7);
    expect(r.host.flags(B) & PAGE_SPLIT).toBe(PAGE_SPLIT);
    expect(r.kernel.checkLists()).toEqual([]);
    // B's 4 KiB pages: each on the lists of the tier it is in (tier 0, or tier 1 if kswapd demoted it again).
    const first = (r.host as unknown as { rangeFirst(p: number): number }).rangeFirst(B);
    let inTier0 = 0;
    for (let q = first; q < first + 512; q++) {
      expect(r.kernel.reclaimer.listTier(q)).toBe(r.host.tierOf(q));
      if (r.host.tierOf(q) === 0) inTier0++;
    }
    expect(inTier0).toBeGreaterThanOrEqual(7); // at least the hot ones
    expect(r.res.warnings.filter((w) => w.includes('onMigrated'))).toEqual([]);
    // The control: the same run with a kernel without the hooks leaves moved pages on their old node's lists.
    const control = await run(tr, false);
    expect(control.pc('thp-range.rangePromotions')).toBe(1);
    expect(control.kernel.checkLists().length).toBeGreaterThan(0);
    expect(control.res.warnings.filter((w) => w.includes('onMigrated'))).toHaveLength(1);
  }, 30_000);

  it('a whole-range demotion collapsed in the lower tier: the huge page joins tier 1\'s lists, its 512 retired ids leave them', async () => {
    // D = 3 takes one of tier 1's 4 free blocks; A, C and D stay hot. D's hint fault finds tier 0
    // without room and wakes its kswapd, which demotes E's cold 4 KiB pages; E's coverage is 0, so
    // thp-range moves its other pages to tier 1 and collapses E there (3 free blocks).
    const r = await run(trace([0, 1, 2, 3], [0, 512, 3 * 512], 20000));
    expect(r.pc('thp-range.rangeDemotions')).toBe(1);
    expect(r.pc('thp-range.rangeCollapses')).toBe(1);
    const E = r.huge(2);
    expect(r.host.flags(E) & PAGE_SPLIT).toBe(0);
    expect(r.host.tierOf(E)).toBe(1);
    expect(r.kernel.reclaimer.listTier(E)).toBe(1);
    // The retired 4 KiB ids (flagged base + split, no frame): E's 512 old ids, on no list.
    const retired: number[] = [];
    for (let p = 0; p < r.host.pageCount(); p++) if ((r.host.flags(p) & (PAGE_BASE | PAGE_SPLIT)) === (PAGE_BASE | PAGE_SPLIT) && r.host.tierOf(p) < 0) retired.push(p);
    expect(retired).toHaveLength(512);
    expect(retired.filter((q) => r.kernel.reclaimer.listTier(q) !== -1)).toEqual([]);
    expect(r.kernel.checkLists()).toEqual([]);
    const control = await run(trace([0, 1, 2, 3], [0, 512, 3 * 512], 20000), false);
    expect(control.pc('thp-range.rangeCollapses')).toBe(1);
    expect(control.kernel.checkLists().length).toBeGreaterThan(0);
  }, 30_000);

  for (const name of ['tpp', 'mglru']) {
    it(`${name}: the same whole-range promotion leaves its lists true`, async () => {
      const r = await run(trace([0, 1, 2, 3, 4, 5, 6, 7], [0, 512, 7 * 512], 20000), true, name);
      expect(r.pc('thp-range.rangePromotions')).toBe(1);
      expect(r.kernel.checkLists()).toEqual([]);
      expect(r.res.warnings.filter((w) => w.includes('onMigrated'))).toEqual([]);
    }, 30_000);
  }
});
