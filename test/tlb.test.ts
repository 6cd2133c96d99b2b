import { describe, expect, it } from 'vitest';
import { CLS_2M, CLS_4K, T_HIT, T_L2_HIT, T_WALK, TlbHardware, tlbGeometry } from '../sim/tlb.ts';
import type { TlbArraySpec } from '../sim/tlb.ts';
import { makeEngine, probePolicy } from './helpers.ts';
import type { Access } from './helpers.ts';
import { resolveConfig } from '../sim/run.ts';
import * as S from '../sim/stats.ts';

const B4K = 1 << CLS_4K;
const B2M = 1 << CLS_2M;

function hw(l1: TlbArraySpec[], l2: TlbArraySpec[] = [], psc = { pde: 0, pdpte: 0 }, cpus = 1, ptCacheLines = 0): TlbHardware {
  return new TlbHardware({ l1, l2 }, cpus, { l2HitNs: 2, pdeEntries: psc.pde, pdpteEntries: psc.pdpte, ptCacheLines });
}

/** L1 misses of `passes` passes over 4 KiB vpns `vpns` (in order) on CPU 0. */
function stride(t: TlbHardware, vpns: number[], passes: number): number {
  let misses = 0;
  for (let r = 0; r < passes; r++) for (const v of vpns) if ((t.translate(0, v, CLS_4K, 100), t.outcome !== T_HIT)) misses++;
  return misses;
}

const range = (n: number, step = 1) => Array.from({ length: n }, (_, i) => i * step);

describe('TLB arrays: set-associative LRU, counted by hand', () => {
  it('a fully associative L1 of M entries: N ≤ M pages miss once each, N = M + 1 in a cycle miss every time (LRU)', () => {
    expect(stride(hw([{ entries: 8, ways: 8, sizes: B4K }]), range(8), 3)).toBe(8);
    expect(stride(hw([{ entries: 8, ways: 8, sizes: B4K }]), range(9), 3)).toBe(27);
  });

  it('a 16-entry 4-way L1 (4 sets): 18 consecutive pages put 5 in sets 0 and 1 (always miss) and 4 in sets 2 and 3 (miss once)', () => {
    // 3 passes: sets 0, 1 → 2 × 5 × 3 = 30; sets 2, 3 → 2 × 4 = 8.
    expect(stride(hw([{ entries: 16, ways: 4, sizes: B4K }]), range(18), 3)).toBe(38);
    expect(stride(hw([{ entries: 16, ways: 4, sizes: B4K }]), range(16), 3)).toBe(16);
  });

  it('a stride of the set count maps every page to one set: 5 pages thrash a 4-way set, 4 fit', () => {
    expect(stride(hw([{ entries: 16, ways: 4, sizes: B4K }]), range(5, 4), 4)).toBe(20);
    expect(stride(hw([{ entries: 16, ways: 4, sizes: B4K }]), range(4, 4), 4)).toBe(4);
  });

  it('L1 misses that hit the L2 cost l2HitNs; L2 misses walk every level no paging-structure cache holds', () => {
    // L1: 8 entries fully associative; L2: 32 entries 4-way (8 sets). 12 pages in a cycle, 3 passes:
    // every access misses L1 (12 > 8); the L2 holds all 12 (≤ 2 per set), so only the first pass walks.
    // No paging-structure caches: a 4 KiB walk reads PDPTE, PDE and PTE: 3 reads of 100 ns.
    const t = hw([{ entries: 8, ways: 8, sizes: B4K }], [{ entries: 32, ways: 4, sizes: B4K }]);
    let ns = 0;
    const outcomes = [0, 0, 0];
    for (let r = 0; r < 3; r++) for (const v of range(12)) (ns += t.translate(0, v, CLS_4K, 100), outcomes[t.outcome]++);
    expect(outcomes[T_HIT]).toBe(0);
    expect(outcomes[T_WALK]).toBe(12);
    expect(outcomes[T_L2_HIT]).toBe(24);
    expect(ns).toBe(12 * (2 + 3 * 100) + 24 * 2);
  });

  it('the paging-structure caches skip upper levels: one PDE entry serves a 2 MiB region, one PDPTE entry a 1 GiB region', () => {
    const t = hw([{ entries: 1, ways: 1, sizes: B4K }], [], { pde: 1, pdpte: 1 });
    const reads: number[] = [];
    for (const v of [0, 1, 2, 512, 513, 262144]) (t.translate(0, v, CLS_4K, 100), reads.push(t.walkReads));
    // vpn 0: cold, 3 reads; 1, 2: PDE hit, 1; 512: new 2 MiB region in the same 1 GiB: 2; 513: 1; 262144: new 1 GiB: 3.
    expect(reads).toEqual([3, 1, 1, 2, 1, 3]);
  });

  it('walk reads whose 64-byte line (8 entries) is cached cost the hit latency, the others memory', () => {
    // 16 consecutive 4 KiB pages through a 1-entry L1 (every access walks), one-entry PDE and PDPTE
    // caches, 64 cached page-table lines: vpn 0 reads PDPTE, PDE, PTE (3 lines, all cold); vpns
    // 1–15 read their PTE only: the line of PTEs 0–7 is cached, PTEs 8–15 miss once (vpn 8).
    const t = hw([{ entries: 1, ways: 1, sizes: B4K }], [], { pde: 1, pdpte: 1 }, 1, 64);
    let ns = 0;
    let reads = 0;
    let mem = 0;
    for (const v of range(16)) (ns += t.translate(0, v, CLS_4K, 100, 5), (reads += t.walkReads), (mem += t.walkMemReads));
    expect(reads).toBe(18);
    expect(mem).toBe(4);
    expect(ns).toBe(16 * 2 + 4 * 100 + 14 * 5);
  });

  it('a 2 MiB entry covers 512 4 KiB vpns and its walk stops at the PDE (2 reads without caches)', () => {
    const t = hw([{ entries: 4, ways: 4, sizes: B4K }, { entries: 2, ways: 2, sizes: B2M }]);
    expect(t.translate(0, 5, CLS_2M, 100)).toBe(2 + 2 * 100);
    for (const v of [0, 100, 511]) expect(t.translate(0, v, CLS_2M, 100)).toBe(0);
    expect(t.translate(0, 512, CLS_2M, 100)).toBe(202); // the next 2 MiB page
    expect(t.translate(0, 5, CLS_4K, 100)).toBe(302); // a 4 KiB mapping of the same address is another entry
  });

  it('invalidate removes the entry from every CPU that holds it, in L1 and L2, and names the holders', () => {
    const t = hw([{ entries: 4, ways: 4, sizes: B4K }], [{ entries: 8, ways: 2, sizes: B4K }], { pde: 0, pdpte: 0 }, 3);
    t.translate(0, 7, CLS_4K, 100);
    t.translate(2, 7, CLS_4K, 100);
    t.translate(1, 8, CLS_4K, 100);
    const held = new Uint8Array(3);
    t.invalidate(7, CLS_4K, held);
    expect(Array.from(held)).toEqual([1, 0, 1]);
    expect(t.holders).toBe(2);
    expect(t.entriesLost).toBe(4);
    t.translate(0, 7, CLS_4K, 100);
    expect(t.outcome).toBe(T_WALK); // refilled by a walk
    t.translate(1, 8, CLS_4K, 100);
    expect(t.outcome).toBe(T_HIT); // untouched
  });
});

describe('TLB geometry from the config', () => {
  it('picks the CPU model by machine preset and applies overrides', () => {
    const spr = tlbGeometry(resolveConfig({ sets: { 'tlb.enabled': true } }).config);
    expect(spr.l1[0]).toEqual({ entries: 96, ways: 6, sizes: B4K });
    expect(spr.l2[0].entries).toBe(2048);
    const skx = tlbGeometry(resolveConfig({ sets: { 'tlb.enabled': true, 'machine.preset': 'dram-optane' } }).config);
    expect(skx.l1[0].entries).toBe(64);
    const o = tlbGeometry(resolveConfig({ sets: { 'tlb.cpu': 'zen4', 'tlb.l1Entries4KiB': 16 } }).config);
    expect(o.l1[0]).toEqual({ entries: 16, ways: 16, sizes: 7 });
  });

  it('rejects ways that do not divide entries', () => {
    expect(() => tlbGeometry(resolveConfig({ sets: { 'tlb.l1Entries4KiB': 10, 'tlb.l1Ways4KiB': 4 } }).config)).toThrow(/ways must divide entries/);
  });
});

// Engine runs on SIMPLE_MACHINE (tier 0 reads 100 ns, tier 1 200 ns, no queueing, mlp 1).
const TLB_SMALL = {
  'tlb.enabled': true,
  'tlb.l1Entries4KiB': 4,
  'tlb.l1Ways4KiB': 4,
  'tlb.l2Entries': 8,
  'tlb.l2Ways': 8,
  'tlb.pdeCacheEntries': 0,
  'tlb.pdpteCacheEntries': 0,
  'tlb.ptCacheLines': 0,
  'tlb.l2HitNs': 2,
};

function tlbCounters(res: { counters: Float64Array }, tiers = 2): Record<string, number> {
  const b = S.tlbCounterBase(tiers);
  return Object.fromEntries(S.TLB_COUNTER_NAMES.map((n, i) => [n, res.counters[b + i]]));
}

describe('translation in the engine', () => {
  // 10 pages read in a cycle, 3 passes, one CPU: L1 (4, fully associative) misses all 30; the
  // L2 (8, fully associative) misses all 30 too (10 > 8 in LRU order): 30 walks of 3 reads each.
  const cycle: Access[] = [];
  for (let r = 0; r < 3; r++) for (let p = 0; p < 10; p++) cycle.push([p, 'R', 0]);

  it('a stride over N pages misses as computed, and each walk read costs the page-table tier\'s latency', async () => {
    for (const [ptTier, readNs] of [[0, 100], [1, 200]]) {
      const e = makeEngine({ perCpu: [cycle], localPages: 20, cxlPages: 20, sets: { ...TLB_SMALL, 'tlb.pageTableTier': ptTier } });
      const res = await e.run();
      const t = tlbCounters(res);
      expect(t.tlbL1Misses).toBe(30);
      expect(t.tlbL2Misses).toBe(30);
      expect(t.tlbWalkReads).toBe(90);
      expect(t.tlbWalkNs).toBe(90 * readNs);
      // Every access is local (100 ns) plus its translation (2 + 3 · readNs).
      expect(res.counters[S.C_LATENCY_SUM_NS]).toBe(30 * 100 + 30 * (2 + 3 * readNs));
    }
  });

  it('with 8 pages the L2 holds the cycle: 8 walks, then L2 hits', async () => {
    const acc: Access[] = [];
    for (let r = 0; r < 3; r++) for (let p = 0; p < 8; p++) acc.push([p, 'R', 0]);
    const res = await makeEngine({ perCpu: [acc], localPages: 20, cxlPages: 20, sets: TLB_SMALL }).run();
    const t = tlbCounters(res);
    expect(t.tlbL1Misses).toBe(24);
    expect(t.tlbL2Misses).toBe(8);
  });

  it('off by default: no TLB counter moves and latency is the tier\'s alone', async () => {
    const res = await makeEngine({ perCpu: [cycle], localPages: 20, cxlPages: 20 }).run();
    expect(Object.values(tlbCounters(res)).every((x) => x === 0)).toBe(true);
    expect(res.counters[S.C_LATENCY_SUM_NS]).toBe(30 * 100);
  });

  // Three CPUs. Page 0 is first touched by CPU 0, then read by CPU 1; CPU 2 reads page 5 only.
  // At 20 µs a daemon timer migrates page 0 to CXL; afterwards CPUs 0 and 1 read page 0 again.
  function shootdownRun(targets: string) {
    const policy = probePolicy((h) => {
      h.after(20000, 1);
      return { onTimer: () => void h.migrate(0, 1, true) };
    });
    return makeEngine({
      perCpu: [
        [[0, 'R', 0], [0, 'R', 30000]],
        [[0, 'R', 100], [0, 'R', 30000]],
        [[5, 'R', 100], [5, 'R', 30000]],
      ],
      localPages: 20,
      cxlPages: 20,
      policy,
      sets: { ...TLB_SMALL, 'tlb.shootdownTargets': targets, 'cost.tlbShootdownNs': 1000, 'cost.tlbShootdownPerCpuNs': 200, 'tlb.shootdownReceiveNs': 500 },
    }).run();
  }

  it('a migration shoots down the entry on the CPUs that hold it: IPI round 1000 + 200 per receiver, 500 ns on each receiver', async () => {
    const res = await shootdownRun('holders');
    const t = tlbCounters(res);
    expect(t.tlbShootdowns).toBe(1);
    expect(t.tlbShootdownIpis).toBe(2); // CPUs 0 and 1 held page 0; CPU 2 did not
    expect(t.tlbEntriesLost).toBe(4); // an L1 and an L2 entry on each
    expect(t.tlbShootdownNs).toBe(1000 + 2 * 200 + 2 * 500);
    expect(res.counters[S.C_STALL_NS]).toBe(2 * 500);
    // Walks: 3 cold (pages 0 on CPUs 0, 1; page 5 on CPU 2) + CPUs 0 and 1 refilling page 0.
    expect(t.tlbL2Misses).toBe(5);
    // Kernel CPU: 2 first-touch faults (1000 + 1 ns zeroing), one migration without the fixed
    // shootdown term (2000 + 4096 B / 12 GB/s), and the IPI round.
    expect(res.counters[S.C_KERNEL_CPU_NS]).toBeCloseTo(2 * 1001 + 2000 + 4096 / 12 + 1400, 6);
  });

  it('with shootdownTargets = mm every other CPU of the address space receives the IPI, holder or not', async () => {
    const t = tlbCounters(await shootdownRun('mm'));
    expect(t.tlbShootdownIpis).toBe(3);
    expect(t.tlbEntriesLost).toBe(4);
    expect(t.tlbShootdownNs).toBe(1000 + 3 * 200 + 3 * 500);
  });
});

describe('batched TLB flush', () => {
  // As the shootdown runs above, but the timer migrates page 0 (held by CPUs 0 and 1) and page 5
  // (held by CPU 2) in one callback: one migrate_pages() batch.
  async function twoMigrations(batched: boolean) {
    const policy = probePolicy((h) => {
      h.after(20000, 1);
      return { onTimer: () => void (h.migrate(0, 1, true), h.migrate(1, 1, true)) };
    });
    const res = await makeEngine({
      perCpu: [
        [[0, 'R', 0], [0, 'R', 30000]],
        [[0, 'R', 100], [0, 'R', 30000]],
        [[5, 'R', 100], [5, 'R', 30000]],
      ],
      localPages: 20,
      cxlPages: 20,
      policy,
      sets: { ...TLB_SMALL, 'tlb.batchedFlush': batched, 'cost.tlbShootdownNs': 1000, 'cost.tlbShootdownPerCpuNs': 200, 'tlb.shootdownReceiveNs': 500 },
    }).run();
    return tlbCounters(res);
  }

  it('migrations of one callback share one IPI round to the union of their holders', async () => {
    const t = await twoMigrations(true);
    expect(t.tlbShootdowns).toBe(1);
    expect(t.tlbShootdownIpis).toBe(3);
    expect(t.tlbShootdownNs).toBe(1000 + 3 * 200 + 3 * 500);
  });

  it('without batching each migration is a round of its own', async () => {
    const t = await twoMigrations(false);
    expect(t.tlbShootdowns).toBe(2);
    expect(t.tlbShootdownIpis).toBe(3);
    expect(t.tlbShootdownNs).toBe(1000 + 2 * 200 + 1000 + 200 + 3 * 500);
  });
});

describe('translation model runs are deterministic and keep the engine invariants', () => {
  it('two runs of a multi-CPU migrating policy with the TLB (and THP) on give identical counters', async () => {
    const { resolveConfig: rc, policyParams } = await import('../sim/run.ts');
    const { resolveTiers } = await import('../sim/machine.ts');
    const { Engine } = await import('../sim/engine.ts');
    const { findPolicy } = await import('../policies/registry.ts');
    const { SyntheticSource } = await import('../traces/synthetic.ts');
    const once = async (pageSizeKiB: number, policy: string) => {
      const workload = 'hotset:pages=20000,hot=0.1,shiftAt=0.5,accesses=40k,threads=3,gapNs=50000,write=0.3,init=1';
      const sets: Record<string, unknown> = { 'tlb.enabled': true, 'machine.headroomPct': 2 };
      if (pageSizeKiB === 2048) Object.assign(sets, { 'thp.enabled': true, 'thp.fragmentedPct': 40, 'thp.scanSleepMs': 20 });
      const { config } = rc({ sets, flags: { policy, workload, pageSizeKiB } });
      const source = new SyntheticSource(workload, 7);
      const engine = new Engine(config, resolveTiers(config, source.footprintPages(pageSizeKiB * 1024)), source);
      const def = findPolicy(policy);
      engine.attach(def, policyParams(config, def));
      const res = await engine.run();
      expect(engine.checkInvariants()).toEqual([]);
      return Array.from(res.counters);
    };
    for (const [size, policy] of [[4, 'numa-tiering'], [2048, 'memtis']] as const) {
      const a = await once(size, policy);
      expect(a[S.tlbCounterBase(2) + S.TC_L2_MISSES]).toBeGreaterThan(0);
      expect(await once(size, policy)).toEqual(a);
    }
  }, 60_000);
});
