import { describe, expect, it } from 'vitest';
import { Zswap, ZS_LOADS, ZS_POOL_BYTES, ZS_REJECTED, ZS_SAME_FILLED, ZS_STORED, ZS_STORED_PAGES, ZS_WRITTEN_BACK, ZS_SAVED_BYTES } from '../sim/swap.ts';
import { makeEngine, probePolicy } from './helpers.ts';
import { FAULT_FIRST_TOUCH } from '../policies/policy.ts';
import * as S from '../sim/stats.ts';

function pool(over: Record<string, unknown> = {}) {
  // 100 frames of 4 KiB: limit 20 % = 81 920 B, accept threshold 90 % of it = 73 728 B.
  return new Zswap({ 'zswap.enabled': true, 'zswap.compressionRatio': 4, 'zswap.ratioSpread': 0, seed: 1, ...over }, 100, 4096, 2);
}

describe('zswap pool (mm/zswap.c)', () => {
  it('stores a page at 4096 / ratio bytes and takes whole 4 KiB pool pages from its tier', () => {
    const z = pool();
    const cap = Float64Array.from([50, 50]);
    const used = Float64Array.from([10, 0]);
    const wb: number[] = [];
    expect(z.store(0, 0, 4096, false, cap, used, (p) => wb.push(p))).toBe(0);
    // ratio 4 → 1024 B; one pool page → tier 0's capacity 50 → 49.
    expect([z.stats[ZS_POOL_BYTES], cap[0]]).toEqual([1024, 49]);
    for (let p = 1; p < 4; p++) z.store(p, 0, 4096, false, cap, used, (q) => wb.push(q));
    expect([z.stats[ZS_POOL_BYTES], cap[0]]).toEqual([4096, 49]); // four entries share one pool page
    z.store(4, 0, 4096, false, cap, used, (q) => wb.push(q));
    expect(cap[0]).toBe(48);
    // Saved: 5 pages of 4096 held in 5120 B.
    expect(z.stats[ZS_SAVED_BYTES]).toBe(5 * 4096 - 5120);
    // Loading one back frees its bytes: 4096 B → one pool page → capacity 49.
    expect(z.load(4, cap)).toBe(true);
    expect([z.stats[ZS_POOL_BYTES], cap[0], z.stats[ZS_LOADS]]).toEqual([4096, 49, 1]);
  });

  it('keeps same-filled pages without data', () => {
    const z = pool();
    const cap = Float64Array.from([50, 50]);
    z.store(7, 0, 4096, true, cap, new Float64Array(2), () => {});
    expect([z.stats[ZS_SAME_FILLED], z.stats[ZS_POOL_BYTES], cap[0], z.has(7)]).toEqual([1, 0, 50, true]);
    expect(z.load(7, cap)).toBe(false); // nothing to decompress
  });

  it('writes the oldest entries back to swap when full, down to the accept threshold', () => {
    const z = pool();
    const cap = Float64Array.from([100, 100]);
    const used = new Float64Array(2);
    const wb: number[] = [];
    // 80 entries of 1024 B fill the 81 920 B limit exactly.
    for (let p = 0; p < 80; p++) expect(z.store(p, 0, 4096, false, cap, used, (q) => wb.push(q))).toBe(0);
    expect(z.stats[ZS_POOL_BYTES]).toBe(81920);
    // The 81st: writeback while total > 73 728 − 1024 = 72 704 → 9 oldest (81 920 − 9 · 1024 = 72 704).
    expect(z.store(80, 0, 4096, false, cap, used, (q) => wb.push(q))).toBe(0);
    expect(wb).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect([z.stats[ZS_WRITTEN_BACK], z.stats[ZS_POOL_BYTES], z.stats[ZS_STORED_PAGES], z.stats[ZS_STORED]]).toEqual([9, 73728, 72, 81]);
    expect(z.has(0)).toBe(false);
    // Pool pages: ⌈73 728 / 4096⌉ = 18 taken from tier 0.
    expect(cap[0]).toBe(82);
  });

  it('rejects a page whose pool page would not fit in its tier', () => {
    const z = pool();
    const cap = Float64Array.from([10, 10]);
    const used = Float64Array.from([10, 0]);
    expect(z.store(0, 0, 4096, false, cap, used, () => {})).toBe(-1);
    expect([z.stats[ZS_REJECTED], cap[0]]).toEqual([1, 10]);
  });

  it('draws per-page ratios uniformly around the mean', () => {
    const z = pool({ 'zswap.compressionRatio': 3, 'zswap.ratioSpread': 0.5 });
    let sum = 0;
    let lo = Infinity;
    let hi = 0;
    for (let p = 0; p < 20000; p++) {
      const r = z.ratioOf(p);
      sum += r;
      lo = Math.min(lo, r);
      hi = Math.max(hi, r);
    }
    expect(lo).toBeGreaterThanOrEqual(1.5);
    expect(hi).toBeLessThan(4.5);
    expect(sum / 20000).toBeCloseTo(3, 1);
  });
});

describe('zswap in a run', () => {
  it('swaps a page in from the pool at the fault cost plus decompression, by hand', async () => {
    const policy = probePolicy((host) => ({ onFault(page, kind) { if (kind === FAULT_FIRST_TOUCH && page === 1) host.evict(0, true); } }), { name: 'evictor' });
    // 0 W (first touch 1001), 1 R (first touch 1001; evicts 0 into zswap asynchronously: compress
    // 3000 kernel CPU, no stall (test/zswap-stall.test.ts), no write-back), 0 R: swap-in from zswap = 1000 fixed + 700 decompress, then a local read.
    const sets = { 'zswap.enabled': true, 'zswap.compressionRatio': 4, 'zswap.ratioSpread': 0, 'zswap.compressNs': 3000, 'zswap.decompressNs': 700, 'cost.swapOutNs': 5000 };
    const e = makeEngine({ perCpu: [[[0, 'W'], [1, 'R'], [0, 'R']]], localPages: 2, cxlPages: 2, policy, sets });
    const res = await e.run();
    expect(res.counters[S.C_SWAP_INS]).toBe(1);
    expect(res.counters[S.C_KERNEL_CPU_NS]).toBe(2 * 1001 + 3000 + 1700);
    expect(res.counters[S.C_LATENCY_SUM_NS]).toBe(150 + 100 + 1700 + 100);
    expect(res.counters[S.C_TIER_BASE]).toBe(3); // the pool page was given back: page 0 returns to local
    expect([e.zswapStats[ZS_STORED], e.zswapStats[ZS_LOADS], e.zswapStats[ZS_POOL_BYTES]]).toEqual([1, 1, 0]);
    expect(e.checkInvariants()).toEqual([]);
  });
});
