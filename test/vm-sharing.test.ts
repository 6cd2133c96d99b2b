// Content-based sharing in the engine: Host.share remaps a page copy-on-write onto another page's
// frame after comparing contents; a write breaks sharing with a private copy (cost.cowBreakNs), or
// reuses the frame when the writer is its last mapper. Timings computed by hand below.

import { describe, expect, it } from 'vitest';
import { asVmHost, PAGE_COW } from '../policies/policy.ts';
import type { VmHost } from '../policies/policy.ts';
import { vmEngine } from './vm-helpers.ts';
import { probePolicy } from './helpers.ts';
import * as S from '../sim/stats.ts';
import { VS_STRIDE, VS_COW_BREAKS } from '../sim/engine.ts';
import { resolveConfig, runSimulation } from '../sim/run.ts';
import { parseVmsWorkload } from '../traces/synthetic-vms.ts';

describe('engine: page sharing on frames', () => {
  it('shares two identical pages, refuses different ones, breaks sharing on write and reuses the last mapper', async () => {
    const seen: Record<string, unknown> = {};
    let host!: VmHost;
    const probe = probePolicy((h) => {
      host = asVmHost(h, 'share-probe');
      host.after(5000, 0);
      return {
        onTimer() {
          // Page ids in first-touch order: 0 = (vm0, page 1), 1 = (vm1, page 1), 2 = (vm1, page 2).
          seen.shared = host.share(1, 0);
          seen.differ = host.share(2, 0); // contents 9 vs 7
          seen.again = host.share(1, 0); // already one frame
          seen.refs = host.frameRefs(host.frameOf(0));
          seen.sameFrame = host.frameOf(0) === host.frameOf(1);
          seen.cow = [host.flags(0) & PAGE_COW, host.flags(1) & PAGE_COW, host.flags(2) & PAGE_COW];
          seen.used = host.used(0);
        },
      };
    }, { name: 'share-probe', vm: true });
    // SIMPLE_MACHINE: first-touch fault 1000 + 1 ns zeroing; local write 150 ns; mlp 1.
    //   vm0 W p1 (7):  1001 + 150                      → 1151
    //   vm1 W p1 (7):  + 1151                          → 2302
    //   vm1 W p2 (9):  + 1151                          → 3453
    //   timer at 5000: share(vm1 p1 → vm0 p1's frame): 3 pages on 2 frames.
    //   vm1 W p1 (8), gap 10000: COW break, private copy: 150 + 2500 stall → 3453 + 10000 + 2650 = 16103
    //   vm0 W p1 (5): last mapper of the old frame: write-protect fault reuses it, 2000 (hint-fault
    //     cost) + 150                                  → 18253
    const e = vmEngine({
      vms: 2,
      localPages: 4,
      cxlPages: 4,
      policy: probe,
      perCpu: [[[0, 1, 'W', 7], [1, 1, 'W', 7], [1, 2, 'W', 9], [1, 1, 'W', 8, 10000], [0, 1, 'W', 5]]],
    });
    const res = await e.run();
    expect(seen).toEqual({ shared: true, differ: false, again: false, refs: 2, sameFrame: true, cow: [PAGE_COW, PAGE_COW, 0], used: 2 });
    expect(res.simTimeNs).toBe(18253);
    expect(res.counters[S.C_STALL_NS]).toBe(2500 + 2000);
    // Kernel CPU: 3 first-touch faults, one share (1500), one COW copy (2500), one reuse fault (2000).
    expect(res.counters[S.C_KERNEL_CPU_NS]).toBe(3 * 1001 + 1500 + 2500 + 2000);
    expect(e.liveFrames).toBe(3);
    expect(host.frameOf(0)).not.toBe(host.frameOf(1));
    expect([host.content(0), host.content(1), host.content(2)]).toEqual([5, 8, 9]);
    expect(host.flags(0) & PAGE_COW).toBe(0);
    expect(res.vm!.final.stats[1 * VS_STRIDE + VS_COW_BREAKS]).toBe(1);
    expect(res.vm!.final.framesSaved).toBe(0);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('counts frames saved, keeps a shared frame alive until its last mapper leaves, and moves every mapper with a migration', async () => {
    let host!: VmHost;
    const log: number[] = [];
    const probe = probePolicy((h) => {
      host = asVmHost(h, 'share-probe-2');
      host.after(1e6, 0);
      return {
        onTimer() {
          // Three VMs' page 1 (ids 0, 1, 2) hold content 3: share all onto page 0's frame.
          host.share(1, 0);
          host.share(2, 0);
          log.push(host.used(0), host.frameRefs(host.frameOf(0)));
          // Evict the owner: the frame stays (two mappers left), another page owns it.
          host.evict(0);
          log.push(host.used(0), host.frameRefs(host.frameOf(1)), host.frameOwner(host.frameOf(1)));
          // Migrating the shared frame moves both remaining mappers.
          host.migrate(1, 1, true);
          log.push(host.tierOf(1), host.tierOf(2));
        },
      };
    }, { name: 'share-probe-2', vm: true });
    const e = vmEngine({ vms: 3, localPages: 8, cxlPages: 8, policy: probe, perCpu: [[[0, 1, 'W', 3], [1, 1, 'W', 3], [2, 1, 'W', 3], [2, 1, 'R', 0, 2e6]]] });
    const res = await e.run();
    expect(log).toEqual([1, 3, 1, 2, 2, 1, 1]);
    expect(res.vm!.final.framesSaved).toBe(1); // 2 mapped pages on 1 frame
    expect(res.vm!.final.sharedPages).toBe(2);
    expect(e.checkInvariants()).toEqual([]);
  });
});

describe('vms workload: duplicate content within one guest (dup=)', () => {
  // One guest of 1000 pages: OS image 20 % (200 pages), zero pages z, duplicates 5 % (50 pages: page
  // 200 + z + k copies OS page k), the rest private data with distinct contents. write=0, so nothing
  // changes after boot. The scanner at 100 000 pages/s for ~200 ms scans ~20 000 random pages: a page
  // is never scanned with probability (999/1000)^20000 ≈ 2e-9, so every pair is found.
  // Frames saved: each of the 50 pairs saves one frame; z zero pages share one frame (z − 1 saved).
  const run = async (zero: number) => {
    const { config } = resolveConfig({
      sets: {
        'machine.tiers.0.capacityGiB': (512 * 4096) / 1024 ** 3,
        'machine.tiers.1.capacityGiB': (1024 * 4096) / 1024 ** 3,
        'policy.page-sharing.scanRatePerVmPagesPerS': 100_000,
        'policy.page-sharing.scanRateTotalPagesPerS': 100_000,
        'policy.page-sharing.scanIntervalMs': 1,
      },
      flags: { policy: 'first-touch', with: 'page-sharing', workload: `vms:count=1,pages=1000,os=0.2,zero=${zero},dup=0.05,accesses=1000,osShare=0.5,write=0,gapNs=200000` },
    });
    const { engine, result } = await runSimulation(config);
    expect(engine.checkInvariants()).toEqual([]);
    return result.vm!.final;
  };

  it('50 duplicate pairs in one guest save exactly 50 frames', async () => {
    const f = await run(0);
    expect(f.framesSaved).toBe(50);
    expect(f.sharedPages).toBe(100);
  });

  it('with 100 zero pages besides: 50 + 99 frames saved', async () => {
    const f = await run(0.1);
    expect(f.framesSaved).toBe(50 + 99);
    expect(f.sharedPages).toBe(100 + 100);
  });

  it('rejects more duplicates than OS pages to copy', () => {
    expect(() => parseVmsWorkload('vms:count=1,pages=100,os=0.1,dup=0.2')).toThrow(/0 ≤ dup ≤ os/);
  });
});
