// Sweep benchmarks (not tests: wall-clock figures depend on the machine and its load).
//
//   npx tsx bench/sweep-parallel.ts [--points 8] [--accesses 20M] [--reps 3] [--tiny 24]
//
// 1. Speed-up: the same sweep of --points points (uniform workload, --accesses each) with --jobs 1
//    and --jobs 2, fresh output directory each time (no resume); median of --reps. Goal on a
//    2-core machine: ≥ 1.8×. Each worker thread pays a fixed start (~0.5 s: tsx transpiling the
//    simulator's modules), so the ratio depends on point length: 20 M accesses (~2 s a point)
//    measured 1.98× on 2026-11-21, 5 M (~0.55 s) 1.39×.
// 2. Overhead per point: a sweep of --tiny points that simulate almost nothing (1k accesses) with
//    --jobs 1: (wall − Σ simulation time) / points, with and without the one-time worker start
//    (measured as a sweep of one tiny point). Goal: < 50 ms.
//
// Both go through runSweep, the code path of `npm run sweep`: grid expansion, worker pool, run
// directory per point, CSV rewrites.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import '../policies/registry.ts'; // the policy catalog's composition root (sim/ never imports policies/)
import { parseNumber } from '../sim/config.ts';
import { expandGrid, parseSweepOption } from '../sim/sweep-grid.ts';
import { runSweep } from '../sim/sweep-run.ts';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const points = Number(arg('points', '8'));
const accesses = arg('accesses', '20M');
const reps = Number(arg('reps', '3'));
const tiny = Number(arg('tiny', '24'));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeSweep(seeds: number, workload: string, jobs: number): Promise<{ wallMs: number; simMs: number }> {
  const grid = expandGrid({ sets: { workload }, axes: [parseSweepOption(`seed=1..${seeds}`)] });
  const out = mkdtempSync(join(tmpdir(), 'sweep-bench-'));
  try {
    let simMs = 0;
    const t0 = performance.now();
    const res = await runSweep({ grid, out, jobs, resume: false, progress: null, log: () => {} });
    const wallMs = performance.now() - t0;
    if (res.failed.length) throw new Error(`bench sweep failed: ${res.failed[0].error}`);
    // Σ simulation time, from each point's run directory meta.
    const { readFileSync, readdirSync } = await import('node:fs');
    for (const d of readdirSync(join(out, 'points'))) simMs += JSON.parse(readFileSync(join(out, 'points', d, 'config.json'), 'utf8')).run.meta.wallMs;
    return { wallMs, simMs };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

console.log(`machine: ${availableParallelism()} CPUs, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} (other processes share these cores)`);

// 1. Speed-up.
const workload = `uniform:pages=2000,accesses=${accesses}`;
const w1: number[] = [];
const w2: number[] = [];
for (let r = 0; r < reps; r++) {
  w1.push((await timeSweep(points, workload, 1)).wallMs);
  w2.push((await timeSweep(points, workload, 2)).wallMs);
}
const [m1, m2] = [median(w1), median(w2)];
console.log(`speed-up: ${points} points × ${parseNumber(accesses).toLocaleString('en-US')} accesses: --jobs 1 ${(m1 / 1e3).toFixed(2)} s, --jobs 2 ${(m2 / 1e3).toFixed(2)} s (medians of ${reps}) → ${(m1 / m2).toFixed(2)}× (goal ≥ 1.8×)`);
console.log(`  runs (s): jobs 1 ${w1.map((x) => (x / 1e3).toFixed(2)).join(' ')}; jobs 2 ${w2.map((x) => (x / 1e3).toFixed(2)).join(' ')}`);

// 2. Overhead per point.
const tinyWorkload = 'uniform:pages=200,accesses=1k';
const starts: number[] = [];
const per: number[] = [];
const perMarginal: number[] = [];
for (let r = 0; r < reps; r++) {
  const one = await timeSweep(1, tinyWorkload, 1);
  const many = await timeSweep(tiny, tinyWorkload, 1);
  const start = one.wallMs - one.simMs;
  starts.push(start);
  per.push((many.wallMs - many.simMs) / tiny);
  perMarginal.push((many.wallMs - many.simMs - start) / (tiny - 1));
}
console.log(`load average after the speed-up runs: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log(`overhead: worker start + first point ${median(starts).toFixed(0)} ms; per point over ${tiny} points ${median(per).toFixed(1)} ms including the start, ${median(perMarginal).toFixed(1)} ms each after it (goal < 50 ms)`);
