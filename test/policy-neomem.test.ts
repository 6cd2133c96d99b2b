// NeoMem (policies/neomem.ts): worked examples on a tiny machine. Node 0 = 8 pages, node 1 = 8;
// min_free_kbytes 4 → pages_min 1, node 0 min ⌊1·8/16⌋ = 0, tmp = max(0, ⌊8·10/10000⌋) = 0: every
// watermark is 0, so pages 0 … 5 are first touched on node 0 and a promotion needs node 0 free
// > 0 + 1. At 1 ms the test demotes pages A = 0 and B = 1 by hand. kneomemd scans at 100 ms, 200 ms,
// …; scan k (from 0) resets the sketch when k % 10 = 0 (100 ms, 1.1 s), after draining the FIFO.
// Hot: estimate > 2 (the daemon's threshold) until the threshold strategy first writes one, at 1 s.

import { describe, expect, it } from 'vitest';
import { makeEngine, probePolicy } from './helpers.ts';
import type { Access } from './helpers.ts';
import type { Host, PolicyHooks } from '../policies/policy.ts';
import neomem from '../policies/neomem.ts';

const MS = 1e6;

async function scenario(accesses: Access[], sets: Record<string, unknown> = {}) {
  const params = Object.fromEntries(Object.entries(neomem.params).map(([k, v]) => [k, v.default])) as Record<string, unknown>;
  params.minFreeKbytes = 4;
  Object.assign(params, sets);
  let hooks!: PolicyHooks;
  let hostRef!: Host;
  const policy = probePolicy((host) => {
    hostRef = host;
    hooks = neomem.create(params as never, host);
    host.after(1 * MS, 900);
    return {
      place: (p, cpu) => hooks.place!(p, cpu),
      onFault: (p, kind, cpu) => hooks.onFault!(p, kind, cpu),
      onPressure: (t, n) => hooks.onPressure!(t, n),
      onAccessOracle: (p, w) => hooks.onAccessOracle!(p, w),
      onTimer(id) {
        if (id === 900) {
          host.migrate(0, 1, true);
          host.migrate(1, 1, true);
        } else hooks.onTimer!(id);
      },
    };
  }, { name: 'neomem' });
  const touch: Access[] = [0, 1, 2, 3, 4, 5].map((p) => [p, 'W', 0]);
  const engine = makeEngine({ perCpu: [[...touch, ...accesses]], policy, localPages: 8, cxlPages: 8 });
  const result = await engine.run();
  const c = (n: string) => result.policyCounters[result.policyCounterNames.indexOf(n)];
  expect(engine.checkInvariants()).toEqual([]);
  return { engine, result, c, tierOf: (p: number) => hostRef.tierOf(p) };
}

const at = (page: number, gapNs: number): Access => [page, 'R', gapNs];

describe('neomem', () => {
  it('counts only accesses that reach the slow tier; a page over the threshold is promoted at the next scan', async () => {
    // Before 1 ms, on node 0: A ×2, B ×5 (the device sees none). After: A ×3 (estimate 3 > 2: hot),
    // B ×2 (2: not hot); the scan at 100 ms promotes A. The run ends at ≈ 150 ms.
    const { c, tierOf } = await scenario([at(0, 0), at(0, 0), ...Array.from({ length: 5 }, () => at(1, 0)), at(0, 2 * MS), at(0, 0), at(0, 0), at(1, 0), at(1, 0), at(2, 150 * MS)]);
    expect(c('neomemDeviceAccesses')).toBe(5);
    expect(c('neomemHotReported')).toBe(1);
    expect(c('neomemPromoted')).toBe(1);
    expect(c('neomemScans')).toBe(1);
    expect(c('neomemResets')).toBe(1);
    expect([tierOf(0), tierOf(1)]).toEqual([0, 1]);
  });

  it('the periodic reset forgets counts: 2 + 2 accesses across the 100 ms reset never make a page hot', async () => {
    const { c, tierOf } = await scenario([at(0, 50 * MS), at(0, 0), at(0, 100 * MS), at(0, 0), at(2, 1200 * MS)]);
    expect(c('neomemDeviceAccesses')).toBe(4);
    expect(c('neomemHotReported')).toBe(0);
    expect(tierOf(0)).toBe(1);
  });

  it('2 + 2 accesses within one reset period (150 ms and 850 ms) make it hot; it moves at the 900 ms scan', async () => {
    // Resets: scan 0 (100 ms) and the threshold strategy's first write (1 s); the run ends at ≈ 1.05 s.
    const { c, tierOf } = await scenario([at(0, 150 * MS), at(0, 0), at(0, 700 * MS), at(0, 0), at(2, 200 * MS)]);
    expect(c('neomemHotReported')).toBe(1);
    expect(c('neomemPromoted')).toBe(1);
    expect(c('neomemResets')).toBe(2);
    expect(tierOf(0)).toBe(0);
  });

  it('the threshold strategy sets the threshold to the reversed histogram percentile: 1 here, so 2 accesses make a page hot', async () => {
    // Histogram read at scan 0 (100 ms): page B's row-0 counter holds 2 (its accesses at ≈ 2 ms),
    // every other of the 2^16 counters 0. At 1 s the percentile becomes 10 · (1 + bw) / (1 + 0/1)²
    // ≈ 10 (1/10000); walking the bins down, the top 0.1 % (≥ 65.5 counters) is reached only at
    // bin 0 → threshold max(0, 1) = 1. Page A's 2 accesses at ≈ 1.05 s then exceed it: hot, promoted
    // at the 1.1 s scan. Without the strategy the threshold stays 2 and A stays.
    const trace = [at(1, 2 * MS), at(1, 0), at(0, 1048 * MS), at(0, 0), at(2, 100 * MS)];
    const on = await scenario(trace);
    expect([on.c('neomemStrategyRuns'), on.c('neomemHotReported'), on.c('neomemPromoted')]).toEqual([1, 1, 1]);
    expect(on.tierOf(0)).toBe(0);
    const off = await scenario(trace, { strategy: false });
    expect([off.c('neomemHotReported'), off.c('neomemPromoted')]).toEqual([0, 0]);
    expect(off.tierOf(0)).toBe(1);
  });

  it('the migration quota throttles: with one page per scan, the second hot page waits', async () => {
    // quota = migrateMBps · 10^6 · 0.1 s / 4096 B = 1 page at 0.04096 MB/s; utilisation ≈ 0 → budget
    // just under 1: A (reported first) moves, B is throttled.
    const { c, tierOf } = await scenario([at(0, 2 * MS), at(0, 0), at(0, 0), at(1, 0), at(1, 0), at(1, 0), at(2, 150 * MS)], { migrateMBps: 0.04096 });
    expect(c('neomemHotReported')).toBe(2);
    expect(c('neomemPromoted')).toBe(1);
    expect(c('neomemThrottled')).toBe(1);
    expect([tierOf(0), tierOf(1)]).toEqual([0, 1]);
  });
});
