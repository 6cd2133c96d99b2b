// Kernel rules derived by hand from the code, each run on a setup where the rule decides what
// tiersim reports.

import type { ValidationCase } from './case.ts';
import { counter, kernelOf, verdict } from './case.ts';

const GiB = 2 ** 30;
const PAGE = 4096;

/** 256 MiB local + 1 GiB CXL: 65536 + 262144 pages of 4 KiB. */
const SMALL_MACHINE = { 'machine.tiers.0.capacityGiB': (65536 * PAGE) / GiB, 'machine.tiers.1.capacityGiB': (262144 * PAGE) / GiB };
/** 100 000 pages touched once each, in address order, well before the first NUMA scan (1 s). */
const FILL = 'scan:pages=100000,lines=1,accesses=100000';

/**
 * A hot set on the slow tier, hint-faulted continuously: 64 Ki pages, 10 % hot at the middle of the
 * table (so the initialisation pass leaves it on CXL at 1:4), 1 µs of compute per access (≈ 4.5 s).
 */
const HOT_ON_CXL = 'hotset:pages=64Ki,hot=0.1,hotShare=0.9,accesses=4M,write=0.25,gapNs=1000';

export const KERNEL_CASES: ValidationCase[] = [
  {
    id: 'kernel-watermark-low',
    title: 'Allocation stops at node 0\'s low watermark, from min_free_kbytes',
    group: 'kernel',
    source: 'mm/page_alloc.c calculate_min_free_kbytes, __setup_per_zone_wmarks; get_page_from_freelist (zone_watermark_ok)',
    expected:
      'Nodes of 65536 and 262144 pages: min_free_kbytes = int_sqrt(16 · 1310720 kB) = 4579 kB → 1144 pages; node 0 min = 1144 · 65536 / 327680 = 228; ' +
      'tmp = max(228/4, 65536 · 10/10000) = 65; low = 293. Allocation takes node 0 while free > low, so after filling 100000 pages node 0 holds 65536 − 293 = 65243 (numa-tiering, before any scan).',
    tolerance: 'exact (0 pages)',
    fast: true,
    async run(ctx) {
      const r = await ctx.sim({ policy: 'numa-tiering', workload: FILL }, SMALL_MACHINE);
      const used = r.row.tier0Pages as number;
      return { measured: `node 0 holds ${used} pages`, ...verdict(used === 65243, 'the allocator stops at the low watermark derived by hand', `expected 65243: the watermark arithmetic or the allocation rule differs from the kernel's`) };
    },
  },
  {
    id: 'kernel-tpp-demote-watermark',
    title: 'TPP keeps node 0 free down to its demotion watermark (2 % above min)',
    group: 'kernel',
    source: 'TPP lkml RFC "Decouple reclaim and allocation for toptier nodes" (demote_scale_factor = 200); mm/page_alloc.c watermarks as above',
    expected:
      'WMARK_DEMOTE = min + 65536 · 200/10000 = 228 + 1310 = 1538 pages. Allocation still uses low (293), but each one that leaves node 0 below 1538 wakes kswapd, ' +
      'which demotes until free > 1538: after the fill node 0 has ≈ 1538 free pages.',
    tolerance: '+0 … +32 pages (one SWAP_CLUSTER_MAX reclaim batch of overshoot), −1',
    fast: true,
    async run(ctx) {
      const r = await ctx.sim({ policy: 'tpp', workload: FILL }, SMALL_MACHINE);
      const free = 65536 - (r.row.tier0Pages as number);
      return { measured: `node 0 has ${free} free pages (${counter(r, 'kswapdRuns')} kswapd runs)`, ...verdict(free >= 1537 && free <= 1538 + 32, 'kswapd keeps the decoupled demotion watermark free', `expected ≈ 1538 free: kswapd's target or its batch differs`) };
    },
  },
  {
    id: 'kernel-threshold-down',
    title: 'Hot-threshold controller lowers the threshold by 125 ms per period when candidates exceed 110 % of the rate limit',
    group: 'kernel',
    source: 'kernel/sched/fair.c numa_promotion_adjust_threshold (NUMA_MIGRATION_ADJUST_STEPS 16)',
    expected:
      'Every scan_period_max (set to 1000 ms here), with rate limit 1 MB/s (ref = 256 candidate pages per period) and a hot set on CXL that yields far more: ' +
      'th −= 2 · 1000 / 16 = 125 ms per adjustment, floor 125: after k adjustments th = max(125, 1000 − 125 k).',
    tolerance: 'exact',
    fast: true,
    async run(ctx) {
      const r = await ctx.sim({ policy: 'numa-tiering', workload: HOT_ON_CXL }, { 'policy.numa-tiering.scanPeriodMaxMs': 1000, 'policy.numa-tiering.promoteRateLimitMBps': 1 });
      const k = counter(r, 'hotThresholdAdjusts');
      const th = kernelOf(r.engine).promo.threshold(1000);
      const want = Math.max(125, 1000 - 125 * k);
      return {
        measured: `${k} adjustments, threshold ${th} ms, ${counter(r, 'promoteCandidates')} candidates`,
        ...verdict(k >= 2 && th === want, `th = ${want} ms as the rule gives`, k < 2 ? 'fewer than 2 adjustments: the run does not exercise the rule' : `expected ${want} ms`),
      };
    },
  },
  {
    id: 'kernel-threshold-up',
    title: 'Hot-threshold controller raises the threshold by 125 ms per period when candidates fall under 90 % of the rate limit',
    group: 'kernel',
    source: 'kernel/sched/fair.c numa_promotion_adjust_threshold',
    expected: 'Default rate limit 65536 MB/s (ref = 16.8 M pages per 1 s period, never reached): th += 125 ms per adjustment, ceiling 2 · 1000: th = min(2000, 1000 + 125 k).',
    tolerance: 'exact',
    fast: true,
    async run(ctx) {
      const r = await ctx.sim({ policy: 'numa-tiering', workload: HOT_ON_CXL }, { 'policy.numa-tiering.scanPeriodMaxMs': 1000 });
      const k = counter(r, 'hotThresholdAdjusts');
      const th = kernelOf(r.engine).promo.threshold(1000);
      const want = Math.min(2000, 1000 + 125 * k);
      return { measured: `${k} adjustments, threshold ${th} ms`, ...verdict(k >= 2 && th === want, `th = ${want} ms as the rule gives`, k < 2 ? 'fewer than 2 adjustments: the run does not exercise the rule' : `expected ${want} ms`) };
    },
  },
  {
    id: 'kernel-rate-limit',
    title: 'Promotion rate limit: at most rate_limit candidates promoted per 1 s window',
    group: 'kernel',
    source: 'kernel/sched/fair.c numa_promotion_rate_limit',
    expected:
      'A window starts at the first candidate more than 1000 ms after the last start, with that candidate as its base; candidates are refused once ' +
      '(count − base) ≥ rate_limit. With 1 MB/s = 256 pages and candidates far above that (node 0 < 1 GiB, so the free-space bypass never applies), ' +
      'promotions = 256 per window, windows = ⌈(end − first candidate) / 1.001 s⌉.',
    tolerance: '± 256 pages (one window at the edges)',
    fast: true,
    async run(ctx) {
      const r = await ctx.sim({ policy: 'numa-tiering', workload: HOT_ON_CXL }, { 'policy.numa-tiering.scanPeriodMaxMs': 1000, 'policy.numa-tiering.promoteRateLimitMBps': 1 });
      const promoted = counter(r, 'promoteSuccess');
      // First candidate: the end of the first 10 ms epoch with a candidate, less one epoch.
      const idx = r.result.policyCounterNames.indexOf('promoteCandidates');
      const first = r.result.epochs.find((e) => e.policyCounters[idx] > 0);
      const firstMs = first ? first.endMs - 10 : NaN;
      const endMs = r.result.simTimeNs / 1e6;
      const windows = Math.ceil((endMs - firstMs) / 1001);
      const want = 256 * windows;
      return {
        measured: `${promoted} pages promoted between ${firstMs.toFixed(0)} and ${endMs.toFixed(0)} ms (${windows} windows), ${counter(r, 'promoteRateLimited')} candidates refused`,
        ...verdict(Math.abs(promoted - want) <= 256, `≈ ${want} as the rule gives`, `expected ${want} ± 256: the window or the count differs, or promotions failed for lack of room (promoteNoRoom ${counter(r, 'promoteNoRoom')})`),
      };
    },
  },
];
