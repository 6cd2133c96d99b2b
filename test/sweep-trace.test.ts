import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { expandGrid, parseSweepOption } from '../sim/sweep-grid.ts';
import { runSweep } from '../sim/sweep-run.ts';
import { captureSource, shareKey } from '../sim/sweep-trace.ts';
import { resolveConfig } from '../sim/run.ts';
import { main as sim } from '../sim/cli.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'sweep-trace-'));

/** A small valgrind-lackey trace: 40 k data accesses over 400 pages, a hot quarter, instruction fetches between. */
function writeLackey(path: string): void {
  const rng = seedrandom('lackey');
  const lines = ['==4242== Lackey, an example Valgrind tool'];
  for (let i = 0; i < 40_000; i++) {
    lines.push(`I  0401${(i % 4096).toString(16).padStart(4, '0')},3`);
    const page = rng() < 0.7 ? Math.floor(rng() * 100) : Math.floor(rng() * 400);
    const addr = (0x10000000 + page * 4096 + ((page * 4 + Math.floor(rng() * 4)) % 64) * 64).toString(16).padStart(8, '0');
    lines.push(` ${rng() < 0.3 ? 'S' : 'L'} ${addr},8`);
  }
  lines.push('==4242== ', '');
  writeFileSync(path, lines.join('\n'));
}

const quiet = { progress: null, log: () => {} } as const;

describe('a trace shared by the workers', () => {
  const dir = tmp();
  const trace = join(dir, 'small.lackey');
  writeLackey(trace);
  // A 64 KiB LLC: the hot lines fit, the cold ones miss.
  const sets = { trace, 'llc.sizeMiB': 1 / 16, 'trace.indexCache': false };
  const grid = () => expandGrid({ sets: { ...sets }, axes: ['policy=first-touch,interleave,tpp', 'machine.ratio=1:4,1:1'].map(parseSweepOption) });

  it('is keyed by what the input stream depends on, not by policy, machine or seed', () => {
    const a = resolveConfig({ sets: { ...sets, policy: 'tpp', 'machine.ratio': '1:1', seed: 4 } }).config;
    const b = resolveConfig({ sets: { ...sets, policy: 'first-touch' } }).config;
    const c = resolveConfig({ sets: { ...sets, 'llc.ways': 8 } }).config;
    expect(shareKey(a)).toBe(shareKey(b));
    expect(shareKey(c)).not.toBe(shareKey(b));
    expect(shareKey(resolveConfig({ sets: { ...sets, 'run.maxAccesses': 100 } }).config)).toBeUndefined();
    expect(shareKey(resolveConfig({}).config)).toBeUndefined(); // a synthetic workload is generated per point
  });

  it('holds the filtered stream once, in shared memory', async () => {
    const t = (await captureSource(grid().points[0].config))!;
    expect(t.cpus).toHaveLength(1);
    expect(t.cpus[0].addrLo.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(t.records).toBeGreaterThan(1000);
    expect(t.records).toBeLessThan(40_000); // the LLC filter ran
    expect(t.stats?.llc?.accesses).toBe(40_000);
  });

  it('gives rows byte-identical to points that read the trace themselves, and to npm run sim', async () => {
    const [a, b] = [tmp(), tmp()];
    const logs: string[] = [];
    await runSweep({ grid: grid(), out: a, jobs: 2, progress: null, log: (s) => logs.push(s) });
    expect(logs.join('\n')).toMatch(/reading .*small\.lackey once for 6 points/);
    await runSweep({ grid: grid(), out: b, jobs: 2, shareTrace: false, ...quiet });
    expect(readFileSync(join(a, 'sweep.csv'), 'utf8')).toBe(readFileSync(join(b, 'sweep.csv'), 'utf8'));

    const p = grid().points[5]; // tpp, 1:1
    const single = tmp();
    const [w, e] = [process.stdout.write, process.stderr.write];
    process.stdout.write = process.stderr.write = (() => true) as typeof process.stdout.write;
    try {
      await sim(['--trace', trace, '--policy', 'tpp', '--ratio', '1:1', '--set', `llc.sizeMiB=${1 / 16}`, '--set', 'trace.indexCache=false', '--out', single]);
    } finally {
      [process.stdout.write, process.stderr.write] = [w, e];
    }
    expect(readFileSync(join(a, 'points', p.id, 'summary.csv'), 'utf8')).toBe(readFileSync(join(single, 'summary.csv'), 'utf8'));
  });
});
