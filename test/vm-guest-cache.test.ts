// The guest page cache of the VM model (sim/vm-model.ts): file blocks fill the guest's free memory,
// a miss reads the block from the guest's virtual disk, the guest's reclaim takes cache pages first
// (clean dropped, dirty written back), and the balloon inflates into the cache before the guest's
// anon pages. Every expected value is derived in the comments.

import { describe, expect, it } from 'vitest';
import { vmEngine, pagesMiB, touch } from './vm-helpers.ts';
import type { VmAccess } from './vm-helpers.ts';
import { PAGE_GUEST_PAGED } from '../policies/policy.ts';
import { resolveConfig, runSimulation } from '../sim/run.ts';
import { summaryRow } from '../results/rows.ts';
import * as S from '../sim/stats.ts';
import { GC_DROPS, GC_MISSES, GC_PAGES, GC_WRITEBACKS } from '../sim/vm-model.ts';
import { VS_BALLOON, VS_GUEST_PAGE_INS, VS_GUEST_PAGE_OUTS, VS_GUEST_RESIDENT, VS_HOST_PAGE_OUTS, VS_MAPPED, VS_STALL_NS } from '../sim/engine.ts';

/** Reads of pages first … first + count − 1 of vm, the first after gapNs. */
const reads = (vm: number, first: number, count: number, gapNs = 0): VmAccess[] =>
  Array.from({ length: count }, (_, i) => [vm, first + i, 'R', 0, i === 0 ? gapNs : 0] as VmAccess);

// Pages 100–999 of every VM are its page cache (file blocks); no guest kernel reserve.
const CACHE = { 'vm.guestCachePages': '100-1000', 'vm.guestOsBytesPer4KiB': 0 };

describe('guest page cache', () => {
  it('fills free guest memory, reclaims cache before anon (clean dropped, dirty written back), re-reads pay the virtual disk', async () => {
    // One VM of 4 pages. SIMPLE_MACHINE: first touch 1000 + 1 ns, local read 100, write 150;
    // cost.swapInNs 20000 (the virtual disk read), cost.guestPageOutNs 5000.
    //   W 0 (anon):            1001 + 150                                        =  1151
    //   R 100, 101, 102:       3 × (1001 + 20000 disk + 100)                     = 63303  (guest full: 4)
    //   W 101 (hit):           150, page dirty                                   =   150
    //   R 103: miss, 5 > 4 → cache CLOCK (100, 101, 102, 103): the first lap clears the bits of
    //          100–102 (103 is the faulting page), the second takes 100: clean, dropped.
    //                          1001 + 20000 + 100                                = 21101
    //   R 104: miss, hand at 101 (bit cleared, dirty) → written back: + 5000     = 26101
    //   R 100: re-read of a dropped block: a guest page-in (20000), hand at 102 → dropped. + 100
    //                                                                            = 20100
    //   total 131906. The anon page 0, older than every cache page, stays.
    //   Stall: 5 first-touch disk reads + the write-back + the re-read = 5 × 20000 + 5000 + 20000.
    const e = vmEngine({
      vms: 1,
      localPages: 100,
      cxlPages: 100,
      sets: { ...CACHE, 'vm.memMiB': pagesMiB(4) },
      perCpu: [[[0, 0, 'W', 7], ...reads(0, 100, 3), [0, 101, 'W', 9], [0, 103, 'R'], [0, 104, 'R'], [0, 100, 'R']]],
    });
    const res = await e.run();
    const f = res.vm!.final;
    expect(res.simTimeNs).toBe(131906);
    expect(res.counters[S.C_STALL_NS]).toBe(5 * 20000 + 5000 + 20000);
    expect(Array.from(f.cache!)).toEqual([3, 6, 2, 1]); // GC_PAGES, GC_MISSES, GC_DROPS, GC_WRITEBACKS
    expect(f.stats[VS_GUEST_RESIDENT]).toBe(4);
    expect(f.stats[VS_MAPPED]).toBe(4);
    expect(f.stats[VS_GUEST_PAGE_OUTS]).toBe(0); // cache reclaim is not anon paging
    expect(f.stats[VS_GUEST_PAGE_INS]).toBe(0);
    expect(f.stats[VS_HOST_PAGE_OUTS]).toBe(0);
    expect(f.stats[VS_STALL_NS]).toBe(5000);
    // Page ids in first-touch order: 0 = anon page 0, 1–5 = blocks 100–104.
    expect([0, 1, 2, 3, 4, 5].map((p) => e.host.flags(p) & PAGE_GUEST_PAGED)).toEqual([0, 0, PAGE_GUEST_PAGED, PAGE_GUEST_PAGED, 0, 0]);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('the balloon inflates into the cache: dirty blocks written back, clean ones dropped, anon kept', async () => {
    // Guest of 100 pages: 20 anon pages, then 80 file blocks read (guest full), 10 of them (200–209)
    // rewritten. Balloon target 30 at the first poll (10 ms, after the boot at ≈ 1.7 ms): no free
    // page, so the guest reclaims 30 from its cache: the CLOCK's first lap clears the 80 bits, the
    // second takes blocks 200–229 in order: 10 dirty written back (10 × 5000 stall), 20 dropped.
    // At 30 ms block 200 is read again: a miss; the guest (room 70) drops the next, block 230.
    const e = vmEngine({
      vms: 1,
      localPages: 200,
      cxlPages: 200,
      policy: 'balloon',
      sets: { ...CACHE, 'vm.memMiB': pagesMiB(100), 'vm.balloonMiB': pagesMiB(30), 'policy.balloon.pollIntervalMs': 10, 'policy.balloon.inflateRatePagesPerS': 1e9 },
      perCpu: [[...touch(0, 0, 20), ...reads(0, 200, 80), ...touch(0, 200, 10), [0, 0, 'R', 0, 30e6], [0, 200, 'R']]],
    });
    const res = await e.run();
    const f = res.vm!.final;
    const counter = (name: string) => res.policyCounters[res.policyCounterNames.indexOf(name)];
    expect(f.stats[VS_BALLOON]).toBe(30);
    expect(counter('balloonGuestPageOuts')).toBe(30);
    expect(counter('balloonFreePagesGiven')).toBe(0);
    expect(f.cache![GC_WRITEBACKS]).toBe(10);
    expect(f.cache![GC_DROPS]).toBe(21);
    expect(f.cache![GC_MISSES]).toBe(81);
    expect(f.cache![GC_PAGES]).toBe(50);
    expect(f.stats[VS_GUEST_RESIDENT]).toBe(70);
    expect(f.stats[VS_MAPPED]).toBe(70);
    expect(f.stats[VS_GUEST_PAGE_OUTS]).toBe(0);
    expect(f.stats[VS_STALL_NS]).toBe(10 * 5000);
    // Ids: 0–19 anon (all kept), 20–99 blocks 200–279: 200 back, 201–230 out, 231–279 kept.
    for (let p = 0; p < 20; p++) expect(e.host.frameOf(p)).toBeGreaterThanOrEqual(0);
    expect(e.host.frameOf(20)).toBeGreaterThanOrEqual(0);
    for (let p = 21; p <= 50; p++) expect(e.host.flags(p) & PAGE_GUEST_PAGED).toBe(PAGE_GUEST_PAGED);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('with a storage device, misses read the block from it: on first touch and after a drop', async () => {
    // storage.device nvme: a 4 KiB read waits 4096 B / 3.5 B/ns + 80 µs = 81170.29 ns (the device
    // is idle at every read here). A guest of 1 page reads blocks 100, 101, 100:
    //   R 100: 1001 + 81170.29 + 100; R 101: the same, and the guest drops 100 (clean, no stall);
    //   R 100: a re-read through the fault path's major fault (1000) + 81170.29, drops 101; + 100.
    const read = 4096 / 3.5 + 80000;
    const e = vmEngine({
      vms: 1,
      localPages: 10,
      cxlPages: 10,
      sets: { ...CACHE, 'vm.memMiB': pagesMiB(1), 'storage.device': 'nvme' },
      perCpu: [[[0, 100, 'R'], [0, 101, 'R'], [0, 100, 'R']]],
    });
    const res = await e.run();
    expect(res.simTimeNs).toBeCloseTo(3 * read + 2 * (1001 + 100) + 1000 + 100, 3);
    expect(Array.from(res.vm!.final.cache!)).toEqual([1, 3, 2, 0]);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('rejects a malformed vm.guestCachePages, naming the key', () => {
    expect(() => vmEngine({ vms: 1, localPages: 10, cxlPages: 10, sets: { 'vm.guestCachePages': '300-200' }, perCpu: [touch(0, 0, 1)] })).toThrow(/vm\.guestCachePages/);
  });
});

describe('vms workload with a file set', () => {
  it('a guest with room for its file set reads each block from disk once and reports the cache columns', async () => {
    // 100 memory pages + 50 file blocks in a guest of 256 pages: nothing is reclaimed. 4000 accesses
    // after boot, half to the file set: a block is never touched with probability (49/50)^2000 ≈ 3e-18,
    // so every block misses exactly once.
    const { config } = resolveConfig({
      sets: { 'machine.tiers.0.capacityGiB': (256 * 4096) / 1024 ** 3, 'machine.tiers.1.capacityGiB': (256 * 4096) / 1024 ** 3, 'vm.memMiB': 1, 'vm.count': 1 },
      flags: { policy: 'first-touch', workload: 'vms:count=1,pages=100,os=0.2,zero=0,accesses=4000,osShare=0.3,file=50,fileShare=0.5,fileWrite=0.3,gapNs=1000' },
    });
    const { engine, result, tiers } = await runSimulation(config);
    expect(engine.checkInvariants()).toEqual([]);
    const c = result.vm!.final.cache!;
    expect([c[GC_PAGES], c[GC_MISSES], c[GC_DROPS], c[GC_WRITEBACKS]]).toEqual([50, 50, 0, 0]);
    const row = summaryRow(config, tiers, result);
    expect(row.vm0CachePages).toBe(50);
    expect(row.vm0CacheMisses).toBe(50);
  });
});
