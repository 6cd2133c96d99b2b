import { describe, expect, it } from 'vitest';
import { makeEngine, probePolicy } from './helpers.ts';
import type { Access } from './helpers.ts';
import type { Host, PinHost } from '../policies/policy.ts';
import { findPolicy } from '../policies/registry.ts';
import * as S from '../sim/stats.ts';
import type { EngineResult } from '../sim/engine.ts';

// Hand computations use SIMPLE_MACHINE (helpers.ts): first touch 1001 ns, local read 100 ns, CXL
// read 200 ns; and a 4 KiB migration of 2000 fixed + 1000 copy + 1000 shootdown = 4000 ns.
const MIGRATION = { 'cost.migrationFixedNs': 2000, 'cost.migrationCopyGBps': 4.096, 'cost.tlbShootdownNs': 1000 };
/** 16 pages of 4 KiB, in MiB. */
const BLOCK_16 = (16 * 4096) / 2 ** 20;

function params(over: Record<string, number>): Record<string, unknown> {
  const p = findPolicy('movable-boundary');
  return { ...Object.fromEntries(Object.entries(p.params).map(([k, v]) => [k, v.default])), ...over };
}
const pinCols = (res: EngineResult) => Object.fromEntries(res.pins ?? []);
const policyCol = (res: EngineResult, name: string) => res.policyCounters[res.policyCounterNames.indexOf(name)];

describe('movable-boundary: the pinnable part of a tier moves with migration momentum', () => {
  it('starts at the auto_movable_ratio share and grows one block per interval while nothing migrates', async () => {
    // Local 64 pages: initial limit ⌊64 · 100 / 401⌋ = 15. Ticks at 1, 2, 3 ms (the run ends at
    // ≈ 3.5 ms) see momentum 0 < lowMBps: 15 → 31 → 47 → 63. Each move charges |Δ| · used/capacity
    // migrations: 16 · 1/64 · 4000 = 1000 ns (one page in use during the ticks); the initial one 0 (none in use).
    const accesses: Access[] = [[0, 'R', 0], [1, 'R', 3.5e6]];
    const e = makeEngine({ perCpu: [accesses], localPages: 64, cxlPages: 64, policy: 'movable-boundary', sets: { ...MIGRATION, 'policy.movable-boundary.blockMiB': BLOCK_16, 'policy.movable-boundary.intervalMs': 1 } });
    const res = await e.run();
    const host = e.host as unknown as PinHost;
    expect(host.unmovableLimit(0)).toBe(63);
    expect(policyCol(res, 'grows')).toBe(3);
    expect(policyCol(res, 'shrinks')).toBe(0);
    expect(pinCols(res)['pin.boundaryMoves']).toBe(4);
    expect(res.counters[S.C_KERNEL_CPU_NS]).toBe(2 * 1001 + 3 * 1000);
  });

  it('shrinks one block per interval while migration momentum is high, never below the pages pinned there', async () => {
    // Main policy: moves page 0 between tiers every 0.5 ms: 2 · 4096 B per 1 ms interval =
    // 8.192 MB/s > highMBps 1 at every tick. Pages 100 … 119 are pinned in local at first touch
    // (limit 64 = capacity: a normal tier, pinned in place). Ticks at 1, 2, 3, 4 ms:
    // 64 → 48 → 32 → 20 (clamped to the 20 pinned) → 20 (no move).
    const pingPong = probePolicy((host: Host) => {
      host.every(0.5e6, 0);
      return { onTimer: () => void host.migrate(0, 1 - host.tierOf(0), true) };
    });
    const accesses: Access[] = [[0, 'R', 0]];
    for (let p = 100; p < 120; p++) accesses.push([p, 'W', 0]);
    accesses.push([0, 'R', 4.5e6]);
    const e = makeEngine({ perCpu: [accesses], localPages: 64, cxlPages: 64, policy: pingPong, sets: { ...MIGRATION, 'pin.ranges': `${100 * 4096}+${20 * 4096}` } });
    e.attachWith(findPolicy('movable-boundary'), params({ movableRatioPct: 0, blockMiB: BLOCK_16, intervalMs: 1, lowMBps: 0, highMBps: 1, alpha: 0.25 }));
    const res = await e.run();
    const host = e.host as unknown as PinHost;
    expect(host.pinnedFrames(0)).toBe(20);
    expect(host.unmovableLimit(0)).toBe(20);
    expect(policyCol(res, 'movable-boundary.shrinks')).toBe(3);
    expect(policyCol(res, 'movable-boundary.grows')).toBe(0);
    expect(pinCols(res)).toMatchObject({ 'pin.pinned': 20, 'pin.migratedOut': 0, 'pin.tier0PinnedPages': 20, 'pin.tier0UnmovableLimitPages': 20 });
    expect(e.checkInvariants()).toEqual([]);
  });

  it('when the pinnable part is full, pins go to the next normal tier (a copy each, also within the tier)', async () => {
    // Local 8 pages, ratio 300 %: limit ⌊8 · 100 / 400⌋ = 2. Pages 0 … 3 are pinned at first touch.
    // Local has a movable part, so every pin moves its page: pages 0, 1 within local (normal part),
    // pages 2, 3 to CXL (normal, all pinnable). Each: 1001 + 4000 + latency (100 local, 200 CXL).
    const accesses: Access[] = [[0, 'R'], [1, 'R'], [2, 'R'], [3, 'R']];
    const e = makeEngine({
      perCpu: [accesses],
      localPages: 8,
      cxlPages: 8,
      policy: 'movable-boundary',
      sets: { ...MIGRATION, 'pin.ranges': '0+16K', 'policy.movable-boundary.movableRatioPct': 300, 'policy.movable-boundary.intervalMs': 1000 },
    });
    const res = await e.run();
    expect(res.simTimeNs).toBe(2 * 5101 + 2 * 5201);
    expect(pinCols(res)).toMatchObject({ 'pin.pinned': 4, 'pin.migratedOut': 4, 'pin.tier0PinnedPages': 2, 'pin.tier1PinnedPages': 2, 'pin.tier0UnmovableLimitPages': 2 });
    expect(Array.from(res.usedFrames)).toEqual([2, 2]);
    expect(res.counters[S.C_MIGRATED_BYTES]).toBe(4 * 4096);
    expect(res.counters[S.C_KERNEL_CPU_NS]).toBe(4 * 1001 + 4 * 4000);
    expect(res.counters[S.C_PROMOTED] + res.counters[S.C_DEMOTED]).toBe(0);
  });

  it('rejects highMBps below lowMBps and a tier the machine lacks', () => {
    const make = (over: Record<string, number>) => {
      const e = makeEngine({ perCpu: [[[0, 'R']]], localPages: 4, cxlPages: 4 });
      e.attachWith(findPolicy('movable-boundary'), params(over));
    };
    expect(() => make({ lowMBps: 10, highMBps: 5 })).toThrow(/highMBps/);
    expect(() => make({ tier: 3 })).toThrow(/not a tier/);
  });
});
