import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SyntheticSource } from '../traces/synthetic.ts';
import { createBatch } from '../traces/batch.ts';
import { resolveConfig, runSimulation } from '../sim/run.ts';
import { summaryRow } from '../results/rows.ts';
import { tmp } from './trace-helpers.ts';

const footprint = (spec: string, seed = 1) => {
  const s = new SyntheticSource(spec, seed);
  return [s.footprintPages(4096), s.footprintPages(2 << 20)];
};

/** Distinct 4 KiB and 2 MiB pages of everything the source hands out (the slow, obvious way). */
function drainPages(spec: string, seed = 1): number[] {
  const s = new SyntheticSource(spec, seed);
  const p4 = new Set<bigint>();
  const p2 = new Set<bigint>();
  const b = createBatch();
  for (let c = 0; c < s.cpus; c++) {
    for (let n = s.read(c, b); n > 0; n = s.read(c, b)) {
      for (let i = 0; i < n; i++) {
        const a = (BigInt(b.addrHi[i]) << 32n) | BigInt(b.addrLo[i]);
        p4.add(a >> 12n);
        p2.add(a >> 21n);
      }
    }
  }
  return [p4.size, p2.size];
}

describe('the footprint of a synthetic workload is the pages it touches', () => {
  it('a scan touches the pages its accesses reach, whatever the thread count', () => {
    // 1000 accesses of 64 lines per page: steps 0…999 reach pages 0…15 (⌈1000/64⌉ = 16), all in
    // the first 2 MiB page (the dense layout starts at page 0x10000, a 2 MiB boundary).
    expect(footprint('scan:pages=100,accesses=1000,lines=64')).toEqual([16, 1]);
    // Threads interleave over the scan (thread t takes steps t, t + 3, …): together still steps 0…999.
    expect(footprint('scan:pages=100,accesses=1000,lines=64,threads=3')).toEqual([16, 1]);
    // 100 pages × 1 line, 250 accesses: the scan wraps, all 100 pages.
    expect(footprint('scan:pages=100,accesses=250,lines=1')).toEqual([100, 1]);
  });

  it('an init pass touches every declared page', () => {
    // 5000 pages from a 2 MiB boundary: ⌈5000 / 512⌉ = 10 huge pages; the one random access adds nothing.
    expect(footprint('uniform:pages=5000,accesses=1,init=1')).toEqual([5000, 10]);
    expect(footprint('hotset:pages=256Ki,accesses=10M')).toEqual([262144, 512]); // the default workload: init on
  });

  it('counts phases apart in the address space, and sparse regions 2 MiB-aligned', () => {
    // Pages 0…9 and 1000…1009: 20 pages in huge pages 0 (pages 0–511) and 1 (512–1023).
    expect(footprint('scan:pages=10,accesses=10,lines=1+scan:pages=10,accesses=10,lines=1,offset=1000')).toEqual([20, 2]);
    // 70 000 pages: one full 64 Ki-page region (128 huge pages) and 4464 pages of the next (⌈4464/512⌉ = 9).
    expect(footprint('scan:pages=70000,accesses=70000,lines=1,layout=sparse')).toEqual([70000, 137]);
  });

  it('uniform sampling touches about n(1 − (1 − 1/n)^k) pages, not n', () => {
    const n = 100000;
    const k = 200000;
    const expected = n * (1 - (1 - 1 / n) ** k); // 86 466.5
    const [got] = footprint(`uniform:pages=${n},accesses=${k}`);
    // Standard deviation of the distinct count here is about 110 pages: 1 % is a wide margin.
    expect(Math.abs(got! - expected)).toBeLessThan(0.01 * expected);
  });

  it('equals the distinct pages the generator hands out, for every kind, layout, thread count and seed', () => {
    for (const spec of [
      'uniform:pages=30000,accesses=20000,threads=3',
      'zipf:pages=50000,accesses=30000,theta=0.9',
      'hotset:pages=40000,accesses=15000,init=0,shiftAt=0.5,threads=2',
      'uniform:pages=200000,accesses=9000,layout=sparse+zipf:pages=3000,accesses=500,offset=190000,layout=sparse',
      'uniform:pages=2000,accesses=300+scan:pages=4000,accesses=700,lines=8,offset=100000',
    ]) {
      for (const seed of [1, 9]) expect(footprint(spec, seed), `${spec} seed ${seed}`).toEqual(drainPages(spec, seed));
    }
  });

  it('sizes the tiers of a run, and the run touches exactly that footprint', async () => {
    const { config } = resolveConfig({ flags: { policy: 'first-touch', workload: 'uniform:pages=64Ki,accesses=20k' }, sets: { 'trace.indexCache': 'false' } });
    const out = await runSimulation(config);
    const row = summaryRow(config, out.tiers, out.result, out.trace, out.footprintPages);
    const fp = row.footprintPages as number;
    // About 65536 · (1 − e^(−20000/65536)) = 17 240 pages touched of the 65 536 declared.
    expect(fp).toBeGreaterThan(17000);
    expect(fp).toBeLessThan(17500);
    expect(row.pages).toBe(fp); // the engine's own count of distinct pages touched
    // Ratio 1:4 with 10 % headroom on the slowest tier: ⌊fp/5⌋ and ⌊4fp/5⌋ + ⌈fp/10⌉.
    expect([row.tier0CapacityPages, row.tier1CapacityPages]).toEqual([Math.floor(fp / 5), Math.floor((4 * fp) / 5) + Math.ceil(fp / 10)]);
  });

  it('is cached by spec and seed; a broken cache file is counted again and rewritten whole', () => {
    const dir = tmp();
    // 1.2 M accesses: a count worth a cache file (below 1 Mi generated accesses none is written).
    const spec = 'uniform:pages=20000,accesses=1200000';
    new SyntheticSource('uniform:pages=20000,accesses=10000', 3, { footprintCacheDir: dir }).footprintPages(4096);
    expect(readdirSync(dir)).toEqual([]);
    const first = new SyntheticSource(spec, 3, { footprintCacheDir: dir }).footprintPages(4096);
    const files = readdirSync(dir);
    expect(files.length).toBe(1);
    const file = join(dir, files[0]);
    expect(JSON.parse(readFileSync(file, 'utf8')).pages4k).toBe(first);
    // A cached value is used as is (here a planted one, to show it is read)…
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), pages4k: 123, pages2m: 1 }));
    expect(new SyntheticSource(spec, 3, { footprintCacheDir: dir }).footprintPages(4096)).toBe(123);
    // …a cut-short one is not.
    writeFileSync(file, '{"version":1,"spec":');
    expect(new SyntheticSource(spec, 3, { footprintCacheDir: dir }).footprintPages(4096)).toBe(first);
    expect(JSON.parse(readFileSync(file, 'utf8')).pages4k).toBe(first);
    // Another seed is another workload.
    new SyntheticSource(spec, 4, { footprintCacheDir: dir }).footprintPages(4096);
    expect(readdirSync(dir).length).toBe(2);
  });
});
