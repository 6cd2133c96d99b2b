import { describe, expect, it } from 'vitest';
import { resolveConfig, policyParams } from '../sim/run.ts';
import { resolveTiers } from '../sim/machine.ts';
import { Engine } from '../sim/engine.ts';
import { SyntheticSource } from '../traces/synthetic.ts';
import { findPolicy } from '../policies/registry.ts';
import type { TieringKernel } from '../policies/lib/kernel.ts';

// Every kernel policy on a typed workload under memory pressure, with the storage device, zswap and
// early reclaim on: engine invariants and the kernel's LRU bookkeeping must hold, and a rerun with
// the same seed must give the same counters.
const WORKLOAD = [
  'scan:pages=1500,offset=2000,accesses=1500,lines=1,type=cache',
  'uniform:pages=800,accesses=4000,init=1,type=shmem,offset=3500',
  'zipf:pages=2000,accesses=30000,init=1',
  'uniform:pages=600,offset=4300,accesses=3000,type=file',
  'scan:pages=1500,offset=2000,accesses=3000,lines=1,type=cache,write=0.5',
].join('+');

async function run(policy: string, extra: Record<string, unknown>) {
  const sets = {
    workload: WORKLOAD,
    'machine.tiers.0.capacityGiB': (1050 * 4096) / 2 ** 30,
    'machine.tiers.1.capacityGiB': (4200 * 4096) / 2 ** 30,
    'storage.device': 'nvme',
    'zswap.enabled': true,
    ...extra,
  };
  const { config } = resolveConfig({ sets, flags: { policy } });
  const e = new Engine(config, resolveTiers(config, undefined), new SyntheticSource(WORKLOAD, 3));
  const p = findPolicy(policy);
  e.attach(p, policyParams(config, p));
  const res = await e.run();
  return { e, res };
}

describe('page types, storage and zswap keep every invariant', () => {
  for (const [policy, extra] of [
    ['numa-tiering', {}],
    ['numa-tiering', { 'policy.numa-tiering.reclaimEarlyPct': 60, 'policy.numa-tiering.swappiness': 200 }],
    ['tpp', { 'policy.tpp.reclaimEarlyPct': 70 }],
    ['autonuma', { 'policy.autonuma.reclaimEarlyPct': 75, 'policy.autonuma.swappiness': 0 }],
    ['mglru', { 'policy.mglru.reclaimEarlyPct': 70 }],
    ['first-touch', {}],
  ] as Array<[string, Record<string, unknown>]>) {
    it(`${policy} ${JSON.stringify(extra)}`, async () => {
      const { e, res } = await run(policy, extra);
      expect(e.checkInvariants()).toEqual([]);
      const kernel = (e.policyHooks() as { kernel?: TieringKernel }).kernel;
      if (kernel) expect(kernel.checkLists()).toEqual([]);
      const counts = e.pageTypeCounts();
      // 2000 anon + 800 shmem + 600 file + 1500 cache pages exist; resident ones are counted once.
      let resident = 0;
      for (let t = 0; t < 2; t++) for (let k = 0; k < 4; k++) resident += counts[t * 4 + k];
      expect(resident).toBe(res.usedFrames[0] + res.usedFrames[1]);
      const pc = (n: string) => res.policyCounters[res.policyCounterNames.indexOf(n)] ?? -1;
      if (Object.keys(extra).some((k) => k.endsWith('reclaimEarlyPct'))) expect(pc('earlyReclaimEvicted')).toBeGreaterThan(0);
      if (extra['policy.autonuma.swappiness'] === 0) {
        // get_scan_count with swappiness 0: anon's fraction is 0 and SCAN_EQUAL needs swappiness > 0,
        // so reclaim never takes an anon page — nothing is swapped, nothing reaches zswap.
        expect(pc('reclaimSwapped')).toBe(0);
        expect(e.zswapStats[0]).toBe(0);
        expect(pc('reclaimDroppedClean') + pc('reclaimWrittenBack')).toBeGreaterThan(0);
      }
      const again = await run(policy, extra);
      expect(Array.from(again.res.counters)).toEqual(Array.from(res.counters));
      expect(Array.from(again.e.zswapStats)).toEqual(Array.from(e.zswapStats));
    }, 60_000);
  }
});
