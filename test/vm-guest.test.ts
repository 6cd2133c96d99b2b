// The guest OS model every VM has when the VM model is on (sim/engine.ts guestShrink / guestVictim):
// a guest short of memory pages its coldest pages out to its virtual disk with no VM policy
// attached; its kernel keeps vm.guestOsBytesPer4KiB of its configured memory; the balloon uses the
// same guest. Plus the idle-tax fixes: host paging in the soft state only where ballooning is not
// possible, ρ's f as the active share of the pages being priced, and active-memory samples drawn
// over the VM's configured ("physical") memory. Every expected value is derived in the comments.

import { describe, expect, it } from 'vitest';
import { vmEngine, pagesMiB, touch, ticker } from './vm-helpers.ts';
import { probePolicy } from './helpers.ts';
import type { VmAccess } from './vm-helpers.ts';
import { asVmHost, PAGE_GUEST_PAGED, PAGE_SWAPPED } from '../policies/policy.ts';
import { minFundingTargets } from '../policies/lib/esx-alloc.ts';
import { resolveConfig } from '../sim/run.ts';
import { resolveVms, guestOsPages } from '../sim/vm-config.ts';
import { ConfigError } from '../sim/config.ts';
import * as S from '../sim/stats.ts';
import {
  VS_ACTIVE, VS_BALLOON, VS_GUEST_PAGE_INS, VS_GUEST_PAGE_OUTS, VS_GUEST_RESIDENT, VS_HOST_PAGE_OUTS, VS_MAPPED, VS_STALL_NS, VS_STRIDE,
} from '../sim/engine.ts';

const f64 = (...x: number[]) => Float64Array.from(x);

describe('guest OS model (every VM, no VM policy needed)', () => {
  it('a guest whose working set exceeds its memory pages its coldest pages out, charged to that VM', async () => {
    // One VM of 10 pages, no kernel reserve, main policy first-touch and nothing attached (vm.count
    // turns the VM model on). SIMPLE_MACHINE: first touch 1000 + 1 ns, local write 150, read 100;
    // cost.guestPageOutNs 5000, cost.swapInNs 20000.
    //   pages 0–9:  10 × (1001 + 150)                                   = 11510
    //   page 10:    resident 11 > 10 → the guest's CLOCK (first-touch order, hand at 0): the first
    //               pass clears the accessed bits of 0–9 (10 is the faulting page, skipped), then
    //               page 0 has none → paged out. 1001 + 5000 + 150          =  6151
    //   page 11:    hand at 1, page 1's bit was cleared → paged out. Same   =  6151
    //   read 0:     guest page-in (swap-in 20000), resident 11 > 10 → hand at 2 → page 2 out:
    //               20000 + 5000 + 100                                      = 25100
    //   total 48912. Stall (C_STALL_NS): 5000 + 5000 + 25000 = 35000, each counted once.
    const e = vmEngine({
      vms: 1,
      localPages: 100,
      cxlPages: 100,
      sets: { 'vm.memMiB': pagesMiB(10), 'vm.guestOsBytesPer4KiB': 0 },
      perCpu: [[...touch(0, 0, 12), [0, 0, 'R']]],
    });
    const res = await e.run();
    const s = res.vm!.final.stats;
    expect(res.simTimeNs).toBe(48912);
    expect(res.counters[S.C_STALL_NS]).toBe(35000);
    expect(s[VS_GUEST_PAGE_OUTS]).toBe(3);
    expect(s[VS_GUEST_PAGE_INS]).toBe(1);
    expect(s[VS_GUEST_RESIDENT]).toBe(10);
    expect(s[VS_MAPPED]).toBe(10);
    expect(s[VS_HOST_PAGE_OUTS]).toBe(0);
    expect(s[VS_STALL_NS]).toBe(3 * 5000);
    // Page ids in first-touch order: 0 came back, 1 and 2 are on the guest's disk.
    expect([e.host.flags(0), e.host.flags(1), e.host.flags(2)].map((f) => f & PAGE_GUEST_PAGED)).toEqual([0, PAGE_GUEST_PAGED, PAGE_GUEST_PAGED]);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('a guest whose LRU picks a page the host swapped behind its back pays a host swap-in to write it out (double paging)', async () => {
    // One VM of 10 pages, no kernel reserve. Pages 0–9 written at boot: 10 × 1151 = 11510 ns. At
    // 1 ms a probe host-pages page 0 (evict: its accessed bit goes with it). At 11510 + 2 ms the
    // guest touches page 10: resident 11 > 10; its CLOCK (hand at 0) finds page 0 without an
    // accessed bit first and pages it out: the host swaps it in for the guest (cost.swapInNs
    // 20000) and the guest writes it to its disk (5000). Page 10: 1001 + 25000 + 150.
    //   total = 11510 + 2 000 000 + 26151 = 2 037 661
    const probe = probePolicy((h) => {
      const host = asVmHost(h, 'host-swap-probe');
      host.after(1e6, 0);
      return { onTimer: () => void host.evict(0) };
    }, { name: 'host-swap-probe', vm: true });
    const e = vmEngine({
      vms: 1,
      localPages: 100,
      cxlPages: 100,
      policy: probe,
      sets: { 'vm.memMiB': pagesMiB(10), 'vm.guestOsBytesPer4KiB': 0 },
      perCpu: [[...touch(0, 0, 10), [0, 10, 'W', 7, 2e6]]],
    });
    const res = await e.run();
    const s = res.vm!.final.stats;
    expect(res.simTimeNs).toBe(2037661);
    expect(s[VS_HOST_PAGE_OUTS]).toBe(1);
    expect(s[VS_GUEST_PAGE_OUTS]).toBe(1);
    expect(s[VS_GUEST_RESIDENT]).toBe(10);
    expect(s[VS_MAPPED]).toBe(10);
    expect(s[VS_STALL_NS]).toBe(25000);
    expect(e.host.flags(0) & (PAGE_GUEST_PAGED | PAGE_SWAPPED)).toBe(PAGE_GUEST_PAGED | PAGE_SWAPPED);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('the guest kernel keeps ceil(pages · bytesPer4KiB / 4096) of configured memory; a workload-sized guest gets room for it', () => {
    // 128 pages at 64 B per 4 KiB: 8192 B = 2 pages. 1000 pages at 64 B: 15.6 → 16.
    expect(guestOsPages(128, 64)).toBe(2);
    expect(guestOsPages(1000, 64)).toBe(16);
    // Sized from a 1000-page footprint: mem − ceil(mem / 64) ≥ 1000 first holds at mem = 1016
    // (1016 − 16 = 1000; 1015 − 16 = 999).
    const { config } = resolveConfig({ sets: { 'vm.count': 2, 'vm.1.memMiB': pagesMiB(128) }, flags: { policy: 'first-touch' } });
    const spec = resolveVms(config, 2, () => 1000, 4096, 1 << 20);
    expect(Array.from(spec.memPages)).toEqual([1016, 128]);
    expect(Array.from(spec.guestOsPages)).toEqual([16, 2]);
    // ESX default shares: 10 per MB of configured memory: 1016 pages = 3.96875 MB → 39.6875.
    expect(spec.shares[0]).toBeCloseTo(39.6875, 12);
  });

  it('rejects a guest whose configured memory is all kernel, naming the keys', () => {
    // 1 page at 2048 B per 4 KiB: ceil(0.5) = 1 page of kernel = all of it.
    const { config } = resolveConfig({ sets: { 'vm.count': 1, 'vm.memMiB': pagesMiB(1), 'vm.guestOsBytesPer4KiB': 2048 }, flags: { policy: 'first-touch' } });
    expect(() => resolveVms(config, 1, undefined, 4096, 1000)).toThrow(ConfigError);
    expect(() => resolveVms(config, 1, undefined, 4096, 1000)).toThrow(/no room beside its kernel.*vm\.guestOsBytesPer4KiB/);
  });

  it('a ballooned guest has less room than one configured at the smaller size (its kernel is sized by the larger memory)', async () => {
    // 64 B per 4 KiB. Ballooned: 256 pages, kernel ceil(256 / 64) = 4, balloon 96 (≤ 65 % = 166)
    // → room 256 − 4 − 96 = 156. Configured: 160 pages, kernel ceil(2.5) = 3 → room 157.
    // Both touch 160 pages by 0.2 ms. Ballooned: no paging at boot (room 252); the first poll at
    // 1 ms inflates to 96: the guest gives its 252 − 160 = 92 free pages, then pages out 4.
    // Configured: pages out 160 − 157 = 3 while booting (ids 0–2). The read at 2 ms is of page
    // 159, which both still hold (their CLOCKs took the first pages in first-touch order).
    const FAST = { 'policy.balloon.pollIntervalMs': 1, 'policy.balloon.inflateRatePagesPerS': 1e9, 'vm.guestOsBytesPer4KiB': 64 };
    const run = async (sets: Record<string, unknown>) => {
      const e = vmEngine({ vms: 1, localPages: 400, cxlPages: 400, policy: 'balloon', sets: { ...FAST, ...sets }, perCpu: [[...touch(0, 0, 160), [0, 159, 'R', 0, 2e6]]] });
      const res = await e.run();
      expect(e.checkInvariants()).toEqual([]);
      const counter = (name: string) => res.policyCounters[res.policyCounterNames.indexOf(name)];
      return { s: res.vm!.final.stats, free: counter('balloonFreePagesGiven'), out: counter('balloonGuestPageOuts') };
    };
    const ballooned = await run({ 'vm.memMiB': pagesMiB(256), 'vm.balloonMiB': pagesMiB(96) });
    expect(ballooned.s[VS_BALLOON]).toBe(96);
    expect(ballooned.free).toBe(92);
    expect(ballooned.out).toBe(4);
    expect(ballooned.s[VS_GUEST_PAGE_OUTS]).toBe(4);
    expect(ballooned.s[VS_GUEST_RESIDENT]).toBe(156);
    const configured = await run({ 'vm.memMiB': pagesMiB(160) });
    expect(configured.s[VS_GUEST_PAGE_OUTS]).toBe(3);
    expect(configured.s[VS_GUEST_RESIDENT]).toBe(157);
  });
});

describe('idle-tax after review', () => {
  it('prices only idle pages: f = min(1, active pages / P) rises as revocation shrinks P', () => {
    // τ = 0.75 (k = 4), equal shares 100, demand 1000 each, host room 1000, chunk 1. A is 20 %
    // active (200 pages), B fully active. ρ_A = 100 / (P (f + 4(1 − f))) with f = 200 / P:
    // P f + 4 P (1 − f) = 200 + 4 (P − 200) = 4 P − 600; ρ_B = 100 / P_B. Revocation takes from A
    // alone while 4 P_A − 600 ≥ P_B = 1000 (P_A ≥ 400), then from both keeping 4 P_A − 600 ≈ P_B:
    // with P_A + P_B = 1000, P_A = 320, P_B = 680. (A fixed f = 0.2 would give
    // 3.4 P_A = P_B → P_A ≈ 227.)
    const t = minFundingTargets(f64(100, 100), f64(1000, 1000), f64(0, 0), f64(0.2, 1), 0.75, 1000, 1);
    expect(t[0] + t[1]).toBe(1000);
    expect(Math.abs(t[0] - 320)).toBeLessThanOrEqual(1);
  });

  // Two VMs of 600 pages (no kernel reserve) on a host of 1000 frames; each touches 485 pages at
  // boot: 970 used, free 30 = 3 % < soft 4 % → soft at the first state check (10 ms). Targets at the
  // 100 ms reallocation: active estimates 0 (sampling has just started), equal shares, τ = 0.75:
  // ρ = S / (4 P) for both, so revocation evens them out: room 1000 · 0.94 = 940 → 470 each,
  // balloon targets 600 − 470 = 130 each. The VMs then sleep until 250 ms and read their last page
  // (the guest's CLOCK pages out the first pages in first-touch order, so it is still held).
  const soft = (withBalloon: boolean, extra: Record<string, unknown> = {}, readAtNs = 250e6) =>
    vmEngine({
      vms: 2,
      localPages: 250,
      cxlPages: 750,
      policy: 'idle-tax',
      with: withBalloon ? ['balloon'] : [],
      sets: {
        'vm.memMiB': pagesMiB(600),
        'vm.guestOsBytesPer4KiB': 0,
        'policy.idle-tax.reallocIntervalS': 0.1,
        'policy.idle-tax.stateCheckMs': 10,
        'policy.balloon.pollIntervalMs': 50,
        ...extra,
      },
      perCpu: [
        [...touch(0, 0, 485), [0, 484, 'R', 0, readAtNs]],
        [...touch(1, 0, 485), [1, 484, 'R', 0, readAtNs]],
      ],
    });

  it('soft state: host-pages a VM down to its target when it cannot balloon (no balloon driver)', async () => {
    // No balloon policy: the state check at 100 ms (just after the reallocation due then, which was
    // armed first) finds each balloon (0) short of its new target (130); at the 200 ms check it has
    // not grown for a whole reallocation interval (100 ms) → ballooning is not possible, and the
    // check host-pages each VM from 485 down to its target 470: 15 pages each. Free memory is then
    // 60 = 6 %, under high + margin (6.5 %): the state stays soft and nothing more is paged.
    const e = soft(false);
    const res = await e.run();
    const s = res.vm!.final.stats;
    expect(res.policyCounters[res.policyCounterNames.indexOf('hostPagedPages')]).toBe(30);
    expect(s[0 * VS_STRIDE + VS_HOST_PAGE_OUTS]).toBe(15);
    expect(s[1 * VS_STRIDE + VS_HOST_PAGE_OUTS]).toBe(15);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('soft state: balloons instead of host paging when the driver works', async () => {
    // With balloon (poll every 50 ms; at 100 ms its poll, re-armed at 50 ms, runs right after the
    // reallocation armed at 0 and before the state check re-armed at 90 ms): it inflates to 130 per
    // VM at once: the guest gives its 600 − 485 = 115 free pages, then pages out 15 → 470 backed,
    // at target; its balloon reached its target, so the host pages nothing.
    const e = soft(true);
    const res = await e.run();
    const s = res.vm!.final.stats;
    const counter = (name: string) => res.policyCounters[res.policyCounterNames.indexOf(name)];
    expect(counter('hostPagedPages')).toBe(0);
    expect(counter('balloon.balloonFreePagesGiven')).toBe(230);
    expect(counter('balloon.balloonGuestPageOuts')).toBe(30);
    for (let v = 0; v < 2; v++) {
      expect(s[v * VS_STRIDE + VS_BALLOON]).toBe(130);
      expect(s[v * VS_STRIDE + VS_HOST_PAGE_OUTS]).toBe(0);
      expect(s[v * VS_STRIDE + VS_GUEST_PAGE_OUTS]).toBe(15);
    }
    expect(e.checkInvariants()).toEqual([]);
  });

  it('soft state: host-pages what a balloon capped by maxPercent cannot reclaim', async () => {
    // maxPercent 20: the balloon stops at floor(0.2 · 600) = 120 < target 130. At 100 ms (order as
    // above) it inflates to 120 (115 free pages, then 5 paged out by the guest → 480 backed). The
    // 100 ms check sees it grew; from the 110 ms check on it is short and not growing, so at 210 ms
    // (a whole 100 ms interval later) the host pages 480 − 470 = 10 pages of each VM. Read at 350 ms.
    const e = soft(true, { 'policy.balloon.maxPercent': 20 }, 350e6);
    const res = await e.run();
    const s = res.vm!.final.stats;
    const counter = (name: string) => res.policyCounters[res.policyCounterNames.indexOf(name)];
    expect(counter('hostPagedPages')).toBe(20);
    for (let v = 0; v < 2; v++) {
      expect(s[v * VS_STRIDE + VS_BALLOON]).toBe(120);
      expect(s[v * VS_STRIDE + VS_GUEST_PAGE_OUTS]).toBe(5);
      expect(s[v * VS_STRIDE + VS_HOST_PAGE_OUTS]).toBe(10);
    }
    expect(e.checkInvariants()).toEqual([]);
  });

  it('hard state: host-pages until free memory clears soft + margin, so the state can rise back to soft', async () => {
    // Host 1000 frames; two VMs of 600 pages (no kernel reserve) touch 495 each: free 10 = 1 %
    // (< hard 2 %, not < low 1 %) → hard at the 10 ms check. Targets are still the demands (600:
    // no reallocation before 15 s), so no VM is above target and the victims go by lowest ρ: f = 0
    // for both (no estimate yet), ρ = S / (4 P), equal shares → the VM holding more, ties to VM 0:
    // they alternate. Goal: ceil(1000 · (4 + 0.5) / 100) = 45 free → 35 pages, 18 from VM 0 and 17
    // from VM 1. At the 20 ms check free is 4.5 % ≥ soft + margin → soft; soft pages nothing more
    // (no balloon is stuck: every balloon target is 0). Before the review the goal was the soft
    // threshold itself (30 pages, free 4 %), which left the host in hard with nothing to do.
    const e = vmEngine({
      vms: 2,
      localPages: 250,
      cxlPages: 750,
      policy: 'idle-tax',
      sets: { 'vm.memMiB': pagesMiB(600), 'vm.guestOsBytesPer4KiB': 0, 'policy.idle-tax.stateCheckMs': 10 },
      perCpu: [
        [...touch(0, 0, 495), [0, 494, 'R', 0, 50e6]],
        [...touch(1, 0, 495), [1, 494, 'R', 0, 50e6]],
      ],
    });
    const res = await e.run();
    const s = res.vm!.final.stats;
    expect(res.policyCounters[res.policyCounterNames.indexOf('hostPagedPages')]).toBe(35);
    expect(s[0 * VS_STRIDE + VS_HOST_PAGE_OUTS]).toBe(18);
    expect(s[1 * VS_STRIDE + VS_HOST_PAGE_OUTS]).toBe(17);
    expect(res.vm!.final.memState).toBe(1); // soft
    expect(e.checkInvariants()).toEqual([]);
  });

  it('leaves a single tier\'s watermark pressure to the tiering policy: no host paging while the host has free frames', async () => {
    // A main policy sets tier 0's watermarks low 5 / high 10 (of 10 local frames; 100 CXL frames).
    // The VM touches 8 pages, all placed locally: local free 2 < 5 → onPressure(0, 10 − 2 = 8) to
    // every policy. The host still has 2 + 100 free frames, so idle-tax pages nothing (before the
    // review it set out to host-page max(8, 32) of the VM's pages at once).
    const tiering = probePolicy((h) => {
      h.setWatermarks(0, 5, 10);
      return { place: () => 0, onPressure: () => undefined };
    }, { name: 'watermark-probe', vm: true });
    const e = vmEngine({ vms: 1, localPages: 10, cxlPages: 100, policy: tiering, with: ['idle-tax'], perCpu: [touch(0, 0, 8)] });
    const res = await e.run();
    expect(res.policyCounters[res.policyCounterNames.indexOf('idle-tax.hostPagedPages')]).toBe(0);
    expect(res.vm!.final.stats[VS_HOST_PAGE_OUTS]).toBe(0);
    expect(e.host.used(0)).toBe(8);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('samples the VM\'s configured memory: a guest holding half its memory, all touched, is about half active', async () => {
    // VM 0 is configured with 200 pages and holds 100 (touched at boot, written again at 0.8 s).
    // Samples (10 000 per 1 s period, gains 1 so the estimate is the last period's fraction) land
    // on a held page with probability 100 / 200; those are all touched → f ≈ 0.5 (binomial sd
    // 0.005; the old draw over touched pages only gave 1). Timeline as in policy-idle-tax.test.ts:
    // sampling starts at 0.5 s, the period ending at 1.5 s measures the 0.8 s writes, and the run
    // ends at 2.2 s, before the next period's end. VM 1 ticks the clock.
    const again: VmAccess[] = touch(0, 0, 100, 0.8e9).map(([v, p, , c, g]) => [v, p, 'W', c, g] as VmAccess);
    const e = vmEngine({
      vms: 2,
      localPages: 1000,
      cxlPages: 1000,
      policy: 'idle-tax',
      sets: {
        'policy.idle-tax.samplePages': 10000,
        'policy.idle-tax.samplePeriodS': 1,
        'policy.idle-tax.reallocIntervalS': 0.5,
        'policy.idle-tax.slowGain': 1,
        'policy.idle-tax.fastGain': 1,
        'vm.memMiB': pagesMiB(200),
        'vm.guestOsBytesPer4KiB': 0,
      },
      perCpu: [[...touch(0, 0, 100), ...again, [0, 0, 'R', 0, 1.3e9]], ticker(1, 22, 0.1e9)],
    });
    const res = await e.run();
    expect(Math.abs(res.vm!.final.stats[VS_ACTIVE] - 0.5)).toBeLessThan(0.05);
    expect(e.checkInvariants()).toEqual([]);
  });
});
