import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../sim/config.ts';
import { expandGrid, parseSweepOption, readGridFile } from '../sim/sweep-grid.ts';
import type { GridSpec } from '../sim/sweep-grid.ts';

const W = 'uniform:pages=2000,accesses=50k';
const spec = (axes: string[], sets: Record<string, unknown> = { workload: W }): GridSpec => ({ sets: { ...sets }, axes: axes.map(parseSweepOption) });
const tmp = () => mkdtempSync(join(tmpdir(), 'sweep-grid-'));
const errorOf = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('grid expansion', () => {
  it('is the cartesian product in axis order, the last axis varying fastest', () => {
    const g = expandGrid(spec(['policy=first-touch,interleave', 'machine.ratio=1:4,1:1', 'seed=1,2,3']));
    expect(g.points).toHaveLength(12);
    expect(g.points.map((p) => p.index)).toEqual([...Array(12).keys()]);
    expect(g.points.slice(0, 4).map((p) => p.values)).toEqual([
      { policy: 'first-touch', 'machine.ratio': '1:4', seed: 1 },
      { policy: 'first-touch', 'machine.ratio': '1:4', seed: 2 },
      { policy: 'first-touch', 'machine.ratio': '1:4', seed: 3 },
      { policy: 'first-touch', 'machine.ratio': '1:1', seed: 1 },
    ]);
    expect(g.points[11].values).toEqual({ policy: 'interleave', 'machine.ratio': '1:1', seed: 3 });
  });

  it('resolves each point to the full config a single run would use, with fixed keys applied', () => {
    const g = expandGrid(spec(['seed=7']));
    const c = g.points[0].config;
    expect(c.seed).toBe(7);
    expect(c.workload).toBe(W);
    expect(c['machine.preset']).toBe('ddr5-cxl');
    expect(typeof c['cost.hintFaultNs']).toBe('number');
  });

  it('coerces values by the key type: numbers with suffixes, ranges with steps', () => {
    expect(expandGrid(spec(['seed=1..4'])).points.map((p) => p.values.seed)).toEqual([1, 2, 3, 4]);
    expect(expandGrid(spec(['cpu.mlp=1..2:0.25'])).points.map((p) => p.values['cpu.mlp'])).toEqual([1, 1.25, 1.5, 1.75, 2]);
    expect(expandGrid(spec(['run.maxAccesses=1k,2Ki'])).points.map((p) => p.values['run.maxAccesses'])).toEqual([1000, 2048]);
  });

  it('splits on "|" when values contain commas (workload specs)', () => {
    const g = expandGrid(spec(['workload=uniform:pages=2000,accesses=50k|zipf:pages=2000,accesses=50k'], {}));
    expect(g.points.map((p) => p.values.workload)).toEqual(['uniform:pages=2000,accesses=50k', 'zipf:pages=2000,accesses=50k']);
  });

  it('gives points with equal relevant configs one run id (a parameter of an inactive policy)', () => {
    const g = expandGrid(spec(['policy=first-touch,interleave', 'policy.interleave.weights=1:1,1:3']));
    const ids = g.points.map((p) => p.id);
    expect(ids[0]).toBe(ids[1]); // first-touch ignores interleave's weights
    expect(ids[2]).not.toBe(ids[3]);
    expect(g.unique).toBe(3);
  });
});

describe('bad axes are errors before anything runs', () => {
  it('an unknown path names the key, suggests a near one and points to the list of keys', () => {
    const msg = errorOf(() => expandGrid(spec(['machine.ration=1:4'])));
    expect(msg).toMatch(/unknown config key "machine.ration"/);
    expect(msg).toMatch(/Did you mean machine\.ratio/);
    expect(msg).toMatch(/--list-keys/);
  });

  it('an axis with no values', () => {
    expect(errorOf(() => expandGrid(spec(['seed='])))).toMatch(/axis seed has no values/);
  });

  it('a duplicate axis', () => {
    expect(errorOf(() => expandGrid(spec(['seed=1,2', 'seed=3'])))).toMatch(/duplicate axis seed/);
  });

  it('a value of the wrong type names the axis and the value', () => {
    expect(errorOf(() => expandGrid(spec(['seed=1,two'])))).toMatch(/seed expects a number, found "two"/);
    expect(errorOf(() => expandGrid(spec(['seed=1.5'])))).toMatch(/seed expects a whole number/);
    expect(errorOf(() => expandGrid(spec(['machine.tiers.0.kind=local,warp'])))).toMatch(/must be one of local/);
  });

  it('a value invalid only in combination names the point (unknown policy, bad workload)', () => {
    expect(errorOf(() => expandGrid(spec(['policy=first-touch,nosuch'])))).toMatch(/point 1 \(policy=nosuch\): unknown policy "nosuch".*Valid policies: .*first-touch/);
  });

  it('a key both fixed and swept, and a repeated value', () => {
    expect(errorOf(() => expandGrid({ sets: { seed: 1 }, axes: [parseSweepOption('seed=1,2')] }))).toMatch(/both a fixed key .* and an axis/);
    expect(errorOf(() => expandGrid(spec(['seed=1,2,1'])))).toMatch(/lists 1 twice/);
  });

  it('no axes at all', () => {
    expect(errorOf(() => expandGrid(spec([])))).toMatch(/no sweep axes/);
  });
});

describe('grid files', () => {
  it('reads config, fixed keys and axes (nested or dotted), keeping axis order', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'base.json'), JSON.stringify({ seed: 5 }));
    const path = join(dir, 'grid.json');
    writeFileSync(path, JSON.stringify({ config: 'base.json', set: { workload: W }, axes: { machine: { ratio: ['1:4', '1:1'] }, policy: ['first-touch', 'interleave'] } }, null, 2));
    const g = expandGrid(readGridFile(path));
    expect(g.spec.axes.map((a) => a.path)).toEqual(['machine.ratio', 'policy']);
    expect(g.points).toHaveLength(4);
    expect(g.points[1].values).toEqual({ 'machine.ratio': '1:4', policy: 'interleave' });
    expect(g.points[0].config.seed).toBe(5);
  });

  it('a file that does not parse names the line', () => {
    const path = join(tmp(), 'grid.json');
    writeFileSync(path, '{\n  "axes": {\n    "seed": [1, 2,]\n  }\n}\n');
    expect(errorOf(() => readGridFile(path))).toMatch(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: expected a JSON value`));
  });

  it('a duplicate axis in a file names both lines, also when spelt nested and dotted', () => {
    const path = join(tmp(), 'grid.json');
    writeFileSync(path, '{\n  "axes": {\n    "seed": [1],\n    "seed": [2]\n  }\n}\n');
    expect(errorOf(() => readGridFile(path))).toMatch(/:4: duplicate key "seed" \(first on line 3\)/);
    writeFileSync(path, '{\n  "axes": {\n    "machine.ratio": ["1:4"],\n    "machine": { "ratio": ["1:1"] }\n  }\n}\n');
    expect(errorOf(() => expandGrid(readGridFile(path)))).toMatch(/grid\.json:4: duplicate axis machine\.ratio \(also given at .*grid\.json:3\)/);
  });

  it('a wrong-typed value in a file names the line of the value; an axis that is not a list is an error', () => {
    const path = join(tmp(), 'grid.json');
    writeFileSync(path, '{\n  "axes": {\n    "seed": [\n      1,\n      "x"\n    ]\n  }\n}\n');
    expect(errorOf(() => expandGrid(readGridFile(path)))).toMatch(/grid\.json:5: axis: seed expects a number, found "x"/);
    writeFileSync(path, '{ "axes": { "seed": 3 } }');
    expect(errorOf(() => readGridFile(path))).toMatch(/axis seed expects a list of values/);
    writeFileSync(path, '{ "axes": { "seed": [] } }');
    expect(errorOf(() => expandGrid(readGridFile(path)))).toMatch(/axis seed has no values/);
    writeFileSync(path, '{ "axis": { "seed": [1] } }');
    expect(errorOf(() => readGridFile(path))).toMatch(/unknown grid key "axis". Valid keys: config, set, axes/);
  });
});
