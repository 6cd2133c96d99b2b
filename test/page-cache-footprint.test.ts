import { describe, expect, it } from 'vitest';
import { resolveConfig, runSimulation } from '../sim/run.ts';
import { resolveTiers } from '../sim/machine.ts';
import { RegionMap, PT_ANON, PT_CACHE, PT_FILE, PT_READ_ONLY, PT_SHMEM } from '../sim/page-types.ts';

// The pre-run footprint check (sim/machine.ts resolveTiers): page cache can be dropped and read
// again from its file, so a run may touch more file-backed pages than memory holds; only the
// pages that cannot be dropped (anon, shmem) must fit.

const GIB_PER_PAGE = 4096 / 2 ** 30;

describe('RegionMap.fileBackedPages', () => {
  const map = new RegionMap([
    { vm: 0, start: 100, end: 1300, type: PT_CACHE },
    { vm: 0, start: 2000, end: 2600, type: PT_FILE | PT_READ_ONLY },
    { vm: 1, start: 0, end: 1024, type: PT_FILE },
    { vm: 0, start: 5000, end: 9000, type: PT_ANON },
    { vm: 0, start: 9000, end: 9100, type: PT_SHMEM },
  ]);

  it('counts the 4 KiB pages of file, file-ro and cache ranges only', () => {
    // 1200 + 600 + 1024; anon and shmem are swap-backed, not droppable.
    expect(map.fileBackedPages(4096)).toBe(2824);
  });

  it('counts a 2 MiB page as file-backed when its first 4 KiB page is', () => {
    // [100, 1300): pages starting at 512 and 1024 → 2; [2000, 2600): 2048 and 2560 → 2; vm 1 [0, 1024): 0 and 512 → 2.
    expect(map.fileBackedPages(2 << 20)).toBe(6);
  });
});

describe('a page cache larger than memory', () => {
  // 4000 + 16000 frames (1:4); the workload reads 30 000 page-cache pages once, then (second phase)
  // touches `anon` anon pages.
  const sets = (anon: number) => ({
    workload: `scan:pages=30000,accesses=30000,lines=1,type=cache,write=0,gapNs=200+uniform:pages=${anon},offset=30000,accesses=${anon},init=1,gapNs=200`,
    'machine.tiers.0.capacityGiB': 4000 * GIB_PER_PAGE,
    'machine.tiers.1.capacityGiB': 16000 * GIB_PER_PAGE,
    'storage.device': 'nvme',
  });

  it('is accepted when the pages that cannot be dropped fit, refused when they do not', () => {
    // Footprint 30 000 + anon; droppable 30 000, so anon ≤ 20 000 fits and 20 001 does not.
    const fits = resolveConfig({ sets: sets(20000), flags: { policy: 'autonuma' } }).config;
    expect(resolveTiers(fits, 50000).map((t) => t.capacityFrames)).toEqual([4000, 16000]);
    const over = resolveConfig({ sets: sets(20001), flags: { policy: 'autonuma' } }).config;
    expect(() => resolveTiers(over, 50001)).toThrow(/footprint \(50001 pages of 4 KiB\) fits nowhere: the tiers hold 20000 pages in all \(dram 4000, cxl 16000\), and at most 30000 of its pages are file-backed/);
  });

  it('runs: reclaim drops clean page cache, every read is a page-cache miss, the rest stays resident', async () => {
    const { config } = resolveConfig({ sets: sets(2000), flags: { policy: 'autonuma' } });
    const out = await runSimulation(config);
    const r = out.result;
    const pc = (n: string) => r.policyCounters[r.policyCounterNames.indexOf(n)];
    const counts = out.engine.pageTypeCounts(); // [tier · 4 + type]
    const cache = counts[PT_CACHE] + counts[4 + PT_CACHE];
    const anon = counts[PT_ANON] + counts[4 + PT_ANON];
    // Each of the 30 000 pages is read once: 30 000 misses; nothing is written, so nothing is written back.
    expect(out.engine.storageStats[5]).toBe(30000); // ST_PAGE_CACHE_MISSES
    expect(pc('reclaimWrittenBack')).toBe(0);
    // Memory holds 20 000 frames, so at least 30 000 + 2 000 − 20 000 = 12 000 pages had to go; with
    // page cache to drop (swappiness 60, cache-trim mode) reclaim takes only clean file pages.
    expect(pc('reclaimDroppedClean')).toBeGreaterThanOrEqual(12000);
    expect(pc('reclaimSwapped')).toBe(0);
    expect(anon).toBe(2000);
    expect(cache + pc('reclaimDroppedClean')).toBe(30000);
    expect(out.engine.checkInvariants()).toEqual([]);
  }, 60_000);
});
