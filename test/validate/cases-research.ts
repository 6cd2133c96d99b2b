// Newer tiering research (issue 16): the direction of each paper's headline result.
//
// DAMON-based tiering against NUMA-balancing tiering (SeongJae Park's linux-mm cover letter of the
// self-tuned setup, 2025) and ARMS against tuned HeMem / Memtis (Yadalam et al., arXiv 2508.04417,
// abstract). The workloads are the README's (sections "DAMON-based tiering" and "ARMS and the
// threshold study"), so the report and the README describe the same runs.

import type { Ctx, SimRun, ValidationCase } from './case.ts';
import { counter, fmt, pct, verdict } from './case.ts';

const HOTSET = 'hotset:pages=64Ki,hot=0.1,hotShare=0.9,accesses=20M,write=0.25,gapNs=2000';
/**
 * An idle first phase of 31 s (one page touched once a second) that the warm-up excludes: DAMON's
 * module is enabled before a benchmark, and its goal-tuned quota starts at 1 byte and at best
 * doubles per 1 s window (README), so it needs that time to be able to move anything.
 */
const IDLE_FIRST = 'uniform:pages=1,accesses=31,gapNs=1000000000,init=0';
const DAMON_WARMUP_MS = 31_000;

function damonRun(ctx: Ctx, policy: string, sets: Record<string, unknown> = {}): Promise<SimRun> {
  return ctx.sim({ policy, workload: `${IDLE_FIRST}+${HOTSET}`, 'run.warmupMs': DAMON_WARMUP_MS }, sets);
}

/** Speed-up of b over a on the same accesses: a's simulated time ÷ b's − 1. */
const speedup = (a: SimRun, b: SimRun) => (a.row.simTimeNs as number) / (b.row.simTimeNs as number) - 1;
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${pct(Math.abs(x), 2)}`;

const STUDY_HOTSET = 'hotset:pages=64Ki,hot=0.1,hotShare=0.9,accesses=10M,write=0.25,gapNs=200';
const HEMEM_THRESHOLDS = [2, 4, 8, 16];
const MEMTIS_PERIODS = [2000, 10_000, 100_000];

function studyRun(ctx: Ctx, policy: string, sets: Record<string, unknown> = {}): Promise<SimRun> {
  return ctx.sim({ policy, workload: STUDY_HOTSET, pageSizeKiB: 2048 }, sets);
}

/**
 * Colloid's scenario (README "Colloid"): DRAM loaded by 205 GB/s of antagonist reads from the start
 * (u ≈ 0.95 on the curve model: ≈ 2.6 × idle, above CXL's 180 ns), 1:1 with room on CXL, the hot set
 * first touched on CXL.
 */
const COLLOID_HOTSET = 'hotset:pages=64Ki,hot=0.1,hotShare=0.9,accesses=30M,write=0.25,gapNs=20';
const COLLOID_SETS = { 'machine.loadModel': 'curve', 'machine.tiers.0.antagonistGBps': 205, 'machine.headroomPct': 100, 'machine.ratio': '1:1' };

function colloidRun(ctx: Ctx, policy: string): Promise<SimRun> {
  return ctx.sim({ policy, workload: COLLOID_HOTSET }, COLLOID_SETS);
}

export const RESEARCH_CASES: ValidationCase[] = [
  {
    id: 'colloid-antagonist-direction',
    title: 'Under a DRAM antagonist that makes local memory slower than CXL, Colloid keeps the hot set off DRAM and beats memory tiering',
    group: 'research',
    source:
      'Vuppalapati & Agarwal, "Tiered Memory Management: Access Latency is the Key!", SOSP\'24, abstract and §2: the default tier\'s loaded latency can reach 2.5× the alternate tier\'s; the base systems (TPP, HeMem, Memtis) are up to 2.3× worse than the best placement there, Colloid near it; FACTS.md §7',
    expected:
      'hot-set run (64 Ki pages, 10 % hot with 90 % of accesses, 30 M accesses 20 ns apart, 1:1 with CXL room), 205 GB/s of DRAM antagonist from the start: DRAM loaded latency above CXL\'s; numa-tiering promotes the hot set into DRAM, colloid-tpp keeps it on CXL (lower local share) and finishes first',
    tolerance: 'direction; the 2.3× magnitude reported, not gated',
    fast: false,
    async run(ctx) {
      const numa = await colloidRun(ctx, 'numa-tiering');
      const colloid = await colloidRun(ctx, 'colloid-tpp');
      const lat = (r: SimRun, t: number) => r.row[`tier${t}LoadedLatencyNs`] as number;
      const inverted = lat(numa, 0) > lat(numa, 1);
      const s = speedup(numa, colloid);
      const ok = inverted && colloid.row.localShare < numa.row.localShare && s > 0;
      return {
        measured: `DRAM ${fmt(lat(numa, 0), 0)} ns vs CXL ${fmt(lat(numa, 1), 0)} ns (×${fmt(lat(numa, 0) / lat(numa, 1), 2)}); local share numa-tiering ${pct(numa.row.localShare as number)}, colloid-tpp ${pct(colloid.row.localShare as number)}; colloid-tpp ${signed(s)} faster (promotions refused ${fmt(counter(colloid, 'colloidPromoteBlocked'), 0)}, pages moved away ${fmt(counter(colloid, 'colloidMovedAway'), 0)})`,
        ...verdict(
          ok,
          'the direction of the paper; the gap is far below 2.3× because one thread\'s traffic cannot load CXL and the antagonist\'s DRAM latency is only ≈ 1.5× CXL\'s here',
          !inverted
            ? 'the antagonist did not push DRAM above CXL: loaded-latency curve points are estimates'
            : (numa.row.localShare as number) < 0.5
              ? `numa-tiering never got the hot set into DRAM (local share ${pct(numa.row.localShare as number)}), so there was nothing for Colloid to move: the hot set starts on CXL with DRAM at its low watermark, its pages take their one hint fault per scan pass within ms of the scan while no room is free (promotion needs free > high + 1), and kswapd, which first has to pass every DRAM page once (all referenced since allocation), frees room only after that burst — the kernel's rules give the same race (README "Colloid"); with passes at 1 s, 3 s, 7 s … (the period doubles in tiering mode, each letting a few hundred hot pages in) the run is too short for the hot set to move in`
              : 'colloid-tpp did not gain: its mode-6 hint faults on DRAM pages cost more than the latency it saves on this run',
        ),
      };
    },
  },
  {
    id: 'colloid-memtis-antagonist-direction',
    title: 'Under a DRAM antagonist that makes local memory slower than CXL, Colloid on Memtis keeps less of the access share on DRAM and beats Memtis',
    group: 'research',
    source:
      'Vuppalapati & Agarwal, "Tiered Memory Management: Access Latency is the Key!", SOSP\'24, abstract and §4–5 (Colloid integrated with HeMem, TPP and MEMTIS, each near the best placement where the base system is up to 2.3× worse); FACTS.md §7',
    expected:
      'the colloid-antagonist-direction run with 2 MiB pages (as Memtis runs): DRAM loaded latency above CXL\'s; colloid-memtis serves a smaller share of accesses from DRAM than memtis and finishes first',
    tolerance: 'direction; the 2.3× magnitude reported, not gated',
    fast: false,
    async run(ctx) {
      const run = (policy: string) => ctx.sim({ policy, workload: COLLOID_HOTSET, pageSizeKiB: 2048 }, COLLOID_SETS);
      const base = await run('memtis');
      const colloid = await run('colloid-memtis');
      const lat = (r: SimRun, t: number) => r.row[`tier${t}LoadedLatencyNs`] as number;
      const inverted = lat(base, 0) > lat(base, 1);
      const s = speedup(base, colloid);
      const ok = inverted && (colloid.row.localShare as number) < (base.row.localShare as number) && s > 0;
      return {
        measured: `DRAM ${fmt(lat(base, 0), 0)} ns vs CXL ${fmt(lat(base, 1), 0)} ns; local share memtis ${pct(base.row.localShare as number)}, colloid-memtis ${pct(colloid.row.localShare as number)}; colloid-memtis ${signed(s)} faster (promoted ${fmt(counter(colloid, 'colloidPromoted'), 0)}, demoted ${fmt(counter(colloid, 'colloidDemoted'), 0)} by Colloid)`,
        ...verdict(
          ok,
          'the direction of the paper; the gap is far below 2.3× for the reasons of colloid-antagonist-direction',
          !inverted ? 'the antagonist did not push DRAM above CXL: loaded-latency curve points are estimates' : 'colloid-memtis did not gain: with 2 MiB pages a single page holds several % of the accesses, coarser than the share to move',
        ),
      };
    },
  },
  {
    id: 'damon-vs-numab-direction',
    title: 'Self-tuned DAMON tiering speeds a promotion-heavy run up where NUMA-balancing tiering slows it down',
    group: 'research',
    source:
      'SeongJae Park, linux-mm cover letter "mm/damon: auto-tune DAMOS for memory tiering" (2025): self-tuned DAMON promotion +4.42 %, NUMAB-2 −7.34 %, the loss blamed on NUMAB-2\'s synchronous promotions; FACTS.md §7',
    expected:
      'hot-set run (64 Ki pages, 10 % hot with 90 % of accesses, 20 M accesses 2 µs apart, 1:4) after a 31 s idle start: damon-tiering as samples/damon/mtier.c ships it faster than first-touch, numa-tiering slower',
    tolerance: 'direction (signs); magnitudes reported',
    fast: false,
    async run(ctx) {
      const ft = await damonRun(ctx, 'first-touch');
      const numa = await damonRun(ctx, 'numa-tiering');
      const damon = await damonRun(ctx, 'damon-tiering');
      const fixed = await damonRun(ctx, 'damon-tiering', { 'policy.damon-tiering.intervalsGoalAggrs': 0 });
      const [sNuma, sDamon, sFixed] = [speedup(ft, numa), speedup(ft, damon), speedup(ft, fixed)];
      return {
        measured: `speed-up vs first-touch: numa-tiering ${signed(sNuma)} (stalls ${fmt((numa.row.stallNs as number) / 1e6, 0)} ms), damon-tiering (mtier) ${signed(sDamon)} (local ${pct(damon.row.localShare as number)}), damon-tiering with fixed 5 ms / 100 ms intervals ${signed(sFixed)} (local ${pct(fixed.row.localShare as number)})`,
        ...verdict(
          sNuma < 0 && sDamon > 0,
          'signs as published; magnitudes an order smaller on this compute-bound run',
          sNuma >= 0
            ? 'NUMA-balancing tiering does not lose here: its synchronous promotion stalls cost less than the latency it saves'
            : 'mtier as shipped moves almost nothing: interval auto-tuning (intervals_goal, every 3 aggregations) calls damon_set_attrs, which restarts the schemes\' apply interval before it elapses (README "DAMON-based tiering"); with fixed intervals the sign is the published one — whether the kernel behaves so was not checked on a real machine',
        ),
      };
    },
  },
  {
    id: 'arms-vs-tuned-thresholds',
    title: 'ARMS, untuned, comes within 3 % of the best-tuned HeMem and Memtis and beats their defaults',
    group: 'research',
    source: 'ARMS (Yadalam et al., arXiv 2508.04417, 2025), abstract: within 3 % of best-tuned HeMem/Memtis/TPP, 1.26–2.3× better than them untuned',
    expected:
      'hot-set run of the README\'s threshold study (64 Ki pages, 10 M accesses 200 ns apart, 2 MiB pages, 1:4): arms slowdown ≤ 1.03 × the best of HeMem hotReadThreshold 2/4/8/16 and Memtis adaptationPeriodSamples 2 k/10 k/100 k, and below HeMem and Memtis at their defaults (TPP left out: it runs on 4 KiB pages, not comparable)',
    tolerance: '3 % (the abstract\'s own bound); the 1.26–2.3× magnitude reported, not gated',
    fast: false,
    async run(ctx) {
      const arms = await studyRun(ctx, 'arms');
      const tuned: [string, SimRun][] = [];
      for (const t of HEMEM_THRESHOLDS) tuned.push([`hemem ${t}`, await studyRun(ctx, 'hemem', { 'policy.hemem.hotReadThreshold': t })]);
      for (const p of MEMTIS_PERIODS) tuned.push([`memtis ${p}`, await studyRun(ctx, 'memtis', { 'policy.memtis.adaptationPeriodSamples': p })]);
      const defaults: [string, SimRun][] = [
        ['hemem', await studyRun(ctx, 'hemem')],
        ['memtis', await studyRun(ctx, 'memtis')],
      ];
      const sd = (r: SimRun) => r.row.slowdown as number;
      const [bestName, best] = tuned.reduce((a, b) => (sd(b[1]) < sd(a[1]) ? b : a));
      const beatsDefaults = defaults.every(([, r]) => sd(arms) < sd(r));
      const ok = sd(arms) <= 1.03 * sd(best) && beatsDefaults;
      const gains = defaults.map(([n, r]) => `${n} ×${fmt(sd(r) / sd(arms), 2)}`).join(', ');
      return {
        measured: `slowdown: arms ${fmt(sd(arms))}, best tuned ${bestName} ${fmt(sd(best))}, defaults ${defaults.map(([n, r]) => `${n} ${fmt(sd(r))}`).join(', ')}; arms over the defaults ${gains}`,
        ...verdict(
          ok,
          'the direction of the abstract; the gain over the defaults is far below 1.26× on a run whose tiers stay below their bandwidth, and ARMS\'s constants are estimates (the paper was not available)',
          sd(arms) > 1.03 * sd(best) ? 'a tuned threshold beats ARMS by more than 3 %: its EWMA and cost/benefit constants are estimates' : 'a default setting is as fast as ARMS here',
        ),
      };
    },
  },
];
