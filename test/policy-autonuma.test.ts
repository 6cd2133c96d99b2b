import { describe, expect, it } from 'vitest';
import { TieringKernel } from '../policies/lib/kernel.ts';
import { NUMA_BALANCING_NORMAL } from '../policies/lib/numa-balancing.ts';
import { FAULT_FIRST_TOUCH, FAULT_HINT } from '../policies/policy.ts';
import { FakeHost } from './lib-fake-host.ts';

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
