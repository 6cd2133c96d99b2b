import { describe, expect, it } from 'vitest';
import { Psi } from '../sim/psi.ts';
import { FAULT_FIRST_TOUCH } from '../policies/policy.ts';
import { makeEngine, probePolicy } from './helpers.ts';

describe('PSI memory some (sim/psi.ts)', () => {
  it('averages the CPUs\' stall times (psi.c weights each CPU by its non-idle time; all busy)', () => {
    const p = new Psi(2);
    p.memStall(0, 3000);
    p.memStall(1, 1000);
    p.memStall(1, -5); // nothing negative
    expect(p.memSomeTotalNs()).toBe(2000);
  });

  // Trace 0 R, 1 R, 0 R on a probe policy that evicts page 0 when page 1 is first touched: the
  // third access is a swap-in. First touches are not memory stalls; the swap-in's fault is.
  // evict(0, true): an asynchronous reclaimer, so that only the swap-in stalls (an in-task eviction's
  // zswap compression would stall page 1's fault too: test/zswap-stall.test.ts).
  const evictor = () => probePolicy((host) => ({ onFault(page, kind) { if (kind === FAULT_FIRST_TOUCH && page === 1) host.evict(0, true); } }), { name: 'evictor' });
  const trace: Array<[number, 'R' | 'W']> = [[0, 'R'], [1, 'R'], [0, 'R']];

  it('counts a swap-in from swap at cost.swapInNs and nothing for first touches', async () => {
    const e = makeEngine({ perCpu: [trace], localPages: 2, cxlPages: 2, policy: evictor(), sets: { 'cost.swapInNs': 20000 } });
    await e.run();
    expect(e.host.memPressureNs()).toBe(20000);
  });

  it('counts a swap-in from zswap as the fault\'s fixed cost plus decompression', async () => {
    const sets = { 'zswap.enabled': true, 'zswap.ratioSpread': 0, 'zswap.decompressNs': 700 };
    const e = makeEngine({ perCpu: [trace], localPages: 2, cxlPages: 2, policy: evictor(), sets });
    await e.run();
    expect(e.host.memPressureNs()).toBe(1000 + 700); // cost.firstTouchFaultNs 1000 (helpers) + decompress
  });

  it('counts a page-cache refault from NVMe but not the first (cold) read', async () => {
    // Page 0 is page cache: its first touch reads the device (IO, not memory pressure); after the
    // eviction its refault reads it again: 1000 fixed + 4096 B / 3.5 B/ns + 80 µs = 82,170.29 ns.
    const sets = { 'storage.device': 'nvme', 'pages.regions': 'cache:0-1' };
    const e = makeEngine({ perCpu: [trace], localPages: 2, cxlPages: 2, policy: evictor(), sets });
    await e.run();
    expect(e.host.memPressureNs()).toBeCloseTo(1000 + 4096 / 3.5 + 80000, 6);
  });

  it('counts direct reclaim done in the faulting task', async () => {
    // One frame per tier: page 2's allocation finds both full; the policy's onPressure evicts the
    // first resident page (0) and charges 5 µs of its own work in the task; page 0 then comes back
    // (swap-in, 20 µs) into a full machine again, and onPressure evicts page 1 (5 µs more).
    const policy = probePolicy((host) => ({
      onPressure() {
        for (let p = 0; p < host.pageCount(); p++) {
          if (host.tierOf(p) >= 0 && host.evict(p)) break;
        }
        host.chargeKernelNs(5000);
      },
    }), { name: 'direct' });
    const e = makeEngine({ perCpu: [[[0, 'R'], [1, 'R'], [2, 'R'], [0, 'R']]], localPages: 1, cxlPages: 1, policy, sets: { 'cost.swapInNs': 20000 } });
    await e.run();
    expect(e.host.memPressureNs()).toBe(5000 + 20000 + 5000);
  });

  it('shows in npm run sim\'s table when the run has a device or zswap', async () => {
    const { formatTypeReport } = await import('../sim/page-types.ts');
    const counts = new Float64Array(8);
    const zswap = new Float64Array(10);
    expect(formatTypeReport(2, counts, false, null, zswap, 4096, 1234567)).toContain('memory stall    1.235 ms (PSI some: swap-ins, refaults, reclaim in the task)');
    expect(formatTypeReport(2, counts, false, null, null, 4096, 1234567)).toBe('');
  });
});
