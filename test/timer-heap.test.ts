import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { TimerHeap, PRIORITY_EPOCH, PRIORITY_TIMER, PRIORITY_WARMUP } from '../sim/timer-heap.ts';

describe('timer heap', () => {
  it('pops equal times in push order', () => {
    const h = new TimerHeap();
    [5, 1, 5, 1, 5].forEach((t, i) => h.push(t, i));
    const out: number[] = [];
    while (h.size) out.push(h.pop());
    expect(out).toEqual([1, 3, 0, 2, 4]);
  });

  it('pops 10 000 random timers sorted by (time, push order), growing past its initial size', () => {
    const rng = seedrandom.alea('heap');
    const h = new TimerHeap();
    const items: Array<[number, number]> = [];
    for (let i = 0; i < 10000; i++) {
      const t = Math.floor(rng() * 100);
      items.push([t, i]);
      h.push(t, i);
    }
    items.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const out: number[] = [];
    while (h.size) out.push(h.pop());
    expect(out).toEqual(items.map(([, i]) => i));
    expect(h.peekTimeNs()).toBe(Infinity);
  });
});

describe('timer heap priorities', () => {
  it('orders equal times by priority before push order: warm-up, epoch end, then timers', () => {
    const h = new TimerHeap();
    h.push(10, 1, PRIORITY_TIMER);
    h.push(10, 2, PRIORITY_EPOCH);
    h.push(5, 3, PRIORITY_TIMER);
    h.push(10, 4, PRIORITY_WARMUP);
    h.push(10, 5, PRIORITY_TIMER);
    h.push(10, 6, PRIORITY_EPOCH);
    const out: number[] = [];
    while (h.size) out.push(h.pop());
    expect(out).toEqual([3, 4, 2, 6, 1, 5]);
  });
});
