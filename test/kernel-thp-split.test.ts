// A kernel demotion that splits a huge page (thp.enabled, the target has room but no free 2 MiB
// block: sim/thp.ts splitAndMigrate, migrate_pages' -ENOMEM fallback) must leave the kernel's
// lists holding the 4 KiB folios, not the frame-less huge id (kernel-thp.ts relistDemoted).
// Before the fix the huge id stayed listed on the target and its 512 pages were on no list, so
// reclaim never saw them again — a silent wrong answer.
import { describe, expect, it } from 'vitest';
import { makeEngine } from './helpers.ts';
import type { Access } from './helpers.ts';
import { findPolicy } from '../policies/registry.ts';
import type { PolicyDefinition } from '../policies/policy.ts';
import { PAGE_BASE, PAGE_SPLIT } from '../policies/policy.ts';
import type { TieringKernel } from '../policies/lib/kernel.ts';
import * as S from '../sim/stats.ts';

const NT: Record<string, number> = { scanDelayMs: 120, scanPeriodMinMs: 1, scanPeriodMaxMs: 4 };

function withFastScan(name: string): PolicyDefinition {
  const base = findPolicy(name);
  return { ...base, params: Object.fromEntries(Object.entries(base.params).map(([k, v]) => [k, k in NT ? { ...v, default: NT[k] } : v])) } as PolicyDefinition;
}

// Huge pages 0…8 touched once in order (DRAM's 4 blocks take the first ones, CXL the rest), then
// only 5…8 — on CXL — are used: their promotions need room in DRAM, kswapd demotes cold huge pages
// 0…3 to CXL, whose free blocks are taken by the fragmentation, so a demotion splits.
function trace(): Access[] {
  const t: Access[] = [];
  for (let h = 0; h < 9; h++) t.push([h * 512, 'R', 1000]);
  for (let i = 0; i < 40000; i++) t.push([(5 + (i % 4)) * 512 + (i % 5), 'R', 20000]);
  return t;
}

describe('kernel demotion that splits a huge page', () => {
  it.each(['numa-tiering', 'mglru'])('%s: the split huge id leaves the lists and each 4 KiB page is on its own tier\'s', async (name) => {
    const e = makeEngine({ perCpu: [trace()], localPages: 4 * 512, cxlPages: 8 * 512, policy: withFastScan(name), sets: { pageSizeKiB: 2048, 'thp.enabled': true, 'thp.khugepaged': false, 'thp.fragmentedPct': 40 } });
    const res = await e.run();
    expect(e.checkInvariants()).toEqual([]);
    const splits = res.counters[S.thpCounterBase(2) + S.THP_COUNTER_NAMES.indexOf('thpMigrationSplits')];
    expect(splits).toBeGreaterThan(0); // the scenario does split (else the test proves nothing)
    const kernel = (e.policyHooks(0) as unknown as { kernel: TieringKernel }).kernel;
    expect(kernel.checkLists()).toEqual([]);
    const host = e.host;
    let subPagesWithFrames = 0;
    for (let p = 0; p < host.pageCount(); p++) {
      const f = host.flags(p);
      if (f & PAGE_SPLIT && !(f & PAGE_BASE)) expect(host.tierOf(p)).toBe(-1);
      if (f & PAGE_BASE && host.tierOf(p) >= 0) subPagesWithFrames++;
    }
    expect(subPagesWithFrames).toBeGreaterThan(0);
  });
});
