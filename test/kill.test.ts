// A run and a sweep killed at random points (seeded) with SIGTERM and with SIGKILL, then run
// again: whatever the interrupted attempt leaves that looks complete is the whole, right result
// (nothing else: a kill before the publish leaves nothing), SIGTERM stops within two seconds with
// 143, and the rerun's outputs are byte-identical to an uninterrupted run's (summary.csv,
// timeseries.csv, sweep.csv, and config.json without its wall-clock metadata).

import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
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

function runToEnd(args: string[]): { code: number | null; stderr: string; wallMs: number } {
  const t0 = performance.now();
  const r = spawnSync(NODE[0], [...NODE.slice(1), ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr, wallMs: performance.now() - t0 };
}

/** Start `args`, send `signal` after `delayMs`; resolves with how it ended and how long it took to stop. */
function killAfter(args: string[], delayMs: number, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stopMs: number; stderr: string }> {
  const child = spawn(NODE[0], [...NODE.slice(1), ...args], { cwd: ROOT, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  let sentAt = -1;
  const timer = setTimeout(() => {
    sentAt = performance.now();
    try {
      process.kill(-child.pid!, signal); // the process group: node and its worker threads
    } catch {
      // already gone: it finished before the kill
    }
  }, delayMs);
  return new Promise((resolve) => {
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
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
 * Kill a fresh copy of the command (output in `dirOf(attempt)`) after a seeded share (30–90 %) of
 * the reference's wall time; when the machine ran it faster than the reference and the kill came
 * after the work was done, try again with half the delay (at most four times), so that the kill
 * lands mid-work. `check` asserts what the attempt left, and says whether it was mid-work.
 */
async function killMidWork(args: string[], dirOf: (attempt: number) => string, refWallMs: number, signal: NodeJS.Signals, check: (dir: string) => boolean): Promise<string> {
  let delayMs = (0.3 + 0.6 * rng()) * refWallMs;
  for (let attempt = 0; ; attempt++, delayMs /= 2) {
    const dir = dirOf(attempt);
    const r = await killAfter([...args, '--out', dir], delayMs, signal);
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
    const whole = runToEnd([...SIM, '--out', ref]);
    expect(whole.code, whole.stderr).toBe(0);
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      const dir = await killMidWork(SIM, (k) => join(base, `${signal}-${k}`), whole.wallMs, signal, (d) => {
        // What looks complete must be the whole run: a kill that came after the publish leaves it so.
        const complete = existsSync(join(d, 'summary.csv')) || existsSync(join(d, 'config.json'));
        if (complete) expectSameRun(d, ref);
        return !complete;
      });
      expect(existsSync(join(dir, 'summary.csv')), 'no kill landed before the publish in four tries').toBe(false);
      const again = runToEnd([...SIM, '--out', dir]);
      expect(again.code, again.stderr).toBe(0);
      expectSameRun(dir, ref);
      expect(temps(base)).toEqual([]);
    }
  }, KILL_TEST_TIMEOUT_MS);

  it('a sweep killed with SIGTERM or SIGKILL at a random point keeps only whole points, and its rerun resumes to the uninterrupted CSV', async () => {
    const base = tmp();
    const ref = join(base, 'ref');
    const whole = runToEnd([...SWEEP, '--out', ref]);
    expect(whole.code, whole.stderr).toBe(0);
    const ids = readdirSync(join(ref, 'points'));
    expect(ids).toHaveLength(4);
    const pointsIn = (out: string) => (existsSync(join(out, 'points')) ? readdirSync(join(out, 'points')).filter((e) => !e.startsWith('.')) : []);
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      const out = await killMidWork(SWEEP, (k) => join(base, `${signal}-${k}`), whole.wallMs, signal, (o) => {
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
      const again = runToEnd([...SWEEP, '--out', out]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toMatch(new RegExp(`${4 - present} ran, ${present} already complete, 0 failed`));
      expect(readFileSync(join(out, 'sweep.csv'), 'utf8')).toBe(readFileSync(join(ref, 'sweep.csv'), 'utf8'));
      for (const id of ids) expectSameRun(join(out, 'points', id), join(ref, 'points', id));
      expect(temps(join(out, 'points'))).toEqual([]);
    }
  }, KILL_TEST_TIMEOUT_MS);
});
