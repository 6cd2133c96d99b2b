import { describe, expect, it } from 'vitest';
import { makeEngine, probePolicy } from './helpers.ts';
import type { Access } from './helpers.ts';
import { FAULT_FIRST_TOUCH, FAULT_HINT, PAGE_BASE, PAGE_SPLIT } from '../policies/policy.ts';
import * as S from '../sim/stats.ts';

// THP fault fallback (sim/thp.ts placed, sim/faults.ts allocate): when a 2 MiB range is mapped with
// 4 KiB pages because its tier has no free 2 MiB block, the kernel allocates each 4 KiB folio and
// puts it on the LRU (do_anonymous_page → folio_add_lru_vma), so policies must hear of each of the
// 512 pages, not of the frame-less huge id. Ranges A, B, C start at 4 KiB pages 0, 512, 1024 and
// are first touched in that order: ids 0 (A), 1 (B), 2 (C's huge id), C's 4 KiB pages 3 … 514.
const A = 0;
const B = 512;
const C = 1024;
const THP = { pageSizeKiB: 2048, 'thp.enabled': true, 'thp.khugepaged': false };

describe('THP fault fallback announces each 4 KiB page it maps', () => {
  it('the third range falls back: onFault(FIRST_TOUCH) for its 512 4 KiB pages (ids 3 … 514, in order), never for its frame-less huge id', async () => {
    // Tier 0: 4 blocks, 2 kernel-fragmented (fragmentedPct 50): A and B take the 2 free blocks; C
    // finds none and falls back into the fragmented blocks.
    const faults: number[] = [];
    const tiers: number[] = [];
    const flags: number[] = [];
    const policy = probePolicy((h) => ({
      onFault: (page, kind) => {
        if (kind !== FAULT_FIRST_TOUCH) return;
        faults.push(page);
        tiers.push(h.tierOf(page));
        flags.push(h.flags(page) & PAGE_BASE);
      },
    }));
    const acc: Access[] = [[A, 'R', 10], [B, 'R', 10], [C, 'R', 10], [C + 1, 'R', 10], [C + 511, 'W', 10]];
    const e = makeEngine({ perCpu: [acc], localPages: 4 * 512, cxlPages: 4 * 512, policy, sets: { ...THP, 'thp.fragmentedPct': 50 } });
    const res = await e.run();
    expect(res.counters[S.thpCounterBase(2) + S.HC_FAULT_FALLBACK]).toBe(1);
    const sub = Array.from({ length: 512 }, (_, k) => 3 + k);
    expect(faults).toEqual([0, 1, ...sub]); // C + 1 and C + 511 were mapped by the fallback: no fault of their own
    expect(tiers).toEqual(new Array(514).fill(0));
    expect(flags).toEqual([0, 0, ...new Array(512).fill(PAGE_BASE)]);
    expect(res.counters[S.C_FIRST_TOUCH_FAULTS]).toBe(3); // one fault per range (the 511 minor faults are not charged)
    expect(e.checkInvariants()).toEqual([]);
  });

  for (const policy of ['numa-tiering', 'mglru']) {
    it(`${policy}'s LRU holds fallen-back pages: over-limit reclaim (Senpai, memory.high 4 MiB) brings memory.current down to the limit`, async () => {
      // Every block is fragmented (fragmentedPct 100): each of the 4 ranges falls back to 512 4 KiB
      // pages, 8 MiB in all. Senpai starts with memory.high at min_size (4 MiB; the run is far
      // shorter than a tick), so the allocating task reclaims down to 4 MiB = 1024 pages = 2 frames:
      // at least 2048 − 1024 = 1024 evictions. Before the fix the kernel LRU held none of the 4 KiB
      // pages: nothing reclaimed, 4 frames in use.
      const acc: Access[] = [];
      for (let r = 0; r < 4; r++) acc.push([r * 512, 'R', 1000]);
      const sets = { ...THP, 'thp.fragmentedPct': 100, [`policy.${policy}.senpai`]: true, [`policy.${policy}.senpaiMinSizeMiB`]: 4 };
      const e = makeEngine({ perCpu: [acc], localPages: 8 * 512, cxlPages: 8 * 512, policy, sets });
      const res = await e.run();
      expect(res.counters[S.thpCounterBase(2) + S.HC_FAULT_FALLBACK]).toBe(4);
      expect(res.counters[S.C_EVICTED]).toBeGreaterThanOrEqual(1024);
      expect(res.usedFrames[0] + res.usedFrames[1]).toBeLessThanOrEqual(2);
      expect(e.checkInvariants()).toEqual([]);
    });
  }
});

describe('a hint fault whose handler splits the huge page being accessed', () => {
  it('sends the access to the sub-page instead of swapping the frame-less huge id back in', async () => {
    // 2 MiB pages, no THP model. Page 0 (4 KiB pages 0 … 511) is touched; its first-touch hook arms a
    // hint fault; the next access (4 KiB page 3) takes it and the hook splits page 0. The access must
    // go to sub-page 3 (id 1 + 3 = 4). Before the fix the engine saw page 0 frame-less and swapped
    // it in: an extra 2 MiB frame (tier 0 counted 2 frames for one huge page's data), and the
    // invariants failed ("page 0 is split but maps frame 512").
    const policy = probePolicy((h) => ({
      onFault: (page, kind) => {
        if (kind === FAULT_FIRST_TOUCH && page === 0) h.armHintFault(0);
        if (kind === FAULT_HINT) h.splitPage(page);
      },
    }));
    const e = makeEngine({ perCpu: [[[0, 'R', 10], [3, 'R', 10], [5, 'R', 10]]], localPages: 4 * 512, cxlPages: 4 * 512, policy, sets: { pageSizeKiB: 2048 } });
    const res = await e.run();
    expect(e.checkInvariants()).toEqual([]);
    expect(Array.from(res.usedFrames)).toEqual([1, 0]); // 512 4 KiB pages of 1/512 frame each
    expect(e.host.flags(0) & PAGE_SPLIT).toBe(PAGE_SPLIT);
    expect(e.host.tierOf(0)).toBe(-1);
    expect(e.host.tierOf(4)).toBe(0);
    expect(res.counters[S.C_SWAP_INS]).toBe(0);
  });
});
