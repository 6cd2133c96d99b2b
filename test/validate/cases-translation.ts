// Validation cases for address translation (issue 17; sim/tlb.ts, README "Address translation"):
// expected values derived by hand from set-associative LRU and from the tiers' latencies, on
// workloads stated here. Every run has tlb.enabled; the CPU model is the default preset's
// (golden-cove: L1 4 KiB dTLB 96 entries, 6-way = 16 sets; STLB 2048 entries, 16-way).

import type { ValidationCase } from './case.ts';
import { fmt, verdict } from './case.ts';

/** A cyclic sequential scan over `pages` 4 KiB pages, `passes` times, one access per page. */
const scan = (pages: number, passes: number) => `scan:pages=${pages},accesses=${pages * passes},lines=1,write=0,gapNs=100`;

/** Idle latencies only (no queueing), so a walk read costs exactly the page-table tier's latency. */
const FLAT = { 'tlb.enabled': true, 'machine.queueFactor': 0 };

export const TRANSLATION_CASES: ValidationCase[] = [
  {
    id: 'tlb-stride-lru',
    title: 'A cyclic scan misses the L1 dTLB exactly as set-associative LRU predicts',
    group: 'translation',
    source: 'derivation: 96 entries, 6-way = 16 sets; consecutive pages fill the sets in turn, so N pages put N/16 in each set; LRU keeps a set of ≤ 6 pages after the first pass and misses every access of a set with 7 or more',
    expected: '10 passes over 96 pages: 96 L1 misses (cold only); over 112 pages: 1120 (every access)',
    tolerance: 'exact',
    fast: true,
    async run(ctx) {
      const fit = await ctx.sim({ workload: scan(96, 10) }, FLAT);
      const over = await ctx.sim({ workload: scan(112, 10) }, FLAT);
      const a = fit.row.tlbL1Misses as number;
      const b = over.row.tlbL1Misses as number;
      return {
        measured: `L1 dTLB misses: 96 pages ${a}, 112 pages ${b}`,
        ...verdict(a === 96 && b === 1120, 'LRU per set, 16 sets of 6 ways, as derived', 'the TLB arrays do not behave as set-associative LRU over the vpn'),
      };
    },
  },
  {
    id: 'tlb-huge-pages-cold-walks',
    title: 'With 2 MiB pages that fit the STLB only cold misses walk',
    group: 'translation',
    source: 'derivation: 1 GiB of 2 MiB pages = 512 entries ≤ 2048 STLB entries (16-way: 512 consecutive pages put 4 in each of 128 sets), so after the first touch of each page every translation hits the STLB',
    expected: 'the default hot-set workload (1 GiB), 2 M accesses: 512 page walks',
    tolerance: 'exact',
    fast: true,
    async run(ctx) {
      const r = await ctx.sim({ pageSizeKiB: 2048 }, { ...FLAT, 'run.maxAccesses': 2_000_000 });
      const walks = r.row.tlbL2Misses as number;
      return {
        measured: `${walks} walks, ${r.row.tlbL1Misses} L1 misses over 2 M accesses`,
        ...verdict(walks === 512, 'one cold walk per huge page', 'walks beyond the cold misses: STLB entries are lost (shootdowns?) or the 2 MiB class is not shared with the STLB'),
      };
    },
  },
  {
    id: 'tlb-page-tables-on-cxl',
    title: 'Page tables on CXL make every walk read cost CXL latency',
    group: 'translation',
    source: 'derivation: with no cached page-table lines (tlb.ptCacheLines = 0) and no queueing, each walk read costs the page-table tier\'s idle read latency: ddr5-cxl preset DRAM 100 ns, CXL 180 ns',
    expected: 'walk time with page tables on CXL / in DRAM = 180 / 100 = 1.8, on the same walks',
    tolerance: '±0.1 %',
    fast: true,
    async run(ctx) {
      const sets = { ...FLAT, 'tlb.ptCacheLines': 0 };
      const dram = await ctx.sim({ workload: scan(4096, 3) }, { ...sets, 'tlb.pageTableTier': 0 });
      const cxl = await ctx.sim({ workload: scan(4096, 3) }, { ...sets, 'tlb.pageTableTier': 1 });
      const ratio = (cxl.row.tlbWalkNs as number) / (dram.row.tlbWalkNs as number);
      const same = dram.row.tlbWalkReads === cxl.row.tlbWalkReads;
      return {
        measured: `walk reads ${dram.row.tlbWalkReads} / ${cxl.row.tlbWalkReads}; walk time ${fmt((dram.row.tlbWalkNs as number) / 1e6)} ms in DRAM, ${fmt((cxl.row.tlbWalkNs as number) / 1e6)} ms on CXL: ×${fmt(ratio, 4)}`,
        ...verdict(same && Math.abs(ratio - 1.8) <= 0.0018, 'walk reads priced at the page-table tier\'s latency', 'the walk cost does not follow the page-table tier'),
      };
    },
  },
];
