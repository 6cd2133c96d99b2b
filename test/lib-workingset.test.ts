import { describe, expect, it } from 'vitest';
import {
  Workingset,
  TierCtrl,
  orderBase2,
  tierFromAccesses,
  positiveCtrlErr,
  REFAULT_ACTIVATE,
  REFAULT_RESTORE,
  REFAULT_SEEN,
  REFAULT_NONE,
  LRU_GEN_ANON,
  LRU_GEN_FILE,
} from '../policies/lib/workingset.ts';
import { ScanCost } from '../policies/lib/scan-balance.ts';

const SIZES = { activeFile: 10, inactiveFile: 50, activeAnon: 5, inactiveAnon: 5 };

/** Node 0 after evicting `page` (file, or anon) at age 0, nine more evictions and two activations. */
function aged(file: boolean, workingset = false) {
  const ws = new Workingset(2);
  ws.evict(7, 0, file, workingset); // shadow age 0, node age → 1
  for (let p = 100; p < 109; p++) ws.evict(p, 0, true, false); // age → 10
  ws.activation(0);
  ws.activation(0); // age → 12
  return ws;
}

describe('refault distance (mm/workingset.c)', () => {
  it('measures pages evicted or activated since the eviction', () => {
    const ws = aged(true);
    expect(ws.age[0]).toBe(12);
    expect(ws.distance(7)).toBe(12);
    expect(ws.age[1]).toBe(0); // other nodes keep their own clock
  });

  it('does not activate a file refault beyond the workingset (active file only, no swap)', () => {
    // workingset size = active file 10; distance 12 > 10.
    const ws = aged(true);
    expect(ws.refault(7, SIZES, false)).toBe(REFAULT_SEEN);
    expect(ws.age[0]).toBe(12); // no activation, no aging
    expect(ws.hasShadow(7)).toBe(false); // the shadow is consumed
    expect(ws.refault(7, SIZES, false)).toBe(REFAULT_NONE);
  });

  it('activates a file refault within the workingset, counting anon when swap has room', () => {
    // workingset size = active file 10 + active anon 5 + inactive anon 5 = 20 ≥ 12.
    const ws = aged(true);
    expect(ws.refault(7, SIZES, true)).toBe(REFAULT_SEEN | REFAULT_ACTIVATE);
    expect(ws.age[0]).toBe(13); // an activated refault ages the node
    expect(Array.from(ws.activations)).toEqual([0, 1]);
  });

  it('activates an anon refault against the whole file LRU', () => {
    // anon: workingset = active file 10 + inactive file 50 = 60 ≥ 12, even without swap room.
    const ws = aged(false);
    expect(ws.refault(7, SIZES, false) & REFAULT_ACTIVATE).toBe(REFAULT_ACTIVATE);
    // distance exactly equal to the workingset size still activates (≤).
    const ws2 = aged(true);
    expect(ws2.refault(7, { ...SIZES, activeFile: 12 }, false) & REFAULT_ACTIVATE).toBe(REFAULT_ACTIVATE);
  });

  it('restores a page that was active before eviction and charges its IO to its type', () => {
    const ws = aged(true, true);
    const cost = new ScanCost();
    const r = ws.refault(7, SIZES, true, cost, 100_000);
    expect(r).toBe(REFAULT_SEEN | REFAULT_ACTIVATE | REFAULT_RESTORE);
    expect([cost.anonCost, cost.fileCost]).toEqual([0, 32]); // one page of IO · SWAP_CLUSTER_MAX
    expect(Array.from(ws.restores)).toEqual([0, 1]);
  });
});

describe('MGLRU tiers and the refault controller (mm/vmscan.c)', () => {
  it('puts a page accessed N times through file descriptors in tier order_base_2(N), capped at 3', () => {
    expect([0, 1, 2, 3, 4, 5, 8, 9].map(orderBase2)).toEqual([0, 0, 1, 2, 2, 3, 3, 4]);
    expect([0, 1, 2, 3, 4, 5, 8, 9, 100].map(tierFromAccesses)).toEqual([0, 0, 1, 2, 2, 3, 3, 3, 3]);
  });

  it('trusts a process variable with fewer than 64 refaults', () => {
    const sp = { refaulted: 0, total: 1000, gain: 1 };
    expect(positiveCtrlErr(sp, { refaulted: 63, total: 63, gain: 2 })).toBe(true);
    // 64 refaults of 64: 64·(1000 + 64)·1 = 68096 > (0 + 1)·64·2 = 128 → negative error.
    expect(positiveCtrlErr(sp, { refaulted: 64, total: 64, gain: 2 })).toBe(false);
  });

  it('protects tiers that refault more than tier 0', () => {
    const c = new TierCtrl(1);
    c.noteEvicted(0, LRU_GEN_FILE, 0, 100);
    c.noteRefaulted(0, LRU_GEN_FILE, 0, 10);
    c.noteEvicted(0, LRU_GEN_FILE, 1, 60);
    c.noteProtected(0, LRU_GEN_FILE, 1, 40); // tier 1 total = 60 + 40 = 100
    c.noteRefaulted(0, LRU_GEN_FILE, 1, 64);
    // sp = tier 0 (10 of 100, gain 1), pv = tier 1 (64 of 100, gain 2):
    // 64·(100 + 64)·1 = 10496 > (10 + 1)·100·2 = 2200 → stop at tier 1 → tier_idx 0: tiers ≥ 1 protected.
    expect(c.getTierIdx(0, LRU_GEN_FILE)).toBe(0);
  });

  it('protects no tier when the higher tiers refault no more than tier 0', () => {
    const c = new TierCtrl(1);
    c.noteEvicted(0, LRU_GEN_FILE, 0, 100);
    c.noteRefaulted(0, LRU_GEN_FILE, 0, 10);
    c.noteEvicted(0, LRU_GEN_FILE, 1, 1000);
    c.noteRefaulted(0, LRU_GEN_FILE, 1, 64);
    // 64·164·1 = 10496 ≤ 11·1000·2 = 22000; tiers 2, 3 have no refaults → tier_idx 3.
    expect(c.getTierIdx(0, LRU_GEN_FILE)).toBe(3);
    // Another node's statistics are separate.
    const c2 = new TierCtrl(2);
    c2.noteRefaulted(1, LRU_GEN_FILE, 1, 1000);
    expect(c2.getTierIdx(0, LRU_GEN_FILE)).toBe(3);
  });

  it('picks file unless file refaults more than anon, weighted by swappiness', () => {
    const c = new TierCtrl(1);
    c.noteEvicted(0, LRU_GEN_ANON, 0, 1000);
    c.noteRefaulted(0, LRU_GEN_ANON, 0, 100);
    c.noteEvicted(0, LRU_GEN_FILE, 0, 1000);
    c.noteRefaulted(0, LRU_GEN_FILE, 0, 200);
    // sp = anon (100 of 1000, gain 60), pv = file (200 of 1000, gain 140):
    // 200·1064·60 = 12 768 000 ≤ 101·1000·140 = 14 140 000 → positive → file.
    expect(c.getTypeToScan(0, 60)).toBe(LRU_GEN_FILE);
    c.noteRefaulted(0, LRU_GEN_FILE, 0, 100); // file now 300: 19 152 000 > 14 140 000 → anon
    expect(c.getTypeToScan(0, 60)).toBe(LRU_GEN_ANON);
    // Shortcuts of isolate_folios: swappiness 0 → file; anon older → anon; 1 → file; 200 → anon.
    expect(c.chooseType(0, 0, 0, 0)).toBe(LRU_GEN_FILE);
    expect(c.chooseType(0, 60, 3, 4)).toBe(LRU_GEN_ANON);
    expect(c.chooseType(0, 1, 4, 4)).toBe(LRU_GEN_FILE);
    expect(c.chooseType(0, 200, 4, 4)).toBe(LRU_GEN_ANON);
  });

  it('folds counts into halved running averages when min_seq advances', () => {
    const c = new TierCtrl(1);
    c.noteRefaulted(0, LRU_GEN_FILE, 1, 10);
    c.noteEvicted(0, LRU_GEN_FILE, 1, 7);
    c.noteProtected(0, LRU_GEN_FILE, 1, 4);
    c.carryOver(0, LRU_GEN_FILE);
    // avg_refaulted = ⌊(0 + 10)/2⌋ = 5; avg_total = ⌊(0 + 7 + 4)/2⌋ = 5; counts cleared.
    const pos = c.readCtrlPos(0, LRU_GEN_FILE, 1, 2, { refaulted: 0, total: 0, gain: 0 });
    expect([pos.refaulted, pos.total, pos.gain]).toEqual([5, 5, 2]);
    c.carryOver(0, LRU_GEN_FILE); // ⌊5/2⌋ = 2 each
    expect(c.readCtrlPos(0, LRU_GEN_FILE, 1, 2, pos).refaulted).toBe(2);
  });

  it('counts a refault only when the page was evicted under the current min_seq', () => {
    const ws = new Workingset(1);
    ws.evictGen(3, 0, true, 2, 5);
    ws.evictGen(4, 0, true, 1, 5);
    expect(ws.refaultGen(3, 5)).toBe(2); // same min_seq → charged to tier 2
    expect(ws.refaultGen(4, 6)).toBe(-1); // min_seq moved on → stale
    expect(ws.refaultGen(3, 5)).toBe(-1); // shadow consumed
  });
});
