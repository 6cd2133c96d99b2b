// Invariant fuzz of the VM model: seeded random multi-VM workloads on overcommitted hosts, with all
// three ESX mechanisms attached to a tiering policy, checked at several cut points of the same
// deterministic run: no page lost, no frame over-counted (refcounts = mappers = share lists), no
// tier over capacity, every VM within its limit, per-VM counters consistent. Plus determinism.

import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { resolveConfig, runSimulation } from '../sim/run.ts';
import { summaryRow, vmTimeseriesRows } from '../results/rows.ts';
import { toCsv } from '../results/write.ts';
import * as S from '../sim/stats.ts';
import { VS_STRIDE, VS_MAPPED, VS_GUEST_PAGE_OUTS, VS_GUEST_RESIDENT } from '../sim/engine.ts';
import { GC_STRIDE, GC_PAGES, GC_MISSES, GC_DROPS, GC_WRITEBACKS } from '../sim/vm-model.ts';

const MAINS = ['first-touch', 'tpp', 'mglru'];

/**
 * One random multi-VM run. undersized: guests configured at 60–95 % of their workload's pages (the
 * guest OS model pages inside every guest, its kernel reserve at the default) and no balloon, so
 * idle-tax must host-page where ballooning is impossible.
 */
function vmRun(rng: () => number, undersized = false): { flags: Record<string, unknown>; sets: Record<string, unknown> } {
  const vms = 2 + Math.floor(rng() * 4);
  const pages = 600 + Math.floor(rng() * 1500);
  const ws = Array.from({ length: vms }, () => (rng() < 0.5 ? 1 : 0.1)).join('/');
  const workload = `vms:count=${vms},pages=${pages},accesses=6k,os=${(0.2 + rng() * 0.4).toFixed(2)},zero=0.1,images=${1 + Math.floor(rng() * 2)},write=${rng().toFixed(2)},ws=${ws},gapNs=${[20000, 100000][Math.floor(rng() * 2)]}`;
  // Host memory: 60–100 % of the guests' memory (overcommitted), 1:3 local:CXL.
  const hostPages = Math.floor(vms * pages * (0.6 + rng() * 0.4));
  const sets: Record<string, unknown> = {
    'machine.tiers.0.capacityGiB': (Math.floor(hostPages / 4) * 4096) / 1024 ** 3,
    'machine.tiers.1.capacityGiB': ((hostPages - Math.floor(hostPages / 4)) * 4096) / 1024 ** 3,
    'vm.1.limitMiB': ((pages * 0.7) * 4096) / 1024 ** 2,
    'policy.idle-tax.samplePeriodS': 0.05,
    'policy.idle-tax.reallocIntervalS': 0.02,
    'policy.idle-tax.stateCheckMs': 2,
    'policy.balloon.pollIntervalMs': 5,
    'policy.page-sharing.scanRatePerVmPagesPerS': 20000,
    'policy.page-sharing.scanRateTotalPagesPerS': 50000,
    'policy.page-sharing.scanIntervalMs': 1,
  };
  if (undersized) {
    sets['vm.memMiB'] = (Math.floor(pages * (0.6 + rng() * 0.35)) * 4096) / 1024 ** 2;
    return { flags: { workload, with: 'idle-tax,page-sharing' }, sets };
  }
  return { flags: { workload, with: 'balloon,idle-tax,page-sharing' }, sets };
}

describe('VM model invariants under seeded random runs', () => {
  for (const main of MAINS) {
    it(`${main} with balloon, idle-tax, page-sharing: pages, frames, shares, tiers and VM limits stay consistent`, async () => {
      const rng = seedrandom.alea(`vm-fuzz/${main}`);
      for (let round = 0; round < 3; round++) {
        const { flags, sets } = vmRun(rng);
        for (const cut of [4000, 15000, 0]) {
          const { config } = resolveConfig({ sets, flags: { ...flags, policy: main, seed: round + 1, 'run.maxAccesses': cut } });
          const { engine, result } = await runSimulation(config);
          const where = `${main} ${flags.workload} cut ${cut}`;
          expect(engine.checkInvariants(), where).toEqual([]);
          const c = result.counters;
          expect(c[S.C_READS] + c[S.C_WRITES], where).toBe(c[S.C_ACCESSES]);
          // Frames in use = pages mapped − frames saved by sharing.
          const used = Array.from(result.usedFrames).reduce((a, b) => a + b, 0);
          const vm = result.vm!;
          let mapped = 0;
          for (let v = 0; v < vm.count; v++) mapped += vm.final.stats[v * VS_STRIDE + VS_MAPPED];
          expect(used, where).toBe(mapped - vm.final.framesSaved);
          expect(vm.final.stats[1 * VS_STRIDE + VS_MAPPED], where).toBeLessThanOrEqual(vm.spec.limitPages[1]);
        }
      }
    }, 120_000);
  }

  it('guests smaller than their workloads, no balloon: guest paging, soft-state host paging, sharing stay consistent', async () => {
    const rng = seedrandom.alea('vm-fuzz/undersized');
    let guestPaged = 0;
    for (let round = 0; round < 4; round++) {
      const { flags, sets } = vmRun(rng, true);
      for (const cut of [5000, 0]) {
        const { config } = resolveConfig({ sets, flags: { ...flags, policy: MAINS[round % MAINS.length], seed: round + 1, 'run.maxAccesses': cut } });
        const { engine, result } = await runSimulation(config);
        const where = `${flags.workload} ${sets['vm.memMiB']} MiB cut ${cut}`;
        expect(engine.checkInvariants(), where).toEqual([]);
        const vm = result.vm!;
        for (let v = 0; v < vm.count; v++) {
          guestPaged += vm.final.stats[v * VS_STRIDE + VS_GUEST_PAGE_OUTS];
          // Never more backed pages than the guest can hold beside its kernel.
          expect(vm.final.stats[v * VS_STRIDE + VS_MAPPED], where).toBeLessThanOrEqual(vm.spec.memPages[v] - vm.spec.guestOsPages[v]);
        }
      }
    }
    expect(guestPaged).toBeGreaterThan(0); // the runs did exercise the guest model
  }, 120_000);

  it('guests with a page cache (file sets), balloons and host overcommit: cache counters, pages and frames stay consistent', async () => {
    const rng = seedrandom.alea('vm-fuzz/guest-cache');
    let drops = 0;
    let writebacks = 0;
    for (let round = 0; round < 4; round++) {
      const vms = 2 + Math.floor(rng() * 2);
      const pages = 400 + Math.floor(rng() * 800);
      const file = 300 + Math.floor(rng() * 1500);
      const workload = `vms:count=${vms},pages=${pages},accesses=8k,os=0.3,zero=0.1,dup=0.05,write=${rng().toFixed(2)},file=${file},fileShare=${(0.2 + rng() * 0.5).toFixed(2)},fileWrite=${rng().toFixed(2)},gapNs=20000`;
      // Guests configured with room for part of their file set; host at 50–90 % of the guests' memory.
      const memPages = pages + Math.floor(file * (0.2 + rng() * 0.6));
      const hostPages = Math.floor(vms * memPages * (0.5 + rng() * 0.4));
      const sets: Record<string, unknown> = {
        'machine.tiers.0.capacityGiB': (Math.floor(hostPages / 4) * 4096) / 1024 ** 3,
        'machine.tiers.1.capacityGiB': ((hostPages - Math.floor(hostPages / 4)) * 4096) / 1024 ** 3,
        'vm.memMiB': (memPages * 4096) / 1024 ** 2,
        'policy.idle-tax.samplePeriodS': 0.05,
        'policy.idle-tax.reallocIntervalS': 0.02,
        'policy.idle-tax.stateCheckMs': 2,
        'policy.balloon.pollIntervalMs': 5,
        'policy.page-sharing.scanRatePerVmPagesPerS': 20000,
        'policy.page-sharing.scanRateTotalPagesPerS': 50000,
        'policy.page-sharing.scanIntervalMs': 1,
      };
      for (const cut of [6000, 0]) {
        const { config } = resolveConfig({ sets, flags: { workload, with: 'balloon,idle-tax,page-sharing', policy: MAINS[round % MAINS.length], seed: round + 1, 'run.maxAccesses': cut } });
        const { engine, result } = await runSimulation(config);
        const where = `${workload} mem ${memPages} host ${hostPages} cut ${cut}`;
        expect(engine.checkInvariants(), where).toEqual([]);
        const vm = result.vm!;
        for (let v = 0; v < vm.count; v++) {
          const c = vm.final.cache!;
          drops += c[v * GC_STRIDE + GC_DROPS];
          writebacks += c[v * GC_STRIDE + GC_WRITEBACKS];
          expect(c[v * GC_STRIDE + GC_PAGES], where).toBeLessThanOrEqual(vm.final.stats[v * VS_STRIDE + VS_GUEST_RESIDENT]);
          expect(c[v * GC_STRIDE + GC_MISSES], where).toBe(c[v * GC_STRIDE + GC_PAGES] + c[v * GC_STRIDE + GC_DROPS] + c[v * GC_STRIDE + GC_WRITEBACKS]);
        }
      }
    }
    expect(drops).toBeGreaterThan(0); // the runs did reclaim cache, clean and dirty
    expect(writebacks).toBeGreaterThan(0);
  }, 120_000);

  it('same config and seed give byte-identical summary and vm-timeseries CSV; another seed changes them', async () => {
    const csv = async (seed: number) => {
      const { flags, sets } = vmRun(seedrandom.alea('vm-determinism'));
      const { config } = resolveConfig({ sets: { ...sets, 'stats.epochMs': 5 }, flags: { ...flags, policy: 'tpp', seed } });
      const { result, tiers } = await runSimulation(config);
      return toCsv([summaryRow(config, tiers, result)]) + toCsv(vmTimeseriesRows(result));
    };
    const a = await csv(3);
    expect(await csv(3)).toBe(a);
    expect(await csv(4)).not.toBe(a);
  }, 60_000);
});
