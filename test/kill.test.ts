// A run and a sweep killed at random points (seeded) with SIGTERM and with SIGKILL, then run
// again: whatever the interrupted attempt leaves that looks complete is the whole, right result
// (nothing else: a kill before the publish leaves nothing), SIGTERM stops within two seconds with
// 143, and the rerun's outputs are byte-identical to an uninterrupted run's (summary.csv,
// timeseries.csv, sweep.csv, and config.json without its wall-clock metadata).
//
// When to kill is a condition on the child's own progress, polled, never a wall-clock delay (a
// delay scaled from the reference's wall time lands after the end when the machine gets busier
// between the reference and the attempt): the sweep is killed once k of its points are published
// (k seeded, 0 = once its manifest is written) plus a seeded share of CPU work; the run, which
// shows nothing until it publishes, once it has used a seeded share of the CPU time the reference
// run used (/proc/<pid>/stat, all its threads). CPU time measures work done whatever the load.

import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import seedrandom from 'seedrandom';
import { inspectRunDir, readIdentity } from '../results/run-dir.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// One process (no tsx launcher in between), so that a signal reaches the simulator itself.
// As package.json's sim and sweep scripts: tsx, then the policy registry (sim/ never imports policies/).
const NODE = [process.execPath, '--import', 'tsx', '--import', './policies/registry.ts'];
const rng = seedrandom('tiersim kill test');
const tmp = () => mkdtempSync(join(tmpdir(), 'kill-'));

const SIM = ['sim/cli.ts', '-p', 'mglru', '-w', 'hotset:pages=64Ki,accesses=4M,gapNs=200', '--epoch-ms', '50'];
const SWEEP = ['sim/sweep.ts', '--sweep', 'seed=1,2,3,4', '--set', 'policy=mglru', '--set', 'workload=hotset:pages=32Ki,accesses=600k,gapNs=200', '--jobs', '2', '-q'];

/** CPU time (user + system, all threads) the live process `pid` has used, ms; -1 once it is gone. */
const TICK_MS = 1000 / (Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100);
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd (state) on
    return (Number(f[11]) + Number(f[12])) * TICK_MS; // utime, stime: fields 14 and 15
  } catch {
    return -1;
  }
}

const POLL_MS = 10;
const spawnChild = (args: string[]): ChildProcess => spawn(NODE[0], [...NODE.slice(1), ...args], { cwd: ROOT, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });

/** Run `args` to the end; also the CPU time it used (its last sample, polled). */
function runToEnd(args: string[]): Promise<{ code: number | null; stderr: string; cpuMs: number }> {
  const child = spawnChild(args);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  let used = 0;
  const poll = setInterval(() => (used = Math.max(used, cpuMs(child.pid!))), POLL_MS);
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      clearInterval(poll);
      resolve({ code, stderr, cpuMs: used });
    });
  });
}

/**
 * Start `args` and send `signal` to its process group as soon as `due(pid)` holds (polled every
 * POLL_MS). Resolves with how it ended and how long it took to stop after the signal (stopMs −1:
 * it ended before the condition held, or was gone when the signal was sent).
 */
function killWhen(args: string[], due: (pid: number) => boolean, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stopMs: number; stderr: string }> {
  const child = spawnChild(args);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  let sentAt = -1;
  const poll = setInterval(() => {
    if (child.exitCode !== null || child.signalCode !== null || !due(child.pid!)) return;
    clearInterval(poll);
    try {
      process.kill(-child.pid!, signal); // the process group: node and its worker threads
      sentAt = performance.now();
    } catch {
      // already gone: it finished before the kill
    }
  }, POLL_MS);
  return new Promise((resolve) => {
    child.on('exit', (code, sig) => {
      clearInterval(poll);
      resolve({ code, signal: sig, stopMs: sentAt < 0 ? -1 : performance.now() - sentAt, stderr });
    });
  });
}

/** config.json without run.meta (wall time, accesses/s, date: not outputs). */
const configOf = (dir: string) => {
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  delete c.run.meta;
  return c;
};

function expectSameRun(dir: string, ref: string): void {
  for (const f of ['summary.csv', 'timeseries.csv']) expect(readFileSync(join(dir, f), 'utf8'), f).toBe(readFileSync(join(ref, f), 'utf8'));
  expect(configOf(dir)).toEqual(configOf(ref));
}

/** Hidden siblings a publish in progress uses (`.<name>.tmp-…`, `.old-…`). */
const temps = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((e) => /\.(tmp|old)-/.test(e)) : []);

function expectStopped(r: { code: number | null; signal: NodeJS.Signals | null; stopMs: number; stderr: string }, signal: NodeJS.Signals): void {
  if (r.stopMs < 0) return; // finished before the signal was sent: nothing to check about stopping
  if (signal === 'SIGKILL') expect(r.signal).toBe('SIGKILL');
  // Handled: exit 143 within two seconds. A signal that arrives while node is still starting (before
  // the handler is installed) ends the process by the default action, which is as good.
  else if (r.signal === null) {
    expect(r.code, r.stderr).toBe(143);
    expect(r.stopMs).toBeLessThan(2000);
  } else expect(r.signal).toBe('SIGTERM');
}

/**
 * Kill a fresh copy of the command (output in `dirOf(attempt)`) when `dueAt(attempt)` says, given
 * the output folder and the child's pid. `check` asserts what the attempt left, and says whether
 * the kill landed mid-work; if not (the child was faster than its condition), try again, at most
 * four times in all, with the condition's share halved (dueAt sees the attempt number).
 */
async function killMidWork(args: string[], dirOf: (attempt: number) => string, dueAt: (attempt: number, dir: string) => (pid: number) => boolean, signal: NodeJS.Signals, check: (dir: string) => boolean): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const dir = dirOf(attempt);
    const r = await killWhen([...args, '--out', dir], dueAt(attempt, dir), signal);
    expectStopped(r, signal);
    if (check(dir) || attempt === 3) return dir;
  }
}

/** Each test spawns up to ten child runs; on a loaded 2-core machine that takes well over the default 60 s. */
const KILL_TEST_TIMEOUT_MS = 240_000;

describe('killed runs', () => {
  it('a run killed with SIGTERM or SIGKILL at a random point leaves nothing complete but the right result, and its rerun equals an uninterrupted run', async () => {
    const base = tmp();
    const ref = join(base, 'ref');
    const whole = await runToEnd([...SIM, '--out', ref]);
    expect(whole.code, whole.stderr).toBe(0);
    expect(whole.cpuMs).toBeGreaterThan(0);
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      // Once the run has used a seeded 30–90 % of the CPU time the reference used (halved per retry).
      const share = 0.3 + 0.6 * rng();
      const due = (attempt: number) => (pid: number) => cpuMs(pid) >= (share / 2 ** attempt) * whole.cpuMs;
      const dir = await killMidWork(SIM, (k) => join(base, `${signal}-${k}`), due, signal, (d) => {
        // What looks complete must be the whole run: a kill that came after the publish leaves it so.
        const complete = existsSync(join(d, 'summary.csv')) || existsSync(join(d, 'config.json'));
        if (complete) expectSameRun(d, ref);
        return !complete;
      });
      expect(existsSync(join(dir, 'summary.csv')), 'no kill landed before the publish in four tries').toBe(false);
      const again = await runToEnd([...SIM, '--out', dir]);
      expect(again.code, again.stderr).toBe(0);
      expectSameRun(dir, ref);
      expect(temps(base)).toEqual([]);
    }
  }, KILL_TEST_TIMEOUT_MS);

  it('a sweep killed with SIGTERM or SIGKILL at a random point keeps only whole points, and its rerun resumes to the uninterrupted CSV', async () => {
    const base = tmp();
    const ref = join(base, 'ref');
    const whole = await runToEnd([...SWEEP, '--out', ref]);
    expect(whole.code, whole.stderr).toBe(0);
    const ids = readdirSync(join(ref, 'points'));
    expect(ids).toHaveLength(4);
    const pointsIn = (out: string) => (existsSync(join(out, 'points')) ? readdirSync(join(out, 'points')).filter((e) => !e.startsWith('.')) : []);
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      // Once k (seeded: 0, 1 or 2) of the 4 points are published (k = 0: once the sweep has written
      // its manifest, before any point), and then a seeded 0–10 % more of the reference's CPU time
      // (halved per retry); two points (a whole round of the 2 workers) are always left to do.
      const k = Math.floor(3 * rng());
      const extra = 0.1 * rng();
      const due = (attempt: number, o: string) => {
        let from = -1;
        return (pid: number) => {
          if (from < 0) {
            if (k === 0 ? !existsSync(join(o, 'sweep.json')) : pointsIn(o).length < k) return false;
            from = cpuMs(pid);
          }
          return cpuMs(pid) >= from + (extra / 2 ** attempt) * whole.cpuMs;
        };
      };
      const out = await killMidWork(SWEEP, (k) => join(base, `${signal}-${k}`), due, signal, (o) => {
        // Every point folder present is a whole run of its point; the others are simply missing.
        for (const id of pointsIn(o)) {
          const identity = readIdentity(join(o, 'points', id));
          expect(identity, id).toBeDefined();
          expect(inspectRunDir(join(o, 'points', id), identity!).kind, id).toBe('complete');
          expectSameRun(join(o, 'points', id), join(ref, 'points', id));
        }
        return pointsIn(o).length < ids.length;
      });
      const present = pointsIn(out).length;
      expect(present, 'no kill landed before the sweep finished in four tries').toBeLessThan(ids.length);
      const again = await runToEnd([...SWEEP, '--out', out]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toMatch(new RegExp(`${4 - present} ran, ${present} already complete, 0 failed`));
      expect(readFileSync(join(out, 'sweep.csv'), 'utf8')).toBe(readFileSync(join(ref, 'sweep.csv'), 'utf8'));
      for (const id of ids) expectSameRun(join(out, 'points', id), join(ref, 'points', id));
      expect(temps(join(out, 'points'))).toEqual([]);
    }
  }, KILL_TEST_TIMEOUT_MS);
});
