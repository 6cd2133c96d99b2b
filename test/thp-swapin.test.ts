import { describe, expect, it } from 'vitest';
import { makeEngine, probePolicy } from './helpers.ts';
import type { Access } from './helpers.ts';
import { FAULT_FIRST_TOUCH, FAULT_SWAP_IN, PAGE_SPLIT, PAGE_SWAPPED } from '../policies/policy.ts';
import { ST_READS, ST_READ_BYTES, ST_WRITES, ST_WRITE_BYTES } from '../sim/storage.ts';
import { ZS_POOL_BYTES, ZS_SAVED_BYTES, ZS_STORED } from '../sim/swap.ts';
import * as S from '../sim/stats.ts';
import { resolveConfig, policyParams } from '../sim/run.ts';
import { resolveTiers } from '../sim/machine.ts';
import { Engine } from '../sim/engine.ts';
import { findPolicy } from '../policies/registry.ts';
import { SyntheticSource } from '../traces/synthetic.ts';

// Swap-in of a THP that was swapped out whole (sim/thp.ts swappedToBase, faults.ts allocate).
// Linux 6.6 (the version the kernel policies follow): since 4.13 reclaim can swap a THP out without
// splitting it — one 2 MiB write, its 512 swap entries each keeping the shadow — but do_swap_page
// brings it back as order-0 folios (swapin_readahead / the synchronous-IO path allocate 4 KiB
// folios; large-folio swap-in came in 6.10+, and for synchronous-IO devices only). Each 4 KiB page
// touched is a swap-in of its own: a major fault, a 4 KiB read (tiersim models no swap readahead,
// for 4 KiB pages as for any page), and one refault (workingset_refault counts folio_nr_pages = 1).
// A 4 KiB page written and reclaimed again writes 4 KiB.

const THP = { pageSizeKiB: 2048, 'thp.enabled': true, 'thp.khugepaged': false, 'storage.device': 'nvme' };

describe('a THP swapped out whole comes back 4 KiB at a time', () => {
  it('each 4 KiB page touched is one swap-in, one 4 KiB read and one onFault(SWAP_IN); the huge page is never mapped whole again', async () => {
    // A (4 KiB pages 0 … 511, id 0) and B (512, id 1) are huge pages in tier 0, which has free
    // blocks left. At B's fault the probe evicts A: one 2 MiB write. A + 5 (written) and A + 6 are
    // then touched: A's 4 KiB pages get ids 2 … 513, so ids 7 and 8 are swapped in, 4 KiB each.
    // At id 8's swap-in the probe evicts id 7, dirty: one 4 KiB write.
    const swapIns: number[] = [];
    const policy = probePolicy((h) => ({
      onFault: (page, kind) => {
        if (kind === FAULT_FIRST_TOUCH && page === 1) expect(h.evict(0)).toBe(true);
        if (kind === FAULT_SWAP_IN) {
          swapIns.push(page);
          if (page === 8) expect(h.evict(7)).toBe(true);
        }
      },
    }));
    const acc: Access[] = [[0, 'R', 10], [512, 'R', 10], [5, 'W', 10], [6, 'R', 10], [6, 'R', 10]];
    const e = makeEngine({ perCpu: [acc], localPages: 4 * 512, cxlPages: 4 * 512, policy, sets: THP });
    const res = await e.run();
    expect(swapIns).toEqual([7, 8]);
    expect(res.counters[S.C_SWAP_INS]).toBe(2);
    expect(e.storageStats[ST_READS]).toBe(2);
    expect(e.storageStats[ST_READ_BYTES]).toBe(2 * 4096);
    expect(e.storageStats[ST_WRITES]).toBe(2);
    expect(e.storageStats[ST_WRITE_BYTES]).toBe(2 * 1024 * 1024 + 4096);
    expect(e.host.flags(0) & PAGE_SPLIT).toBe(PAGE_SPLIT);
    expect(e.host.tierOf(0)).toBe(-1);
    expect(e.host.tierOf(8)).toBe(0);
    expect(e.host.tierOf(7)).toBe(-1);
    for (const q of [2, 7, 9, 513]) expect(e.host.flags(q) & PAGE_SWAPPED).toBe(PAGE_SWAPPED);
    const b = S.thpCounterBase(2);
    expect(res.counters[b + S.HC_FAULT_HUGE]).toBe(2);
    expect(res.counters[b + S.HC_FAULT_FALLBACK]).toBe(0); // do_swap_page is no THP fault
    expect(Array.from(res.usedFrames)).toEqual([1 + 1 / 512, 0]);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('a swapped-in 4 KiB page not written since keeps its slot: reclaimed again, it writes nothing', async () => {
    // As above, but A + 5 is only read: id 7 is clean with its swap copy when evicted at id 8's
    // swap-in (shrink_folio_list frees a clean swap-cache folio without I/O). Writes: A's 2 MiB only.
    const policy = probePolicy((h) => ({
      onFault: (page, kind) => {
        if (kind === FAULT_FIRST_TOUCH && page === 1) h.evict(0);
        if (kind === FAULT_SWAP_IN && page === 8) h.evict(7);
      },
    }));
    const acc: Access[] = [[0, 'W', 10], [512, 'R', 10], [5, 'R', 10], [6, 'R', 10]];
    const e = makeEngine({ perCpu: [acc], localPages: 4 * 512, cxlPages: 4 * 512, policy, sets: THP });
    await e.run();
    expect(e.storageStats[ST_WRITES]).toBe(1);
    expect(e.storageStats[ST_WRITE_BYTES]).toBe(2 * 1024 * 1024);
    expect(e.storageStats[ST_READ_BYTES]).toBe(2 * 4096);
    expect(e.checkInvariants()).toEqual([]);
  });

  for (const policy of ['numa-tiering', 'mglru']) {
    it(`${policy} with page types counts one workingset refault per 4 KiB page swapped in (the THP's shadow is in each of its swap entries)`, async () => {
      // Page types on (a cache region far away; every page here is anon): the kernel's reclaimer
      // keeps shadow entries. Senpai's memory.high starts at min_size, 4 MiB = two huge pages, and
      // the allocating task reclaims to it: touching C (6 MiB) swaps out A, the oldest, whole.
      // A + 5 and A + 6 then come back 4 KiB at a time, each against A's shadow: 2 refaults
      // (before: 0, the shadow stayed on A's huge id). B, C, D are swapped out too but never touched
      // again, E, F, G (2048, 2560, 3072) are new: no other refault.
      const sets = { ...THP, 'pages.regions': 'cache:100000-100001', [`policy.${policy}.senpai`]: true, [`policy.${policy}.senpaiMinSizeMiB`]: 4 };
      const acc: Access[] = [[0, 'R', 10], [512, 'R', 10], [1024, 'R', 10], [1536, 'R', 10], [5, 'R', 10], [6, 'R', 10], [2048, 'R', 10], [2560, 'R', 10], [3072, 'R', 10]];
      const e = makeEngine({ perCpu: [acc], localPages: 8 * 512, cxlPages: 8 * 512, policy, sets });
      const res = await e.run();
      const pc = (n: string) => res.policyCounters[res.policyCounterNames.indexOf(n)];
      expect(res.counters[S.C_SWAP_INS]).toBe(2);
      expect(e.host.flags(0) & PAGE_SPLIT).toBe(PAGE_SPLIT);
      expect(pc('workingsetRefaults')).toBe(2);
      expect(e.checkInvariants()).toEqual([]);
    });
  }

  it('with zswap: the THP goes to the swap device whole (6.6 zswap_store takes no large folio); a 4 KiB page of it is stored as 4 KiB', async () => {
    // As the first case, with zswap on (ratio 3 for every page: ratioSpread 0). Evicting A: zswap
    // refuses the large folio, one 2 MiB device write. Evicting id 7 (A + 5, written): zswap stores
    // 4 KiB as ceil(4096 / 3) = 1366 bytes, saving 4096 − 1366 = 2730 (before: A itself went into
    // the pool as ceil(2 MiB / 3) = 699 051 bytes).
    const policy = probePolicy((h) => ({
      onFault: (page, kind) => {
        if (kind === FAULT_FIRST_TOUCH && page === 1) h.evict(0);
        if (kind === FAULT_SWAP_IN && page === 8) h.evict(7);
      },
    }));
    const acc: Access[] = [[0, 'R', 10], [512, 'R', 10], [5, 'W', 10], [6, 'R', 10]];
    const e = makeEngine({ perCpu: [acc], localPages: 4 * 512, cxlPages: 4 * 512, policy, sets: { ...THP, 'zswap.enabled': true, 'zswap.compressionRatio': 3, 'zswap.ratioSpread': 0 } });
    await e.run();
    expect(e.zswapStats[ZS_STORED]).toBe(1);
    expect(e.zswapStats[ZS_POOL_BYTES]).toBe(1366);
    expect(e.zswapStats[ZS_SAVED_BYTES]).toBe(2730);
    expect(e.storageStats[ST_WRITES]).toBe(1);
    expect(e.storageStats[ST_WRITE_BYTES]).toBe(2 * 1024 * 1024);
    expect(e.storageStats[ST_READ_BYTES]).toBe(2 * 4096);
    expect(e.checkInvariants()).toEqual([]);
  });
});

describe('THP with swap, storage and zswap keeps the engine and block invariants under seeded runs', () => {
  // Memory 2 frames above the footprint (0.05 + 0.14 GiB = 96 frames for 94 huge pages), 30 % of
  // blocks fragmented: fallbacks, and with the kernel policies' watermarks THPs swapped out whole
  // and brought back 4 KiB at a time.
  for (const policy of ['first-touch', 'memtis', 'hemem', 'numa-tiering', 'mglru']) {
    for (const zswap of [false, true]) {
      it(`${policy}${zswap ? ' with zswap' : ''}`, async () => {
        const workload = 'hotset:pages=48000,hot=0.1,shiftAt=0.5,accesses=60k,threads=2,gapNs=50000,write=0.3,init=1';
        const sets = { 'thp.enabled': true, 'thp.fragmentedPct': 30, 'thp.scanSleepMs': 20, 'tlb.enabled': true, 'storage.device': 'nvme', 'zswap.enabled': zswap, 'machine.tiers.0.capacityGiB': 0.05, 'machine.tiers.1.capacityGiB': 0.14 };
        const { config } = resolveConfig({ sets, flags: { policy, workload, pageSizeKiB: 2048 } });
        const source = new SyntheticSource(workload, 1);
        const engine = new Engine(config, resolveTiers(config, source.footprintPages(2048 * 1024)), source);
        const def = findPolicy(policy);
        engine.attach(def, policyParams(config, def));
        const res = await engine.run();
        expect(engine.checkInvariants()).toEqual([]);
        const b = S.thpCounterBase(2);
        expect(res.counters[b + S.HC_FAULT_FALLBACK]).toBeGreaterThan(0);
        // The kernel policies' watermarks make them swap here: pages come back (4 KiB at a time for a THP).
        if (policy === 'numa-tiering' || policy === 'mglru') expect(res.counters[S.C_SWAP_INS]).toBeGreaterThan(0);
      }, 60_000);
    }
  }
});

