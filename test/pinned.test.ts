import { describe, expect, it } from 'vitest';
import { makeEngine, probePolicy } from './helpers.ts';
import { FAULT_FIRST_TOUCH, asPinHost } from '../policies/policy.ts';
import type { Host } from '../policies/policy.ts';
import * as S from '../sim/stats.ts';
import { parseMaps, parsePinRanges } from '../sim/pins.ts';
import type { EngineResult } from '../sim/engine.ts';
import { relevantConfig, resolveConfig, runSimulation } from '../sim/run.ts';
import { summaryRow } from '../results/rows.ts';
import { findPolicy } from '../policies/registry.ts';
import { workloadPinRanges } from '../traces/synthetic.ts';

// Costs of the hand computations (SIMPLE_MACHINE in helpers.ts): first touch 1000 ns + 1 ns zeroing;
// local read 100 ns, CXL read 200 ns; mlp 1. A 4 KiB migration: fixed 2000 + 4096 B / 4.096 GB/s
// = 1000 copy + shootdown 1000 = 4000 ns (one CPU: no per-CPU shootdown term).
const MIGRATION = { 'cost.migrationFixedNs': 2000, 'cost.migrationCopyGBps': 4.096, 'cost.tlbShootdownNs': 1000 };
const CXL_MOVABLE = { 'machine.tiers.1.zone': 'movable' };
/** Pin 4 KiB page p (bytes [4096 p, 4096 (p + 1))). */
const pinPage = (p: number) => ({ 'pin.ranges': `${4096 * p}+4K` });

function pins(res: EngineResult): Record<string, number> {
  expect(res.pins).toBeDefined();
  return Object.fromEntries(res.pins!);
}

describe('pinned pages and ZONE_MOVABLE tiers (sim/pins.ts)', () => {
  it('a long-term pin on a page placed in a movable tier migrates it to the normal tier first, and the page then refuses migration and eviction', async () => {
    // The policy places every page on CXL (movable). Page 1 is pinned: check_and_migrate_movable_folios
    // moves it to local (normal) before pinning, synchronously in the faulting task.
    // At page 2's first touch the policy tries: promote page 0 (room: 1 of 2 local frames used),
    // promote page 2 (no room now), demote pinned page 1, evict pinned page 1.
    const results: boolean[] = [];
    const policy = probePolicy((host: Host) => ({
      place: () => 1,
      onFault(page, kind) {
        if (kind !== FAULT_FIRST_TOUCH || page !== 2) return;
        results.push(host.migrate(0, 0), host.migrate(2, 0), host.migrate(1, 1), host.evict(1));
      },
    }));
    const e = makeEngine({
      perCpu: [[[0, 'R', 10], [1, 'R', 10], [1, 'R', 10], [2, 'R', 10]]],
      localPages: 2,
      cxlPages: 4,
      policy,
      sets: { ...MIGRATION, ...CXL_MOVABLE, ...pinPage(1) },
    });
    const res = await e.run();
    expect(results).toEqual([true, false, false, false]);
    // Timeline: page 0 on CXL: 10 + 1001 + 200 = 1211.
    //   page 1: 10 + 1001 + 4000 (pin migration) + 100 (now local) = 5111 → 6322.
    //   page 1 again, local: 10 + 100 → 6432.
    //   page 2 on CXL, with the synchronous promotion of page 0 in its fault: 10 + 1001 + 4000 + 200 = 5211 → 11643.
    expect(res.simTimeNs).toBe(11643);
    expect(pins(res)).toEqual({
      'pin.pinned': 1,
      'pin.migratedOut': 1,
      'pin.failed': 0,
      'pin.migrateRefusedPinned': 1,
      'pin.migrateRefusedNoRoom': 1,
      'pin.evictRefusedPinned': 1,
      'pin.splitRefusedPinned': 0,
      'pin.boundaryMoves': 0,
      'pin.tier0PinnedPages': 1,
      'pin.tier0UnmovableLimitPages': 2, // a normal tier: all of it
      'pin.tier1PinnedPages': 0,
      'pin.tier1UnmovableLimitPages': 0, // a movable tier: none
    });
    // The pin's migration is neither a promotion nor a demotion, but its bytes and CPU count.
    expect(res.counters[S.C_PROMOTED]).toBe(1);
    expect(res.counters[S.C_DEMOTED]).toBe(0);
    expect(res.counters[S.C_MIGRATED_BYTES]).toBe(2 * 4096);
    expect(res.counters[S.C_KERNEL_CPU_NS]).toBe(3 * 1001 + 2 * 4000);
    expect(res.counters[S.C_EVICTED]).toBe(0);
    expect(Array.from(res.usedFrames)).toEqual([2, 1]);
    expect(e.host.tierOf(1)).toBe(0);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('a pin fails when no normal tier has room and the policy reclaims nothing: the page stays unpinned in the movable tier', async () => {
    // First-touch: page 0 takes the one local frame, page 1 falls back to CXL (movable); its pin
    // needs a local frame, there is none and first-touch has no reclaim → the pin fails (-ENOMEM).
    let host!: Host;
    const policy = probePolicy((h) => {
      host = h;
      return {};
    });
    const e = makeEngine({ perCpu: [[[0, 'R'], [1, 'R']]], localPages: 1, cxlPages: 4, policy, sets: { ...MIGRATION, ...CXL_MOVABLE, ...pinPage(1) } });
    const res = await e.run();
    // 1001 + 100, then 1001 + 200: no migration was charged.
    expect(res.simTimeNs).toBe(2302);
    expect(pins(res)['pin.failed']).toBe(1);
    expect(pins(res)['pin.pinned']).toBe(0);
    expect(pins(res)['pin.tier1PinnedPages']).toBe(0);
    expect(res.counters[S.C_MIGRATED_BYTES]).toBe(0);
    // Not pinned, so it can be evicted like any page.
    expect(host.evict(1)).toBe(true);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('with no room the pinning task reclaims directly (onPressure on the normal tier), then migrates and pins', async () => {
    // Local holds 1 page (page 0). Page 1 lands on CXL; its pin finds local full, calls
    // onPressure(0, 1), which demotes page 0 (synchronous: 4000), then moves page 1 (4000).
    const pressure: Array<[number, number]> = [];
    const policy = probePolicy((host: Host) => ({
      onPressure(tier, pages) {
        pressure.push([tier, pages]);
        host.migrate(0, 1);
      },
    }));
    const e = makeEngine({ perCpu: [[[0, 'R', 10], [1, 'R', 10]]], localPages: 1, cxlPages: 4, policy, sets: { ...MIGRATION, ...CXL_MOVABLE, ...pinPage(1) } });
    const res = await e.run();
    expect(pressure).toEqual([[0, 1]]);
    // 10 + 1001 + 100 = 1111; then 10 + 1001 + 4000 + 4000 + 100 (local) = 9111 → 10222.
    expect(res.simTimeNs).toBe(10222);
    expect(pins(res)).toMatchObject({ 'pin.pinned': 1, 'pin.migratedOut': 1, 'pin.failed': 0, 'pin.tier0PinnedPages': 1 });
    expect(res.counters[S.C_DEMOTED]).toBe(1);
    expect(res.counters[S.C_PROMOTED]).toBe(0);
    expect(e.host.tierOf(0)).toBe(1);
    expect(e.host.tierOf(1)).toBe(0);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('no direct reclaim when no tier could take the pin: a full pinnable part fails the pin at once', async () => {
    // Local (4 frames) keeps a pinnable part of 1 frame (setUnmovableLimit), CXL is movable. Page 0's
    // pin copies it into local's normal part (local has a movable part: a copy within the tier);
    // page 1's pin finds no pinnable room anywhere: reclaim frees frames, not pinnable room, so
    // onPressure is not called and the pin fails.
    const pressure: number[] = [];
    const policy = probePolicy((h) => {
      asPinHost(h, 'probe').setUnmovableLimit(0, 1);
      return { onPressure: (tier) => void pressure.push(tier) };
    });
    const e = makeEngine({ perCpu: [[[0, 'R'], [1, 'R']]], localPages: 4, cxlPages: 4, policy, sets: { ...MIGRATION, ...CXL_MOVABLE, 'pin.ranges': '0+8K' } });
    const res = await e.run();
    expect(pressure).toEqual([]);
    // Page 0: 1001 + 4000 + 100; page 1 (stays in local, unpinned): 1001 + 100.
    expect(res.simTimeNs).toBe(5101 + 1101);
    expect(pins(res)).toMatchObject({ 'pin.pinned': 1, 'pin.failed': 1, 'pin.migratedOut': 1, 'pin.tier0PinnedPages': 1, 'pin.tier0UnmovableLimitPages': 1, 'pin.boundaryMoves': 1 });
    expect(Array.from(res.usedFrames)).toEqual([2, 0]);
  });

  it('a pin in a normal tier needs no migration; on a normal-only machine a pinned page on CXL stays there', async () => {
    // Both tiers normal (the default): page 1 spills to CXL and is pinned in place.
    const e = makeEngine({ perCpu: [[[0, 'R'], [1, 'R']]], localPages: 1, cxlPages: 4, sets: { ...MIGRATION, ...pinPage(1) } });
    const res = await e.run();
    expect(res.simTimeNs).toBe(1101 + 1201);
    expect(pins(res)).toMatchObject({ 'pin.pinned': 1, 'pin.migratedOut': 0, 'pin.tier0PinnedPages': 0, 'pin.tier1PinnedPages': 1 });
    expect(e.host.migrate(1, 0)).toBe(false);
  });

  it('a run with no pinned range and no movable tier has no pin columns (outputs as before)', async () => {
    const e = makeEngine({ perCpu: [[[0, 'R'], [1, 'R']]], localPages: 1, cxlPages: 4 });
    expect((await e.run()).pins).toBeUndefined();
  });

  it('with 2 MiB pages a range inside a huge page pins the whole page, and splitting it is refused', async () => {
    // 4 KiB pages 0 and 513 are in huge pages 0 and 1; the range [0x201000, 0x202000) lies in huge page 1.
    let split = 0;
    const policy = probePolicy((host: Host) => ({
      onFault(page, kind) {
        if (kind === FAULT_FIRST_TOUCH && page === 1) split = host.splitPage(1);
      },
    }));
    const e = makeEngine({
      perCpu: [[[0, 'R'], [513, 'R']]],
      localPages: 1024,
      cxlPages: 2048,
      policy,
      sets: { pageSizeKiB: 2048, 'pin.ranges': '0x201000-0x202000' },
    });
    const res = await e.run();
    expect(split).toBe(-1);
    expect(pins(res)).toMatchObject({ 'pin.pinned': 1, 'pin.splitRefusedPinned': 1 });
  });

  it('a huge page that falls back to 4 KiB pages (thp) pins only the sub-pages in the range, and khugepaged cannot collapse it', async () => {
    // Every 2 MiB block holds a kernel page (fragmentedPct 100): both huge pages fall back to 4 KiB
    // pages in local. Ids: huge page 0 → 0, its sub-pages 1 … 512; huge page 1 → 513, sub-pages
    // 514 … 1025. The range [0x201000, 0x202000) is sub-page 1 of huge page 1: id 515.
    const e = makeEngine({
      perCpu: [[[0, 'R'], [513, 'R']]],
      localPages: 4 * 512,
      cxlPages: 4 * 512,
      sets: { pageSizeKiB: 2048, 'thp.enabled': true, 'thp.khugepaged': false, 'thp.fragmentedPct': 100, 'pin.ranges': '0x201000-0x202000' },
    });
    const res = await e.run();
    expect(pins(res)).toMatchObject({ 'pin.pinned': 1, 'pin.tier0PinnedPages': 1 / 512 });
    expect(e.host.migrate(515, 1)).toBe(false);
    expect(e.host.migrate(514, 1)).toBe(true);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('a pin of a huge page on a movable tier whose target has room but no free 2 MiB block splits it and moves its 4 KiB pages', async () => {
    // thp.fragmentedPct 50: local (2 blocks) has 1 free block, CXL (4 blocks, movable) 2. The policy
    // places both huge pages on CXL, both pinned. A's pin moves it whole into local's free block;
    // B's finds room (1 of 2 frames) but no free block: B is split, its 512 sub-pages move one by one.
    const policy = probePolicy(() => ({ place: () => 1 }));
    const e = makeEngine({
      perCpu: [[[0, 'R'], [512, 'R']]],
      localPages: 2 * 512,
      cxlPages: 4 * 512,
      policy,
      sets: { pageSizeKiB: 2048, 'thp.enabled': true, 'thp.khugepaged': false, 'thp.fragmentedPct': 50, ...CXL_MOVABLE, 'pin.ranges': '0+4M' },
    });
    const res = await e.run();
    expect(pins(res)).toMatchObject({ 'pin.pinned': 1 + 512, 'pin.migratedOut': 1 + 512, 'pin.failed': 0, 'pin.tier0PinnedPages': 2, 'pin.tier1PinnedPages': 0 });
    expect(Array.from(res.usedFrames)).toEqual([2, 0]);
    expect(res.counters[S.C_MIGRATED_BYTES]).toBe(2 * 2 ** 21);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('refuses pinned ranges on a machine whose every tier is movable', () => {
    expect(() => makeEngine({ perCpu: [[[0, 'R']]], localPages: 1, cxlPages: 1, sets: { 'machine.tiers.0.zone': 'movable', ...CXL_MOVABLE, ...pinPage(0) } })).toThrow(/every tier is onlined movable/);
  });

  it('under a tiering policy on a movable CXL, every pin ends in local or fails, and the engine invariants hold', async () => {
    // 40 k accesses (fixed LCG) over 4000 pages, pages 1000 … 1399 pinned; numa-tiering and tpp
    // migrate and reclaim around them. Each touched page of the range is pinned or failed, once.
    let x = 12345;
    const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const accesses: Array<[number, 'R' | 'W', number]> = [];
    const touchedInRange = new Set<number>();
    for (let i = 0; i < 40000; i++) {
      const page = next() < 0.5 ? Math.floor(next() * 400) : Math.floor(next() * 4000);
      if (page >= 1000 && page < 1400) touchedInRange.add(page);
      accesses.push([page, next() < 0.3 ? 'W' : 'R', 200]);
    }
    for (const [policy, boundary] of [['numa-tiering', false], ['tpp', false], ['tpp', true]] as const) {
      const e = makeEngine({ perCpu: [accesses], localPages: 800, cxlPages: 3600, policy, sets: { ...CXL_MOVABLE, 'pin.ranges': `${1000 * 4096}+${400 * 4096}` } });
      if (boundary) {
        // The pinnable part of local moves by 64 pages every 0.5 ms while pins arrive.
        const mb = findPolicy('movable-boundary');
        const params = Object.fromEntries(Object.entries(mb.params).map(([k, v]) => [k, v.default]));
        e.attachWith(mb, { ...params, intervalMs: 0.5, blockMiB: (64 * 4096) / 2 ** 20, lowMBps: 50, highMBps: 200 });
      }
      const res = await e.run();
      const c = pins(res);
      expect(c['pin.pinned'] + c['pin.failed']).toBe(touchedInRange.size);
      expect(c['pin.tier1PinnedPages']).toBe(0);
      expect(c['pin.tier0PinnedPages']).toBe(c['pin.pinned']);
      expect(e.checkInvariants()).toEqual([]);
    }
  });

  it('refuses page tables (tlb.pageTableTier) in a tier onlined movable', () => {
    const sets = { 'tlb.enabled': true, 'tlb.pageTableTier': 1 };
    expect(() => makeEngine({ perCpu: [[[0, 'R']]], localPages: 1, cxlPages: 1, sets: { ...sets, ...CXL_MOVABLE } })).toThrow(/page tables are unmovable/);
    expect(() => makeEngine({ perCpu: [[[0, 'R']]], localPages: 1, cxlPages: 1, sets })).not.toThrow();
  });

  it('a synthetic run reports pin.* after the tier columns and before policy.*; default pin keys stay out of the run identity', async () => {
    // Dense layout: 4 KiB page k at 0x10000000 + 4096 k. Pages 3000 … 3199 pinned; init=1 touches
    // every page once, so each of the 200 is pinned or fails.
    const ranges = `${0x10000000 + 3000 * 4096}+${200 * 4096}`;
    const flags = { policy: 'tpp', workload: 'hotset:pages=4000,accesses=20k,init=1,gapNs=2000' };
    const { config } = resolveConfig({ flags, sets: { 'pin.ranges': ranges, 'machine.tiers.1.zone': 'movable' } });
    const o = await runSimulation(config);
    const row = summaryRow(config, o.tiers, o.result);
    expect((row['pin.pinned'] as number) + (row['pin.failed'] as number)).toBe(200);
    const cols = Object.keys(row);
    const firstPin = cols.indexOf('pin.pinned');
    expect(firstPin).toBeGreaterThan(cols.indexOf('tier1GBps'));
    expect(cols.findIndex((k) => k.startsWith('policy.'))).toBeGreaterThan(firstPin);
    expect(Object.keys(relevantConfig(config)).filter((k) => k.startsWith('pin.') || k.endsWith('.zone'))).toEqual(['machine.tiers.1.zone', 'pin.ranges']);
    const plain = resolveConfig({ flags }).config;
    expect(Object.keys(relevantConfig(plain)).filter((k) => k.startsWith('pin.') || k.endsWith('.zone'))).toEqual([]);
  });

  it('a synthetic phase with pin=1 is a pinned range: the RDMA-like buffer of a workload spec', async () => {
    // Phase 1 initialises pages 0 … 999, phase 2 pages 1000 … 1099 (pin=1). Footprint 1100 pages,
    // 1:4 → local 220: phase 1 fills it, so the 100 pinned pages land on CXL (normal here) and are pinned there.
    const workload = 'uniform:pages=1000,accesses=2000,init=1+uniform:pages=100,offset=1000,accesses=200,init=1,pin=1';
    expect(workloadPinRanges(workload)).toEqual([[(0x10000 + 1000) * 4096, (0x10000 + 1100) * 4096]]);
    const { config } = resolveConfig({ flags: { policy: 'first-touch', workload } });
    const o = await runSimulation(config);
    const row = summaryRow(config, o.tiers, o.result);
    expect([row['pin.pinned'], row['pin.tier0PinnedPages'], row['pin.tier1PinnedPages']]).toEqual([100, 0, 100]);
    expect(() => workloadPinRanges('uniform:pages=10,pin=1,layout=sparse')).toThrow(/pin=1, which needs layout=dense/);
    expect(() => workloadPinRanges('uniform:pages=10,pin=2')).toThrow(/pin 0 or 1/);
    expect(workloadPinRanges('uniform:pages=10')).toEqual([]);
  });

  it('parses pin.ranges (start-end, start+size, suffixes) and /proc/PID/maps lines', () => {
    expect(parsePinRanges('0x1000-0x3000, 8K+4K,1M+1')).toEqual([
      [4096, 12288],
      [8192, 12288],
      [1048576, 1048577],
    ]);
    expect(parsePinRanges('')).toEqual([]);
    expect(() => parsePinRanges('0x3000-0x1000')).toThrow(/start < end/);
    expect(() => parsePinRanges('0x1000')).toThrow(/start-end or start\+size/);
    expect(() => parsePinRanges('zz-0x10')).toThrow(/not an address/);
    const maps = [
      '55d0c0000000-55d0c0021000 r-xp 00000000 08:01 1234 /usr/bin/app',
      '7f0000000000-7f0000400000 rw-s 00000000 00:06 77 /dev/infiniband/uverbs0',
      '7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]',
    ].join('\n');
    expect(parseMaps(maps, 'uverbs')).toEqual([[0x7f0000000000, 0x7f0000400000]]);
    expect(parseMaps(maps, '')).toHaveLength(3);
    expect(() => parseMaps('nonsense', '')).toThrow(/line 1/);
  });
});
