// The policy template (templates/policy.ts) runs as a policy and does what its header says; worked
// example computed by hand.

import { describe, expect, it } from 'vitest';
import { makeEngine } from './helpers.ts';
import template from '../templates/policy.ts';
import * as S from '../sim/stats.ts';

describe('policy template (scan-promote)', () => {
  it('places new pages on the slow tier and promotes the pages a scan finds young while tier 0 has room', async () => {
    // Local holds 2 pages, CXL 4. Pages 0, 1, 2 are touched by ~3.6 µs (each: 10 gap + 1001 fault +
    // 200 CXL read) and placed on CXL. Scan 1 (1 ms): all three young → 0 and 1 promoted, 2 no room.
    // Page 2 read again at ~1.5 ms (CXL). Scan 2 (2 ms): tier 1 holds page 2 only, young → no room.
    // A last read of page 0 at ~2.5 ms (local) keeps the run going past the second scan.
    const e = makeEngine({
      perCpu: [[[0, 'R', 10], [1, 'R', 10], [2, 'R', 10], [2, 'R', 1_500_000], [0, 'R', 1_000_000]]],
      localPages: 2,
      cxlPages: 4,
      // The scan every 1 ms instead of the default 1 s.
      policy: { ...template, params: { scanPeriodMs: { ...template.params.scanPeriodMs, default: 1 } } },
    });
    const res = await e.run();
    const counter = (name: string) => res.policyCounters[res.policyCounterNames.indexOf(name)];
    expect(counter('promoted')).toBe(2);
    expect(counter('noRoom')).toBe(2);
    expect([0, 1, 2].map((p) => e.host.tierOf(p))).toEqual([0, 0, 1]);
    expect(res.counters[S.C_PROMOTED]).toBe(2);
    // Scan 1 tests three pages, scan 2 one: four PTE scans.
    expect(res.counters[S.C_PTE_SCANS]).toBe(4);
    expect(res.counters[S.C_STALL_NS]).toBe(0); // asynchronous: no CPU stalls
    expect(e.checkInvariants()).toEqual([]);
  });

  it('gives every parameter a finite range holding its default, as a registered copy must (test/config.test.ts "ranges")', () => {
    // The template is not registered, so config.test.ts does not see it; a copy that left out a
    // bound would only fail there, after it was registered.
    for (const [name, spec] of Object.entries(template.params)) {
      const s = spec as { default: unknown; min?: number; max?: number };
      if (typeof s.default !== 'number') continue;
      expect(Number.isFinite(s.min), `${name} min`).toBe(true);
      expect(Number.isFinite(s.max), `${name} max`).toBe(true);
      expect(s.default, name).toBeGreaterThanOrEqual(s.min!);
      expect(s.default, name).toBeLessThanOrEqual(s.max!);
    }
  });
});
