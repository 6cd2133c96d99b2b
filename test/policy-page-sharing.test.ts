// The page-sharing policy (ESX §4): a random-order scanner with a global hash table of shared
// frames and hints, on two hand-made guests.

import { describe, expect, it } from 'vitest';
import { vmEngine } from './vm-helpers.ts';
import { PAGE_COW } from '../policies/policy.ts';
import type { VmAccess } from './vm-helpers.ts';
import { VS_STRIDE, VS_COW_BREAKS } from '../sim/engine.ts';

const A = 11;
const B = 22;
const C = 33;
const D = 44;
const X = 55;
const Y = 66;
const C2 = 77;

describe('page-sharing policy', () => {
  it('shares identical pages across guests, hints unmatched ones, and drops a hint whose page changed', async () => {
    // Guest 0 pages 0–3 hold A B C D, guest 1 pages 0–3 hold A B X Y (written at t ≈ 0).
    // Scanner: 1000 pages/s per VM, woken every 1 ms → one random page per VM per ms. By 50 ms each
    // guest's 4 pages have been scanned ~50 times (a page is missed with probability (3/4)^50 ≈ 6e-7):
    // A and B are shared (2 frames saved); C, D, X, Y are hints (not copy-on-write).
    // At 50 ms guest 0 rewrites page 2 (C → C2) and guest 1 writes C into its page 2. The next scan of
    // guest 1's page 2 finds the hint for C, re-hashes guest 0's page 2, sees it changed and drops the
    // hint (exactly one drop); nothing else is shared. Writes to hinted pages break no sharing.
    const boot: VmAccess[] = [];
    [A, B, C, D].forEach((c, p) => boot.push([0, p, 'W', c]));
    [A, B, X, Y].forEach((c, p) => boot.push([1, p, 'W', c]));
    const e = vmEngine({
      vms: 2,
      localPages: 16,
      cxlPages: 16,
      policy: 'page-sharing',
      sets: {
        'policy.page-sharing.scanRatePerVmPagesPerS': 1000,
        'policy.page-sharing.scanRateTotalPagesPerS': 2000,
        'policy.page-sharing.scanIntervalMs': 1,
      },
      perCpu: [[...boot, [0, 2, 'W', C2, 50e6], [1, 2, 'W', C], [0, 0, 'R', 0, 50e6]]],
    });
    const res = await e.run();
    const counter = (name: string) => res.policyCounters[res.policyCounterNames.indexOf(name)];
    expect(counter('pagesShared')).toBe(2);
    expect(counter('hintsDropped')).toBe(1);
    expect(res.vm!.final.framesSaved).toBe(2);
    expect(res.vm!.final.sharedPages).toBe(4);
    expect(e.liveFrames).toBe(6);
    expect(res.vm!.final.stats[0 * VS_STRIDE + VS_COW_BREAKS] + res.vm!.final.stats[1 * VS_STRIDE + VS_COW_BREAKS]).toBe(0);
    // Page ids follow first touch: guest 0 pages 0–3 are ids 0–3, guest 1's are 4–7.
    expect(e.host.flags(0) & PAGE_COW).toBe(PAGE_COW);
    expect(e.host.frameOf(0)).toBe(e.host.frameOf(4));
    expect(e.host.frameOf(1)).toBe(e.host.frameOf(5));
    expect(e.host.flags(2) & PAGE_COW).toBe(0); // a hint is not copy-on-write
    // Scan CPU: 1000 ns per hash, one hash per scan plus one per hint re-hash.
    expect(counter('scanCpuNs')).toBeGreaterThanOrEqual(1000 * counter('pagesScanned'));
    expect(e.checkInvariants()).toEqual([]);
  });

  it('a write to a shared page breaks sharing with a private copy and the scanner can share it again when equal', async () => {
    // Two guests with one identical page; after sharing (by 10 ms), guest 1 writes new content (COW
    // break, frames saved back to 0), then writes the old content back: the scanner shares it again.
    const e = vmEngine({
      vms: 2,
      localPages: 8,
      cxlPages: 8,
      policy: 'page-sharing',
      sets: { 'policy.page-sharing.scanRatePerVmPagesPerS': 1000, 'policy.page-sharing.scanRateTotalPagesPerS': 2000, 'policy.page-sharing.scanIntervalMs': 1 },
      perCpu: [[[0, 0, 'W', A], [1, 0, 'W', A], [1, 0, 'W', B, 10e6], [1, 0, 'W', A, 1e3], [0, 0, 'R', 0, 20e6]]],
    });
    const res = await e.run();
    expect(res.vm!.final.stats[1 * VS_STRIDE + VS_COW_BREAKS]).toBe(1);
    expect(res.policyCounters[res.policyCounterNames.indexOf('pagesShared')]).toBe(2);
    expect(res.vm!.final.framesSaved).toBe(1);
    expect(e.checkInvariants()).toEqual([]);
  });
});
