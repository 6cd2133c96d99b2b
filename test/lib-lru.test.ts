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
  it('keeps an anon page found young once for another trip, and reclaims it on the next if unused (folio_check_references)', () => {
    // Pages 0, 1 fault onto the inactive list (tail = 0); only page 0 is referenced. prio 12–2:
    // ⌊2 >> prio⌋ = 0. prio 1: ⌊2/2⌋ = 1 → page 0 young, not yet marked → PG_referenced set, kept
    // (back to the inactive head: tail 1, head 0); its young bit is cleared. prio 0: ⌊2/1⌋ = 2 →
    // page 1 not young → reclaimed; page 0 not young any more → reclaimed: for an anon page the
    // mark alone protects nothing (FOLIOREF_RECLAIM). Before v5.9 page 0 would have been activated.
    const { host, lru, reclaimed, evict } = setup(2);
    host.touch(0);
    expect(lru.shrink(0, evict, () => reclaimed.length >= 2)).toBe(2);
    expect(reclaimed).toEqual([1, 0]);
    expect(lru.scanned).toBe(3);
  });

  it('activates a page young on two trips; an activated page keeps its mark, so after deactivation one reference brings it back', () => {
    const { host, lru, reclaimed, evict } = setup(1);
    const never = () => false;
    // Trip 1 (prio 0 is the only one with ⌊1 >> prio⌋ > 0): young, unmarked → kept, marked.
    host.touch(0);
    expect(lru.shrink(0, evict, never)).toBe(0);
    expect(lru.isActive(0)).toBe(false);
    // Trip 2: young again and marked → FOLIOREF_ACTIVATE (the mark stays set). Stop at the goal
    // "active": the end-of-pass rebalance (inactive 0 < active 1) would deactivate it at once.
    const active = () => lru.isActive(0);
    host.touch(0);
    expect(lru.shrink(0, evict, active)).toBe(0);
    expect(lru.isActive(0)).toBe(true);
    // prio 12: no inactive budget; rebalance: inactive 0 < active 1 → page 0 deactivated. Stop there.
    expect(lru.shrink(0, evict, () => !lru.isActive(0))).toBe(0);
    expect(lru.isActive(0)).toBe(false);
    // One reference now: young and still marked → activated on this single trip.
    host.touch(0);
    expect(lru.shrink(0, evict, active)).toBe(0);
    expect(lru.isActive(0)).toBe(true);
    // Deactivated again and not referenced: reclaimed at prio 0 whatever its mark.
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
