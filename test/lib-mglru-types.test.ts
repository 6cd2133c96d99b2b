// MGLRU with page types (policies/lib/mglru.ts): refs and tiers of page cache reached by
// read()/write(), sort_folio protection from the refault controller, the anon/file choice, and
// lru_gen_refault. Every expected value is worked out by hand from mm/vmscan.c, mm/workingset.c
// and include/linux/mm_inline.h (v6.6 with "mm/mglru: fix underprotected page cache").

import { describe, expect, it } from 'vitest';
import { Mglru, refsFromAccesses, tierFromRefs } from '../policies/lib/mglru.ts';
import type { MglruOptions } from '../policies/lib/mglru.ts';
import { AddressOrder } from '../policies/lib/address-order.ts';
import { ADD_FAULT } from '../policies/lib/lru.ts';
import { LRU_GEN_ANON, LRU_GEN_FILE, MAX_NR_TIERS } from '../policies/lib/workingset.ts';
import type { FdHost } from '../policies/policy.ts';
import { FD_COUNT_MAX, PAGE_ACCESSED, PAGE_SWAPPED } from '../policies/policy.ts';
import { FakeHost } from './lib-fake-host.ts';
import { resolveConfig, policyParams } from '../sim/run.ts';
import { resolveTiers } from '../sim/machine.ts';
import { Engine } from '../sim/engine.ts';
import { SyntheticSource } from '../traces/synthetic.ts';
import { findPolicy } from '../policies/registry.ts';
import { C_KERNEL_CPU_NS } from '../sim/stats.ts';
import type { TieringKernel } from '../policies/lib/kernel.ts';

const ANON = 0;
const CACHE = 3;

/** FakeHost that counts read()/write() accesses of armed pages, as the engine's FdHost does. */
class FdFakeHost extends FakeHost implements FdHost {
  fd: number[] = [];
  armFdCount(p: number): boolean {
    if (this.tier[p] < 0) return false;
    this.fd[p] = 0;
    return true;
  }
  fdCount(p: number): number {
    return this.fd[p] ?? 0;
  }
  /** A read() of page-cache page p: the engine sets its accessed bit and counts it if armed. */
  read(p: number, times = 1): void {
    for (let i = 0; i < times; i++) {
      this.flag[p] |= PAGE_ACCESSED;
      if (this.fd[p] !== undefined && this.fd[p] >= 0) this.fd[p] = Math.min(FD_COUNT_MAX, this.fd[p] + 1);
    }
  }
  override evict(p: number): boolean {
    this.fd[p] = -1;
    return super.evict(p);
  }
}

/** One node of 1000 pages with page types on; pages added in order with the given types, at fault. */
function setup(types: number[], o: MglruOptions = {}) {
  const host = new FdFakeHost([1000]);
  host.typesOn = true;
  const mg = new Mglru(host, new AddressOrder(host), 0, o);
  mg.ensure(64);
  for (let i = 0; i < types.length; i++) {
    const p = host.addPage(0, i);
    host.ptype[p] = types[i];
    mg.add(p, 0, ADD_FAULT, false);
  }
  const evicted: number[] = [];
  const evict = (p: number) => {
    evicted.push(p);
    return host.evict(p);
  };
  return { host, mg, evicted, evict };
}

/** Refault counts of a node's type and tier as the controller reads them (TierCtrl index). */
function idx(type: number, tier: number): number {
  return type * MAX_NR_TIERS + tier;
}

describe('MGLRU refs and tiers (folio_inc_refs, folio_lru_refs, lru_tier_from_refs)', () => {
  it('puts a page read N times in tier order_base_2(N)', () => {
    // N = 1: PG_referenced only → refs 0 → tier 0. N = 2: + PG_workingset → refs 1 → order_base_2(2) = 1.
    // N = 3, 4: refs 2, 3 → order_base_2(3) = order_base_2(4) = 2. N ≥ 5: refs saturate at 4 → tier 3.
    expect([1, 2, 3, 4, 5, 9].map(refsFromAccesses)).toEqual([0, 1, 2, 3, 4, 4]);
    expect([1, 2, 3, 4, 5, 9].map((n) => tierFromRefs(refsFromAccesses(n)))).toEqual([0, 1, 2, 2, 3, 3]);
  });

  it('counts the read() that brings a page-cache page in, and later ones through the engine', () => {
    const { host, mg } = setup([CACHE, CACHE, ANON]);
    // Page 0 is read 3 more times after its first read: N = 4 → refs 3 → tier 2.
    host.read(0, 3);
    expect(mg.refsOf(0)).toBe(3);
    expect(tierFromRefs(mg.refsOf(0))).toBe(2);
    // Page 1 only by the read that brought it in: N = 1 → refs 0. Anon page 2 has no fd refs even
    // when touched through its mapping.
    expect(mg.refsOf(1)).toBe(0);
    host.touch(2);
    expect(mg.refsOf(2)).toBe(0);
  });

  it('puts page cache read in at min_seq[file] + 1 and faulted pages at max_seq (lru_gen_add_folio)', () => {
    // A new node: max_seq 3, min_seq 0 → 0 + 2 < 3 → page cache at seq 1, slot (1 % 4) + 1 = 2;
    // the anon page faulted in at seq 3, slot 4.
    const { mg } = setup([CACHE, ANON]);
    expect(Array.from(mg.gen.subarray(0, 2))).toEqual([2, 4]);
  });

  it('never treats a page-cache page\'s accessed bit as a young PTE', () => {
    // Pages 0..3 cache, read once more each (accessed bit set, refs 1 → tier 1). Their oldest
    // generation is seq 1; anon has none, so isolate_folios ends with file. No refault history:
    // every tier is within tier 0's rate (tier_idx 3), so nothing is protected and no page is
    // young (no PTE): all four are evicted in list order, tail first.
    const { host, mg, evicted, evict } = setup([CACHE, CACHE, CACHE, CACHE]);
    for (let p = 0; p < 4; p++) host.read(p);
    mg.shrink(0, evict, () => evicted.length >= 4);
    expect(evicted).toEqual([0, 1, 2, 3]);
    expect(mg.stats.dropped).toBe(4);
    expect(Array.from(mg.stats.protectedPages)).toEqual([0, 0, 0, 0]);
  });
});

describe('MGLRU tier protection (get_tier_idx, positive_ctrl_err, sort_folio)', () => {
  /** Pages 0..3 cache; 1 and 3 read twice (tier 1), 0 and 2 once (tier 0). Swappiness 1: file, get_tier_idx. */
  function protectCase(tier0: [number, number], tier1: [number, number]) {
    const s = setup([CACHE, CACHE, CACHE, CACHE], { swappiness: 1 });
    s.host.read(1);
    s.host.read(3);
    // Counts of earlier generations. The first shrink moves both min_seqs (0 → 1), which halves
    // them into the averages (reset_ctrl_pos carryover): preset twice the values wanted.
    const c = s.mg.ctrl;
    c.refaulted[idx(LRU_GEN_FILE, 0)] = tier0[0];
    c.evicted[idx(LRU_GEN_FILE, 0)] = tier0[1];
    c.refaulted[idx(LRU_GEN_FILE, 1)] = tier1[0];
    c.evicted[idx(LRU_GEN_FILE, 1)] = tier1[1];
    return s;
  }

  it('protects tier-1 pages when tier 1 refaults at a higher rate than tier 0', () => {
    // After carryover: tier 0 refaulted 10 of 1000, tier 1 100 of 100. SP = tier 0 (gain 1), PV =
    // tier 1 (gain 2): 100 ≥ 64 refaults, and 100 · (1000 + 64) · 1 = 106400 > (10 + 1) · 100 · 2
    // = 2200 → error not positive → get_tier_idx breaks at tier 1 → tier_idx 0: tiers ≥ 1 protected.
    // Oldest file generation (seq 1), tail first: 0 (tier 0) evicted; 1 (tier 1) protected → tail
    // of seq 2, refs cleared; 2 evicted; goal met.
    const { mg, evicted, evict } = protectCase([20, 2000], [200, 200]);
    mg.shrink(0, evict, () => evicted.length >= 2);
    expect(evicted).toEqual([0, 2]);
    expect(mg.ctrl.tierIdx).toBe(0);
    expect(mg.gen[1]).toBe((2 % 4) + 1);
    expect(mg.refsOf(1)).toBe(0);
    expect(mg.ctrl.protectedPages[idx(LRU_GEN_FILE, 1)]).toBe(1);
    expect(mg.ctrl.evicted[idx(LRU_GEN_FILE, 0)]).toBe(2);
  });

  it('evicts tier-1 pages too when tier 1 refaults no more than tier 0 (with the 2× margin)', () => {
    // After carryover: tier 0 refaulted 200 of 1000, tier 1 70 of 1000: 70 · 1064 · 1 = 74480 ≤
    // 201 · 1000 · 2 = 402000 → positive; tiers 2 and 3 have no refaults (< 64) → positive →
    // tier_idx 3: nothing protected. Tail first: 0, 1.
    const { mg, evicted, evict } = protectCase([400, 2000], [140, 2000]);
    mg.shrink(0, evict, () => evicted.length >= 2);
    expect(mg.ctrl.tierIdx).toBe(3);
    expect(evicted).toEqual([0, 1]);
    expect(Array.from(mg.stats.protectedPages)).toEqual([0, 0, 0, 0]);
  });

  it('always protects a page with saturated refs (refs == BIT(LRU_REFS_WIDTH))', () => {
    // Page 0 read 5 times in all: refs 4, tier 3 — protected even with tier_idx 3 (no history).
    const { host, mg, evicted, evict } = setup([CACHE, CACHE]);
    host.read(0, 4);
    mg.shrink(0, evict, () => evicted.length >= 1);
    expect(evicted).toEqual([1]);
    expect(mg.ctrl.protectedPages[idx(LRU_GEN_FILE, 3)]).toBe(1);
  });
});

describe('MGLRU anon vs file (isolate_folios, get_type_to_scan, get_swappiness)', () => {
  /** 4 anon (pages 0..3) and 4 cache (4..7) pages, all moved to seq 1 (the oldest of both types after the first pass). */
  function mixed(o: MglruOptions, anon: [number, number], file: [number, number]) {
    const s = setup([ANON, ANON, ANON, ANON, CACHE, CACHE, CACHE, CACHE], o);
    for (let p = 0; p < 8; p++) s.mg.moveTo(p, 0, 1);
    const c = s.mg.ctrl;
    c.refaulted[idx(LRU_GEN_ANON, 0)] = anon[0];
    c.evicted[idx(LRU_GEN_ANON, 0)] = anon[1];
    c.refaulted[idx(LRU_GEN_FILE, 0)] = file[0];
    c.evicted[idx(LRU_GEN_FILE, 0)] = file[1];
    return s;
  }

  it('evicts anon when file tier 0 refaults more than anon, weighted by swappiness', () => {
    // The first pass moves both min_seqs 0 → 1 (halving the preset counts): anon 10 of 1000, file
    // 200 of 1000. Three generations, none young, old 8 of 8: no aging. min_seq equal, swappiness
    // 60 → get_type_to_scan: SP = anon tier 0 (gain 60), PV = file tier 0 (gain 140):
    // 200 · (1000 + 64) · 60 = 12768000 > (10 + 1) · 1000 · 140 = 1540000 → not positive → anon.
    const { mg, evicted, evict } = mixed({}, [20, 2000], [400, 2000]);
    mg.shrink(0, evict, () => evicted.length >= 2);
    expect(evicted).toEqual([0, 1]);
    expect(mg.stats.swapped).toBe(2);
  });

  it('evicts file when file tier 0 has too few refaults to matter', () => {
    // File refaulted 25 (< MIN_LRU_BATCH = 64) after carryover → positive → file.
    const { mg, evicted, evict } = mixed({}, [20, 2000], [50, 2000]);
    mg.shrink(0, evict, () => evicted.length >= 2);
    expect(evicted).toEqual([4, 5]);
    expect(mg.stats.dropped).toBe(2);
  });

  it('with no swap and no demotion target evicts only file pages (swappiness counts as 0)', () => {
    // get_swappiness → 0. Pass 1: file min_seq 0 → 1; no aging (min_seq[file] + 2 = max_seq, old
    // 4 of 4); file only: pages 4..7 evicted, tail first. Pass 2: file min_seq → 2, two
    // generations → age (anon, four generations and unswappable, only moves its min_seq; the walk
    // skips anon mappings); file is down to two generations → nothing scanned; pass 3 likewise →
    // reclaim gives up. The anon pages stay, though they were never accessed.
    const { host, mg, evicted, evict } = setup([ANON, ANON, ANON, ANON, CACHE, CACHE, CACHE, CACHE], { swap: false });
    expect(mg.swappinessOf(0)).toBe(0);
    mg.shrink(0, evict, () => evicted.length >= 6);
    expect(evicted).toEqual([4, 5, 6, 7]);
    for (let p = 0; p < 4; p++) expect(host.tierOf(p)).toBe(0);
    // With a demotion target, anon is reclaimable again (can_demote).
    const d = setup([ANON], { swap: false, canDemote: () => true });
    expect(d.mg.swappinessOf(0)).toBe(60);
  });
});

describe('MGLRU refaults (lru_gen_eviction, lru_gen_test_recent, lru_gen_refault)', () => {
  it('charges a recent refault to the tier it was evicted from and restores refs ≥ 3', () => {
    // Page 0 read 4 times (refs 3, tier 2), page 1 twice (refs 1, tier 1), no refault history
    // (tier_idx 3): both evicted from seq 1 with min_seq[file] = 1 in their shadows.
    const { host, mg, evicted, evict } = setup([CACHE, CACHE]);
    host.read(0, 3);
    host.read(1, 1);
    mg.shrink(0, evict, () => evicted.length >= 2);
    expect(evicted).toEqual([0, 1]);
    expect(mg.ctrl.evicted[idx(LRU_GEN_FILE, 2)]).toBe(1);
    expect(mg.ctrl.evicted[idx(LRU_GEN_FILE, 1)]).toBe(1);
    // Both read again (page-cache misses) while min_seq[file] is still 1 → recent.
    for (const p of [0, 1]) {
      host.tier[p] = 0;
      host.flag[p] = 0;
      mg.add(p, 0, ADD_FAULT, false);
    }
    expect(mg.ctrl.refaulted[idx(LRU_GEN_FILE, 2)]).toBe(1);
    expect(mg.ctrl.refaulted[idx(LRU_GEN_FILE, 1)]).toBe(1);
    // Page 0 had refs 3 ≥ BIT(LRU_REFS_WIDTH) − 1 → refs set to 4 (saturated, protected at the next
    // sort); page 1 (refs 1, read(), not a fault) is not restored: refs 0 from its one read.
    expect(mg.refsOf(0)).toBe(4);
    expect(mg.refsOf(1)).toBe(0);
    expect(mg.stats.refaults).toBe(2);
  });

  it('restores an anon page that refaults in a page fault, and ignores a stale shadow', () => {
    // Anon pages 0, 1 moved to seq 1, evicted (swapped) with min_seq[anon] 1 in the shadow.
    const { host, mg, evicted, evict } = setup([ANON, ANON, ANON]);
    mg.moveTo(0, 0, 1);
    mg.moveTo(1, 0, 1);
    mg.shrink(0, evict, () => evicted.length >= 2);
    expect(evicted).toEqual([0, 1]);
    expect(host.flags(0) & PAGE_SWAPPED).toBe(PAGE_SWAPPED);
    // Page 0 swaps in now (lru_gen_in_fault): recent → refs restored to 4.
    host.tier[0] = 0;
    host.flag[0] = 0;
    mg.add(0, 0, ADD_FAULT, false);
    expect(mg.refsOf(0)).toBe(4);
    expect(mg.ctrl.refaulted[idx(LRU_GEN_ANON, 0)]).toBe(1);
    // Page 1 swaps in after min_seq[anon] moved on: stale — a refault, not charged to a tier.
    mg.minSeq[0] = 2;
    host.tier[1] = 0;
    host.flag[1] = 0;
    mg.add(1, 0, ADD_FAULT, false);
    expect(mg.refsOf(1)).toBe(0);
    expect(mg.ctrl.refaulted[idx(LRU_GEN_ANON, 0)]).toBe(1);
    expect(mg.stats.refaults).toBe(2);
  });
});

/** 4 cache pages scanned 3 times under `policy`, memory to spare. */
async function runScan(policy: string) {
  const workload = 'scan:pages=4,accesses=12,lines=1,type=cache';
  const { config } = resolveConfig({ sets: { workload, 'machine.tiers.0.capacityGiB': (1024 * 4096) / 1024 ** 3, 'machine.tiers.1.capacityGiB': (1024 * 4096) / 1024 ** 3 }, flags: { policy } });
  const e = new Engine(config, resolveTiers(config, undefined), new SyntheticSource(workload, 1));
  const p = findPolicy(policy);
  e.attach(p, policyParams(config, p));
  const r = await e.run();
  return { e, simTimeNs: r.simTimeNs, kernelNs: r.counters[C_KERNEL_CPU_NS] };
}

describe('MGLRU with page types in the engine', () => {
  it('counts each read() of a page-cache page once: 4 pages read 3 times each have refs 2', async () => {
    // scan over 4 cache pages, 12 accesses = 3 passes, memory to spare (no reclaim). The first read
    // of each page is its page-cache miss (counted by the policy as it adds the page); the engine
    // counts the next two (FdHost) → N = 3 → refs 2 → tier 2.
    const res = await runScan('mglru');
    const mg = (res.e.policyHooks() as { kernel: TieringKernel }).kernel.reclaimer as Mglru;
    expect([0, 1, 2, 3].map((q) => mg.refsOf(q))).toEqual([2, 2, 2, 2]);
    // Counting is free (read() marks the folio in the syscall): the same time and kernel CPU as
    // first-touch, which counts nothing (mglru's NUMA scanner never marks page cache).
    const ft = await runScan('first-touch');
    expect(res.simTimeNs).toBe(ft.simTimeNs);
    expect(res.kernelNs).toBe(ft.kernelNs);
  });

  it('counts read()/write() accesses of page cache through the engine (FdHost) and keeps lists consistent', async () => {
    // 2048 cache pages scanned twice (each page read once per pass, then 4096 random reads of a
    // 256-page hot set), and 2048 anon pages; local 2048 pages, CXL 8192: reclaim demotes.
    const workload = 'scan:pages=2048,accesses=4096,lines=1,type=cache+uniform:pages=256,accesses=4096,type=cache+uniform:pages=2048,offset=4096,accesses=20000,init=1';
    const { config } = resolveConfig({ sets: { workload, 'machine.tiers.0.capacityGiB': (2048 * 4096) / 1024 ** 3, 'machine.tiers.1.capacityGiB': (8192 * 4096) / 1024 ** 3 }, flags: { policy: 'mglru' } });
    const e = new Engine(config, resolveTiers(config, undefined), new SyntheticSource(workload, 1));
    const p = findPolicy('mglru');
    e.attach(p, policyParams(config, p));
    await e.run();
    const kernel = (e.policyHooks() as { kernel: TieringKernel }).kernel;
    const mg = kernel.reclaimer as Mglru;
    expect(mg.typed).toBe(true);
    expect(kernel.checkLists()).toEqual([]);
    // Some cache page of the hot set has more than one read counted since its refs were last cleared.
    let maxRefs = 0;
    for (let q = 0; q < 256; q++) maxRefs = Math.max(maxRefs, mg.refsOf(q));
    expect(maxRefs).toBeGreaterThan(0);
  });
});
