// Bulk Host operations (scanners' passes in one call) against the per-page calls they replace:
// the same pages armed or found young, the same flags left behind and the same charges.

import { describe, expect, it } from 'vitest';
import { makeEngine, probePolicy } from './helpers.ts';
import type { Access } from './helpers.ts';
import type { Host } from '../policies/policy.ts';
import { PAGE_ACCESSED, PAGE_HINT_ARMED } from '../policies/policy.ts';
import * as S from '../sim/stats.ts';

// Pages 0…7 touched in order by ~10 µs (local holds 3: pages 0–2 local, 3–7 on CXL); a timer at
// 20 µs clears every accessed bit; pages 1, 4, 6 are read again at ~30 µs; the work runs at 40 µs
// (a last access at ~46 µs keeps the run going past it).
const ACCESSES: Access[] = [...[0, 1, 2, 3, 4, 5, 6, 7].map((p): Access => [p, 'R', 10]), [1, 'R', 20000], [4, 'R', 0], [6, 'R', 0], [0, 'R', 15000]];

/** Run with a timer at 20 µs clearing accessed bits, and one at 40 µs doing `work`; returns what work saw and the run. */
async function withTimers(work: (host: Host) => unknown) {
  let host!: Host;
  let seen: unknown;
  const policy = probePolicy((h) => {
    host = h;
    h.after(20000, 1);
    h.after(40000, 2);
    return {
      onTimer(id) {
        if (id === 1) for (let p = 0; p < 8; p++) h.testAndClearAccessed(p);
        else seen = work(h);
      },
    };
  });
  const e = makeEngine({ perCpu: [ACCESSES], localPages: 3, cxlPages: 10, policy, sets: { 'cost.pteScanNs': 30 } });
  const res = await e.run();
  const flags = [0, 1, 2, 3, 4, 5, 6, 7].map((p) => host.flags(p));
  return { seen, flags, scans: res.counters[S.C_PTE_SCANS], kernelNs: res.counters[S.C_KERNEL_CPU_NS] };
}

const ALL = Int32Array.of(7, 0, 3, 1, 4, 2, 6, 5);

describe('bulk host operations', () => {
  it('armHintFaults arms pages of tiers ≥ minTier not armed yet, charged as one armHintFault each', async () => {
    // Slow-tier pages of the list, in list order: 7, 3, 4, 6, 5 (0, 1, 2 are local).
    const bulk = await withTimers((h) => {
      const armed = new Int32Array(8);
      const n = h.armHintFaults(ALL, 0, 8, 1, armed);
      const again = h.armHintFaults(ALL, 0, 8, 1, null); // all armed already: nothing
      return [Array.from(armed.subarray(0, n)), again];
    });
    expect(bulk.seen).toEqual([[7, 3, 4, 6, 5], 0]);
    const single = await withTimers((h) => {
      for (const p of [7, 3, 4, 6, 5]) h.armHintFault(p);
    });
    expect(bulk.flags).toEqual(single.flags);
    expect(bulk.flags.map((f) => f & PAGE_HINT_ARMED)).toEqual([0, 0, 0, 4, 4, 4, 4, 4]);
    expect(bulk.scans).toBe(single.scans);
    expect(bulk.kernelNs).toBe(single.kernelNs);
    // 8 test-and-clears at 20 µs + 5 arms: 13 PTE scans of 30 ns.
    expect(bulk.scans).toBe(13);
  });

  it('testAndClearAccessedList tests pages of one tier (or all), charging per page tested', async () => {
    // At 40 µs pages 1 (local), 4 and 6 (CXL) are young. Tier 1 of the list: 7, 3, 4, 6, 5 tested, 4 and 6 young.
    const bulk = await withTimers((h) => {
      const young = new Int32Array(8);
      const n = h.testAndClearAccessedList(ALL, 0, 8, 1, young);
      const m = h.testAndClearAccessedList(ALL, 0, 8, -1, young); // every page: page 1 still young
      return [Array.from(young.subarray(0, m)), n];
    });
    expect(bulk.seen).toEqual([[1], 2]);
    const single = await withTimers((h) => {
      for (const p of [7, 3, 4, 6, 5]) h.testAndClearAccessed(p);
      for (const p of ALL) h.testAndClearAccessed(p);
    });
    expect(bulk.flags).toEqual(single.flags);
    // Every bit cleared at 40 µs; page 0 read again at ~46 µs.
    expect(bulk.flags.map((f) => f & PAGE_ACCESSED)).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(bulk.scans).toBe(single.scans);
    expect(bulk.kernelNs).toBe(single.kernelNs);
    expect(bulk.scans).toBe(8 + 5 + 8);
  });
});
