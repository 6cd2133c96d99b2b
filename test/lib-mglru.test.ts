import { describe, expect, it } from 'vitest';
import { Mglru } from '../policies/lib/mglru.ts';
import { AddressOrder } from '../policies/lib/address-order.ts';
import { ADD_FAULT } from '../policies/lib/lru.ts';
import { PAGE_ACCESSED } from '../policies/policy.ts';
import { FakeHost } from './lib-fake-host.ts';

function setup(vpns: number[]) {
  const host = new FakeHost([100, 100]);
  const mg = new Mglru(host, new AddressOrder(host), 0);
  mg.ensure(64);
  for (const v of vpns) {
    const p = host.addPage(0, v);
    mg.add(p, 0, ADD_FAULT, false);
  }
  const evicted: number[] = [];
  const evict = (p: number) => {
    evicted.push(p);
    return host.evict(p);
  };
  return { host, mg, evicted, evict };
}

describe('MGLRU aging and eviction (mm/vmscan.c lru_gen)', () => {
  it('ages when only two generations remain and evicts the oldest generation first', () => {
    // A new node has max_seq = 3, min_seq = 0. Pages 0..3 (one PMD, vpn 0..3) fault into gen 3,
    // each accessed once.
    const { host, mg, evicted, evict } = setup([0, 1, 2, 3]);
    for (let p = 0; p < 4; p++) host.touch(p);
    expect(mg.maxSeq[0]).toBe(3);
    expect(Array.from(mg.gen.subarray(0, 4))).toEqual([4, 4, 4, 4]); // (3 % 4) + 1
    // Step 1, reclaim 2 pages. Empty gens 0 and 1 retire (min_seq 2): two generations left
    // [2, 3] → must age: the walk clears all four accessed bits, moves the young pages to the head
    // of gen 3 in address order (head→tail 3, 2, 1, 0), max_seq = 4. Gen 2 is empty → min_seq 3.
    // Evict from gen 3's tail: 0, then 1 (accessed bits already cleared by the walk).
    mg.shrink(0, evict, () => evicted.length >= 2);
    expect(evicted).toEqual([0, 1]);
    expect([mg.minSeq[0], mg.maxSeq[0]]).toEqual([3, 4]);
    expect(mg.stats.agings).toBe(1);
    // Step 2: pages 4, 5 (vpn 4, 5) fault into gen 4 (max_seq), not accessed again; page 2 is
    // accessed. Reclaim 3 more. Two generations [3, 4] → age (seq 4): page 2 is young → head of
    // gen 4 (head→tail 2, 5, 4); max_seq 5. Gen 3 = [3] → evict 3. Gen 3 empty → min_seq 4 →
    // two generations [4, 5] → age again (seq 5; nothing young); max_seq 6. Evict from gen 4's
    // tail: 4, then 5. Page 2, the one reused, survives at the head of gen 4.
    mg.add(host.addPage(0, 4), 0, ADD_FAULT, false);
    mg.add(host.addPage(0, 5), 0, ADD_FAULT, false);
    host.touch(2);
    mg.shrink(0, evict, () => evicted.length >= 5);
    expect(evicted).toEqual([0, 1, 3, 4, 5]);
    expect(mg.stats.agings).toBe(3);
    expect([mg.minSeq[0], mg.maxSeq[0]]).toEqual([4, 6]);
    expect(mg.gen[2]).toBe((4 % 4) + 1);
    expect(host.tierOf(2)).toBe(0);
  });

  it('skips PMDs with no young PTEs last walk (bloom filter) and lets look-around bring them back', () => {
    // PMD A = vpn 0..3 (pages 0..3), PMD B = vpn 512..515 (pages 4..7); all fault into gen 3.
    const { host, mg, evicted, evict } = setup([0, 1, 2, 3, 512, 513, 514, 515]);
    // Walk at seq 3 (no filter yet: every PMD walked). A: 4 young of 4 PTEs → 4 · 8 ≥ 4 → into the
    // filter for seq 4. B: 0 young → not. Four gens exist (0..3) → gen 0 folds into gen 1 first.
    for (let p = 0; p < 4; p++) host.touch(p);
    mg.age(0);
    expect(mg.stats.pmdsSkipped).toBe(0);
    // Now every page is accessed. Walk at seq 4: B is not in filter 4 → skipped, its accessed bits
    // stay set and its pages stay in gen 3; A's pages move to gen 4.
    for (let p = 0; p < 8; p++) host.touch(p);
    mg.age(0);
    expect(mg.stats.pmdsSkipped).toBe(1);
    expect(Array.from(mg.gen.subarray(0, 8))).toEqual([1, 1, 1, 1, 4, 4, 4, 4]);
    expect(host.flags(4) & PAGE_ACCESSED).toBe(PAGE_ACCESSED);
    expect([mg.minSeq[0], mg.maxSeq[0]]).toEqual([2, 5]);
    // Reclaim one page. Gen 2 empty → min_seq 3; three gens [3, 4, 5], young 0 of 8, old 4 of 8
    // → no aging. Gen 3's tail is page 4: young → gen 5, and look-around over vpn [512, 576)
    // finds 5, 6, 7 young too (3 neighbours) → all to gen 5 ((5 % 4) + 1 = 2); 4 young of 4
    // PTEs → B goes into filter 5. Gen 3 empty → min_seq 4 → [4, 5] → age (seq 5: A and B both in
    // filter 5, no skip, nothing young). Evict gen 4's tail: page 0.
    mg.shrink(0, evict, () => evicted.length >= 1);
    expect(mg.stats.lookAroundYoung).toBe(3);
    expect(Array.from(mg.gen.subarray(4, 8))).toEqual([2, 2, 2, 2]);
    expect(evicted).toEqual([0]);
    expect(mg.stats.pmdsSkipped).toBe(1);
    expect(mg.stats.agings).toBe(3);
  });
});
