import { describe, expect, it, vi } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { FIX, tmp } from './trace-helpers.ts';
import { resolveConfig, runSimulation } from '../sim/run.ts';
import { summaryRow } from '../results/rows.ts';
import { POLICIES } from '../policies/registry.ts';
import { TraceError } from '../traces/open.ts';
import { TraceStats, pageHistogram } from '../traces/stats.ts';
import { stats } from '../traces/cli.ts';
import { readTrace } from './trace-helpers.ts';
import { createBatch } from '../traces/batch.ts';

const LACKEY = join(FIX, 'sort-cut.lackey');

async function run(flags: Record<string, unknown>, sets: Record<string, unknown> = {}) {
  const { config } = resolveConfig({ flags: { policy: 'first-touch', trace: LACKEY, ...flags }, sets: { 'trace.indexCache': 'false', ...sets } });
  const out = await runSimulation(config);
  return summaryRow(config, out.tiers, out.result, out.trace);
}

describe('running a trace', () => {
  it('a lackey trace runs through the LLC filter by default: only misses reach memory', async () => {
    const row = await run({});
    // sort-cut.lackey: 20 records over 11 distinct 64 B lines (stack 0x…700, 0x…6c0, 0x…680;
    // 0x4033e00, 0x4033ac0; 0x4032a80, 0x4032e40; 0x4029140, 0x4029180; 0x1ffeffefc0, 0x1ffefff000):
    // a 1 MiB LLC misses each once and evicts nothing, so 11 accesses reach memory, 9 hit.
    expect(row.accesses).toBe(11);
    expect(row.llcHitRatio).toBe(0.45);
    expect(row.pages).toBe(6);
    // Tiers sized from the pre-pass footprint (6 pages) by ratio 1:4 with 10 % headroom: 1 and 4 + 1.
    expect([row.tier0CapacityPages, row.tier1CapacityPages]).toEqual([1, 5]);
  });

  it('with the filter off every record reaches memory, and the hit-ratio column is empty', async () => {
    const row = await run({}, { 'llc.enabled': 'false' });
    expect(row.accesses).toBe(20);
    expect(row.writes).toBe(13);
    expect(row.llcHitRatio).toBe('');
  });

  it('synthetic workloads skip the filter unless asked', async () => {
    const workload = 'scan:pages=2,accesses=6,lines=2';
    const sets = { 'machine.ratio': '1:1' };
    const off = await run({ trace: null, workload }, sets);
    expect([off.accesses, off.llcHitRatio]).toEqual([6, '']);
    // Lines p0:0, p0:1, p1:0, p1:1, then p0:0, p0:1 again: 4 misses, 2 hits.
    const on = await run({ trace: null, workload }, { ...sets, 'llc.enabled': 'true' });
    expect([on.accesses, on.llcHitRatio]).toEqual([4, 0.333333]);
  });

  it('every policy runs it, deterministically', async () => {
    for (const p of POLICIES) {
      const a = await run({ policy: p.name });
      const b = await run({ policy: p.name });
      expect(a).toEqual(b);
      expect(a.accesses).toBe(11);
    }
  });

  it('a malformed trace stops the run with file:line; --skip-bad counts it in the summary', async () => {
    const dir = tmp();
    const lines = readFileSync(LACKEY, 'latin1').split('\n');
    lines[10] = ' S 1fff00072g,8';
    const bad = join(dir, 'bad.lackey');
    writeFileSync(bad, lines.join('\n'));
    await expect(run({ trace: bad })).rejects.toThrow(TraceError);
    await expect(run({ trace: bad })).rejects.toThrow(/bad\.lackey:11: expected/);
    const row = await run({ trace: bad, 'trace.skipBad': true });
    expect(row.badRecordsSkipped).toBe(1);
  });

  it('unknown trace keys are config errors listing valid keys', () => {
    expect(() => resolveConfig({ sets: { 'llc.sizeMB': '1' } })).toThrow(/unknown config key "llc.sizeMB". Did you mean llc.sizeMiB/);
    expect(() => resolveConfig({ sets: { 'trace.format': 'pin' } })).toThrow(/trace.format must be one of auto, lackey, native/);
  });

  it('the CLI runs a trace as a user types it, and exits 2 with the message on a bad one', () => {
    const dir = tmp();
    const ok = spawnSync('npx', ['tsx', '--import', './policies/registry.ts', 'sim/cli.ts', '--policy', 'first-touch', '--trace', LACKEY, '--format', 'json', '--out', join(dir, 'r'), '--set', 'trace.indexCache=false'], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).accesses).toBe(11);
    const badOpt = spawnSync('npx', ['tsx', '--import', './policies/registry.ts', 'sim/cli.ts', '--trace', join(FIX, 'README.md'), '--out', join(dir, 's')], { encoding: 'utf8' });
    expect(badOpt.status).toBe(2);
    expect(badOpt.stderr).toMatch(/error: .*README\.md: unknown trace format/);
  });
});

describe('trace stats', () => {
  it('counts, footprint, hot shares and reuse distances of the lackey fragment (worked by hand)', async () => {
    const { recs } = await readTrace(LACKEY);
    const st = new TraceStats();
    const b = createBatch(recs.length);
    recs.forEach((r, i) => {
      const a = BigInt(r.addr);
      b.addrHi[i] = Number(a >> 32n);
      b.addrLo[i] = Number(a & 0xffffffffn);
      b.op[i] = r.op === 'W' ? 1 : 0;
    });
    b.count = recs.length;
    st.add(b);
    // Pages in access order: stack ×9, 0x4033 ×3, 0x4032 ×2, 0x4033, 0x4029 ×2, 0x1ffeffe ×2, 0x1ffefff.
    expect([st.accesses, st.writes, st.pages.size, st.pages2m.size, st.cold]).toEqual([20, 13, 6, 3, 6]);
    // Re-accesses: 13 at distance 0, one (0x4033 after 0x4032) at distance 1.
    expect(st.lruHitRatio(1)).toBe(13 / 20);
    expect(st.lruHitRatio(4)).toBe(14 / 20);
    expect([st.distQuantile(0.5), st.distQuantile(0.99)]).toEqual([0, 1]);
    // Hottest page (the stack, 9 accesses) is both the top 1 % and the top 10 % of 6 pages.
    expect(st.hotShare(0.01)).toBe(0.45);
    expect(pageHistogram(st).map(([, page, n]) => [page.toString(16), n])).toEqual([
      // ties in page order
      ['1fff000000', 9], ['4033000', 4], ['4029000', 2], ['4032000', 2], ['1ffeffe000', 2], ['1ffefff000', 1],
    ]);
  });

  it('writes the page histogram as CSV and SVG', async () => {
    const dir = tmp();
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await stats(LACKEY, 'auto', { path: LACKEY, cpu: -1, skipBad: false, nsPerInstruction: 1 }, dir);
    const csv = readFileSync(join(dir, 'page-histogram.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('rank,vm,page,accesses');
    expect(csv[1]).toBe('1,0,0x1fff000000,9');
    expect(csv.length).toBe(7);
    expect(readFileSync(join(dir, 'page-histogram.svg'), 'utf8')).toMatch(/^<svg[^]*<polyline[^]*<\/svg>\n$/);
  });
});
