import { describe, expect, it } from 'vitest';
import { TypedLru, slowFirst } from '../policies/lib/typed-lru.ts';
import { ADD_FAULT } from '../policies/lib/lru.ts';
import { PAGE_DIRTY } from '../policies/policy.ts';
import { FakeHost } from './lib-fake-host.ts';
import { resolveConfig, policyParams } from '../sim/run.ts';
import { resolveTiers } from '../sim/machine.ts';
import { Engine } from '../sim/engine.ts';
import { SyntheticSource } from '../traces/synthetic.ts';
import { findPolicy } from '../policies/registry.ts';

const ANON = 0;
const FILE = 2;

/** One node; `anon` inactive anon pages, then `file` file pages (`activeFile` of them active), all added at fault. */
function setup(anon: number, file: number, activeFile = 0) {
  const host = new FakeHost([1000]);
  host.typesOn = true;
  const lru = new TypedLru(host, 60);
  lru.ensure(64);
  const ids: number[] = [];
  for (let i = 0; i < anon + file; i++) {
    const p = host.addPage(0, i);
    host.ptype[p] = i < anon ? ANON : FILE;
    lru.add(p, 0, ADD_FAULT, i >= anon && i - anon < activeFile);
    ids.push(p);
  }
  const evicted: number[] = [];
  const evict = (p: number) => {
    evicted.push(p);
    return host.evict(p);
  };
  return { host, lru, ids, evicted, evict };
}

describe('typed LRU: anon and file lists balanced as get_scan_count', () => {
  it('takes only clean file pages while plenty of inactive file does not refault (cache_trim_mode)', () => {
    // 4 anon, 8 inactive file (F0 … F7 = pages 4 … 11; the tail is the first added). Goal 4 pages.
    // prio 12 … 4: 8 >> p = 0, nothing. prio 3: 8 >> 3 = 1 → cache trim → scan 1 file: F0 dropped.
    // prio 2: 7 >> 2 = 1 → F1. prio 1: 6 >> 1 = 3 → F2, F3, F4 (the batch completes) → 5 reclaimed.
    const { lru, evicted, evict } = setup(4, 8);
    const got = lru.shrink(0, evict, () => evicted.length >= 4);
    expect(got).toBe(5);
    expect(evicted).toEqual([4, 5, 6, 7, 8]);
    expect(lru.stats.dropped).toBe(5);
    expect(lru.stats.swapped).toBe(0);
    expect(lru.listSize(0, 0)).toBe(4); // no anon page scanned
    // Five evictions aged node 0 to 5; shadows hold ages 0 … 4.
    expect(lru.ws.age[0]).toBe(5);
  });

  it('keeps an anon page found young once on the inactive list, and activates it on the second reference (folio_check_references since v5.9)', () => {
    // 2 inactive anon pages, no file; page 0 (the tail) referenced. prio 12–1 (SCAN_FRACT, costs 0:
    // ap 60 of 200): ⌊(2 >> prio) · 60 / 200⌋ = 0. prio 0 (SCAN_EQUAL): both isolated; page 0 young,
    // not marked → PG_referenced, back to the head (FOLIOREF_KEEP); page 1 not young → swapped.
    const { host, lru, evicted, evict } = setup(2, 0);
    host.touch(0);
    expect(lru.shrink(0, evict, () => evicted.length >= 1)).toBe(1);
    expect(evicted).toEqual([1]);
    expect(lru.isActive(0)).toBe(false);
    // Referenced again: at prio 0, young and marked → activated (stop there: the goal is "active").
    host.touch(0);
    expect(lru.shrink(0, evict, () => lru.isActive(0))).toBe(0);
    expect(lru.isActive(0)).toBe(true);
  });

  it('splits pressure 60 : 140 when the file inactive list is low, swapping anon and deactivating file', () => {
    // 8 anon inactive; file: 2 inactive, 6 active → inactive_is_low(file) (2 · 1 < 6) → no cache trim.
    // Costs 0 → ap = 60, fp = 140, denominator 200. prio 2: ⌊2·60/200⌋ = 0, 0, ⌊1·140/200⌋ = 0.
    // prio 1: anon ⌊4·60/200⌋ = 1, inactive file ⌊1·140/200⌋ = 0, active file ⌊3·140/200⌋ = 2.
    // Lists in order: 1 anon page swapped (page 0, the tail), 2 active file pages deactivated; goal met.
    const { lru, evicted, evict } = setup(8, 8, 6);
    // setup adds file pages 8 … 13 active (8, 9, …) and 14, 15 inactive.
    const got = lru.shrink(0, evict, () => evicted.length >= 1);
    expect(got).toBe(1);
    expect(evicted).toEqual([0]);
    expect(lru.stats.swapped).toBe(1);
    expect([lru.listSize(0, 0), lru.listSize(0, 1), lru.listSize(0, 2), lru.listSize(0, 3)]).toEqual([7, 0, 4, 4]);
    // lru_note_cost(anon, io 1, rotated 0): anon_cost = 32 (15 pages left on the lists: ⌊15/4⌋ = 3 < 32 → halved to 16).
    expect([lru.cost[0].anonCost, lru.cost[0].fileCost]).toEqual([16, 0]);
  });

  it('activates a file page on its second reference, keeps it inactive on its first', () => {
    const { host, lru, evicted, evict } = setup(0, 2);
    host.touch(0); // F0 young once, not PG_referenced → FOLIOREF_KEEP, referenced set
    host.touch(1);
    lru.markAccessed(1); // F1 already PG_referenced → young + referenced → activate
    lru.shrink(0, evict, () => evicted.length >= 1);
    expect(lru.isActive(1)).toBe(true);
    expect(lru.isActive(0)).toBe(false);
    // F0 kept on the inactive list (and, not young the second time round, evicted at a lower priority).
    expect(lru.stats.refaults).toBe(0);
  });

  it('writes back a dirty file page and counts it as IO', () => {
    const { host, lru, evicted, evict } = setup(0, 4);
    host.flag[0] |= PAGE_DIRTY;
    lru.shrink(0, evict, () => evicted.length >= 1);
    expect(evicted).toEqual([0]);
    expect(lru.stats.writtenBack).toBe(1);
    // file_cost += 1 · 32 → 32 > ⌊3/4⌋ = 0 → halved to 16.
    expect(lru.cost[0].fileCost).toBe(16);
  });

  it('activates a refault within the workingset and not one beyond it', () => {
    // After the cache-trim case: age 5, F0 (page 4) evicted at age 0, F4 (page 8) at age 4.
    // A file refault's workingset = active file 0 + (swap has room) active anon 0 + inactive anon 4 = 4.
    const { host, lru, evicted, evict } = setup(4, 8);
    lru.shrink(0, evict, () => evicted.length >= 4);
    host.tier[4] = 0;
    lru.add(4, 0, ADD_FAULT, false); // distance 5 − 0 = 5 > 4 → inactive
    expect(lru.isActive(4)).toBe(false);
    host.tier[8] = 0;
    lru.add(8, 0, ADD_FAULT, false); // distance 5 − 4 = 1 ≤ 4 → active
    expect(lru.isActive(8)).toBe(true);
    expect([lru.stats.refaults, lru.stats.refaultsActivated]).toEqual([2, 1]);
  });
});

describe('TPP page-type-aware allocation', () => {
  it('orders the slow tiers first for page cache', () => {
    expect(slowFirst(3, () => true)).toBe(1);
    expect(slowFirst(3, (t) => t === 2)).toBe(2);
    expect(slowFirst(3, (t) => t === 0)).toBe(0);
    expect(slowFirst(2, () => false)).toBe(-1);
  });

  async function run(policy: string, sets: Record<string, unknown> = {}) {
    // 4096 cache pages read first, then 1024 anon pages; local 4096 pages, CXL 16384.
    const workload = 'scan:pages=4096,accesses=4096,lines=1,type=cache+uniform:pages=1024,offset=4096,accesses=20000,init=1';
    const { config } = resolveConfig({ sets: { workload, 'machine.tiers.0.capacityGiB': (4096 * 4096) / 1024 ** 3, 'machine.tiers.1.capacityGiB': (16384 * 4096) / 1024 ** 3, ...sets }, flags: { policy } });
    const e = new Engine(config, resolveTiers(config, undefined), new SyntheticSource(workload, 1));
    const p = findPolicy(policy);
    e.attach(p, policyParams(config, p));
    await e.run();
    return Array.from(e.pageTypeCounts());
  }

  it('puts page cache on CXL and anon local under TPP; first-touch traps anon on CXL', async () => {
    // [tier 0: anon, shmem, file, cache, tier 1: anon, shmem, file, cache]
    // TPP: every cache page fits on CXL above its low watermark, every anon page locally.
    expect(await run('tpp')).toEqual([1024, 0, 0, 0, 0, 0, 0, 4096]);
    // First-touch: the cache fills all 4096 local pages first; anon spills to CXL.
    expect(await run('first-touch')).toEqual([0, 0, 0, 4096, 1024, 0, 0, 0]);
  });
});
