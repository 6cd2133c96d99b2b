import { describe, expect, it } from 'vitest';
import { makeEngine, probePolicy } from './helpers.ts';
import type { Access } from './helpers.ts';
import type { Host } from '../policies/policy.ts';
import * as S from '../sim/stats.ts';

// zswap compression in reclaim done by the faulting task (direct reclaim, reclaim over memory.high)
// stalls that task and counts as PSI memory stall: mm/vmscan.c try_to_free_pages / mm/memcontrol.c
// reclaim_high run shrink_folio_list → swap_writepage → zswap_store in the allocating task. Reclaim
// by a thread of its own (kswapd, a proactive agent) is kernel CPU only.
// SIMPLE_MACHINE: first touch 1000 + 1 ns zeroing, local read 100, CXL read 200. zswap: every page
// compresses 3:1 (ratioSpread 0), 4000 ns each (zswap.compressNs default).
const ZSWAP = { 'zswap.enabled': true, 'zswap.ratioSpread': 0 };
const reads = (n: number): Access[] => Array.from({ length: n }, (_, p) => [p, 'R', 0] as Access);

describe('zswap compression in in-task reclaim stalls the task', () => {
  it('direct reclaim: the fault that reclaims two pages into zswap waits 2 × 4000 ns, and PSI counts it', async () => {
    // Tiers of 4 pages each. Pages 0–3 fill DRAM: 4 × (1001 + 100) = 4404; 4–7 fill CXL:
    // 4 × (1001 + 200) = 4804. Page 8: every tier full → onPressure in the fault: the policy
    // evicts pages 0 and 1 into zswap (2 × 1365.33 B: one 4 KiB pool page taken from DRAM), so
    // DRAM has a frame free: 1001 + 8000 compression + 100 = 9101. simTime 18309 (without the
    // fix 10309); PSI memory some = the 8000 ns of in-task reclaim; kernel CPU 9 × 1001 + 8000.
    let host!: Host;
    const policy = probePolicy((h) => {
      host = h;
      return { onPressure: () => void (h.evict(0), h.evict(1)) };
    });
    const e = makeEngine({ perCpu: [reads(9)], localPages: 4, cxlPages: 4, policy, sets: ZSWAP });
    const res = await e.run();
    expect(res.counters[S.C_EVICTED]).toBe(2);
    expect(host.tierOf(8)).toBe(0);
    expect(res.simTimeNs).toBe(4404 + 4804 + 9101);
    expect(res.counters[S.C_KERNEL_CPU_NS]).toBe(9 * 1001 + 8000);
    expect(host.memPressureNs()).toBe(8000);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('an asynchronous eviction in the fault (evict(page, true): a proactive reclaimer) is kernel CPU only; a timer\'s too', async () => {
    // Tiers of 8. Page 0's fault: the policy evicts nothing (page 0 is being placed). Page 1's
    // fault: evict(0, true) — compression 4000 ns of kernel CPU, no stall. A timer at 100 µs evicts
    // page 1 (kswapd-like): kernel CPU only. Page 2 is read after a 200 000 ns gap.
    //   page 0: 1001 + 100; page 1: 1001 + 100; page 2: 200 000 + 1001 + 100.
    let host!: Host;
    const policy = probePolicy((h) => {
      host = h;
      h.after(1e5, 1);
      return {
        onFault: (page) => {
          if (page === 1) h.evict(0, true);
        },
        onTimer: () => void h.evict(1),
      };
    });
    const acc: Access[] = [[0, 'R', 0], [1, 'R', 0], [2, 'R', 2e5]];
    const e = makeEngine({ perCpu: [acc], localPages: 8, cxlPages: 8, policy, sets: ZSWAP });
    const res = await e.run();
    expect(res.counters[S.C_EVICTED]).toBe(2);
    expect(res.simTimeNs).toBe(3 * 1101 + 2e5);
    expect(res.counters[S.C_KERNEL_CPU_NS]).toBe(3 * 1001 + 2 * 4000);
    expect(host.memPressureNs()).toBe(0);
  });

  it('a synchronous eviction in the fault (reclaim over a limit) stalls it by the compression', async () => {
    // As above, but page 1's fault calls evict(0) (in the task): page 1 costs 1001 + 4000 + 100.
    let host!: Host;
    const policy = probePolicy((h) => {
      host = h;
      return {
        onFault: (page) => {
          if (page === 1) h.evict(0);
        },
      };
    });
    const e = makeEngine({ perCpu: [reads(2)], localPages: 8, cxlPages: 8, policy, sets: ZSWAP });
    const res = await e.run();
    expect(res.simTimeNs).toBe(1101 + 5101);
    expect(host.memPressureNs()).toBe(4000);
  });
});
