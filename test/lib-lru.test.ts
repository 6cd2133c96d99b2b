import { describe, expect, it } from 'vitest';
import { ActiveInactiveLru, ADD_FAULT } from '../policies/lib/lru.ts';
import { FakeHost } from './lib-fake-host.ts';

function setup(n: number) {
  const host = new FakeHost([1000, 1000]);
  const lru = new ActiveInactiveLru(host);
  lru.ensure(64);
  for (let i = 0; i < n; i++) lru.add(host.addPage(0, i), 0, ADD_FAULT, false);
  const reclaimed: number[] = [];
  const evict = (p: number) => {
    reclaimed.push(p);
    return host.evict(p);
  };
  return { host, lru, reclaimed, evict };
}

describe('classic active/inactive LRU (mm/vmscan.c)', () => {
  it('activates referenced anon pages from the inactive tail and reclaims the rest, oldest first', () => {
    // Pages 0..3 fault onto the inactive list (tail = 0); only page 0 is referenced.
    // prio 2: ⌊4/4⌋ = 1 → page 0 young → active. prio 1: ⌊3/2⌋ = 1 → page 1 reclaimed.
    // prio 0: inactive 2 is not below active 1 (ratio 1 under 1 GiB), so no deactivation; the
    // inactive batch of 2 reclaims 2 and 3 (a batch is finished before the goal is checked).
    const { host, lru, reclaimed, evict } = setup(4);
    host.touch(0);
    const got = lru.shrink(0, evict, () => reclaimed.length >= 2);
    expect(got).toBe(3);
    expect(reclaimed).toEqual([1, 2, 3]);
    expect(lru.isActive(0)).toBe(true);
  });

  it('deactivates from the active tail while the inactive list is low, clearing accessed bits', () => {
    const { host, lru, reclaimed, evict } = setup(4);
    for (let p = 0; p < 4; p++) host.touch(p);
    // Pass 1: every page is referenced → all four activated (active head→tail 3, 2, 1, 0), nothing reclaimed.
    expect(lru.shrink(0, evict, () => reclaimed.length >= 1)).toBe(0);
    expect([0, 1, 2, 3].every((p) => lru.isActive(p))).toBe(true);
    // Pass 2, no new references. prio 2: active ⌊4/4⌋ = 1, inactive 0 < 4 is low → page 0 to the
    // inactive list. prio 1: active ⌊3/2⌋ = 1, 1 < 3 low → page 1 follows (inactive tail still 0);
    // inactive ⌊1/2⌋ = 0 before that batch. prio 0: inactive 2 vs active 2 → not low; inactive
    // batch of 2 reclaims 0 then 1.
    expect(lru.shrink(0, evict, () => reclaimed.length >= 1)).toBe(2);
    expect(reclaimed).toEqual([0, 1]);
    expect(lru.isActive(2) && lru.isActive(3)).toBe(true);
  });

  it('sizes the inactive list by √(10 · GiB) above 1 GiB (inactive_is_low)', () => {
    // 2 GiB of 4 KiB pages = 524,288: ratio ⌊√20⌋ = 4. Inactive 100,000 · 4 = 400,000 < 424,288
    // active → low; with 110,000 inactive (· 4 = 440,000 ≥ 414,288) → not low.
    const host = new FakeHost([600000, 10]);
    const lru = new ActiveInactiveLru(host);
    const sizes = lru.lists.size;
    sizes[0] = 100000;
    sizes[1] = 424288;
    expect(lru.inactiveIsLow(0)).toBe(true);
    sizes[0] = 110000;
    sizes[1] = 414288;
    expect(lru.inactiveIsLow(0)).toBe(false);
  });

  it('folio_mark_accessed: the first call on an inactive page sets referenced, the second activates', () => {
    const { lru } = setup(1);
    lru.markAccessed(0);
    expect(lru.isActive(0)).toBe(false);
    lru.markAccessed(0);
    expect(lru.isActive(0)).toBe(true);
  });
});
