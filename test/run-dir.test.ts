// Run folders published whole, their identity (trace content included), leftovers of killed runs,
// the checks a run gets before it starts, and the progress bar.

import { describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectRunDir, publishRunDir, removeStaleTemps } from '../results/run-dir.ts';
import { main as sim } from '../sim/cli.ts';
import { relevantConfig, resolveConfig, runIdentity, runName } from '../sim/run.ts';
import { identifyTrace, minSimulatedNs } from '../sim/run-checks.ts';
import { expandGridHashed, parseSweepOption } from '../sim/sweep-grid.ts';
import { expectedAccesses, runProgress } from '../sim/run-progress.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'run-dir-'));

describe('publishing a run folder', () => {
  it('writes every file at once, replaces a folder whole (no stale file survives) and leaves no temporary sibling', () => {
    const base = tmp();
    const dir = join(base, 'run');
    publishRunDir(dir, { 'config.json': JSON.stringify({ run: { identity: 'a' } }), 'summary.csv': 'x\n', 'summary.json': '{"x":1}', 'vm-timeseries.csv': 'old\n' }, { replace: false, identity: 'a' });
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'summary.csv', 'summary.json', 'vm-timeseries.csv']);
    expect(inspectRunDir(dir, 'a')).toEqual({ kind: 'complete', summary: { x: 1 } });
    expect(inspectRunDir(dir, 'b').kind).toBe('other');
    publishRunDir(dir, { 'config.json': JSON.stringify({ run: { identity: 'b' } }), 'summary.csv': 'y\n', 'summary.json': '{"y":2}' }, { replace: true, identity: 'b' });
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'summary.csv', 'summary.json']);
    expect(readdirSync(base)).toEqual(['run']);
  });

  it('does not replace a folder unless asked; a concurrent identical run is kept', () => {
    const dir = join(tmp(), 'run');
    const files = (id: string) => ({ 'config.json': JSON.stringify({ run: { identity: id } }), 'summary.csv': 'x\n', 'summary.json': '{}' });
    publishRunDir(dir, files('a'), { replace: false, identity: 'a' });
    expect(() => publishRunDir(dir, files('b'), { replace: false, identity: 'b' })).toThrow(/another run's folder appeared there/);
    expect(() => publishRunDir(dir, files('a'), { replace: false, identity: 'a' })).not.toThrow();
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).run.identity).toBe('a');
  });

  it('tells apart absent, empty, foreign and unfinished folders', () => {
    const base = tmp();
    expect(inspectRunDir(join(base, 'none'), 'a').kind).toBe('absent');
    mkdirSync(join(base, 'empty'));
    expect(inspectRunDir(join(base, 'empty'), 'a').kind).toBe('empty');
    mkdirSync(join(base, 'mine'));
    writeFileSync(join(base, 'mine', 'notes.txt'), '');
    expect(inspectRunDir(join(base, 'mine'), 'a').kind).toBe('foreign');
    mkdirSync(join(base, 'half'));
    writeFileSync(join(base, 'half', 'config.json'), JSON.stringify({ run: { identity: 'a' } })); // no summary yet
    expect(inspectRunDir(join(base, 'half'), 'a').kind).toBe('other');
  });

  it('removes the hidden siblings of dead processes on this host only', () => {
    const base = tmp();
    const dead = spawnSync(process.execPath, ['-e', '']).pid!; // exited: its pid is free
    const host = hostname();
    const names = [`.run.tmp-${host}-${dead}-0`, `.run.old-${host}-${dead}-3`, `.run.tmp-${host}-${process.pid}-0`, `.run.tmp-other-host-${dead}-0`];
    for (const n of names) mkdirSync(join(base, n));
    removeStaleTemps(base, 'run');
    expect(readdirSync(base).sort()).toEqual([`.run.tmp-${host}-${process.pid}-0`, `.run.tmp-other-host-${dead}-0`].sort());
    removeStaleTemps(base, undefined, true); // this process's own, once its workers are stopped
    expect(readdirSync(base)).toEqual([`.run.tmp-other-host-${dead}-0`]);
  });
});

describe('run identity includes the trace content', () => {
  /** A trace rewritten in place keeping its size and mtime, as cp -p or rsync -t leave it. */
  function rewrite(path: string, text: string): void {
    const { mtime, size } = statSync(path);
    expect(Buffer.byteLength(text)).toBe(size);
    writeFileSync(path, text);
    utimesSync(path, mtime, mtime);
  }
  const CSV = (page: string) => `time,cpu,op,addr,size\n100,0,W,0x10000000,8\n200,0,R,0x10001000,8\n300,0,R,0x${page},8\n`;

  it('a rewritten trace (same size and mtime) gets a new identity and run folder, and is run again', async () => {
    const dir = tmp();
    const trace = join(dir, 't.csv');
    writeFileSync(trace, CSV('10002000'));
    const config = resolveConfig({ sets: { trace, 'machine.tiers.0.capacityGiB': '1', 'machine.tiers.1.capacityGiB': '1' } }).config;
    await identifyTrace(config);
    const first = { id: runIdentity(config), name: runName(config) };
    expect(config['trace.sha256']).toMatch(/^[0-9a-f]{64}$/);

    const args = ['--trace', trace, '--local-gib', '1', '--cxl-gib', '1', '--out', join(dir, 'run'), '--format', 'json'];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await sim(args)).toBe(0);
      rewrite(trace, CSV('10003000'));
      const again = resolveConfig({ sets: { trace, 'machine.tiers.0.capacityGiB': '1', 'machine.tiers.1.capacityGiB': '1' } }).config;
      await identifyTrace(again);
      expect(runIdentity(again)).not.toBe(first.id);
      expect(runName(again)).not.toBe(first.name);
      // The old folder now holds another config: not "already complete", an error until --force.
      await expect(sim(args)).rejects.toThrow(/holds a run of another config/);
      expect(await sim([...args, '--force'])).toBe(0);
      expect(err.mock.calls.map((c) => String(c[0])).join('')).not.toMatch(/already complete/);
    } finally {
      write.mockRestore();
      err.mockRestore();
    }
    // The published config names the content it ran: the SHA-256 of the file's bytes as they are now.
    const sha = createHash('sha256').update(readFileSync(trace)).digest('hex');
    expect(JSON.parse(readFileSync(join(dir, 'run', 'config.json'), 'utf8')).config['trace.sha256']).toBe(sha);
  });

  it('sweep points over a rewritten trace get new ids', async () => {
    const dir = tmp();
    const trace = join(dir, 't.csv');
    writeFileSync(trace, CSV('10002000'));
    const spec = () => ({ sets: { trace, 'machine.tiers.0.capacityGiB': '1', 'machine.tiers.1.capacityGiB': '1' }, axes: [parseSweepOption('seed=1,2')] });
    const before = (await expandGridHashed(spec())).points.map((p) => p.id);
    rewrite(trace, CSV('10003000'));
    const after = (await expandGridHashed(spec())).points.map((p) => p.id);
    expect(after).toHaveLength(2);
    for (const id of after) expect(before).not.toContain(id);
  });

  it('a synthetic run has no trace.sha256 in its identity (its run names stay as they were)', () => {
    const config = resolveConfig({}).config;
    expect(config['trace.sha256']).toBeNull();
    expect(relevantConfig(config)).not.toHaveProperty('trace.sha256');
  });
});

describe('checks before the run', () => {
  it('bounds the simulated time of a synthetic run from below: accesses per thread × (gap + fastest latency / mlp)', () => {
    // 2 threads, 8000 accesses + a 1000-page init pass: 4500 per thread × (50 + 100 / 2) ns = 450 µs.
    const c = resolveConfig({ sets: { workload: 'hotset:pages=1000,accesses=8000,gapNs=50,threads=2' } }).config;
    expect(minSimulatedNs(c)).toBe(450_000);
    // Capped at 3000 accesses: 1500 per thread × 100 ns.
    expect(minSimulatedNs({ ...c, 'run.maxAccesses': 3000 })).toBe(150_000);
    expect(expectedAccesses(c)).toBe(9000);
  });
});

describe('progress bar', () => {
  const progress = { accesses: 4_500_000, simNowNs: 1.5e9 };

  it('draws on a terminal once the run is past its delay: accesses, simulated time, ETA', () => {
    let text = '';
    const tty = { isTTY: true, columns: 120, write: (s: string) => ((text += s), true), cursorTo: () => true, clearLine: () => true, moveCursor: () => true, on: () => tty };
    const c = resolveConfig({ sets: { workload: 'uniform:pages=1000,accesses=9M' } }).config;
    const p = runProgress(c, tty as never, 0);
    p.onProgress(progress);
    p.stop();
    expect(text).toMatch(/4\.5 M \/ 9\.0 M accesses \| 1\.500 s simulated \| ETA/);
  });

  it('never draws when stderr is not a terminal, nor before the delay', () => {
    let text = '';
    const c = resolveConfig({}).config;
    runProgress(c, { isTTY: false, write: (s: string) => (text += s) }).onProgress(progress);
    runProgress(c, { isTTY: true, write: (s: string) => (text += s) }, 60_000).onProgress(progress);
    expect(text).toBe('');
  });
});
