// The count-min sketch of NeoMem's profiler (policies/lib/count-min.ts): estimates are the minimum
// over the rows, never below the true count; hot bits report a key once; counters saturate; the
// histogram and its percentile follow the driver's get_error_bound. Keys are chosen through
// index() so that collisions are known, and the counts are then worked out by hand.

import { describe, expect, it } from 'vitest';
import { CountMinSketch, histogramPercentile, histogramPercentileReversed } from '../policies/lib/count-min.ts';

/** Two keys that share their row-0 cell but not their row-1 cell. */
function collidingInRow0(s: CountMinSketch): [number, number] {
  for (let a = 0; a < 1000; a++) for (let b = a + 1; b < 1000; b++) if (s.index(0, a) === s.index(0, b) && s.index(1, a) !== s.index(1, b)) return [a, b];
  throw new Error('no pair');
}

describe('count-min sketch', () => {
  it('estimates the minimum over the rows: a collision in one row does not inflate the estimate', () => {
    const s = new CountMinSketch(2, 4, 16, [1, 2]); // 16 counters per row: collisions are easy to find
    const [a, b] = collidingInRow0(s);
    for (let i = 0; i < 3; i++) s.add(a);
    for (let i = 0; i < 5; i++) s.add(b);
    // Row 0: the shared cell holds 3 + 5 = 8; row 1: 3 and 5 → estimates 3 and 5.
    expect(s.estimate(a)).toBe(3);
    expect(s.estimate(b)).toBe(5);
    s.histogram(new Float64Array(4)); // no effect on counts
    expect(s.add(a)).toBe(4); // add returns the new estimate
  });

  it('with one counter per row every key shares it: the estimate is the total count', () => {
    const s = new CountMinSketch(3, 0, 16, [7, 8, 9]);
    s.add(10);
    s.add(20);
    s.add(30);
    expect(s.estimate(10)).toBe(3);
    expect(s.estimate(99)).toBe(3); // never seen, over-estimated, never under
  });

  it('counters saturate at 2^bits − 1', () => {
    const s = new CountMinSketch(2, 8, 2, [3, 4]);
    for (let i = 0; i < 5; i++) s.add(42);
    expect(s.estimate(42)).toBe(3);
  });

  it('reports a key hot once until reset; reset clears counts and hot bits', () => {
    const s = new CountMinSketch(2, 8, 16, [5, 6]);
    expect(s.markHot(7)).toBe(true);
    expect(s.markHot(7)).toBe(false);
    s.add(7);
    s.reset();
    expect(s.estimate(7)).toBe(0);
    expect(s.markHot(7)).toBe(true);
  });

  it('a key whose cells were all marked by other keys is not reported (the hardware shares hot bits)', () => {
    const s = new CountMinSketch(1, 0, 16, [1]); // one cell: every key shares it
    expect(s.markHot(1)).toBe(true);
    expect(s.markHot(2)).toBe(false);
  });

  it('histogram bins row-0 counters by value, the last bin taking the rest; percentile as get_error_bound', () => {
    const s = new CountMinSketch(2, 2, 16, [11, 12]); // 4 counters in row 0
    const keys: number[] = [];
    // Find keys for three distinct row-0 cells.
    for (let k = 0; keys.length < 3 && k < 1000; k++) if (!keys.some((x) => s.index(0, x) === s.index(0, k))) keys.push(k);
    const [x, y, z] = keys;
    s.add(x);
    for (let i = 0; i < 2; i++) s.add(y);
    for (let i = 0; i < 9; i++) s.add(z);
    const h = new Float64Array(4);
    s.histogram(h);
    // Row 0 = {1, 2, 9, 0}: bins 0 … 3 hold one counter each (9 goes to the last bin).
    expect(Array.from(h)).toEqual([1, 1, 1, 1]);
    // total 4: p50 → target ⌊4·50/100⌋ = 2 → cumulative 1, 2 → bin 1; p100 → bin 3; p0 → target 0 → bin 0.
    expect(histogramPercentile(h, 50)).toBe(1);
    expect(histogramPercentile(h, 100)).toBe(3);
    expect(histogramPercentile(h, 0)).toBe(0);
    expect(histogramPercentile(new Float64Array([0, 0, 5, 5]), 50)).toBe(2);
  });

  it('reversed percentile (get_neomem_hist_percentile_reversed): from the top bin down to fraction · total, at least 1', () => {
    // {0: 5, 1: 0, 2: 5, 3: 5}, total 15: top 1/3 (5) is reached at bin 3; top 2/3 (10) at bin 2;
    // everything at bin 0, which the function lifts to 1.
    const h = new Float64Array([5, 0, 5, 5]);
    expect(histogramPercentileReversed(h, 1 / 3)).toBe(3);
    expect(histogramPercentileReversed(h, 2 / 3)).toBe(2);
    expect(histogramPercentileReversed(h, 1)).toBe(1);
  });
});
