import { describe, expect, it } from 'vitest';
import { SyntheticSource, parseWorkload, zipfAlias, WorkloadError } from '../traces/synthetic.ts';
import { createBatch, OP_WRITE } from '../traces/batch.ts';

/** All records of one CPU as 4 KiB page indices relative to the dense base, plus ops. */
function drain(spec: string, seed = 1, cpu = 0): { pages: number[]; writes: number[] } {
  const src = new SyntheticSource(spec, seed);
  const b = createBatch(1000);
  const pages: number[] = [];
  const writes: number[] = [];
  for (let n; (n = src.read(cpu, b)) > 0; ) {
    for (let i = 0; i < n; i++) {
      pages.push((b.addrHi[i] * 2 ** 32 + b.addrLo[i]) / 4096 - 0x10000);
      writes.push(b.op[i] === OP_WRITE ? 1 : 0);
    }
  }
  return { pages: pages.map(Math.floor), writes };
}

describe('synthetic workloads', () => {
  it('rejects unknown kinds and parameters, listing the valid ones', () => {
    expect(() => parseWorkload('gups:pages=1')).toThrow(/unknown kind "gups" in phase 1. Valid kinds: uniform, zipf, hotset, scan/);
    expect(() => parseWorkload('zipf:alpha=1')).toThrow(/zipf has no parameter "alpha". Valid: pages, accesses, .*theta, scatter/);
    expect(() => parseWorkload('uniform:pages=lots')).toThrow(/uniform.pages expects a number, found "lots"/);
    expect(() => parseWorkload('hotset:hot=2')).toThrow(WorkloadError);
    expect(() => parseWorkload('uniform:threads=2+uniform:threads=3')).toThrow(/every phase needs the same thread count/);
  });

  it('hotset with init writes every page once in address order, then sends hotShare to the hot set', () => {
    // 1000 pages, hot = 0.1 → 100 hot pages starting at hotAt 0.5 → pages 500…599.
    const { pages, writes } = drain('hotset:pages=1000,accesses=100k,hot=0.1,hotShare=0.9,write=0');
    expect(pages.length).toBe(1000 + 100000);
    expect(pages.slice(0, 1000)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(writes.slice(0, 1000).every((w) => w === 1)).toBe(true);
    const rest = pages.slice(1000);
    expect(rest.every((p) => p >= 0 && p < 1000)).toBe(true);
    // Hot draws (0.9) all land in 500…599; cold draws (0.1) are uniform over all pages, 10 % of them hot:
    // expected share in the hot range 0.9 + 0.1 · 0.1 = 0.91 (σ ≈ 0.0009 at 100k).
    const hot = rest.filter((p) => p >= 500 && p < 600).length / rest.length;
    expect(hot).toBeGreaterThan(0.905);
    expect(hot).toBeLessThan(0.915);
  });

  it('shifts a share of the hot set to the pages after it at shiftAt', () => {
    // Hot set 500…599; at half-way the first quarter (hot pages 500…524) moves to 600…624.
    const { pages } = drain('hotset:pages=1000,accesses=200k,hot=0.1,hotShare=1,shiftAt=0.5,shiftFrac=0.25,init=0');
    const before = pages.slice(0, 100000);
    const after = pages.slice(100000);
    const inRange = (xs: number[], lo: number, hi: number) => xs.filter((p) => p >= lo && p < hi).length;
    expect(inRange(before, 600, 625)).toBe(0);
    expect(inRange(after, 500, 525)).toBe(0);
    // After the shift the moved quarter gets a quarter of the traffic (σ ≈ 0.0014 of 100k).
    expect(inRange(after, 600, 625) / after.length).toBeCloseTo(0.25, 2);
    expect(inRange(before, 500, 525) / before.length).toBeCloseTo(0.25, 2);
  });

  it('hotset idle: the idle share is touched by the init pass only, the tail spread evenly over the other non-hot pages', () => {
    // 1000 pages, hot set 500…599; idle = 0.6 → 600 idle pages; non-hot 900, warm 300: warm j at
    // non-hot index ⌊j · 900 / 300⌋ = 3j, i.e. pages 0, 3, …, 498 (below the hot set) and, past it,
    // non-hot 501, 504, …, 897 → pages 601, 604, …, 997.
    const { pages } = drain('hotset:pages=1000,accesses=200k,hot=0.1,hotShare=0.5,write=0,idle=0.6');
    expect(pages.slice(0, 1000)).toEqual(Array.from({ length: 1000 }, (_, i) => i)); // init writes every page
    const rest = pages.slice(1000);
    const warm: number[] = [];
    for (let m = 0; m < 900; m += 3) warm.push(m < 500 ? m : m + 100);
    const hotPages = Array.from({ length: 100 }, (_, i) => 500 + i);
    // ~100k tail draws over 300 pages: every warm page is drawn (P(miss one) ≈ 300 · e^−333).
    expect([...new Set(rest)].sort((a, b) => a - b)).toEqual([...warm, ...hotPages].sort((a, b) => a - b));
    // The tail no longer reaches the hot set: its share is hotShare itself (σ ≈ 0.0011 at 200k).
    const hot = rest.filter((p) => p >= 500 && p < 600).length / rest.length;
    expect(hot).toBeGreaterThan(0.495);
    expect(hot).toBeLessThan(0.505);
  });

  it('hotset idle=0 is the stream without the parameter; out-of-range idle is rejected', () => {
    expect(drain('hotset:pages=1000,accesses=20k,idle=0')).toEqual(drain('hotset:pages=1000,accesses=20k'));
    expect(() => parseWorkload('hotset:pages=1000,hot=0.1,idle=0.9')).toThrow(/needs idle in \[0, 1\)/); // 900 idle = every non-hot page
    expect(() => parseWorkload('hotset:pages=1000,hot=0.1,idle=-0.1')).toThrow(/needs idle/);
    expect(() => parseWorkload('hotset:pages=1000,hot=0.1,idle=0.899')).not.toThrow();
    expect(() => parseWorkload('uniform:pages=1000,idle=0.5')).toThrow(/uniform has no parameter "idle"/);
  });

  it('builds alias tables that reproduce the Zipf weights exactly', () => {
    // θ = 1, n = 4: weights 1, 1/2, 1/3, 1/4 over 25/12 → 0.48, 0.24, 0.16, 0.12.
    // Alias method: P(k) = (prob[k] + Σ_{j: alias[j] = k} (1 − prob[j])) / n.
    const { prob, alias } = zipfAlias(4, 1);
    const p = [0, 0, 0, 0];
    for (let j = 0; j < 4; j++) {
      p[j] += prob[j] / 4;
      if (prob[j] < 1) p[alias[j]] += (1 - prob[j]) / 4;
    }
    [0.48, 0.24, 0.16, 0.12].forEach((want, k) => expect(p[k]).toBeCloseTo(want, 6));
  });

  it('samples zipf ranks with those frequencies when not scattered', () => {
    const { pages } = drain('zipf:pages=4,accesses=200k,theta=1,scatter=0,write=0');
    const f = [0, 1, 2, 3].map((k) => pages.filter((x) => x === k).length / pages.length);
    [0.48, 0.24, 0.16, 0.12].forEach((want, k) => expect(f[k]).toBeCloseTo(want, 2));
  });

  it('scans lines of each page in order', () => {
    expect(drain('scan:pages=3,accesses=8,lines=2').pages).toEqual([0, 0, 1, 1, 2, 2, 0, 0]);
  });

  it('gives each thread its own share and stream; same seed, same stream', () => {
    const spec = 'uniform:pages=1000,accesses=1001,threads=2';
    const t0 = drain(spec, 1, 0).pages;
    const t1 = drain(spec, 1, 1).pages;
    expect(t0.length).toBe(501);
    expect(t1.length).toBe(500);
    expect(t0).not.toEqual(t1.slice(0, 500).concat([0]));
    expect(drain(spec, 1, 0).pages).toEqual(t0);
    expect(drain(spec, 2, 0).pages).not.toEqual(t0);
  });

  it('reports the footprint in pages of the run\'s size', () => {
    // Dense layout starts at page 0x10000 = a 2 MiB boundary, so 1000 pages span 2 huge pages.
    const src = new SyntheticSource('uniform:pages=1000', 1);
    expect(src.footprintPages(4096)).toBe(1000);
    expect(src.footprintPages(2 << 20)).toBe(2);
    // Two phases over overlapping ranges: the union 0…1499.
    expect(new SyntheticSource('uniform:pages=1000+uniform:pages=1000,offset=500', 1).footprintPages(4096)).toBe(1500);
    // Sparse: 70 000 pages = one full 64 Ki-page region + 4464 pages of the next, each region 2 MiB-aligned.
    expect(new SyntheticSource('uniform:pages=70000,layout=sparse', 1).footprintPages(2 << 20)).toBe(128 + 9);
  });

  it('places sparse regions far apart in the 64-bit space', () => {
    const src = new SyntheticSource('uniform:pages=200000,accesses=5000,layout=sparse', 1);
    const b = createBatch(5000);
    src.read(0, b);
    const highs = new Set(Array.from(b.addrHi.subarray(0, b.count)));
    expect(highs.size).toBe(4); // 200 000 pages = 4 regions of 64 Ki pages
    for (const h of highs) expect(h).toBeGreaterThan(0);
  });
});
