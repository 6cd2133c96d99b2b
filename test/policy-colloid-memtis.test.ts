import { describe, expect, it } from 'vitest';
import colloidMemtisDef, { ColloidMemtis, COLLOID_ONE } from '../policies/colloid-memtis.ts';
import type { ColloidMemtisParams } from '../policies/colloid-memtis.ts';
import { Memtis, L_SLOW_ACTIVE } from '../policies/memtis.ts';
import { FAULT_FIRST_TOUCH } from '../policies/policy.ts';
import { FakeHost, LoadFakeHost } from './lib-fake-host.ts';

const DEFAULTS = Object.fromEntries(Object.entries(colloidMemtisDef.params).map(([k, v]) => [k, v.default])) as unknown as ColloidMemtisParams;
// No EWMA smoothing in the worked examples (each poll sees its own sample); checked on its own below.
const PARAMS: ColloidMemtisParams = { ...DEFAULTS, ewmaExp: 0 };

/**
 * Fast tier (4 frames): d0, d1, d2; slow tier (4 frames): s0, s1, with the given Memtis access
 * counts. The promotion watermark (50 MiB = 12,800 base pages) exceeds the 4-frame tier, so, as in
 * Memtis, room to promote is unbounded (only free frames limit it).
 */
function setup(counts: number[], params = PARAMS) {
  const host = new LoadFakeHost([4, 4]);
  const h = new ColloidMemtis(params, host);
  const ids = [0, 0, 0, 1, 1].map((tier, i) => {
    const p = host.addPage(tier, i);
    h.onFault(p, FAULT_FIRST_TOUCH);
    h.count[p] = counts[i];
    return p;
  });
  /** One 10 ms poll in which tier 0 / tier 1 served the given lines at the given latencies. */
  const poll = (linesL: number, latL: number, linesR: number, latR: number) => {
    host.serve(0, linesL, latL);
    host.serve(1, linesR, latR);
    host.nowNs += 10e6;
    h.poll();
  };
  return { host, h, ids, poll };
}

describe('colloid-memtis monitor (webglider/memtis colloid-mon.c): Δp by bisection of the local share', () => {
  it('local slower, then faster, then a narrow bracket reopened, then balanced within 5 %', () => {
    const { h, poll } = setup([1, 1, 1, 1, 1]);
    const m = h.monitor;
    // 1000 lines each at 400 / 200 ns in 10 ms: lines in flight 1000·400/10^7 = 0.04 → 40,000 (×10^6),
    // remote 20,000. occ_l·ins_r = 4·10^7 > occ_r·ins_l = 2·10^7: local slower; |diff| 2·10^7 > 5 %
    // of 4·10^7. p = 1000/2000 = 0.5 → p_hi = 0.5, p_lo = 0; target 0.25; Δp = 0.25.
    // dynlimit = 0.25 · 2000 lines · (500/10) / 64 = 390.6 → 390 base pages.
    poll(1000, 400, 1000, 200);
    expect([...m.occ, ...m.ins]).toEqual([40000, 20000, 1000, 1000]);
    expect(m.localSlower).toBe(true);
    expect([m.pLo, m.pHi]).toEqual([0, 0.5 * COLLOID_ONE]);
    expect(m.deltaP).toBe(0.25 * COLLOID_ONE);
    expect(m.dynLimit).toBe(390);
    // 700 lines at 150 ns, 1300 at 250 ns: occ 10,500 / 32,500; 10,500·1300 = 13.65·10^6 <
    // 32,500·700 = 22.75·10^6: local faster. p = 0.35 → p_lo = 0.35 (p_hi 0.5 stays); target 0.425,
    // Δp = 0.075; dynlimit = 0.075 · 2000 · 50 / 64 = 117.2 → 117.
    poll(700, 150, 1300, 250);
    expect(m.localSlower).toBe(false);
    expect([m.pLo, m.pHi]).toEqual([0.35 * COLLOID_ONE, 0.5 * COLLOID_ONE]);
    expect(m.deltaP).toBe(0.075 * COLLOID_ONE);
    expect(m.dynLimit).toBe(117);
    // 990 at 100 ns, 1010 at 200 ns: occ 9,900 / 20,200; 9,900·1010 < 20,200·990: local faster.
    // p = 0.495 → p_lo = 0.495; the bracket [0.495, 0.5] is under 1 %: p_hi reopens to 1.
    // target (0.495 + 1) / 2 = 0.7475; Δp = 0.2525.
    poll(990, 100, 1010, 200);
    expect([m.pLo, m.pHi]).toEqual([0.495 * COLLOID_ONE, COLLOID_ONE]);
    expect(m.deltaP).toBe(252_500_000);
    // 1000 at 204 ns vs 1000 at 200 ns: local slower by 2 % (|20,400 − 20,000|·1000 = 4·10^5 ≤ 5 %
    // of 20,400·1000 = 1.02·10^6): balanced, Δp = 0, dynlimit 0; the bracket is left alone.
    poll(1000, 204, 1000, 200);
    expect(m.localSlower).toBe(true);
    expect(m.deltaP).toBe(0);
    expect(m.dynLimit).toBe(0);
    expect([m.pLo, m.pHi]).toEqual([0.495 * COLLOID_ONE, COLLOID_ONE]);
  });

  it('integer EWMAs with EWMA_EXP 4: (cur + 15·s) >> 4', () => {
    const { h, poll } = setup([1, 1, 1, 1, 1], DEFAULTS);
    expect(DEFAULTS.ewmaExp).toBe(4);
    // From 0: occ_l = 40,000 / 16 = 2500, ins_l = 1000 / 16 = 62.5 → 62.
    poll(1000, 400, 1000, 200);
    expect([h.monitor.occ[0], h.monitor.ins[0]]).toEqual([2500, 62]);
    // (40,000 + 15·2500) / 16 = 4843.75 → 4843; (1000 + 15·62) / 16 = 120.6 → 120.
    poll(1000, 400, 1000, 200);
    expect([h.monitor.occ[0], h.monitor.ins[0]]).toEqual([4843, 120]);
  });

  it('the poll timer goes to the monitor, the others to Memtis', () => {
    const { host, h } = setup([1, 1, 1, 1, 1]);
    const hooks = h.hooks();
    host.serve(0, 1000, 400);
    host.serve(1, 1000, 200);
    host.nowNs += 10e6;
    hooks.onTimer!(1000);
    expect(host.get('colloidPolls')).toBe(1);
    expect(host.get('colloidLocalSlowerPolls')).toBe(1);
    expect(h.monitor.deltaP).toBe(0.25 * COLLOID_ONE);
  });
});

describe('colloid-memtis migration: hottest pages whose access share fits in Δp, toward the faster tier', () => {
  // Counts d0 500, d1 300, d2 100, s0 80, s1 20: overall 1000, shares 0.5, 0.3, 0.1, 0.08, 0.02.
  const COUNTS = [500, 300, 100, 80, 20];

  it('local slower (Δp 0.25): demotes the hottest fast-tier page that fits, once', () => {
    const { host, h, ids, poll } = setup(COUNTS);
    const [d0, d1, d2, s0, s1] = ids;
    poll(1000, 400, 1000, 200);
    h.promoteNode();
    // d0 (0.5) and d1 (0.3) exceed 0.25; d2 (0.1) fits → demoted, 0.15 left; no fast page is left.
    expect(host.log).toEqual([`demote ${d2}`]);
    expect([d0, d1, d2, s0, s1].map((p) => host.tierOf(p))).toEqual([0, 0, 1, 1, 1]);
    expect(h.lastRemaining).toBeCloseTo(0.15, 12);
    expect(host.get('colloidDemoted')).toBe(1);
    expect(host.get('colloidPromoted')).toBe(0);
    expect(host.get('colloidPasses')).toBe(1);
    // The moved page is on a slow-tier list now.
    expect(h.lists.listOf[d2] >= 2).toBe(true);
  });

  it('local faster (Δp 0.075): promotes the hottest slow-tier hot page that fits', () => {
    const { host, h, ids, poll } = setup(COUNTS);
    const [, , , s0, s1] = ids;
    poll(1000, 400, 1000, 200);
    poll(700, 150, 1300, 250);
    // Only Memtis's promotion candidates (the slow tier's active list) are taken: none yet.
    h.promoteNode();
    expect(host.log).toEqual([]);
    h.lists.moveHead(L_SLOW_ACTIVE, s0);
    h.lists.moveHead(L_SLOW_ACTIVE, s1);
    h.promoteNode();
    // s0 (0.08) exceeds 0.075; s1 (0.02) fits → promoted into the fast tier's free frame, 0.055 left.
    expect(host.log).toEqual([`promote ${s1}`]);
    expect(host.tierOf(s0)).toBe(1);
    expect(h.lastRemaining).toBeCloseTo(0.055, 12);
    expect(host.get('colloidPromoted')).toBe(1);
    expect(host.get('colloidPasses')).toBe(2);
  });

  it('the dynamic limit bounds a pass; without it the greedy walk continues', () => {
    // Shares 0.1, 0.1, 0.1 on the fast tier, 0.7 on s0. 4 lines per tier per poll at 400 / 200 ns:
    // Δp 0.25 as above, dynlimit = 0.25 · 8 · 50 / 64 = 1.56 → 1 base page.
    const counts = [100, 100, 100, 700, 0];
    const a = setup(counts);
    a.poll(4, 400, 4, 200);
    expect(a.h.monitor.dynLimit).toBe(1);
    a.h.promoteNode();
    // d0 (ties go by page id) fits and reaches the limit of 1 page.
    expect(a.host.log).toEqual([`demote ${a.ids[0]}`]);
    // Without the dynamic limit: d0 (0.25 → 0.15), d1 (→ 0.05), d2 (0.1 > 0.05) stays.
    const b = setup(counts, { ...PARAMS, dynamicLimit: false });
    b.poll(4, 400, 4, 200);
    b.h.promoteNode();
    expect(b.host.log).toEqual([`demote ${b.ids[0]}`, `demote ${b.ids[1]}`]);
    expect(b.h.lastRemaining).toBeCloseTo(0.05, 12);
  });

  it('balanced (Δp 0): nothing moves, where Memtis would promote its slow-tier hot page', () => {
    const { host, h, ids, poll } = setup(COUNTS);
    const s0 = ids[3];
    h.lists.moveHead(L_SLOW_ACTIVE, s0);
    poll(1000, 204, 1000, 200);
    h.promoteNode();
    expect(host.log).toEqual([]);
    expect(host.get('colloidPasses')).toBe(0);
    // Plain Memtis on the same pages promotes s0 (promote_node: slow-tier active pages).
    const plainHost = new FakeHost([4, 4]);
    const plain = new Memtis(PARAMS, plainHost);
    for (let i = 0; i < 5; i++) plain.onFault(plainHost.addPage(i < 3 ? 0 : 1, i), FAULT_FIRST_TOUCH);
    plain.lists.moveHead(L_SLOW_ACTIVE, 3);
    plain.promoteNode();
    expect(plainHost.log).toEqual(['promote 3']);
  });
});
