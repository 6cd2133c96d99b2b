import { describe, expect, it } from 'vitest';
import { makeEngine, probePolicy } from './helpers.ts';
import type { Access } from './helpers.ts';
import type { Host } from '../policies/policy.ts';
import { PAGE_BASE, PAGE_SPLIT } from '../policies/policy.ts';
import * as S from '../sim/stats.ts';
import { resolveConfig, policyParams } from '../sim/run.ts';
import { resolveTiers } from '../sim/machine.ts';
import { Engine } from '../sim/engine.ts';
import { findPolicy } from '../policies/registry.ts';
import { SyntheticSource } from '../traces/synthetic.ts';

// 2 MiB runs; capacities are given in 4 KiB pages (512 per 2 MiB frame). Huge pages A, B, C, D are
// the 2 MiB ranges starting at 4 KiB pages 0, 512, 1024, 1536, first touched in that order, so
// their page ids are 0, 1, 2 and (after C's 512 sub-pages, ids 3 … 514, if C falls back) 515.
const A = 0;
const B = 512;
const C = 1024;
const D = 1536;

function thp(res: { counters: Float64Array }): Record<string, number> {
  const b = S.thpCounterBase(2);
  return Object.fromEntries(S.THP_COUNTER_NAMES.map((n, i) => [n, res.counters[b + i]]));
}

function tlb(res: { counters: Float64Array }): Record<string, number> {
  const b = S.tlbCounterBase(2);
  return Object.fromEntries(S.TLB_COUNTER_NAMES.map((n, i) => [n, res.counters[b + i]]));
}

const THP = { pageSizeKiB: 2048, 'thp.enabled': true, 'thp.khugepaged': false };

describe('transparent huge pages: 2 MiB blocks, fallback, split on demotion, khugepaged', () => {
  it('a huge page needs a free 2 MiB block: with half the blocks fragmented, the third and fourth fall back to 4 KiB pages', async () => {
    // Tier 0: 4 blocks, 2 hold a kernel page (fragmentedPct 50) → 2 free. A, B huge; C, D fall back
    // into the fragmented blocks. With the TLB on: A, B, D take one walk each; C's two 4 KiB pages
    // two (1024, 1025); the second access to A is an L1 hit of its 2 MiB entry.
    const acc: Access[] = [[A, 'R', 10], [B, 'R', 10], [C, 'R', 10], [C + 1, 'R', 10], [D, 'R', 10], [A + 3, 'R', 10]];
    const e = makeEngine({ perCpu: [acc], localPages: 4 * 512, cxlPages: 10 * 512, sets: { ...THP, 'thp.fragmentedPct': 50, 'tlb.enabled': true } });
    const res = await e.run();
    expect(thp(res).thpFaultHuge).toBe(2);
    expect(thp(res).thpFaultFallback).toBe(2);
    expect(res.usedFrames[0]).toBe(4); // 2 huge frames + 2 × 512 base pages of 1/512 frame
    expect(tlb(res).tlbL2Misses).toBe(5);
    expect(tlb(res).tlbL1Misses).toBe(5);
    expect(e.host.flags(2) & PAGE_SPLIT).toBe(PAGE_SPLIT);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('without fragmentation every huge page finds a block (as with thp off)', async () => {
    const acc: Access[] = [[A, 'R', 10], [B, 'R', 10], [C, 'R', 10], [D, 'R', 10]];
    const res = await makeEngine({ perCpu: [acc], localPages: 4 * 512, cxlPages: 10 * 512, sets: THP }).run();
    expect(thp(res).thpFaultHuge).toBe(4);
    expect(thp(res).thpFaultFallback).toBe(0);
  });

  it('khugepaged collapses a fallen-back range once a block is free, and sleeps alloc_sleep when the next finds none', async () => {
    // As above (C, D fall back), then at 50 µs A moves to CXL, freeing one tier-0 block. khugepaged
    // wakes at 100 µs with 4096 PTEs of budget: A (huge, 512), B (huge, 512), C (4 KiB: collapses
    // into the free block, 512 scanned), D (4 KiB, 512 scanned: no free block → failure, sleep).
    let host!: Host;
    const policy = probePolicy((h) => {
      host = h;
      h.after(50000, 1);
      return { onTimer: () => void h.migrate(0, 1, true) };
    });
    const acc: Access[] = [[A, 'R', 10], [B, 'R', 10], [C, 'R', 10], [D, 'R', 10], [C + 7, 'W', 200000]];
    const e = makeEngine({
      perCpu: [acc],
      localPages: 4 * 512,
      cxlPages: 10 * 512,
      policy,
      sets: { ...THP, 'thp.fragmentedPct': 50, 'thp.khugepaged': true, 'thp.scanSleepMs': 0.1, 'tlb.enabled': true },
    }).run();
    const res = await e;
    const t = thp(res);
    expect(t.thpCollapses).toBe(1);
    expect(t.thpCollapseAllocFailed).toBe(1);
    expect(t.khugepagedPtesScanned).toBe(1024);
    expect(host.flags(2) & PAGE_SPLIT).toBe(0); // C is one huge page again, in tier 0
    expect(host.tierOf(2)).toBe(0);
    expect(host.flags(3) & (PAGE_SPLIT | PAGE_BASE)).toBe(PAGE_SPLIT | PAGE_BASE); // its old 4 KiB ids are retired
    expect(host.flags(515) & PAGE_SPLIT).toBe(PAGE_SPLIT); // D stays split
    expect(res.usedFrames[0]).toBe(3); // B, C huge; D's 512 base pages
    // The write at 200 µs goes to the collapsed huge page: dirty there, one 2 MiB walk for it.
    expect(host.flags(2) & 2).toBe(2);
  });

  it('a demotion the target cannot take whole splits the huge page and moves the 4 KiB pages that fit', async () => {
    // Tier 0: 3 blocks, 1 fragmented → A, B huge, C falls back. Tier 1: 2 blocks, 1 fragmented.
    // At 50 µs: 100 of C's 4 KiB pages go to tier 1 (into its fragmented block), A goes whole (the
    // free block), then B: no free block and 2 − 1 − 100/512 frames of room → split, 412 of its
    // 512 pages move, 100 stay.
    let moved: boolean[] = [];
    const policy = probePolicy((h) => {
      h.after(50000, 1);
      return {
        onTimer: () => {
          for (let k = 0; k < 100; k++) h.migrate(3 + k, 1, true);
          moved = [h.migrate(0, 1, true), h.migrate(1, 1, true)];
        },
      };
    });
    const acc: Access[] = [[A, 'R', 10], [B, 'R', 10], [C, 'R', 10], [A, 'R', 100000]];
    const e = makeEngine({ perCpu: [acc], localPages: 3 * 512, cxlPages: 2 * 512, policy, sets: { ...THP, 'thp.fragmentedPct': 50 } });
    const res = await e.run();
    expect(moved).toEqual([true, true]);
    expect(thp(res).thpMigrationSplits).toBe(1);
    expect(res.counters[S.C_DEMOTED]).toBe(100 + 1 + 412);
    expect(res.usedFrames[1]).toBe(2);
    expect(res.usedFrames[0]).toBe(3 - 1 - 100 / 512 - 412 / 512);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('a promotion that finds room but no free block fails instead of splitting (NUMA-balancing promotions do not split)', async () => {
    // Tier 0 (3 blocks): A, B, C huge; D (id 3) placed on CXL. At 50 µs B and C are split in place
    // and 256 4 KiB pages of each go to CXL: tier 0 has a whole frame of room, in two half-used
    // blocks, and no free block. Promoting D then fails with THP; without THP it succeeds.
    const run = async (thpOn: boolean) => {
      let ok: boolean | null = null;
      const policy = probePolicy((h) => {
        h.after(50000, 1);
        return {
          place: (page) => (page === 3 ? 1 : 0),
          onTimer: () => {
            const b = h.splitPage(1);
            const c = h.splitPage(2);
            for (let k = 0; k < 256; k++) (h.migrate(b + k, 1, true), h.migrate(c + k, 1, true));
            ok = h.migrate(3, 0, true);
          },
        };
      });
      const acc: Access[] = [[A, 'R', 10], [B, 'R', 10], [C, 'R', 10], [D, 'R', 10], [A, 'R', 100000]];
      const e = makeEngine({ perCpu: [acc], localPages: 3 * 512, cxlPages: 4 * 512, policy, sets: { ...THP, 'thp.enabled': thpOn } });
      const res = await e.run();
      expect(e.checkInvariants()).toEqual([]);
      return { ok, res };
    };
    const on = await run(true);
    expect(on.ok).toBe(false);
    expect(thp(on.res).thpMigrationSplits).toBe(0);
    expect(on.res.counters[S.C_PROMOTED]).toBe(0);
    const off = await run(false);
    expect(off.ok).toBe(true);
  });
});

describe('transparent huge pages keep the engine and block invariants under seeded runs', () => {
  for (const policy of ['first-touch', 'memtis', 'hemem', 'tpp']) {
    it(`${policy} with fragmentation, khugepaged every 20 ms and the TLB on`, async () => {
      const workload = 'hotset:pages=48000,hot=0.1,shiftAt=0.5,accesses=60k,threads=2,gapNs=50000,write=0.3,init=1';
      const { config } = resolveConfig({
        sets: { 'thp.enabled': true, 'thp.fragmentedPct': 30, 'thp.scanSleepMs': 20, 'tlb.enabled': true, 'machine.headroomPct': 2 },
        flags: { policy, workload, pageSizeKiB: 2048, 'machine.ratio': '1:3' },
      });
      const source = new SyntheticSource(workload, 1);
      const engine = new Engine(config, resolveTiers(config, source.footprintPages(2048 * 1024)), source);
      const def = findPolicy(policy);
      engine.attach(def, policyParams(config, def));
      const res = await engine.run();
      expect(engine.checkInvariants()).toEqual([]);
      const t = thp(res);
      expect(t.thpFaultHuge + t.thpFaultFallback).toBeGreaterThan(0);
    }, 60_000);
  }
});
