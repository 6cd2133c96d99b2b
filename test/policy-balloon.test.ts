// The balloon policy and its guest model (ESX §3.2): a guest of 100 pages, static balloon targets
// (vm.balloonMiB), the driver polling every 1 ms with no rate limit.

import { describe, expect, it } from 'vitest';
import { vmEngine, pagesMiB, touch } from './vm-helpers.ts';
import { PAGE_GUEST_PAGED } from '../policies/policy.ts';
import { VS_BALLOON, VS_GUEST_PAGE_OUTS, VS_GUEST_PAGE_INS, VS_MAPPED, VS_GUEST_RESIDENT, VS_STALL_NS, VS_HOST_PAGE_OUTS } from '../sim/engine.ts';

// No guest kernel reserve (vm.guestOsBytesPer4KiB 0): the guest can use all its 100 pages.
const FAST = { 'policy.balloon.pollIntervalMs': 1, 'policy.balloon.inflateRatePagesPerS': 1e9, 'policy.balloon.deflateRatePagesPerS': 1e9, 'vm.guestOsBytesPer4KiB': 0 };

describe('balloon policy', () => {
  it('with no free guest pages, inflating pages out the guest\'s coldest pages and frees their frames', async () => {
    // Guest memory 100 pages, all touched at boot; target 40 pages. First poll (1 ms): the guest has
    // no free page, so its CLOCK pages out 40: the first pass clears every accessed bit, the second
    // takes pages in list order (ids 0–39). Each page-out stalls the VM 5000 ns (cost.guestPageOutNs).
    // At 5 ms the guest touches page 0 again: a guest page-in; the guest is then 1 page over its
    // 60-page capacity and pages out the next page under its hand (id 40).
    const e = vmEngine({
      vms: 1,
      localPages: 200,
      cxlPages: 200,
      policy: 'balloon',
      sets: { ...FAST, 'vm.memMiB': pagesMiB(100), 'vm.balloonMiB': pagesMiB(40) },
      perCpu: [[...touch(0, 0, 100), [0, 0, 'R', 0, 5e6]]],
    });
    const res = await e.run();
    const s = res.vm!.final.stats;
    expect(s[VS_BALLOON]).toBe(40);
    expect(s[VS_GUEST_PAGE_OUTS]).toBe(41);
    expect(s[VS_GUEST_PAGE_INS]).toBe(1);
    expect(s[VS_MAPPED]).toBe(60);
    expect(s[VS_GUEST_RESIDENT]).toBe(60);
    expect(s[VS_HOST_PAGE_OUTS]).toBe(0);
    expect(s[VS_STALL_NS]).toBe(41 * 5000);
    expect(e.host.flags(0) & PAGE_GUEST_PAGED).toBe(0);
    expect(e.host.flags(40) & PAGE_GUEST_PAGED).toBe(PAGE_GUEST_PAGED);
    expect(e.host.used(0) + e.host.used(1)).toBe(60);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('takes free guest pages first, then the guest pages itself when it grows past memory less balloon', async () => {
    // The guest touches 50 of its 100 pages; target 40: all 40 come from its 50 free pages (no
    // page-out, no frame freed). At 5 ms it touches 20 new pages: capacity 100 − 40 = 60, so the
    // first 10 fit and each of the next 10 forces one guest page-out.
    const e = vmEngine({
      vms: 1,
      localPages: 200,
      cxlPages: 200,
      policy: 'balloon',
      sets: { ...FAST, 'vm.memMiB': pagesMiB(100), 'vm.balloonMiB': pagesMiB(40) },
      perCpu: [[...touch(0, 0, 50), ...touch(0, 50, 20, 5e6)]],
    });
    const res = await e.run();
    const s = res.vm!.final.stats;
    const counter = (name: string) => res.policyCounters[res.policyCounterNames.indexOf(name)];
    expect(counter('balloonFreePagesGiven')).toBe(40);
    expect(counter('balloonGuestPageOuts')).toBe(0);
    // The 10 page-outs of the guest short of memory are the engine's guest model, not the balloon's.
    expect(s[VS_GUEST_PAGE_OUTS]).toBe(10);
    expect(s[VS_BALLOON]).toBe(40);
    expect(s[VS_MAPPED]).toBe(60);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('never inflates past 65 % of the guest (Mem.CtlMaxPercent)', async () => {
    const e = vmEngine({
      vms: 1,
      localPages: 200,
      cxlPages: 200,
      policy: 'balloon',
      sets: { ...FAST, 'vm.memMiB': pagesMiB(100), 'vm.balloonMiB': pagesMiB(80) },
      perCpu: [[...touch(0, 0, 100), [0, 99, 'R', 0, 5e6]]],
    });
    const res = await e.run();
    expect(res.vm!.final.stats[VS_BALLOON]).toBe(65);
    expect(res.vm!.final.stats[VS_MAPPED]).toBe(35);
    expect(e.checkInvariants()).toEqual([]);
  });
});
