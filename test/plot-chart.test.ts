import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../sim/config.ts';
import { buildSpec, labelOf, main, parseCsv, renderSvg } from '../results/plot.ts';
import { toCsv } from '../results/write.ts';

// A sweep.csv as the sweep writes it: 2 policies × 3 ratios × 2 seeds.
const rows = [];
for (const policy of ['first-touch', 'interleave']) {
  for (const [k, ratio] of ['1:4', '1:2', '1:1'].entries()) {
    for (const seed of [1, 2]) {
      rows.push({ point: rows.length, run: `points/${policy}-x`, policy, 'machine.ratio': ratio, workload: 'uniform:pages=2000,accesses=50k', seed, slowdown: 1.3 - 0.05 * k - (policy === 'interleave' ? 0.01 : 0) + seed * 0.001, avgLatencyNs: 160 - 10 * k, 'policy.hits': seed });
    }
  }
}
const SWEEP = toCsv(rows);

describe('reading CSVs', () => {
  it('parses quoted fields holding commas and quotes, as csv-stringify writes them', () => {
    const t = parseCsv(toCsv([{ a: 'x,y', b: 'say "hi"', c: 3 }]));
    expect(t.columns).toEqual(['a', 'b', 'c']);
    expect(t.rows).toEqual([{ a: 'x,y', b: 'say "hi"', c: '3' }]);
  });

  it('a ragged row names its line', () => {
    expect(() => parseCsv('a,b\n1,2\n3\n', 'f.csv')).toThrow(/f\.csv:3: 1 fields, the header has 2/);
  });
});

describe('charts', () => {
  it('labels axes with units from the column names', () => {
    expect(labelOf('avgLatencyNs')).toBe('avgLatencyNs (ns)');
    expect(labelOf('tier1ReadGBps')).toBe('tier1ReadGBps (GB/s)');
    expect(labelOf('localShare')).toBe('localShare (fraction of accesses)');
    expect(labelOf('endMs')).toBe('endMs (ms)');
    expect(labelOf('machine.tiers.0.capacityGiB')).toBe('machine.tiers.0.capacityGiB (GiB)');
    expect(labelOf('seed')).toBe('seed');
  });

  it('chooses grouped bars for a categorical x and lines for a numeric one', () => {
    const t = parseCsv(SWEEP);
    expect(buildSpec(t, { x: 'machine.ratio', y: ['slowdown'], by: 'policy' }).kind).toBe('bar');
    expect(buildSpec(t, { x: 'point', y: ['slowdown'], by: 'policy' }).kind).toBe('line');
  });

  it('says in the subtitle when rows were aggregated (two seeds per bar)', () => {
    const b = buildSpec(parseCsv(SWEEP), { x: 'machine.ratio', y: ['slowdown'], by: 'policy', source: 'sweep.csv' });
    expect(b.perMark).toBe(2);
    expect(JSON.stringify(b.spec)).toContain('sweep.csv · 12 rows · mean of up to 2 rows per bar');
    const one = buildSpec(parseCsv(SWEEP), { x: 'machine.ratio', y: ['slowdown'], by: 'policy', where: [['seed', '1']] });
    expect(one.perMark).toBe(1);
  });

  it('renders a readable SVG: title, axis titles with units, legend entries, every bar; deterministically', async () => {
    const { spec } = buildSpec(parseCsv(SWEEP), { x: 'machine.ratio', y: ['slowdown'], by: 'policy' });
    const svg = await renderSvg(spec);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('slowdown vs machine.ratio by policy');
    expect(svg).toContain('machine.ratio (local : CXL capacity)');
    expect(svg).toContain('slowdown (× vs. all-local idle)');
    for (const label of ['first-touch', 'interleave', '1:4', '1:2', '1:1']) expect(svg).toContain(`>${label}<`);
    expect(svg.match(/role="graphics-symbol"[^>]*aria-roledescription="bar"/g) ?? []).toHaveLength(6);
    expect(await renderSvg(spec)).toBe(svg);
  });

  it('stacks one chart per metric when given several', async () => {
    const { spec } = buildSpec(parseCsv(SWEEP), { x: 'machine.ratio', y: ['slowdown', 'avgLatencyNs'], by: 'policy' });
    const svg = await renderSvg(spec);
    expect(svg).toContain('avgLatencyNs (ns)');
    expect(svg).toContain('slowdown (×');
  });

  it('an unknown column is an error that suggests and lists the columns', () => {
    const t = parseCsv(SWEEP);
    expect(() => buildSpec(t, { x: 'machine.ration', y: ['slowdown'] })).toThrow(ConfigError);
    expect(() => buildSpec(t, { x: 'machine.ration', y: ['slowdown'] })).toThrow(/--x machine\.ration: no such column\. Did you mean machine\.ratio.*Columns: point, run, policy/);
    expect(() => buildSpec(t, { x: 'seed', y: ['policy'] })).toThrow(/--y policy: not a numeric column/);
    expect(() => buildSpec(t, { x: 'seed', y: ['slowdown'], where: [['seed', '9']] })).toThrow(/no row has that value; values: 1, 2/);
  });
});

describe('npm run plot', () => {
  it('writes the SVG beside the CSV by default, and a timeseries plot to --out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plot-'));
    writeFileSync(join(dir, 'sweep.csv'), SWEEP);
    const msgs: string[] = [];
    expect(await main([join(dir, 'sweep.csv'), '--x', 'machine.ratio', '--y', 'slowdown', '--by', 'policy'], { stderr: (s) => msgs.push(s) })).toBe(0);
    const path = join(dir, 'sweep-slowdown-vs-machine.ratio-by-policy.svg');
    expect(msgs.join('')).toContain(path);
    expect(readFileSync(path, 'utf8')).toContain('<svg');
    writeFileSync(join(dir, 'timeseries.csv'), toCsv([0, 1, 2, 3].map((e) => ({ epoch: e, endMs: 10 * (e + 1), localShare: 0.2 + e / 10, tier1ReadGBps: 1 + e }))));
    expect(await main([join(dir, 'timeseries.csv'), '--x', 'endMs', '--y', 'localShare,tier1ReadGBps', '--out', join(dir, 'ts.svg')], { stderr: () => {} })).toBe(0);
    const ts = readFileSync(join(dir, 'ts.svg'), 'utf8');
    expect(ts).toContain('endMs (ms)');
    expect(ts).toContain('tier1ReadGBps (GB/s)');
  });

  it('an unknown option is an error listing the valid ones', async () => {
    await expect(main(['x.csv', '--x', 'a', '--y', 'b', '--colour', 'policy'])).rejects.toThrow(/Unknown argument.*colour.*Valid options: --x, --y, --by/);
  });
});
