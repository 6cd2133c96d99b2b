import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../sim/config.ts';
import { expandGrid, parseSweepOption } from '../sim/sweep-grid.ts';
import type { ExpandedGrid } from '../sim/sweep-grid.ts';
import { mergeSweeps, parseShard, runSweep, shardPoints } from '../sim/sweep-run.ts';
import type { SweepOptions } from '../sim/sweep-run.ts';
import { parseCsv } from '../results/plot.ts';

const W = 'uniform:pages=2000,accesses=50k';
const tmp = () => mkdtempSync(join(tmpdir(), 'sweep-run-'));
const grid = (axes: string[], sets: Record<string, unknown> = { workload: W }): ExpandedGrid =>
  expandGrid({ sets: { ...sets }, axes: axes.map(parseSweepOption) });
// 2 policies × 3 capacity ratios: six fast points.
const six = () => grid(['policy=first-touch,interleave', 'machine.ratio=1:4,1:2,1:1']);
const quiet = { progress: null, log: () => {} } satisfies Partial<SweepOptions>;
const csvOf = (dir: string, name = 'sweep.csv') => readFileSync(join(dir, name), 'utf8');

describe('running a sweep', () => {
  it('writes one row per point in point order, with point, run and axes first, then identity, metrics, policy counters', async () => {
    const out = tmp();
    const res = await runSweep({ grid: six(), out, jobs: 2, ...quiet });
    expect(res).toMatchObject({ points: 6, ran: 6, skipped: 0, failed: [] });
    const t = parseCsv(csvOf(out));
    expect(t.rows.map((r) => r.point)).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(t.columns.slice(0, 6)).toEqual(['point', 'run', 'policy', 'machine.ratio', 'workload', 'machine']);
    expect(t.columns.indexOf('slowdown')).toBeGreaterThan(t.columns.indexOf('seed'));
    const firstPolicyCol = t.columns.findIndex((c) => c.startsWith('policy.'));
    if (firstPolicyCol >= 0) expect(t.columns.slice(firstPolicyCol).every((c) => c.startsWith('policy.'))).toBe(true);
    expect(t.rows[2]).toMatchObject({ policy: 'first-touch', 'machine.ratio': '1:1', workload: W, accesses: '50000' });
    // A larger local tier serves more accesses locally.
    expect(Number(t.rows[2].localShare)).toBeGreaterThan(Number(t.rows[0].localShare));
    // Every point keeps its resolved config, re-runnable with `npm run sim -- --config`.
    const cfg = JSON.parse(readFileSync(join(out, t.rows[4].run, 'config.json'), 'utf8'));
    expect(cfg.config).toMatchObject({ policy: 'interleave', 'machine.ratio': '1:2', workload: W, seed: 1 });
    expect(existsSync(join(out, t.rows[4].run, 'timeseries.csv'))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')).points).toHaveLength(6);
  });

  it('is deterministic: jobs 1 and jobs 2 in fresh directories give byte-identical CSVs', async () => {
    const [a, b] = [tmp(), tmp()];
    await runSweep({ grid: six(), out: a, jobs: 1, ...quiet });
    await runSweep({ grid: six(), out: b, jobs: 2, ...quiet });
    expect(csvOf(a)).toBe(csvOf(b));
  });

  it('a rerun skips completed points and leaves the CSV byte-identical; --no-resume runs them again', async () => {
    const out = tmp();
    await runSweep({ grid: six(), out, jobs: 2, ...quiet });
    const before = csvOf(out);
    const again = await runSweep({ grid: six(), out, jobs: 2, ...quiet });
    expect(again).toMatchObject({ ran: 0, skipped: 6 });
    expect(csvOf(out)).toBe(before);
    const forced = await runSweep({ grid: six(), out, jobs: 2, resume: false, ...quiet });
    expect(forced).toMatchObject({ ran: 6, skipped: 0 });
    expect(csvOf(out)).toBe(before);
  });

  it('an extended grid reuses the points it shares with the old one', async () => {
    const out = tmp();
    await runSweep({ grid: grid(['seed=1,2']), out, jobs: 2, ...quiet });
    const res = await runSweep({ grid: grid(['seed=1,2,3']), out, jobs: 2, ...quiet });
    expect(res).toMatchObject({ ran: 1, skipped: 2 });
  });

  it('a point that fails is reported with its config, the others complete, and a rerun retries it', async () => {
    const out = tmp();
    // A 2000-page footprint cannot fit in 1 MiB of DRAM + 1 MiB of CXL: fails when the point runs.
    const g = grid(['machine.tiers.1.capacityGiB=0.0009765625,1'], { workload: W, 'machine.tiers.0.capacityGiB': 0.0009765625 });
    const logs: string[] = [];
    const res = await runSweep({ grid: g, out, jobs: 2, progress: null, log: (s) => logs.push(s) });
    expect(res.ran).toBe(1);
    expect(res.failed.map((f) => f.index)).toEqual([0]);
    expect(res.failed[0].error).toMatch(/fits nowhere/);
    expect(logs.join('\n')).toMatch(/point 0 \(machine\.tiers\.1\.capacityGiB=0\.0009765625\) failed.*\n  config: .*"workload":"uniform:pages=2000,accesses=50k"/);
    const failed = JSON.parse(csvOf(out, 'failed.json'));
    expect(failed[0]).toMatchObject({ index: 0, crashed: false, config: { 'machine.tiers.1.capacityGiB': 0.0009765625 } });
    expect(parseCsv(csvOf(out)).rows.map((r) => r.point)).toEqual(['1']);
  });
});

describe('a worker killed mid-run', () => {
  it('fails only its point (reported with the config), the sweep goes on, and a rerun completes exactly that point', async () => {
    const out = tmp();
    // Point 1 is the slow one (5M accesses, about a second); the others take milliseconds.
    const g = grid(['workload=uniform:pages=2000,accesses=50k|uniform:pages=2000,accesses=5M|uniform:pages=2000,accesses=60k', 'seed=1,2'], {});
    const slow = g.points.find((p) => String(p.values.workload).includes('5M') && p.values.seed === 1)!;
    const logs: string[] = [];
    let killed = false;
    let startedCount = 0;
    const res = await runSweep({
      grid: g, out, jobs: 2, progress: null, log: (s) => logs.push(s),
      pool: {
        onStart(_task, worker) {
          // Tasks are handed out in point order; the slow point is the third task started.
          if (!killed && startedCount++ === g.points.indexOf(slow)) {
            killed = true;
            setTimeout(() => void worker.terminate(), 150);
          }
        },
      },
    });
    expect(killed).toBe(true);
    expect(res.failed).toHaveLength(1);
    expect(res.failed[0]).toMatchObject({ index: slow.index, crashed: true });
    expect(res.failed[0].error).toMatch(/worker thread died/);
    expect(logs.join('\n')).toMatch(new RegExp(`point ${slow.index} \\(workload=uniform:pages=2000,accesses=5M, seed=1\\) failed \\(worker crashed\\)`));
    expect(res.ran).toBe(5);
    expect(parseCsv(csvOf(out)).rows).toHaveLength(5);
    expect(existsSync(join(out, 'points', slow.id, 'summary.csv'))).toBe(false);

    const again = await runSweep({ grid: g, out, jobs: 2, ...quiet });
    expect(again).toMatchObject({ ran: 1, skipped: 5, failed: [] });
    expect(existsSync(join(out, 'failed.json'))).toBe(false);
    const clean = tmp();
    await runSweep({ grid: g, out: clean, jobs: 2, ...quiet });
    expect(csvOf(out)).toBe(csvOf(clean));
  });
});

describe('shards and merge', () => {
  it('parses i/N and rejects anything else', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(() => parseShard('4/4')).toThrow(ConfigError);
    expect(() => parseShard('1-4')).toThrow(/expected i\/N/);
  });

  it('shards partition the points round-robin', () => {
    const g = six();
    const parts = [0, 1, 2, 3].map((i) => shardPoints(g.points, { index: i, count: 4 }).map((p) => p.index));
    expect(parts).toEqual([[0, 4], [1, 5], [2], [3]]);
  });

  it('merging shards run in separate directories is byte-identical to an unsharded run', async () => {
    const whole = tmp();
    await runSweep({ grid: six(), out: whole, jobs: 2, ...quiet });
    const dirs = [tmp(), tmp(), tmp()];
    for (let i = 0; i < 3; i++) await runSweep({ grid: six(), out: dirs[i], jobs: 1, shard: { index: i, count: 3 }, ...quiet });
    expect(readdirSync(dirs[1])).toContain('shard-1-of-3.csv');
    expect(parseCsv(csvOf(dirs[1], 'shard-1-of-3.csv')).rows.map((r) => r.point)).toEqual(['1', '4']);
    const merged = join(tmp(), 'merged.csv');
    mergeSweeps(dirs, merged);
    expect(readFileSync(merged, 'utf8')).toBe(csvOf(whole));
  });

  it('shards sharing one directory merge the same way; a missing shard is named', async () => {
    const whole = tmp();
    await runSweep({ grid: six(), out: whole, jobs: 2, ...quiet });
    const shared = tmp();
    await runSweep({ grid: six(), out: shared, jobs: 1, shard: { index: 0, count: 2 }, ...quiet });
    expect(() => mergeSweeps([shared], join(shared, 'sweep.csv'))).toThrow(/3 of 6 points have no result.*1, 3, 5.*shard\(s\) 1\/2 not finished/);
    await runSweep({ grid: six(), out: shared, jobs: 1, shard: { index: 1, count: 2 }, ...quiet });
    mergeSweeps([shared], join(shared, 'sweep.csv'));
    expect(csvOf(shared)).toBe(csvOf(whole));
  });

  it('refuses to merge directories of different grids', async () => {
    const [a, b] = [tmp(), tmp()];
    await runSweep({ grid: grid(['seed=1']), out: a, jobs: 1, ...quiet });
    await runSweep({ grid: grid(['seed=2']), out: b, jobs: 1, ...quiet });
    expect(() => mergeSweeps([a, b], join(a, 'm.csv'))).toThrow(/holds a different grid/);
  });
});

describe('a point is the same run as npm run sim', () => {
  it('its run directory holds the summary.csv that `npm run sim` writes for the same config (LLC filter stats included)', async () => {
    const { main: sim } = await import('../sim/cli.ts');
    const out = tmp();
    const g = grid(['policy=interleave', 'machine.ratio=1:2'], { workload: W, 'llc.enabled': 'true', seed: 3 });
    await runSweep({ grid: g, out, jobs: 1, ...quiet });
    const single = tmp();
    const write = process.stdout.write;
    const writeErr = process.stderr.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      await sim(['--policy', 'interleave', '--ratio', '1:2', '--workload', W, '--seed', '3', '--set', 'llc.enabled=true', '--out', single]);
    } finally {
      process.stdout.write = write;
      process.stderr.write = writeErr;
    }
    const mine = readFileSync(join(out, 'points', g.points[0].id, 'summary.csv'), 'utf8');
    expect(mine).toBe(readFileSync(join(single, 'summary.csv'), 'utf8'));
    expect(parseCsv(mine).rows[0].llcHitRatio).not.toBe('');
    expect(JSON.parse(readFileSync(join(out, 'points', g.points[0].id, 'config.json'), 'utf8')).config).toEqual(
      JSON.parse(readFileSync(join(single, 'config.json'), 'utf8')).config,
    );
  });
});
