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

  it('rebalances at the end of a pass: one active batch goes inactive when the inactive list is low', () => {
    const { host, lru, reclaimed, evict } = setup(4);
    for (let p = 0; p < 4; p++) host.touch(p);
    // Pass 1, every page referenced. prio 12–3: ⌊4 >> prio⌋ = 0 inactive pages to scan, and the
    // end-of-pass rebalance finds inactive 4 not below active 0. prio 2: ⌊4/4⌋ = 1 → page 0 young
    // → active. prio 1: ⌊3/2⌋ = 1 → page 1 active (rebalance: 2 vs 2, not low). prio 0: inactive
    // 2 vs active 2 is not low, so the active budget (2) is not used; the inactive batch of 2
    // activates 2 and 3. Rebalance: inactive 0 < active 4 → the active tail batch (0, 1, 2, 3)
    // goes back to the inactive list, its accessed bits cleared. Nothing reclaimed, nothing active.
    expect(lru.shrink(0, evict, () => reclaimed.length >= 1)).toBe(0);
    expect([0, 1, 2, 3].some((p) => lru.isActive(p))).toBe(false);
    // Pass 2, no new references: prio 2 scans ⌊4/4⌋ = 1 from the inactive tail, page 0, and reclaims it.
    expect(lru.shrink(0, evict, () => reclaimed.length >= 1)).toBe(1);
    expect(reclaimed).toEqual([0]);
  });

  it('scans the active list only while the inactive list has budget (shrink_lruvec\'s loop), plus the rebalance', () => {
    // 100 unreferenced pages on the active list (tail = page 0), none inactive. prio 12: no inactive
    // budget, so the round loop does not run; rebalance: 0 < 100 low → pages 0–31 deactivated.
    // prio 11: ⌊32/2048⌋ = 0; rebalance: 32 < 68 → pages 32–63 deactivated. prio 10–7: inactive
    // 64 ≥ active 36 (not low) and ⌊64 >> prio⌋ = 0. prio 6: ⌊64/64⌋ = 1 → page 0 reclaimed; the
    // active budget ⌊36/64⌋ = 0. Goal met. (Scanning the active budget on its own, as the model
    // did before, would have deactivated the active tail page by page from prio 6 on instead.)
    const host = new FakeHost([1000, 1000]);
    const lru = new ActiveInactiveLru(host);
    lru.ensure(128);
    for (let i = 0; i < 100; i++) lru.add(host.addPage(0, i), 0, ADD_FAULT, true);
    const reclaimed: number[] = [];
    const got = lru.shrink(0, (p) => (reclaimed.push(p), host.evict(p)), () => reclaimed.length >= 1);
    expect(got).toBe(1);
    expect(reclaimed).toEqual([0]);
    expect([lru.lists.size[0], lru.lists.size[1]]).toEqual([63, 36]);
    expect(lru.isActive(63)).toBe(false);
    expect(lru.isActive(64)).toBe(true);
    expect(lru.scanned).toBe(32 + 32 + 1);
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
