import { describe, expect, it } from 'vitest';
import { TieringKernel } from '../policies/lib/kernel.ts';
import { NUMA_BALANCING_NORMAL } from '../policies/lib/numa-balancing.ts';
import { FAULT_FIRST_TOUCH, FAULT_HINT } from '../policies/policy.ts';
import { FakeHost } from './lib-fake-host.ts';
import { findPolicy } from '../policies/registry.ts';
import type { PolicyHooks } from '../policies/policy.ts';
import { PT_ANON } from '../policies/lib/typed-lru.ts';

const PT_CACHE = 3; // sim/page-types.ts

describe('autonuma (NUMA balancing mode 1, no tiering)', () => {
  // Node 0 = 1,000 pages (high watermark 29 with min_free_kbytes 400 kB and scale factor 100).
  function setup(filled: number) {
    const host = new FakeHost([1000, 10000]);
    const k = new TieringKernel(host, {
      numaMode: NUMA_BALANCING_NORMAL,
      demotionEnabled: false,
      scan: { scanDelayMs: 1000, scanPeriodMinMs: 1000, scanPeriodMaxMs: 60000, scanSizeMB: 256 },
      hotThresholdMs: 1000,
      promoteRateLimitMBps: 65536,
      minFreeKbytes: 400,
      watermarkScaleFactor: 100,
    kswapdPageNs: 500,
      reclaimer: 'lru',
    });
    const fault = (tier: number, vpn: number) => {
      const p = host.addPage(tier, vpn);
      k.onFault(p, FAULT_FIRST_TOUCH, 0);
      return p;
    };
    for (let i = 0; i < filled; i++) fault(0, i);
    return { host, k, fault };
  }

  it('moves a remote page on its second hint fault (the first only records last_cpupid)', () => {
    const { host, k, fault } = setup(900);
    const x = fault(1, 5000);
    k.onFault(x, FAULT_HINT, 0);
    expect(host.tierOf(x)).toBe(1);
    expect(k.lastCpu[x]).toBe(0);
    k.onFault(x, FAULT_HINT, 0);
    expect(host.tierOf(x)).toBe(0);
  });

  it('fails the migration without waking kswapd when node 0 would drop to high, and records the failure', () => {
    // Free 30 is not > high 29 + 1 → migrate_balanced_pgdat fails; mode 1 returns -EAGAIN without
    // waking kswapd; the fault is recorded with TNF_MIGRATE_FAIL (numa_faults_locality[2]).
    const { host, k, fault } = setup(970);
    const x = fault(1, 5000);
    k.onFault(x, FAULT_HINT, 0);
    k.onFault(x, FAULT_HINT, 0);
    expect(host.tierOf(x)).toBe(1);
    expect(host.get('promoteNoRoom')).toBe(1);
    expect(host.get('kswapdWakes')).toBe(0);
    expect(k.scanner!.locality[2]).toBe(1);
    // Remote faults: locality[0] = 2 (both faults were on node 1).
    expect(k.scanner!.locality[0]).toBe(2);
  });
});

describe('autonuma demotionEnabled (/sys/kernel/mm/numa/demotion_enabled)', () => {
  // Node 0 = 1,000 pages, node 1 = 10,000; min_free_kbytes 400 kB = 100 pages shared by size:
  // node 0 min ⌊100 · 1000/11000⌋ = 9, tmp = max(⌊9/4⌋, 1000 · 100/10000) = 10 → low 19, high 29;
  // node 1 min 90, tmp = max(22, 100) = 100 → low 190, high 290.
  // Node 0 holds 990 cold anon pages A0 … A989 (inactive, in fault order), node 1 9,850 page-cache
  // pages (free 150 < low 190): the page cache churns on node 1. The next page-cache allocation
  // finds both nodes at or below low (node 0 free 10), wakes both kswapds and takes node 0 (10 > min 9).
  function setup(demotionEnabled: boolean) {
    const host = new FakeHost([1000, 10000]);
    host.typesOn = true;
    const def = findPolicy('autonuma');
    const p: Record<string, unknown> = Object.fromEntries(Object.entries(def.params).map(([k, v]) => [k, (v as { default: unknown }).default]));
    Object.assign(p, { minFreeKbytes: 400, watermarkScaleFactor: 100, demotionEnabled });
    const hooks = def.create(p as never, host) as unknown as PolicyHooks & { kernel: TieringKernel };
    const k = hooks.kernel;
    const add = (tier: number, vpn: number, type: number) => {
      const pg = host.addPage(tier, vpn);
      host.ptype[pg] = type;
      k.onFault(pg, FAULT_FIRST_TOUCH, 0);
      return pg;
    };
    const anon: number[] = [];
    for (let i = 0; i < 990; i++) anon.push(add(0, i, PT_ANON));
    for (let i = 0; i < 9850; i++) add(1, 10000 + i, PT_CACHE);
    return { host, k, hooks, anon, add };
  }

  it('defaults to off, as the sysfs knob does', () => {
    expect((findPolicy('autonuma').params.demotionEnabled as { default: unknown }).default).toBe(false);
  });

  // kswapd(0) runs first (woken first, same instant). Lists of node 0: inactive anon 990, inactive
  // file 1; no refaults, neither inactive list low → no deactivation; inactive file >> prio > 0 only
  // at prio 0, so cache_trim_mode is off: SCAN_FRACT, ap = ⌊60 (T + 1)/(A + 1)⌋, fp = ⌊140 (T + 1)/(F + 1)⌋
  // with A = 2 anon_cost', F = file_cost' + anon_cost', T = A + F (file cost 0 here); a batch of
  // SWAP_CLUSTER_MAX = 32 scanned pages ends kswapd's turn. Node 1 (free 150 > min 90) takes every demotion.
  function firstBatch(on: boolean) {
    const r = setup(on);
    expect([r.k.wm.min[0], r.k.wm.low[0], r.k.wm.high[0], r.k.wm.min[1], r.k.wm.low[1]]).toEqual([9, 19, 29, 90, 190]);
    expect(r.k.place(-1)).toBe(0); // both nodes at or below low → kswapd woken on both; node 0 above min
    r.add(0, 20000, PT_CACHE); // the new page-cache page: node 0 free 9
    expect(r.host.get('kswapdWakes')).toBe(2);
    r.host.runTimers((id) => r.hooks.onTimer!(id), 0, (id) => id === 8); // TIMER_KSWAPD + node 0
    return r;
  }

  it('on: demotion writes nothing, so the balance stays at 60/200 and the batch demotes the 33 oldest anon pages', () => {
    // Costs stay 0 (a demoted page is reclaimed without IO): ap = 60, fp = 140 of 200.
    // prio 12 … 8: ⌊(990 >> p) · 0.3⌋ = 0. prio 7: ⌊7 · 0.3⌋ = 2 (A0, A1). prio 6: ⌊(988 >> 6) · 0.3⌋ =
    // ⌊15 · 0.3⌋ = 4. prio 5: ⌊(984 >> 5) · 0.3⌋ = ⌊30 · 0.3⌋ = 9. prio 4: ⌊(975 >> 4) · 0.3⌋ = ⌊60 · 0.3⌋ =
    // 18 → 33 scanned, all old, all demoted: free 9 + 33 = 42 > high 29, and the batch is full.
    const { host, anon } = firstBatch(true);
    expect(host.free(0)).toBe(42);
    expect(anon.slice(0, 33).every((pg) => host.tierOf(pg) === 1)).toBe(true);
    expect(host.tierOf(anon[33])).toBe(0);
    expect(host.get('reclaimDemoted')).toBe(33);
    expect(host.get('reclaimSwapped')).toBe(0);
  });

  it('off (the default): the same pages are swapped instead, and the swap IO tilts the balance toward file', () => {
    // Each swapped page notes 32 of anon cost (lru_note_cost: nr_io · SWAP_CLUSTER_MAX), halved when
    // the costs pass a quarter of the lists. prio 7: 2 swapped (A0, A1) → anon_cost 64.
    // prio 6: A = 128, F = 64, T = 192: ap = ⌊60 · 193/129⌋ = 89, fp = ⌊140 · 193/65⌋ = 415 → ⌊15 · 89/504⌋ = 2 → cost 128.
    // prio 5: A = 256, F = 128, T = 384: ap = 89, fp = ⌊140 · 385/129⌋ = 417 → ⌊30 · 89/506⌋ = 5 → cost 288 > ⌊982/4⌋ → 144.
    // prio 4: A = 288, F = 144, T = 432: ap = 89, fp = 418 → ⌊61 · 89/507⌋ = 10 → cost 464 > ⌊972/4⌋ → 232; 19 scanned, free 28.
    // prio 3: A = 464, F = 232, T = 696: ap = 89, fp = 418 → ⌊121 · 89/507⌋ = 21 → 40 scanned, free 49 > 29.
    const { host, anon } = firstBatch(false);
    expect(host.free(0)).toBe(49);
    expect(anon.slice(0, 40).every((pg) => host.tierOf(pg) === -1)).toBe(true);
    expect(host.tierOf(anon[40])).toBe(0);
    expect(host.get('reclaimDemoted')).toBe(0);
    expect(host.get('reclaimSwapped')).toBe(40);
  });

  it('a demoted anon page stays on node 1 while node 0 has no room above high + 1 (mode 1 wakes no kswapd)', () => {
    const { host, k, hooks, anon, add } = setup(true);
    k.place(-1);
    add(0, 20000, PT_CACHE);
    host.runTimers((id) => hooks.onTimer!(id), 0, (id) => id === 8);
    // The churn refills node 0: 12 more page-cache pages there leave free 30, not > high 29 + 1.
    for (let i = 0; i < 12; i++) add(0, 20001 + i, PT_CACHE);
    const a0 = anon[0];
    k.onFault(a0, FAULT_HINT, 0);
    k.onFault(a0, FAULT_HINT, 0); // the second fault would migrate it; migrate_balanced_pgdat refuses
    expect(host.tierOf(a0)).toBe(1);
    expect(host.get('promoteNoRoom')).toBe(1);
  });
});
