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
 * FILL, then 20 ms of accesses to its first page (2000, 10 µs apart; still before the first scan):
 * time for kswapd, a thread that reclaims at its own pace, to finish the run the fill started.
 */
const FILL_THEN_IDLE = `${FILL}+scan:pages=1,lines=1,accesses=2000,gapNs=10000`;

/**
 * A hot set on the slow tier, hint-faulted continuously: 64 Ki pages, 10 % hot at the middle of the
 * table (so the initialisation pass leaves it on CXL at 1:4), 1 µs of compute per access (≈ 4.5 s).
 */
const HOT_ON_CXL = 'hotset:pages=64Ki,hot=0.1,hotShare=0.9,accesses=4M,write=0.25,gapNs=1000';
/**
 * NUMA balancing for the controller cases: scan_period_max 1000 ms (the threshold period) and a
 * first scan at 1500 ms, so that the first candidate comes more than one period after the
 * controller's start (time 0): it opens the first rate-limit window, as in a kernel whose
 * jiffies are far from 0, and meets the first threshold adjustment with no candidate counted yet.
 */
const CONTROLLER = { 'policy.numa-tiering.scanPeriodMaxMs': 1000, 'policy.numa-tiering.scanDelayMs': 1500 };

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
      'which demotes until free > 1538. kswapd is a thread slower than this allocator (a demotion costs a few µs, a first touch about one), so during the fill node 0 ' +
      'falls to low and allocation spills to node 1; 20 ms of accesses to one page after the fill let it finish: node 0 then has ≈ 1538 free pages.',
    tolerance: '+0 … +32 pages (one SWAP_CLUSTER_MAX reclaim batch of overshoot), −1',
    fast: true,
    async run(ctx) {
      const r = await ctx.sim({ policy: 'tpp', workload: FILL_THEN_IDLE }, SMALL_MACHINE);
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
      'Every scan_period_max (1000 ms here), at a candidate: ref = rate limit 1 MB/s · 1 s = 256 pages. The first adjustment comes with the first candidate (first scan at 1500 ms), ' +
      'which has none before it: 0 < 0.9 · 256, th = 1000 + 125. Every later period has thousands (a hot set on CXL): th −= 2 · 1000 / 16 = 125, floor 125. ' +
      'After k adjustments th = max(125, 1125 − 125 (k − 1)).',
    tolerance: 'exact',
    fast: true,
    async run(ctx) {
      const r = await ctx.sim({ policy: 'numa-tiering', workload: HOT_ON_CXL }, { ...CONTROLLER, 'policy.numa-tiering.promoteRateLimitMBps': 1 });
      const k = counter(r, 'hotThresholdAdjusts');
      const th = kernelOf(r.engine).promo.threshold(1000);
      const want = Math.max(125, 1125 - 125 * (k - 1));
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
    expected: 'Default rate limit 65536 MB/s (ref = 16.8 M pages per 1 s period, never reached; first scan at 1500 ms, scan_period_max 1000 ms): th += 125 ms per adjustment, ceiling 2 · 1000: th = min(2000, 1000 + 125 k).',
    tolerance: 'exact',
    fast: true,
    async run(ctx) {
      const r = await ctx.sim({ policy: 'numa-tiering', workload: HOT_ON_CXL }, CONTROLLER);
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
      '(count − base) ≥ rate_limit: 256 pass per window at 1 MB/s. Candidates far above that (a hot set on CXL; node 0 < 1 GiB, so the free-space bypass never applies); ' +
      'the first (scan at 1500 ms) opens the first window; windows = ⌈(end − first candidate) / 1.001 s⌉; candidates let through = 256 · windows.',
    tolerance: 'exact',
    fast: true,
    async run(ctx) {
      const r = await ctx.sim({ policy: 'numa-tiering', workload: HOT_ON_CXL }, { ...CONTROLLER, 'policy.numa-tiering.promoteRateLimitMBps': 1 });
      // Candidates the limit let through (promoted, or refused later for lack of room on node 0).
      const passed = counter(r, 'promoteCandidates') - counter(r, 'promoteRateLimited');
      // First candidate: the end of the first 10 ms epoch with a candidate, less one epoch.
      const idx = r.result.policyCounterNames.indexOf('promoteCandidates');
      const first = r.result.epochs.find((e) => e.policyCounters[idx] > 0);
      const firstMs = first ? first.endMs - 10 : NaN;
      const endMs = r.result.simTimeNs / 1e6;
      const windows = Math.ceil((endMs - firstMs) / 1001);
      const want = 256 * windows;
      return {
        measured: `${passed} candidates let through between ${firstMs.toFixed(0)} and ${endMs.toFixed(0)} ms (${windows} windows; ${counter(r, 'promoteSuccess')} promoted, ${counter(r, 'promoteNoRoom')} found no room), ${counter(r, 'promoteRateLimited')} refused`,
        ...verdict(passed === want, `${want} as the rule gives`, `expected ${want}: the window or the count differs from the kernel's`),
      };
    },
  },
];

/**
 * Steady-state hint-fault and promotion rates of NUMA balancing in tiering mode, derived from the
 * scan rules (kernel/sched/fair.c task_numa_work, task_scan_min/max, should_numa_migrate_memory;
 * mm/mprotect.c change_pte_range) on a setup where they can be worked by hand:
 *
 * - 64 Ki pages (256 MiB), scan_size 256 MB ⇒ one scan window; scan_period_min = max = 1000 ms
 *   ⇒ task_scan_min = max(1000 / (2560/256), 1000 / 1) = 1000 = task_scan_max: a pass every 1 s
 *   whatever update_task_scan_period decides, covering every slow-tier page (fast-tier pages are
 *   not marked in tiering mode; an armed page is skipped and keeps its stamp).
 * - Hot set (10 %, 90 % of accesses) in node 0 once promoted; the slow tier holds N cold pages,
 *   N = 65536 − node 0's 13107 ≈ 52429, each accessed at λ = A · 0.1 / 65536 per second
 *   (Poisson), A = 10⁹ / (20000 ns gap + ≈ 55 ns) accesses/s.
 * - A page armed at a pass faults at its first access, T ~ Exp(λ) later, and is re-armed at the
 *   first pass after that: a cycle lasts ⌈T⌉ s, so faults/s = N (1 − e^(−λ)).
 * - The hot threshold is adjusted every scan_period_max (1 s here) and only rises (candidates ≪
 *   65536 MB/s): 2000 ms after 8 s. A fault is a candidate when T < 2 s: candidates/s = faults/s ·
 *   (1 − e^(−2λ)).
 * - A candidate is promoted when node 0 has more than high + 1 free; otherwise kswapd is woken
 *   and reclaims to promo = high + tmp (tmp = 24 pages here: min_free_kbytes 2148 → node 0 min
 *   97, tmp = max(97/4, 13107 · 10/10000) = 24), so tmp of every tmp + 1 succeed.
 *
 * Measured over 10–20 s (the first 10 s are warm-up).
 */
function hintRateCase(policy: string): ValidationCase {
  const A = 1e9 / (20000 + 55);
  const lambda = (A * 0.1) / 65536;
  const n = 65536 - 13107;
  const faults = n * (1 - Math.exp(-lambda));
  const cands = faults * (1 - Math.exp(-2 * lambda));
  const promos = (cands * 24) / 25;
  return {
    id: `hint-fault-rates-${policy}`,
    title: `${policy}: steady-state hint-fault and promotion rates follow from the NUMA scan rules`,
    group: 'done-when',
    source: 'kernel/sched/fair.c task_numa_work, task_scan_min / task_scan_max, should_numa_migrate_memory, numa_promotion_adjust_threshold; mm/mprotect.c change_pte_range; mm/migrate.c migrate_balanced_pgdat; derivation in test/validate/cases-kernel.ts',
    expected: `1 s scan period pinned (scan_period_min = max = 1000 ms, one 256 MB window), N = ${n} cold slow-tier pages at λ = ${lambda.toFixed(4)}/s each: hint faults N (1 − e^−λ) = ${faults.toFixed(0)}/s; promotions · (1 − e^−2λ) · 24/25 = ${promos.toFixed(0)}/s`,
    tolerance: '± 10 % each',
    fast: true,
    async run(ctx) {
      const sets = { [`policy.${policy}.scanPeriodMinMs`]: 1000, [`policy.${policy}.scanPeriodMaxMs`]: 1000, 'run.warmupMs': 10000 };
      const r = await ctx.sim({ policy, workload: 'hotset:pages=64Ki,hot=0.1,hotShare=0.9,accesses=1M,write=0.25,gapNs=20000' }, sets);
      const s = (r.row.simTimeNs as number) / 1e9;
      const f = (r.row.hintFaults as number) / s;
      const p = (r.row.promotedPages as number) / s;
      const ok = Math.abs(f / faults - 1) <= 0.1 && Math.abs(p / promos - 1) <= 0.1;
      return {
        measured: `${f.toFixed(0)} hint faults/s, ${p.toFixed(0)} promotions/s over ${s.toFixed(1)} s (local share ${(100 * (r.row.localShare as number)).toFixed(1)} %)`,
        ...verdict(ok, 'both within 10 % of the derivation', 'off by more than 10 %: the slow tier holds more than the cold pages (hot pages demoted by kswapd, whose LRU aging is not the kernel\'s, come back through hint faults), or the scanner marks differently'),
      };
    },
  };
}

KERNEL_CASES.push(hintRateCase('numa-tiering'), hintRateCase('mglru'));
