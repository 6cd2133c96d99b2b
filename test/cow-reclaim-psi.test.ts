import { describe, expect, it } from 'vitest';
import { asVmHost } from '../policies/policy.ts';
import type { VmHost } from '../policies/policy.ts';
import { vmEngine } from './vm-helpers.ts';
import { makeEngine, probePolicy } from './helpers.ts';
import type { Host } from '../policies/policy.ts';

// Direct reclaim in a copy-on-write break (faults.ts breakCow) is reclaim in the writing task
// (mm/vmscan.c try_to_free_pages, psi_memstall_enter), so its stall counts as PSI memory stall,
// as direct reclaim in a first-touch or swap-in fault does.
describe('direct reclaim in a COW break', () => {
  it('counts its stall (here zswap compression of the reclaimed pages) as PSI memory stall', async () => {
    // Tiers of 2 pages. Page ids in first-touch order: 0 = vm0 p1, 1 = vm1 p1 (tier 0), 2 = vm1 p2
    // (tier 1). At 5000 ns vm1 p1 is shared onto vm0 p1's frame (tier 0: 1 frame). Then vm0 p3 (id 3)
    // fills tier 0 and vm0 p4 (id 4) fills tier 1. vm1 writes p1: a COW break with every tier full →
    // onPressure in the task: the probe evicts ids 2 and 4 into zswap (3:1, one 4 KiB pool page taken
    // from tier 1), 2 × 4000 ns of compression in the task → PSI memory stall 8000 (before: 0).
    let host!: VmHost;
    const probe = probePolicy((h) => {
      host = asVmHost(h, 'cow-probe');
      host.after(5000, 0);
      return {
        onTimer: () => void host.share(1, 0),
        onPressure: () => void (host.evict(2), host.evict(4)),
      };
    }, { name: 'cow-probe', vm: true });
    const e = vmEngine({
      vms: 2,
      localPages: 2,
      cxlPages: 2,
      policy: probe,
      sets: { 'zswap.enabled': true, 'zswap.ratioSpread': 0 },
      perCpu: [[[0, 1, 'W', 7], [1, 1, 'W', 7], [1, 2, 'W', 9], [0, 3, 'W', 3, 10000], [0, 4, 'W', 4], [1, 1, 'W', 8]]],
    });
    await e.run();
    expect(host.frameOf(0)).not.toBe(host.frameOf(1));
    expect(host.tierOf(2)).toBe(-1);
    expect(host.tierOf(4)).toBe(-1);
    expect(host.memPressureNs()).toBe(8000);
    expect(e.checkInvariants()).toEqual([]);
  });
});

describe('direct reclaim for a long-term pin', () => {
  it('counts as PSI memory stall (the demotion it does), not the pin\'s own move', async () => {
    // As pinned.test.ts: local holds 1 page (page 0); page 1 lands on CXL (movable) and its pin needs
    // a local frame: the pinning task reclaims directly (onPressure: a synchronous demotion of page
    // 0, 2000 + 4096 B / 4.096 B/ns + 1000 shootdown = 4000 ns), then moves page 1 for the pin (4000,
    // a migration, not reclaim). PSI memory stall: 4000 (before: 0).
    const policy = probePolicy((host: Host) => ({ onPressure: () => void host.migrate(0, 1) }));
    const sets = { 'cost.migrationFixedNs': 2000, 'cost.migrationCopyGBps': 4.096, 'cost.tlbShootdownNs': 1000, 'machine.tiers.1.zone': 'movable', 'pin.ranges': `${4096}+4K` };
    const e = makeEngine({ perCpu: [[[0, 'R', 10], [1, 'R', 10]]], localPages: 1, cxlPages: 4, policy, sets });
    const res = await e.run();
    expect(res.simTimeNs).toBe(10222); // the stall itself is unchanged (pinned.test.ts)
    expect(e.host.tierOf(1)).toBe(0);
    expect(e.host.memPressureNs()).toBe(4000);
  });
});
