// Published tiering results (TPP, HeMem) and issue 13's "Done when" criteria on a long hot-set
// workload whose hot set fits tier 0.

import type { Ctx, SimRun, ValidationCase } from './case.ts';
import { fmt, pct, verdict } from './case.ts';
import * as S from '../../sim/stats.ts';

/**
 * Issue 13's long, memory-bound hot-set run: 1 GiB table (256 Ki pages), 10 % hot set with 90 % of
 * accesses, 60 M accesses 50 ns apart (≈ 7–10 s simulated); the first 5 s are warm-up.
 */
export const LONG = 'hotset:pages=256Ki,hot=0.1,hotShare=0.9,accesses=60M,write=0.25,gapNs=50';
/**
 * Where the hot set starts (hotAt, a share of the table): past the share first touch fills from
 * DRAM (1/(1+4) = 20 % at 1:4, 2/(2+1) ≈ 67 % at 2:1), so first-touch leaves it on CXL — the intent
 * of hotset's default 0.5 ("so first-touch does not get it local by luck"), which holds at 1:4 but
 * at 2:1 would put the whole hot set in DRAM by address order and make default placement optimal.
 */
const hotAt = (ratio: string): string => (ratio === '2:1' ? ',hotAt=0.8' : '');
const WARMUP_MS = 5000;
const RATIOS = ['1:4', '2:1'] as const;
/**
 * LONG run long enough for NUMA balancing to settle: in tiering mode the scan period doubles every
 * scan sequence and reaches task_scan_max (15 s, 4 windows) about 64 s after the first scan; 1100 M
 * accesses at LONG's ≈ 8.8 M/s of simulated time last ≈ 125 s. About 10 minutes of wall time.
 */
const SETTLED = 'hotset:pages=256Ki,hot=0.1,hotShare=0.9,accesses=1100M,write=0.25,gapNs=50';
const SETTLED_WARMUP_MS = 70000;

function settled(ctx: Ctx, ratio: string, sets: Record<string, unknown> = {}): Promise<SimRun> {
  return ctx.sim({ policy: 'tpp', workload: SETTLED + hotAt(ratio), 'machine.ratio': ratio, pageSizeKiB: 4, 'run.warmupMs': SETTLED_WARMUP_MS, 'stats.epochMs': 5000 }, sets);
}
const HINT_POLICIES = ['numa-tiering', 'tpp', 'mglru'];
/** Sampling policies run on 2 MiB pages, as Memtis and HeMem manage memory. */
const SAMPLING_POLICIES = ['memtis', 'hemem'];

function long(ctx: Ctx, policy: string, ratio: string, huge = false, sets: Record<string, unknown> = {}): Promise<SimRun> {
  return ctx.sim({ policy, workload: LONG + hotAt(ratio), 'machine.ratio': ratio, pageSizeKiB: huge ? 2048 : 4, 'run.warmupMs': WARMUP_MS }, sets);
}

const loss = (r: SimRun) => 1 - 1 / (r.row.slowdown as number);

/** LONG's footprint (pages), hot share of accesses and hot-set share of pages. */
const LONG_PAGES = 256 * 1024;
const LONG_HOT_SHARE = 0.9;

/**
 * Why a hint-fault policy loses time on LONG, derived from the run's own counts: the best local
 * share any placement reaches (the whole hot set local, plus tier 0's share of the uniform 10 %),
 * the rate λ at which each page outside the hot set is touched (10 % of A accesses/s spread over
 * every page, Poisson), the share of a 1 s scan pass in which such a page is touched (1 − e^−λ),
 * and what the hint faults cost at the model's cost.hintFaultNs [estimate].
 */
function coldTail(r: SimRun): { ideal: number; lambda: number; perPass: number; faultsPerS: number; faultShare: number; promosPerS: number; steadyFaultsPerS: number } {
  const s = (r.row.simTimeNs as number) / 1e9;
  const tier0 = (r.row.tier0CapacityPages as number) / LONG_PAGES;
  const lambda = (((r.row.accesses as number) / s) * (1 - LONG_HOT_SHARE)) / LONG_PAGES;
  const faultsPerS = (r.row.hintFaults as number) / s;
  return {
    ideal: LONG_HOT_SHARE + (1 - LONG_HOT_SHARE) * tier0,
    lambda,
    perPass: 1 - Math.exp(-lambda),
    faultsPerS,
    faultShare: (faultsPerS * (r.config['cost.hintFaultNs'] as number)) / 1e9,
    promosPerS: (r.row.promotedPages as number) / s,
    // Steady state: every slow-tier page armed once per 60 s pass, faulting if touched within it.
    steadyFaultsPerS: ((LONG_PAGES - (r.row.tier0CapacityPages as number)) * (1 - Math.exp(-60 * lambda))) / 60,
  };
}

/** The common reason the TPP cases fail on LONG (see coldTail). */
function coldTailWhy(r: SimRun): string {
  const c = coldTail(r);
  return (
    `the placement is right — local share ${pct(r.row.localShare as number)} against ${pct(c.ideal)} for the whole hot set local — and the loss is the cost of keeping it: ` +
    `the pages outside the hot set are not cold at the scanner's time scale (each is touched λ = ${fmt(c.lambda, 2)}/s, so in at least ${pct(c.perPass)} of scan passes, which last 1 s or more), ` +
    `so each slow-tier page takes a hint fault on nearly every pass: ${fmt(c.faultsPerS / 1000, 1)} k faults/s × cost.hintFaultNs ${r.config['cost.hintFaultNs']} ns [estimate] = ${pct(c.faultShare)} of the run, ` +
    `plus ${fmt(c.promosPerS / 1000, 1)} k synchronous promotions/s of such pages, which kswapd demotes again (churn). ` +
    `And the run ends ${fmt(((r.row.simTimeNs as number) + r.result.measuredFromNs) / 1e9, 1)} s in, while the scan period is still doubling: in tiering mode the only faults recorded are promotions, counted remote ` +
    '(TNF_FAULT_LOCAL is the page\'s node before the move) and private, so every update_task_scan_period doubles the period ' +
    `(${r.row['policy.numaScanPeriodUpdates']} doubling(s) in the measured window) up to task_scan_max = 60 s / ${SCAN_WINDOWS} windows = ${60 / SCAN_WINDOWS} s, ≈ 64 s into the run. ` +
    `Derived for that steady state (a pass every 60 s): ${fmt(c.steadyFaultsPerS / 1000, 1)} k hint faults/s (${pct((c.steadyFaultsPerS * (r.config['cost.hintFaultNs'] as number)) / 1e9)} of the run) ` +
    `and at most a third as many promotions (TPP's gate promotes a page at its third hint fault), ${fmt((c.steadyFaultsPerS / 3) * 4096 / 2 ** 20, 1)} MB/s — measured once settled in the tpp-settled cases. ` +
    'The paper\'s production workloads also have a tail that stays cold for minutes; this synthetic one does not. No cost was tuned to pass'
  );
}

/** ⌈LONG's RSS / scan_size⌉ = 1 GiB / 256 MB: the scanner's windows (task_nr_scan_windows). */
const SCAN_WINDOWS = 4;

function chartRow(ctx: Ctx, r: SimRun, policy: string, ratio: string): void {
  if (ctx.series.get(`long-hotset-${ratio.replace(':', 'to')}`)?.rows.some((row) => row.policy === policy)) return; // shared run, already charted
  ctx.addSeries(`long-hotset-${ratio.replace(':', 'to')}`, { title: `Long hot-set run at ${ratio} (after a ${WARMUP_MS / 1000} s warm-up): slowdown vs all-local`, x: 'policy', y: 'slowdown' }, [
    { policy, slowdown: r.row.slowdown as number, localShare: r.row.localShare as number },
  ]);
}

function tppCloseCase(ratio: string, paperLoss: number, paperText: string): ValidationCase {
  return {
    id: `tpp-close-to-all-local-${ratio.replace(':', 'to')}`,
    title: `TPP at local:CXL = ${ratio} runs close to all-local on a hot anon set`,
    group: 'tpp',
    source: `TPP (Maruf et al. ASPLOS'23) via FACTS.md §1: ${paperText}`,
    expected: `throughput loss vs all-local ≤ ${pct(paperLoss)} on the long hot-set run (loss = 1 − 1/slowdown after a ${WARMUP_MS / 1000} s warm-up)`,
    tolerance: '+2 percentage points',
    fast: false,
    async run(ctx) {
      const r = await long(ctx, 'tpp', ratio);
      chartRow(ctx, r, 'tpp', ratio);
      const l = loss(r);
      return {
        measured: `loss ${pct(l)} (slowdown ${fmt(r.row.slowdown as number)}), local share ${pct(r.row.localShare as number)}, ${r.row.hintFaults} hint faults, stalls ${fmt((r.row.stallNs as number) / 1e9)} s of ${fmt((r.row.simTimeNs as number) / 1e9)} s`,
        ...verdict(l <= paperLoss + 0.02, 'within the paper\'s figure', coldTailWhy(r)),
      };
    },
  };
}

/**
 * TPP on LONG once NUMA balancing has settled (SETTLED, measured after SETTLED_WARMUP_MS): the
 * hint-fault rate derived from the scan rules, the paper's loss and (at 1:4, where the case that
 * quotes it runs) its promotion range.
 */
function settledCase(ratio: string, paperLoss: number, promoRange: boolean): ValidationCase {
  return {
    id: `tpp-settled-${ratio.replace(':', 'to')}`,
    title: `TPP at ${ratio} once NUMA balancing has settled: hint-fault rate from the scan rules${promoRange ? ', promotions in the paper\'s range' : ''}, loss near the paper\'s`,
    group: 'tpp',
    source:
      'kernel/sched/fair.c task_numa_fault, update_task_scan_period, task_scan_max (tiering mode doubles the period every sequence up to 60 s / 4 windows = 15 s, ≈ 64 s after the first scan); ' +
      `TPP ASPLOS'23 via FACTS.md §1 (${ratio === '1:4' ? '5 % loss at 1:4' : '99.5 % of all-local throughput at 2:1'})${promoRange ? ' and as quoted in issue 13 (4–16 MB/s of promotions in steady state, the 1:4 case of tpp-promotion-rate)' : ''}`,
    expected:
      `LONG with 1100 M accesses (≈ 125 s), measured after a ${SETTLED_WARMUP_MS / 1000} s warm-up: a scan pass every 4 × 15 s = 60 s marks each of the N = 262144 − tier-0 pages once; ` +
      `a page outside the hot set is touched at λ = 10 % of the access rate / 262144 per second, so hint faults/s = N (1 − e^(−60 λ)) / 60;${promoRange ? ' promotions 4–16 MB/s;' : ''} loss ≤ ${pct(paperLoss)} + 2 points`,
    tolerance: `hint faults ± 20 % (the measured window holds 3 or 4 of the 15 s scans)${promoRange ? '; promotions in the range' : ''}; loss ≤ ${pct(paperLoss + 0.02)}`,
    fast: false,
    async run(ctx) {
      const r = await settled(ctx, ratio);
      const c = coldTail(r);
      const mbps = (c.promosPerS * 4096) / 2 ** 20;
      const okFaults = Math.abs(c.faultsPerS / c.steadyFaultsPerS - 1) <= 0.2;
      const okPromo = !promoRange || (mbps >= 4 && mbps <= 16);
      const okLoss = loss(r) <= paperLoss + 0.02;
      const why: string[] = [];
      if (!okFaults) why.push(`hint faults ${fmt(c.faultsPerS / c.steadyFaultsPerS, 2)}× the derivation: the scan period has not settled at task_scan_max, or the scanner marks differently`);
      if (!okPromo) why.push(`promotions ${fmt(mbps, 1)} MB/s outside 4–16: with the gate a tail page arriving on the slow node inactive promotes at its third hint fault (the first sets PG_referenced, the second activates it), so at most about a third of the faults promote when the tail is touched on every pass — ${fmt((100 * (r.row.promotedPages as number)) / Math.max(1, r.row.hintFaults as number), 0)} % here, fewer while the gate's three-pass cycle is still in waves (see tpp-active-lru-gate)`);
      if (!okLoss) why.push(`loss ${pct(loss(r))}: CXL accesses of the tail and the remaining faults and promotions cost more than the paper's ${pct(paperLoss)}`);
      return {
        measured:
          `${fmt(c.faultsPerS / 1000, 2)} k hint faults/s (derived ${fmt(c.steadyFaultsPerS / 1000, 2)} k), ${fmt(mbps, 1)} MB/s promoted, loss ${pct(loss(r))} (slowdown ${fmt(r.row.slowdown as number)}), ` +
          `local share ${pct(r.row.localShare as number)}, over ${fmt((r.row.simTimeNs as number) / 1e9, 1)} s from ${fmt(r.result.measuredFromNs / 1e9, 0)} s`,
        ...verdict(okFaults && okPromo && okLoss, `settled TPP matches the scan rules and the paper's ${promoRange ? 'promotion rate and ' : ''}loss`, why.join('; ')),
      };
    },
  };
}

export const TIERING_CASES: ValidationCase[] = [
  tppCloseCase('1:4', 0.05, 'Meta cache app at 1:4, throughput loss 5 % with TPP (18 % default)'),
  tppCloseCase('2:1', 0.005, 'Web1 at 2:1, 99.5 % of all-local throughput'),
  settledCase('1:4', 0.05, true),
  settledCase('2:1', 0.005, false),
  {
    id: 'tpp-default-behind-1to4',
    title: 'Default placement is well behind TPP at 1:4',
    group: 'tpp',
    source: 'TPP ASPLOS\'23 via FACTS.md §1: loss 18 % default vs 5 % TPP at 1:4',
    expected: 'first-touch (Linux default local allocation) loses at least twice what TPP loses',
    tolerance: 'ratio ≥ 2',
    fast: false,
    async run(ctx) {
      const [ft, tpp] = [await long(ctx, 'first-touch', '1:4'), await long(ctx, 'tpp', '1:4')];
      chartRow(ctx, ft, 'first-touch', '1:4');
      const ratio = loss(ft) / loss(tpp);
      return {
        measured: `first-touch loss ${pct(loss(ft))}, tpp ${pct(loss(tpp))} (ratio ${fmt(ratio, 2)})`,
        ...verdict(
          ratio >= 2,
          'default placement well behind',
          `first-touch's loss is what the paper reports for default placement (18 %) or more; TPP's own is not its 5 %: its placement is right (local ${pct(tpp.row.localShare as number)}), ` +
            `its hint faults and churn on a tail that is not cold cost ${pct(coldTail(tpp).faultShare)} and more, in a run that ends before the scan period settles (see tpp-close-to-all-local-1to4)`,
        ),
      };
    },
  },
  {
    id: 'tpp-promotion-rate',
    title: 'TPP\'s steady-state promotion rate is in the paper\'s range',
    group: 'tpp',
    source: 'TPP ASPLOS\'23 as quoted in issue 13: 4–16 MB/s of promotions in steady state',
    expected: `promotions on the long hot-set run at 1:4 once NUMA balancing has settled (the tpp-settled-1to4 run, measured after ${SETTLED_WARMUP_MS / 1000} s): 4–16 MB/s`,
    tolerance: 'the range',
    fast: false,
    async run(ctx) {
      const mbpsOf = (run: SimRun) => ((run.row.promotedPages as number) * 4096) / 2 ** 20 / ((run.row.simTimeNs as number) / 1e9);
      const early = await long(ctx, 'tpp', '1:4');
      const r = await settled(ctx, '1:4');
      const mbps = mbpsOf(r);
      return {
        measured: `${fmt(mbps, 1)} MB/s (${r.row.promotedPages} pages in ${fmt((r.row.simTimeNs as number) / 1e9, 2)} s from ${fmt(r.result.measuredFromNs / 1e9, 0)} s); before settling (5–9 s) ${fmt(mbpsOf(early), 1)} MB/s`,
        ...verdict(
          mbps >= 4 && mbps <= 16,
          'in range',
          `with the active-LRU gate a slow-tier page is promoted at its third hint fault (the first only sets PG_referenced, the second activates it), so promotions approach a third of the hint faults when every slow-tier page is touched on nearly every pass: ` +
            `${fmt(coldTail(r).faultsPerS / 3000, 1)} k/s at most here, ${fmt(coldTail(r).promosPerS / 1000, 1)} k/s measured (the churn is of pages outside the hot set); ` +
            `fewer while the slow tier's pages still move through the gate's three-pass cycle in waves (see tpp-active-lru-gate); if the scan period had not settled the hint faults would exceed the derivation (see tpp-settled-1to4)`,
        ),
      };
    },
  },
  {
    id: 'tpp-active-lru-gate',
    title: 'TPP\'s active-LRU gate cuts promotions per hint fault as its rule predicts',
    group: 'tpp',
    source:
      'TPP RFC patch 5/5 "active LRU-based promotion to avoid ping-pong" (lkml 2021-11-24, mm/memory.c do_numa_page: a hint fault on a !PageActive non-toptier page calls mark_page_accessed and ends) and mm/swap.c mark_page_accessed ' +
      '(inactive: 1st call sets PG_referenced, 2nd activates). The one published factor is the TPP author\'s, for Meta workloads not described, against time-based (hint-fault latency under a hot threshold) promotion: "We find that our LRU based approach can reduce up to 11x promotion traffic while retaining the same application throughput for multiple workloads" ' +
      '(Hasan Al Maruf to Huang Ying, lkml 20211130003634.35468-1-hasanalmaruf@fb.com, on patch 5/5) — an upper bound over workloads, so this case checks the factor the rule gives on this one (case tpp-vs-numa-balancing-1to4 checks the bound against numa-tiering)',
    expected:
      `the long hot-set run at 1:4 once NUMA balancing has settled (1100 M accesses, measured after ${SETTLED_WARMUP_MS / 1000} s, as tpp-settled-1to4), with and without the gate. ` +
      'Every slow-tier page takes one hint fault per scan pass in which it is touched; a page outside the hot set is touched λ times a second (10 % of the accesses over 262144 pages), so in 1 − e^(−60 λ) ≈ 100 % of the 60 s passes. ' +
      'With the gate a page arrives on the slow node inactive and unreferenced (demoted by reclaim, which cleared PG_referenced; no reclaim runs on the slow node, which has room): two gated faults, then the third promotes — 2 gated faults per promotion. ' +
      'Without it a fault promotes when its latency from the scan is under the hot threshold (≥ 1 s): a share 1 − e^(−λ · 1 s). ' +
      'Promotions per hint fault, without ÷ with = 3 (1 − e^(−λ)) (per fault, since the two runs may hold a different number of scans in the window)',
    tolerance: 'gated faults per promotion 2 ± 10 %; the per-fault factor ± 15 %',
    fast: false,
    async run(ctx) {
      const on = await settled(ctx, '1:4');
      const off = await settled(ctx, '1:4', { 'policy.tpp.promoteActiveOnly': false });
      const perFault = (r: SimRun) => (r.row.promotedPages as number) / Math.max(1, r.row.hintFaults as number);
      const f = perFault(off) / Math.max(1e-9, perFault(on));
      const raw = (off.row.promotedPages as number) / Math.max(1, on.row.promotedPages as number);
      const gatedPerPromotion = (on.row['policy.promoteInactiveSkipped'] as number) / Math.max(1, on.row.promotedPages as number);
      const lambda = coldTail(on).lambda;
      const derived = 3 * (1 - Math.exp(-lambda));
      const okGated = Math.abs(gatedPerPromotion / 2 - 1) <= 0.1;
      const okFactor = Math.abs(f / derived - 1) <= 0.15;
      const why: string[] = [];
      if (!okGated && gatedPerPromotion > 2)
        why.push(
          `${fmt(gatedPerPromotion, 2)} gated faults per promotion, more than the steady state's 2, yet each promotion follows exactly two gated faults of its page (counted per page on a 30 M-access run at 1:4: all 153,108 promotions): the measured window holds ${on.row['policy.numaScans']} scans (a pass over the address space is ${SCAN_WINDOWS}), and the slow tier's pages are not yet spread evenly over the gate's three-pass cycle — ` +
            'they entered it together after first touch (and their demoted successors in the waves of promotions that followed), so a window of about one pass sees a phase of the wave rather than the average; the steady state needs many 60 s passes',
        );
      if (!okGated && gatedPerPromotion < 2) why.push(`${fmt(gatedPerPromotion, 2)} gated faults per promotion, fewer than 2: pages reach the slow node's active list another way (reclaim there) or arrive PG_referenced`);
      if (!okFactor) why.push(`per-fault factor ${fmt(f, 2)} against ${fmt(derived, 2)} derived, which follows: with the gate ${fmt(perFault(on), 3)} of the faults promote (1 in ${fmt(1 + gatedPerPromotion, 2)}), without it ${fmt(perFault(off), 3)} (the rest found no room on node 0, ${off.row['policy.promoteNoRoom']}, or a latency over the threshold, ${off.row['policy.promoteBelowThreshold']})`);
      return {
        measured:
          `promotions per hint fault ${fmt(perFault(off), 3)} without the gate (${off.row.promotedPages} of ${off.row.hintFaults}), ${fmt(perFault(on), 3)} with it (${on.row.promotedPages} of ${on.row.hintFaults}): ×${fmt(f, 2)} (derived ${fmt(derived, 2)}, λ = ${fmt(lambda, 2)}/s); ` +
          `${fmt(gatedPerPromotion, 2)} gated faults per promotion; promotions alone ×${fmt(raw, 2)}`,
        ...verdict(
          okGated && okFactor,
          'the gate acts as the patch\'s rule predicts: on this tail, touched on every pass, it delays each promotion by two passes instead of refusing it, a cut of about ×3; a cut like 11× needs slow-tier pages mostly touched in one pass but not in three in a row',
          why.join('; '),
        ),
      };
    },
  },
  {
    id: 'tpp-vs-numa-balancing-1to4',
    title: 'TPP\'s LRU-based promotion moves fewer pages than time-based promotion (up to 11×) at no loss of throughput',
    group: 'tpp',
    source:
      'Hasan Al Maruf to Huang Ying on the TPP RFC (lkml 20211130003634.35468-1-hasanalmaruf@fb.com), on patch 5/5 against the re-fault-time (hot threshold) promotion of Huang\'s tiering series, which became upstream mode 2 (numa-tiering): ' +
      '"We find that our LRU based approach can reduce up to 11x promotion traffic while retaining the same application throughput for multiple workloads". ' +
      'FACTS.md §1 has "Default NUMA balancing reclaims 42× slower and promotes 11× slower than TPP" [secondary/paper]: its 11× is this one read the other way round; its 42× is in neither the cover letter (cover.1637778851) nor the RFC thread, and no copy of the paper\'s text was found, so it is not checked',
    expected: `on the long hot-set run at 1:4 after the ${WARMUP_MS / 1000} s warm-up (the runs of done-beat-first-touch-1to4): numa-tiering\'s promotions ÷ tpp\'s between 1 and 11 (TPP moves fewer pages, by up to 11×), and tpp\'s slowdown no worse than numa-tiering\'s`,
    tolerance: 'promotions ÷: above 1, at most 11; slowdown: tpp ≤ numa-tiering × 1.05 ("the same throughput" [estimate])',
    fast: false,
    async run(ctx) {
      const [nt, tpp] = [await long(ctx, 'numa-tiering', '1:4'), await long(ctx, 'tpp', '1:4')];
      const cut = (nt.row.promotedPages as number) / Math.max(1, tpp.row.promotedPages as number);
      const demo = (tpp.row.demotedPages as number) / Math.max(1, nt.row.demotedPages as number);
      const [sNt, sTpp] = [nt.row.slowdown as number, tpp.row.slowdown as number];
      const okCut = cut > 1 && cut <= 11;
      const okSpeed = sTpp <= sNt * 1.05;
      const why: string[] = [];
      if (!okCut) why.push(cut <= 1 ? `TPP promotes ${fmt(1 / cut, 2)}× more pages than numa-tiering, not fewer` : `TPP promotes ${fmt(cut, 1)}× fewer pages, more than the author\'s "up to 11×"`);
      if (!okSpeed) why.push(`TPP is slower (slowdown ${fmt(sTpp)} against ${fmt(sNt)})`);
      return {
        measured:
          `promotions numa-tiering ${nt.row.promotedPages}, tpp ${tpp.row.promotedPages} (÷ ${fmt(cut, 2)}); slowdown numa-tiering ${fmt(sNt)}, tpp ${fmt(sTpp)}; ` +
          `demotions tpp ${tpp.row.demotedPages}, numa-tiering ${nt.row.demotedPages} (tpp ÷ numa-tiering ${fmt(demo, 2)}, not judged: FACTS.md\'s 42× has no source found); ` +
          `promotions that found no room on node 0: tpp ${tpp.row['policy.promoteNoRoom']}, numa-tiering ${nt.row['policy.promoteNoRoom']}`,
        ...verdict(
          okCut && okSpeed,
          'TPP promotes fewer pages than time-based promotion, within the author\'s "up to 11×", and runs no slower: its active-LRU gate lets a page of the tail through only at its third hint fault (tpp-active-lru-gate), where numa-tiering promotes any page whose hint fault comes within the hot threshold of its scan',
          why.join('; '),
        ),
      };
    },
  },
  ...RATIOS.map(
    (ratio): ValidationCase => ({
      id: `done-beat-first-touch-${ratio.replace(':', 'to')}`,
      title: `Every tiering policy beats first-touch on a long hot-set run at ${ratio}`,
      group: 'done-when',
      source: 'Issue 13 "Done when" (the hot set fits tier 0; the papers each show gains over default placement)',
      expected: `slowdown after the warm-up below first-touch's at the same page size, for ${[...HINT_POLICIES, ...SAMPLING_POLICIES].join(', ')} (memtis, hemem on 2 MiB pages); the hot set starts at ${ratio === '2:1' ? '80 %' : '50 %'} of the table, past the share first touch fills from DRAM`,
      tolerance: 'strictly below',
      fast: false,
      async run(ctx) {
        const parts: string[] = [];
        const losers: string[] = [];
        for (const huge of [false, true]) {
          const ft = await long(ctx, 'first-touch', ratio, huge);
          chartRow(ctx, ft, huge ? 'first-touch-2m' : 'first-touch', ratio);
          parts.push(`first-touch${huge ? ' (2 MiB)' : ''} ${fmt(ft.row.slowdown as number)}`);
          for (const p of huge ? SAMPLING_POLICIES : HINT_POLICIES) {
            const r = await long(ctx, p, ratio, huge);
            chartRow(ctx, r, p, ratio);
            parts.push(`${p} ${fmt(r.row.slowdown as number)}`);
            if (!((r.row.slowdown as number) < (ft.row.slowdown as number))) losers.push(p);
          }
        }
        return {
          measured: `slowdown: ${parts.join(', ')}`,
          ...verdict(losers.length === 0, 'all beat first-touch', `${losers.join(', ')} do not: their costs (hint-fault stalls, synchronous promotion, churn) outweigh the gain in the model, or first-touch already has the hot set local`),
        };
      },
    }),
  ),
  {
    id: 'done-sampling-near-all-local',
    title: 'Sampling policies come within 10 % of all-local on the long hot-set run',
    group: 'done-when',
    source: 'Issue 13 "Done when"; Memtis (SOSP\'23) and HeMem (SOSP\'21) keep a fitting hot set in DRAM',
    expected: 'slowdown ≤ 1.10 for memtis and hemem (2 MiB pages) at 1:4 and 2:1 after the warm-up',
    tolerance: '≤ 1.10',
    fast: false,
    async run(ctx) {
      const parts: string[] = [];
      let ok = true;
      for (const ratio of RATIOS) {
        for (const p of SAMPLING_POLICIES) {
          const r = await long(ctx, p, ratio, true);
          parts.push(`${p} ${ratio} ${fmt(r.row.slowdown as number)} (local ${pct(r.row.localShare as number)})`);
          ok &&= (r.row.slowdown as number) <= 1.1;
        }
      }
      return { measured: parts.join(', '), ...verdict(ok, 'within 10 %', 'a sampling policy has not moved the hot set into DRAM by the end of the warm-up, or its migrations cost too much') };
    },
  },
  {
    id: 'hemem-hot-set-shift',
    title: 'HeMem recovers from a hot-set shift, faster with a smaller sample period',
    group: 'hemem',
    source: 'HeMem (Raybuck et al. SOSP\'21 §5, FACTS.md §3: a quarter of the hot set moves and HeMem re-learns it); sample period trades detection speed for CPU',
    expected: 'After a quarter of the hot set moves (hotset over 4 GiB, 120 M accesses, shiftAt=0.5 ≈ 5–6 s, 2 MiB pages, 1:4, sosp21 preset), the local share returns to ≥ 90 % of its pre-shift value (the 500 ms epoch before the shift), sooner with period 997 than with 5003',
    tolerance: 'recovery to 90 %; strictly sooner',
    fast: false,
    async run(ctx) {
      const parts: string[] = [];
      const rec: number[] = [];
      let recovered = true;
      for (const period of [997, 5003]) {
        const r = await ctx.sim(
          { policy: 'hemem', pageSizeKiB: 2048, workload: 'hotset:pages=1Mi,hot=0.1,hotShare=0.9,shiftAt=0.5,accesses=120M,write=0.25' },
          { 'policy.hemem.samplePeriod': period, 'stats.epochMs': 500 },
        );
        // The shift comes after the initialisation pass (1 Mi accesses) and half of the 120 M.
        const { pre, post, recoverMs, finalShare } = shiftRecovery(r, 1024 * 1024 + 60e6);
        for (const e of r.result.epochs) {
          const share = e.counters[S.C_ACCESSES] ? e.counters[S.C_TIER_BASE] / e.counters[S.C_ACCESSES] : 0;
          ctx.addSeries('hemem-shift', { title: 'HeMem hot-set shift: local share per 500 ms epoch by sample period', x: 'endMs', y: 'localShare', by: 'samplePeriod' }, [{ samplePeriod: String(period), endMs: e.endMs, localShare: +share.toFixed(4) }]);
        }
        rec.push(recoverMs);
        recovered &&= Number.isFinite(recoverMs);
        parts.push(`period ${period}: ${pct(pre)} before, ${pct(post)} just after, ${pct(finalShare)} at the end, back to 90 % after ${Number.isFinite(recoverMs) ? `${recoverMs.toFixed(0)} ms` : 'never'}`);
      }
      return {
        measured: parts.join('; '),
        ...verdict(recovered && rec[0] < rec[1], 'recovers, and faster with more samples', !recovered ? 'does not recover within the run' : 'the smaller period is not faster'),
      };
    },
  },
];

/** Local share before the shift (the epoch holding access `shiftAt` and the one before), right after, and when it is back to 90 %. */
function shiftRecovery(r: SimRun, shiftAt: number) {
  const eps = r.result.epochs;
  const share = (i: number) => (eps[i].counters[S.C_ACCESSES] ? eps[i].counters[S.C_TIER_BASE] / eps[i].counters[S.C_ACCESSES] : 0);
  let cum = 0;
  let k = eps.length - 1;
  for (let i = 0; i < eps.length; i++) {
    cum += eps[i].counters[S.C_ACCESSES];
    if (cum >= shiftAt) {
      k = i;
      break;
    }
  }
  const pre = k > 0 ? share(k - 1) : share(0);
  const post = k + 1 < eps.length ? share(k + 1) : share(k);
  let recoverMs = Infinity;
  for (let i = k + 1; i < eps.length - 1; i++) {
    if (share(i) >= 0.9 * pre) {
      recoverMs = eps[i].endMs - eps[k].endMs;
      break;
    }
  }
  return { pre, post, recoverMs, finalShare: share(eps.length - 2) };
}
