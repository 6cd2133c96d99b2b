import { describe, expect, it } from 'vitest';
import { EarlyReclaim } from '../policies/lib/early-reclaim.ts';
import { ActiveInactiveLru, ADD_FAULT } from '../policies/lib/lru.ts';
import { FakeHost } from './lib-fake-host.ts';

describe('early reclaim at X % of host memory', () => {
  function setup() {
    // Two tiers of 10 frames; 10 pages on tier 0, 5 on tier 1 (pages 10 … 14): 15 of 20 used (75 %).
    const host = new FakeHost([10, 10]);
    const lru = new ActiveInactiveLru(host);
    lru.ensure(32);
    for (let i = 0; i < 15; i++) lru.add(host.addPage(i < 10 ? 0 : 1, i), i < 10 ? 0 : 1, ADD_FAULT, false);
    return { host, lru };
  }

  it('does nothing below its mark', () => {
    const { host, lru } = setup();
    const e = new EarlyReclaim(host, 80); // start at 16 frames
    expect(e.check(lru)).toBe(false);
    expect(e.evicted).toBe(0);
  });

  it('evicts from the slowest tier until 1 % of memory below the mark', () => {
    const { host, lru } = setup();
    // Mark 70 % = 14 frames; stop at 69 % = 13.8 → used must reach 13 or less.
    // Tier 1's inactive list (5 pages, tail = page 10): priorities 12 … 3 scan 0; priority 2 scans
    // ⌊5/4⌋ = 1 (page 10 → used 14 > 13.8), priority 1 scans ⌊4/2⌋ = 2 in one batch (11, 12) → 12.
    const e = new EarlyReclaim(host, 70);
    expect(e.check(lru)).toBe(true);
    expect(e.evicted).toBe(3);
    expect([host.tierOf(10), host.tierOf(11), host.tierOf(12), host.tierOf(13)]).toEqual([-1, -1, -1, 1]);
    expect(host.used(0) + host.used(1)).toBe(12);
    expect(e.check(lru)).toBe(false); // 12 ≤ 14: below the mark again
  });
});

describe('early reclaim in a kernel run', () => {
  it('keeps the frames in use at or under the mark (plus the page being placed) and fills zswap', async () => {
    const { resolveConfig, runSimulation } = await import('../sim/run.ts');
    // 2000 pages over 1:4 tiers of 2100 frames in all; mark 50 % = 1050 frames.
    const sets = {
      workload: 'zipf:pages=2000,accesses=50000,init=1,gapNs=200',
      'machine.tiers.0.capacityGiB': (420 * 4096) / 2 ** 30,
      'machine.tiers.1.capacityGiB': (1680 * 4096) / 2 ** 30,
      'zswap.enabled': true,
      'policy.numa-tiering.reclaimEarlyPct': 50,
    };
    const { config } = resolveConfig({ sets, flags: { policy: 'numa-tiering' } });
    const out = await runSimulation(config);
    // In use = mapped frames + the zswap pool's frames (taken out of the tiers' capacity).
    const pool = 420 + 1680 - out.engine.host.capacity(0) - out.engine.host.capacity(1);
    const used = out.result.usedFrames[0] + out.result.usedFrames[1] + pool;
    expect(pool).toBeGreaterThan(0);
    expect(used).toBeLessThanOrEqual(1050 + 1);
    const names = out.result.policyCounterNames;
    const evicted = out.result.policyCounters[names.indexOf('earlyReclaimEvicted')];
    // At least the pages above the mark after initialisation: 2000 − 1050.
    expect(evicted).toBeGreaterThanOrEqual(2000 - 1050);
    expect(out.engine.zswapStats[0]).toBeGreaterThan(0); // ZS_STORED
    expect(out.engine.checkInvariants()).toEqual([]);
  });
});
