import { describe, expect, it } from 'vitest';
import { makeEngine, probePolicy } from './helpers.ts';
import type { Access } from './helpers.ts';
import { FAULT_FIRST_TOUCH } from '../policies/policy.ts';
import * as S from '../sim/stats.ts';

// A THP fault whose tier has free 4 KiB frames but no free 2 MiB block (sim/thp.ts, faults.ts).
// Linux: do_huge_pmd_anonymous_page allocates the huge folio on the preferred node only
// (mm/mempolicy.c: __GFP_THISNODE, "don't fall back to other nodes", and no reclaim under the
// default defrag), and on failure returns VM_FAULT_FALLBACK: handle_pte_fault → do_anonymous_page
// maps one 4 KiB page, allocated the normal way (the preferred node first). So the fault lands on
// the preferred tier as long as it has one free 4 KiB frame; it never takes a huge page on another
// node and never needs a whole free 2 MiB of memory anywhere.
//
// 2 MiB runs; accesses name 4 KiB pages; capacities are in 4 KiB pages (512 per 2 MiB frame).

const THP = { pageSizeKiB: 2048, 'thp.enabled': true, 'thp.khugepaged': false };

function thp(res: { counters: Float64Array }): Record<string, number> {
  const b = S.thpCounterBase(2);
  return Object.fromEntries(S.THP_COUNTER_NAMES.map((n, i) => [n, res.counters[b + i]]));
}

describe('a THP fault with free 4 KiB frames but no free 2 MiB block in its tier', () => {
  it('maps one 4 KiB page in that tier (not a huge page in the next tier); each other page of the range faults on its own', async () => {
    // Tier 0: 3 blocks, 1 holding a kernel page (fragmentedPct 34: floor(3 · 0.34) = 1); tier 1: 4
    // blocks, 1 fragmented, so 3 free. A (4 KiB page 0, id 0) and B (512, id 1) take tier 0's two
    // free blocks; C (1024, id 2) finds none and falls back with 2 MiB of room: its 512 pages
    // (ids 3 … 514) are mapped at once in the fragmented block, filling tier 0. When the last is
    // announced the probe evicts 100 of them (ids 3 … 102): tier 0 has 100 free 4 KiB frames and
    // no free block. D (1536, id 515) faults: the kernel maps D's 4 KiB page 0 on tier 0 (id 516,
    // D's sub-pages are 516 … 1027); D + 7 (id 523) is a 4 KiB fault of its own, also on tier 0.
    const faults: number[] = [];
    const policy = probePolicy((h) => ({
      onFault: (page, kind) => {
        if (kind !== FAULT_FIRST_TOUCH) return;
        faults.push(page);
        if (page === 514) for (let q = 3; q < 103; q++) expect(h.evict(q)).toBe(true);
      },
    }));
    const acc: Access[] = [[0, 'R', 10], [512, 'R', 10], [1024, 'R', 10], [1536, 'R', 10], [1536 + 7, 'W', 10]];
    const e = makeEngine({ perCpu: [acc], localPages: 3 * 512, cxlPages: 4 * 512, policy, sets: { ...THP, 'thp.fragmentedPct': 34 } });
    const res = await e.run();
    expect(thp(res).thpFaultHuge).toBe(2); // A, B (before: 3, D whole in tier 1)
    expect(thp(res).thpFaultFallback).toBe(2); // C, D
    expect(e.host.tierOf(516)).toBe(0);
    expect(e.host.tierOf(523)).toBe(0);
    expect(e.host.tierOf(517)).toBe(-1); // never touched: no frame yet
    expect(e.host.tierOf(515)).toBe(-1); // D's huge id: frame-less, split
    expect(faults.slice(-2)).toEqual([516, 523]);
    expect(faults.length).toBe(2 + 512 + 2);
    // A, B, C, and D's two 4 KiB faults.
    expect(res.counters[S.C_FIRST_TOUCH_FAULTS]).toBe(5);
    // Kernel CPU of the faults (cost.firstTouchFaultNs 1000 plus zeroing at 4096 B/ns): 2 MiB for
    // A, B and C (1000 + 512 each), 4 KiB for each of D's pages (1000 + 1); the evictions are of
    // clean pages (no write-back CPU).
    expect(res.counters[S.C_KERNEL_CPU_NS]).toBe(3 * 1512 + 2 * 1001);
    expect(Array.from(res.usedFrames)).toEqual([3 - 100 / 512 + 2 / 512, 0]);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('every tier with less than 2 MiB free: the fault still maps one 4 KiB page where there is one (before: out of memory)', async () => {
    // Every block fragmented (fragmentedPct 100): no huge page ever. Tier 0: 2 frames, tier 1: 1.
    // A (id 0; pages 1 … 512) and B (id 513; 514 … 1025) fall back into tier 0, filling it; C (id
    // 1026; 1027 … 1538) into tier 1, filling it. At C's last page the probe evicts A's first 100
    // pages (ids 1 … 100). D (id 1539) has 100 free 4 KiB frames in tier 0 and 2 MiB nowhere: its
    // 4 KiB page 3 (id 1540 + 3) is mapped in tier 0.
    const policy = probePolicy((h) => ({
      onFault: (page, kind) => {
        if (kind === FAULT_FIRST_TOUCH && page === 1538) for (let q = 1; q <= 100; q++) h.evict(q);
      },
    }));
    const acc: Access[] = [[0, 'R', 10], [512, 'R', 10], [1024, 'R', 10], [1536 + 3, 'R', 10]];
    const e = makeEngine({ perCpu: [acc], localPages: 2 * 512, cxlPages: 512, policy, sets: { ...THP, 'thp.fragmentedPct': 100 } });
    const res = await e.run();
    expect(thp(res).thpFaultHuge).toBe(0);
    expect(thp(res).thpFaultFallback).toBe(4);
    expect(e.host.tierOf(1543)).toBe(0);
    expect(e.host.tierOf(1540)).toBe(-1);
    expect(Array.from(res.usedFrames)).toEqual([2 - 100 / 512 + 1 / 512, 1]);
    expect(res.counters[S.C_EVICTED]).toBe(100);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('with 2 MiB of room but no free block the range is still mapped at once in that tier (unchanged)', async () => {
    // Tier 0: 2 blocks, 1 fragmented (fragmentedPct 50). A takes the free block; B (id 1) has no
    // block but 2 MiB of room: 512 pages (ids 2 … 513) at once in tier 0, one fault charged, even
    // though tier 1 has free blocks.
    const acc: Access[] = [[0, 'R', 10], [512 + 9, 'R', 10], [512 + 10, 'R', 10]];
    const e = makeEngine({ perCpu: [acc], localPages: 2 * 512, cxlPages: 4 * 512, sets: { ...THP, 'thp.fragmentedPct': 50 } });
    const res = await e.run();
    expect(thp(res).thpFaultHuge).toBe(1);
    expect(thp(res).thpFaultFallback).toBe(1);
    expect(res.counters[S.C_FIRST_TOUCH_FAULTS]).toBe(2);
    expect(Array.from(res.usedFrames)).toEqual([2, 0]);
    for (const q of [2, 11, 513]) expect(e.host.tierOf(q)).toBe(0);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('a full preferred tier: the fault falls back to 4 KiB pages in the next tier, not a huge page there (THP is node-local)', async () => {
    // No fragmentation. Tier 0: 1 block, taken by A (id 0). B (id 1): placement wants tier 0, which
    // has no block and no room; the huge folio is tried there only, so B is 4 KiB pages (ids 2 …
    // 513), all at once in tier 1 (2 MiB of room there) although tier 1 has free blocks. Before:
    // a huge page in tier 1.
    const acc: Access[] = [[0, 'R', 10], [512, 'R', 10]];
    const e = makeEngine({ perCpu: [acc], localPages: 512, cxlPages: 4 * 512, sets: THP });
    const res = await e.run();
    expect(thp(res).thpFaultHuge).toBe(1);
    expect(thp(res).thpFaultFallback).toBe(1);
    expect(e.host.tierOf(2)).toBe(1);
    expect(e.host.tierOf(513)).toBe(1);
    expect(Array.from(res.usedFrames)).toEqual([1, 1]);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('thp.defrag = always: the fault that fails on its preferred tier takes a free block on the next tier', async () => {
    // As above, with defrag=always (or MADV_HUGEPAGE memory): mm/mempolicy.c retries the huge page
    // "allowing remote memory" when the gfp mask may reclaim; the zonelist's next node is tier 1,
    // which has a free block: B is a huge page there (id 1, no 4 KiB ids).
    const acc: Access[] = [[0, 'R', 10], [512, 'R', 10]];
    const e = makeEngine({ perCpu: [acc], localPages: 512, cxlPages: 4 * 512, sets: { ...THP, 'thp.defrag': 'always' } });
    const res = await e.run();
    expect(thp(res).thpFaultHuge).toBe(2);
    expect(thp(res).thpFaultFallback).toBe(0);
    expect(e.host.tierOf(1)).toBe(1);
    expect(Array.from(res.usedFrames)).toEqual([1, 1]);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('thp.defrag = always, fragmented: a tier with room but no free block is passed over for one with a block (the zonelist walk for an order-9 page)', async () => {
    // Tier 0: 2 blocks, 1 fragmented (50 %); tier 1: 4 blocks, 2 fragmented. A takes tier 0's free
    // block; B: tier 0 has 2 MiB of room but no free block, tier 1 a free block: huge in tier 1.
    const acc: Access[] = [[0, 'R', 10], [512, 'R', 10]];
    const e = makeEngine({ perCpu: [acc], localPages: 2 * 512, cxlPages: 4 * 512, sets: { ...THP, 'thp.defrag': 'always', 'thp.fragmentedPct': 50 } });
    const res = await e.run();
    expect(thp(res).thpFaultHuge).toBe(2);
    expect(e.host.tierOf(1)).toBe(1);
    expect(e.checkInvariants()).toEqual([]);
  });
});
