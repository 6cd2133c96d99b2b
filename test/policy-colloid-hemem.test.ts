import { describe, expect, it } from 'vitest';
import { ColloidHemem } from '../policies/colloid-hemem.ts';
import type { ColloidHememParams } from '../policies/colloid-hemem.ts';
import { EVENT_LOAD_LOCAL, EVENT_LOAD_REMOTE, FAULT_FIRST_TOUCH } from '../policies/policy.ts';
import { LoadFakeHost } from './lib-fake-host.ts';

const PARAMS: ColloidHememParams = {
  preset: 'sosp21',
  hotReadThreshold: 8,
  hotWriteThreshold: 4,
  coolingThreshold: 1000, // no cooling in these examples
  samplePeriod: 5003,
  policyIntervalMs: 10,
  migrateBudgetMiB: 10240,
  coolingPages: 8192,
  listOpNs: 0,
  ewma: 1, // the EWMA is checked on its own below; here each round sees its own sample
  migrateLimitPages: 50,
  dynamicLimit: false,
  lineBytes: 64,
};

/**
 * DRAM (4 frames): d0, d1, d2 with 10, 6, 0 read samples; slow tier (4 frames): s0, s1 with 3, 1.
 * Total 20 samples: p = 0.5, 0.3, 0 and 0.15, 0.05.
 */
function setup(params = PARAMS) {
  const host = new LoadFakeHost([4, 4]);
  const h = new ColloidHemem(params, host);
  const page = (tier: number, reads: number) => {
    const p = host.addPage(tier, host.pageCount());
    h.onFault(p, FAULT_FIRST_TOUCH);
    h.acc[3 * p + (tier === 0 ? EVENT_LOAD_LOCAL : EVENT_LOAD_REMOTE)] = reads;
    return p;
  };
  const [d0, d1, d2, s0, s1] = [page(0, 10), page(0, 6), page(0, 0), page(1, 3), page(1, 1)];
  /** One 10 ms round in which each tier served 1000 lines at the given latency. */
  const round = (localNs: number, remoteNs: number) => {
    host.serve(0, 1000, localNs);
    host.serve(1, 1000, remoteNs);
    host.nowNs += 10e6;
    h.policyRound();
  };
  return { host, h, d0, d1, d2, s0, s1, round };
}

describe('colloid-hemem: swapping page pairs to balance the tiers (SCAN_AND_SORT, EXPR3)', () => {
  it('local slower: moves the pair whose access-share gap is largest within Δp, once', () => {
    const { host, h, d0, d1, d2, s0, s1, round } = setup();
    // Local 400 ns, remote 200 ns, 1000 inserts each (β = 1): Δp = (400 − 200) / (2000 · (400/1000
    // + 200/1000)) = 1/6. Top (DRAM, ascending) d2 0, d1 0.3, d0 0.5; bottom (slow) s1 0.05, s0 0.15.
    // Two pointers: d2 − s1 < 0; d1 − s1 = 0.25 > 1/6, d1 − s0 = 0.15 ≤ 1/6 → best 0.15; d0 finds no
    // slow page left to compare. Swap d1 ↔ s0; Δp = 1/6 − 0.15. Next pass: d2 − s1 ≤ 0, d0 − s1 =
    // 0.45 too large: no pair, stop.
    round(400, 200);
    expect(host.tierOf(d1)).toBe(1);
    expect(host.tierOf(s0)).toBe(0);
    expect([d0, d2, s1].map((p) => host.tierOf(p))).toEqual([0, 0, 1]);
    expect(host.log).toEqual([`demote ${d1}`, `promote ${s0}`]);
    expect(host.get('colloidPagesMoved')).toBe(2);
    expect(host.get('colloidLocalSlowerRounds')).toBe(1);
    expect(h.lastTargetDelta).toBeCloseTo(1 / 6 - 0.15, 12);
    // The moved pages are on their new tier's lists.
    expect(h.lists.listOf[s0]).toBeLessThan(2);
    expect(h.lists.listOf[d1]).toBeGreaterThanOrEqual(2);
  });

  it('local faster: moves hotter slow pages up; a DRAM page without samples stays when DRAM has a free frame', () => {
    const { host, h, d2, s0, s1, round } = setup();
    // Local 100 ns, remote 300 ns: Δp = 200 / (2000 · (100/1000 + 300/1000)) = 0.25. Top (slow)
    // s1 0.05, s0 0.15; bottom (DRAM) d2 0, d1 0.3, d0 0.5. s1 − d2 = 0.05; s0 − d2 = 0.15 → best.
    // d2 has no samples and DRAM has 1 free frame: d2 stays, s0 moves up. Δp = 0.1; next pass:
    // s1 − d1 < 0: no pair.
    round(100, 300);
    expect(host.tierOf(s0)).toBe(0);
    expect(host.tierOf(d2)).toBe(0);
    expect(host.tierOf(s1)).toBe(1);
    expect(host.log).toEqual([`promote ${s0}`]);
    expect(host.get('colloidPagesMoved')).toBe(1);
    expect(host.get('colloidLocalSlowerRounds')).toBe(0);
    expect(h.lastTargetDelta).toBeCloseTo(0.1, 12);
  });

  it('does nothing when the latencies are equal or the remote tier served nothing', () => {
    const a = setup();
    a.round(200, 200);
    expect(a.host.log).toEqual([]);
    const b = setup();
    b.host.serve(0, 1000, 400);
    b.host.nowNs += 10e6;
    b.h.policyRound();
    expect(b.host.log).toEqual([]);
  });

  it('checks the round\'s byte limit before each pair: 0 moves nothing, a dynamic limit under a page still allows one pair', () => {
    const none = setup({ ...PARAMS, migrateLimitPages: 0 });
    none.round(400, 200);
    expect(none.host.log).toEqual([]);
    // One line per tier at 400 / 200 ns: Δp = 200 / (2 · (400 + 200)) = 1/6 as before; the dynamic
    // limit ⌊1/6 · 2 · 64⌋ = 21 B is under a page but above 0: the swap d1 ↔ s0 (8 KiB) happens.
    const one = setup({ ...PARAMS, dynamicLimit: true });
    one.host.serve(0, 1, 400);
    one.host.serve(1, 1, 200);
    one.host.nowNs += 10e6;
    one.h.policyRound();
    expect(one.host.log).toEqual([`demote ${one.d1}`, `promote ${one.s0}`]);
  });

  it('smooths occupancy and inserts with weight COLLOID_EWMA per round', () => {
    const { h, round } = setup({ ...PARAMS, ewma: 0.0625 });
    // Round 1: occupancy rate 1000 · 400 / 1e7 = 0.04 → 0.0625 · 0.04 = 0.0025; inserts 62.5.
    round(400, 200);
    expect(h.occ[0]).toBeCloseTo(0.0025, 15);
    expect(h.ins[0]).toBeCloseTo(62.5, 12);
    expect(h.occ[1]).toBeCloseTo(0.00125, 15);
    // Round 2, same load: 0.0625 · 0.04 + 0.9375 · 0.0025 = 0.00484375.
    round(400, 200);
    expect(h.occ[0]).toBeCloseTo(0.00484375, 15);
  });
});
