// The pre-pass cache (results/.trace-index/) is keyed by a trace's content: a trace rewritten in
// place with the same path, size and mtime (cp -p, rsync -t, a regenerating script) is counted again.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmp } from './trace-helpers.ts';
import { detectFormat, traceIndex } from '../traces/source.ts';
import { resolveConfig, runSimulation } from '../sim/run.ts';

const cwd = process.cwd();
let dir = '';
const CACHE = () => join(dir, 'results', '.trace-index');

beforeAll(() => {
  // The cache lives under the working directory's results/: run these in a directory of their own.
  dir = tmp();
  process.chdir(dir);
});
afterAll(() => process.chdir(cwd));

/** A CSV trace of `pages` distinct 4 KiB pages, padded to exactly `bytes` bytes. */
function csv(path: string, pages: number, bytes: number): void {
  const rows = ['addr,op'];
  for (let i = 0; i < 10; i++) rows.push(`0x${(0x100000 + 4096 * (i % pages)).toString(16)},R`);
  const short = rows.join('\n') + '\n';
  rows[1] = `0x${'0'.repeat(bytes - short.length)}${rows[1].slice(2)}`; // leading zeros: the same address
  writeFileSync(path, rows.join('\n') + '\n');
}

async function index(path: string) {
  const { config } = resolveConfig({ flags: { trace: path } });
  return traceIndex(config, path, await detectFormat(path));
}

describe('the trace index cache', () => {
  it('counts a trace rewritten with the same path, size and mtime again', async () => {
    const path = join(dir, 't.csv');
    const when = new Date(1_700_000_000_000); // as `cp -p` would keep it
    csv(path, 3, 200);
    utimesSync(path, when, when);
    const before = statSync(path);
    expect((await index(path)).footprint4k).toBe(3);
    // Same path, same size, same mtime, other content: 5 pages.
    csv(path, 5, 200);
    utimesSync(path, when, when);
    const after = statSync(path);
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);
    expect((await index(path)).footprint4k).toBe(5);
    // Both contents have their own entry; a copy of the first content elsewhere finds its entry.
    expect(readdirSync(CACHE()).filter((f) => f.endsWith('.json')).length).toBe(2);
    csv(join(dir, 'copy.csv'), 3, 200);
    expect((await index(join(dir, 'copy.csv'))).footprint4k).toBe(3);
    expect(readdirSync(CACHE()).length).toBe(2); // no temporary files left behind
  });

  it('sizes a run\'s tiers from the new content', async () => {
    const path = join(dir, 'run.csv');
    const when = new Date(1_700_000_000_000);
    csv(path, 10, 300);
    utimesSync(path, when, when);
    const { config } = resolveConfig({ flags: { policy: 'first-touch', trace: path, 'machine.ratio': '1:1' }, sets: { 'machine.headroomPct': '0' } });
    expect((await runSimulation(config)).tiers.map((t) => t.capacityFrames)).toEqual([5, 5]);
    csv(path, 4, 300);
    utimesSync(path, when, when);
    expect((await runSimulation(config)).tiers.map((t) => t.capacityFrames)).toEqual([2, 2]);
  });

  it('ignores a cut-short, edited or foreign cache file and writes it again whole', async () => {
    const path = join(dir, 'c.csv');
    csv(path, 7, 200);
    expect((await index(path)).footprint4k).toBe(7);
    const before = new Set(readdirSync(CACHE()).filter((f) => f.endsWith('.json')));
    const file = join(CACHE(), [...before].find((f) => JSON.parse(readFileSync(join(CACHE(), f), 'utf8')).index.footprint4k === 7)!);
    const whole = readFileSync(file, 'utf8');
    // Cut short (a crash mid-write of an older tiersim), as a reader would find it.
    writeFileSync(file, whole.slice(0, whole.length / 2));
    expect((await index(path)).footprint4k).toBe(7);
    expect(readFileSync(file, 'utf8')).toBe(whole);
    // Impossible counts (more pages than records) are not believed.
    writeFileSync(file, whole.replace('"footprint4k": 7', '"footprint4k": 70'));
    expect((await index(path)).footprint4k).toBe(7);
    // Another trace's entry under this name (its content hash inside differs) is not used either.
    const foreign = JSON.parse(whole);
    foreign.sha256 = '0'.repeat(64);
    foreign.index.footprint4k = 2;
    writeFileSync(file, JSON.stringify(foreign));
    expect((await index(path)).footprint4k).toBe(7);
  });
});
