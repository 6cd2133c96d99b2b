// DAMON monitor and DAMOS engine (policies/lib/damon.ts): expected values computed by hand from
// mm/damon/core.c and ops-common.c, not from the simulator.

import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { DamonContext, Damos, ACTION_MIGRATE_COLD, ACTION_MIGRATE_HOT, GOAL_NODE_MEM_FREE_BP, GOAL_NODE_MEM_USED_BP, coldScore, feedLoopNextInput, hotScore } from '../policies/lib/damon.ts';
import type { DamonAttrs, DamonOps } from '../policies/lib/damon.ts';

const ATTRS: DamonAttrs = { sampleUs: 5000, aggrUs: 100000, opsUpdateUs: 60e6, minNrRegions: 3, maxNrRegions: 10, goalAccessBp: 0, goalAggrs: 0, goalMinSampleUs: 0, goalMaxSampleUs: 0 };

/** Ops whose young() is a fixed predicate; apply() records the ranges and applies them whole. */
function fakeOps(young: (slot: number) => boolean, goal = 0): DamonOps & { applied: Array<[number, number]>; now: number } {
  const o = {
    applied: [] as Array<[number, number]>,
    now: 0,
    young,
    mkold: () => {},
    apply: (_s: Damos, start: number, end: number, out: Float64Array) => {
      o.applied.push([start, end]);
      out[0] = (end - start) * 4096;
      out[1] = 0;
    },
    goalValue: () => goal,
    nowMs: () => o.now,
  };
  return o;
}

function scripted(values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length];
}

function setRegions(ctx: DamonContext, rows: Array<[number, number, number, number, number]>): void {
  ctx.nr = rows.length;
  rows.forEach(([s, e, nr, last, age], i) => {
    ctx.start[i] = s;
    ctx.end[i] = e;
    ctx.nrAccesses[i] = nr;
    ctx.nrAccessesBp[i] = nr * 10000;
    ctx.lastNrAccesses[i] = last;
    ctx.age[i] = age;
  });
}

function regions(ctx: DamonContext): Array<[number, number, number, number]> {
  return Array.from({ length: ctx.nr }, (_, i) => [ctx.start[i], ctx.end[i], ctx.nrAccesses[i], ctx.age[i]]);
}

describe('damon_feed_loop_next_input', () => {
  it('doubles from the minimum at score 0, scales by the shortfall, holds at the goal, falls to the minimum at twice it', () => {
    // next = last + last·(10000 − score)/10000 below the goal, last − last·(score − 10000)/10000 above, ≥ 10000.
    expect(feedLoopNextInput(10000, 0)).toBe(20000);
    expect(feedLoopNextInput(20000, 0)).toBe(40000);
    expect(feedLoopNextInput(40000, 5000)).toBe(60000); // + 40000·5000/10000
    expect(feedLoopNextInput(60000, 10000)).toBe(60000);
    expect(feedLoopNextInput(60000, 15000)).toBe(30000); // − 60000·5000/10000
    expect(feedLoopNextInput(30000, 19000)).toBe(10000); // 30000 − 27000 = 3000 → the minimum
    expect(feedLoopNextInput(123456, 20000)).toBe(10000);
    expect(feedLoopNextInput(10000, 10030)).toBe(10000); // 10000 − 30, clamped to the minimum
  });

  it('gives mtier\'s demotion quota 2, 4, 8 … bytes per window while node 0 has no free page (goal: 0.5 % free)', () => {
    const ctx = new DamonContext(ATTRS, fakeOps(() => false, 0), () => 0.5, 4096, 0, 100);
    const s = new Damos(ACTION_MIGRATE_COLD);
    s.quotaSzBytes = 200 * 1024 * 1024;
    s.goalMetric = GOAL_NODE_MEM_FREE_BP;
    s.goalTarget = 50;
    const esz: number[] = [];
    for (let w = 0; w < 13; w++) {
      ctx.setEffectiveQuota(s);
      esz.push(s.esz);
    }
    // esz_bp: max(0, 10000) → 20000 → 40000 …; esz = esz_bp / 10000. 4096 B (one page) first in window 12.
    expect(esz).toEqual([2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192]);
  });

  it('keeps the promotion quota at 1 byte while node 0 is above its 99.7 % used goal, and grows it 1.28 % a window at 9843 bp', () => {
    let used = 10000;
    const ops = fakeOps(() => false);
    ops.goalValue = () => used;
    const ctx = new DamonContext(ATTRS, ops, () => 0.5, 4096, 0, 100);
    const s = new Damos(ACTION_MIGRATE_HOT);
    s.quotaSzBytes = 200 * 1024 * 1024;
    s.goalMetric = GOAL_NODE_MEM_USED_BP;
    s.goalTarget = 9970;
    ctx.setEffectiveQuota(s); // score 10000·10000/9970 = 10030 → 10000 − 30 → 10000 (min)
    expect([s.eszBp, s.esz]).toEqual([10000, 1]);
    used = 9843; // 63 of 64 pages: score ⌊9843·10000/9970⌋ = 9872, shortfall 128 → +128
    ctx.setEffectiveQuota(s);
    expect([s.eszBp, s.esz]).toEqual([10128, 1]);
  });
});

describe('damon_hot_score / damon_cold_score', () => {
  it('weights the frequency and log2-age subscores as the kernel does (hand computation)', () => {
    // nr 10 of 20 → freq 50; age 25 × 100 ms = 2 s → log 2 → 34 → ⌊⌊3400/32⌋/2⌋ = 53;
    // (100·50 + 100·53)/200 = 51 → 51·99/100 = 50.
    expect(hotScore(10, 25, 20, 100000, 100, 100)).toBe(50);
    expect(coldScore(10, 25, 20, 100000, 100, 100)).toBe(49);
    // nr 0 → freq 0; age 100 → 10 s → log 4, negated → 28 → ⌊⌊2800/32⌋/2⌋ = 43; 4300/200 = 21 → 20.
    expect(hotScore(0, 100, 20, 100000, 100, 100)).toBe(20);
    expect(coldScore(0, 100, 20, 100000, 100, 100)).toBe(79);
    // HMSDK weights (0, age 10): age 15 × 2 s = 30 s → log 5 → 27 → ⌊⌊2700/32⌋/2⌋ = 42 → 41.
    expect(hotScore(0, 15, 20, 2e6, 0, 10)).toBe(41);
  });
});

describe('DAMON regions: merge and split', () => {
  it('merges adjacent regions within the nr_accesses threshold and the size limit, with size-weighted averages and age updates', () => {
    const ctx = new DamonContext(ATTRS, fakeOps(() => false), () => 0.5, 4096, 0, 100);
    // [start, end, nr_accesses, last_nr_accesses, age]
    setRegions(ctx, [
      [0, 10, 5, 5, 2],
      [10, 30, 6, 2, 4],
      [30, 40, 15, 15, 1],
      [40, 100, 14, 14, 0],
    ]);
    ctx.mergeRegions(2, 50);
    // r0: |5−5| ≤ 2 → age 3. r1: |6−2| > 2 → age 0; merges into r0 (|5−6| ≤ 2, 10+20 ≤ 50):
    //   nr ⌊(5·10 + 6·20)/30⌋ = 5, age ⌊(3·10 + 0·20)/30⌋ = 1. r2: age 2; |5−15| > 2, kept.
    //   r3: age 1; |15−14| ≤ 2 but 10 + 60 > 50, kept.
    expect(regions(ctx)).toEqual([
      [0, 30, 5, 1],
      [30, 40, 15, 2],
      [40, 100, 14, 1],
    ]);
    expect(ctx.nrAccessesBp[0]).toBe(50000);
  });

  it('splits a region at random 10–90 % points, left piece split again, state copied to every piece', () => {
    // damon_rand(1, 10) = 1 + ⌊r·9⌋: r = 0 → 1 → cut at ⌊1·100/10⌋ = 10; r = 0.99 → 9 → cut the
    // left 10 at ⌊9·10/10⌋ = 9. Pieces [0,9) [9,10) [10,100).
    const ctx = new DamonContext(ATTRS, fakeOps(() => false), scripted([0, 0.99]), 4096, 0, 100);
    setRegions(ctx, [[0, 100, 7, 3, 4]]);
    ctx.splitRegionsOf(3);
    expect(regions(ctx)).toEqual([
      [0, 9, 7, 4],
      [9, 10, 7, 4],
      [10, 100, 7, 4],
    ]);
    expect(Array.from(ctx.lastNrAccesses.subarray(0, 3))).toEqual([3, 3, 3]);
  });

  it('splits into 3 only when the count did not change since the last split and is under max/3', () => {
    const ctx = new DamonContext({ ...ATTRS, maxNrRegions: 12 }, fakeOps(() => false), () => 0.5, 4096, 0, 1000);
    ctx.splitRegions(); // 1 region, last 0: in 2 (r = 0.5 → 5 → halves)
    expect(regions(ctx).map((r) => r.slice(0, 2))).toEqual([[0, 500], [500, 1000]]);
    ctx.splitRegions(); // 2 regions, last 1: in 2 each → 4
    expect(ctx.nr).toBe(4);
    ctx.nr = 2; // as if a merge brought it back to 2 = the last count, and 2 < 12/3: in 3 each
    ctx.end[1] = 1000;
    ctx.splitRegions();
    expect(ctx.nr).toBe(6);
    ctx.splitRegions(); // 6 = 12/2 still splits (6 is not under 12/3: in 2 each)
    expect(ctx.nr).toBe(12);
    ctx.splitRegions(); // 12 > 12/2: no split
    expect(ctx.nr).toBe(12);
  });

  it('converges on a known pattern: regions inside the accessed range see 20 of 20 samples, regions inside the idle range 0', () => {
    const rng = seedrandom.alea('damon-regions');
    const ctx = new DamonContext({ ...ATTRS, maxNrRegions: 20 }, fakeOps((slot) => slot < 30), () => rng(), 4096, 0, 100);
    ctx.start0();
    for (let i = 0; i < 20 * 10; i++) ctx.step(); // 10 aggregations
    let hot = 0;
    let cold = 0;
    for (let i = 0; i < ctx.nr; i++) {
      if (ctx.end[i] <= 30) {
        expect(ctx.lastNrAccesses[i]).toBe(20);
        hot += ctx.end[i] - ctx.start[i];
      } else if (ctx.start[i] >= 30) {
        expect(ctx.lastNrAccesses[i]).toBe(0);
        cold += ctx.end[i] - ctx.start[i];
      }
    }
    expect(ctx.nr).toBeLessThanOrEqual(20);
    expect(hot + cold).toBeGreaterThan(0);
    expect(ctx.aggregations).toBe(10);
  });
});

describe('DAMOS quota charging', () => {
  it('splits the region where the quota runs out and resumes one page past it in the next window (charge_addr_from = end + 1 byte)', () => {
    const ops = fakeOps(() => false);
    const ctx = new DamonContext(ATTRS, ops, () => 0.5, 4096, 0, 30);
    const s = new Damos(ACTION_MIGRATE_COLD);
    s.maxNrAccesses = 0;
    s.esz = 10 * 4096;
    setRegions(ctx, [
      [0, 6, 0, 0, 0],
      [6, 20, 0, 0, 0],
      [20, 30, 0, 0, 0],
    ]);
    ctx.applyScheme(0, s); // 6 pages charged
    ctx.applyScheme(1, s); // 6 + 14 > 10: split at 4 pages → [6,10) applied, quota reached
    expect(ops.applied).toEqual([[0, 6], [6, 10]]);
    expect(regions(ctx).map((r) => r.slice(0, 2))).toEqual([[0, 6], [6, 10], [10, 20], [20, 30]]);
    expect(s.chargedSz).toBe(10 * 4096);
    // Next window: regions ending before the resume point are skipped; the one starting at it
    // loses its first page (⌊(10 + ½ − 10)⌋ = 0 → one DAMON_MIN_REGION).
    s.chargedSz = 0;
    expect(ctx.skipChargedRegion(0, s)).toBe(-1);
    expect(ctx.skipChargedRegion(1, s)).toBe(-1);
    expect(ctx.skipChargedRegion(2, s)).toBe(3);
    expect(regions(ctx).map((r) => r.slice(0, 2))).toEqual([[0, 6], [6, 10], [10, 11], [11, 20], [20, 30]]);
    // The last region is never resumed into: it ends the skipping (damon_last_region).
    s.chargeActive = true;
    s.chargeAddrFrom = 25.5;
    expect(ctx.skipChargedRegion(4, s)).toBe(-1);
    expect(s.chargeActive).toBe(false);
  });

  it('sets min_score so that the highest-scored regions fill the quota first', () => {
    const ops = fakeOps(() => false);
    ops.now = 5000;
    const ctx = new DamonContext(ATTRS, ops, () => 0.5, 4096, 0, 40);
    const s = new Damos(ACTION_MIGRATE_HOT);
    s.minNrAccesses = 1;
    s.quotaSzBytes = 10 * 4096;
    s.resetIntervalMs = 1000;
    s.weightNrAccesses = 100;
    setRegions(ctx, [
      [0, 10, 4, 4, 0],
      [10, 20, 20, 20, 0],
      [20, 40, 10, 10, 0],
    ]);
    ctx.adjustQuota(s);
    // Frequency-only scores: 4/20 → 20 → 19; 20/20 → 100 → 99; 10/20 → 50 → 49. The 10-page
    // quota is met by the score-99 region alone.
    expect(s.esz).toBe(10 * 4096);
    expect(s.minScore).toBe(99);
    expect([0, 1, 2].map((i) => ctx.validTarget(i, s))).toEqual([false, true, false]);
  });
});
