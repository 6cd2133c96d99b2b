// The ESX allocation arithmetic (§5–§6.3) worked by hand, and the idle-tax policy's active-memory
// estimate after a known touch pattern, through the real engine.

import { describe, expect, it } from 'vitest';
import { adjustedSharesPerPage, minFundingTargets, activeEstimate, nextMemState, STATE_HIGH, STATE_SOFT, STATE_HARD, STATE_LOW } from '../policies/lib/esx-alloc.ts';
import { vmEngine, pagesMiB, ticker } from './vm-helpers.ts';
import type { VmAccess } from './vm-helpers.ts';
import { VS_ACTIVE, VS_BALLOON_TARGET, VS_STRIDE } from '../sim/engine.ts';

const f64 = (...x: number[]) => Float64Array.from(x);

describe('ESX allocation arithmetic', () => {
  it('computes ρ = S / (P (f + k(1 − f))) with k = 1 / (1 − τ)', () => {
    // τ = 0.75 → k = 4. S 1000, P 500, f 0.2: 0.2 + 4 · 0.8 = 3.4 → 1000 / 1700 = 0.588235…
    expect(adjustedSharesPerPage(1000, 500, 0.2, 0.75)).toBeCloseTo(1000 / 1700, 12);
    // Fully active: no tax, ρ = S / P = 2.
    expect(adjustedSharesPerPage(1000, 500, 1, 0.75)).toBe(2);
    // τ = 0: k = 1, ρ = S / P whatever f.
    expect(adjustedSharesPerPage(1000, 500, 0.2, 0)).toBe(2);
    // S 2000, P 1000, f 0.5: 0.5 + 4 · 0.5 = 2.5 → 0.8; S 1000, P 400, f 0.1: 0.1 + 3.6 = 3.7 → 1000 / 1480 = 0.6757.
    expect(adjustedSharesPerPage(2000, 1000, 0.5, 0.75)).toBeCloseTo(0.8, 12);
    expect(adjustedSharesPerPage(1000, 400, 0.1, 0.75)).toBeCloseTo(1000 / 1480, 12);
    expect(adjustedSharesPerPage(1000, 0, 0.1, 0.75)).toBe(Infinity);
  });

  it('reclaims from the VM with the lowest ρ: the idle one under the tax, the larger one without it', () => {
    // One step (chunk 10, 10 pages too many): VM A (S 2000, P 1000, f 0.5 → ρ 0.8) vs VM B (S 1000,
    // P 400, f 0.1 → ρ 0.676): B pays. Without tax: A 2, B 2.5 → A pays.
    expect(Array.from(minFundingTargets(f64(2000, 1000), f64(1000, 400), f64(0, 0), f64(0.5, 0.1), 0.75, 1390, 10))).toEqual([1000, 390]);
    expect(Array.from(minFundingTargets(f64(2000, 1000), f64(1000, 400), f64(0, 0), f64(0.5, 0.1), 0, 1390, 10))).toEqual([990, 400]);
  });

  it('splits evenly at τ = 0 and gives the active VM four times the idle one at τ = 0.75', () => {
    // Equal shares 100, demand 1000 each, host room 1000, chunk 1. τ = 0: ρ = 100 / t, revocation
    // keeps taking from the larger → 500 / 500. τ = 0.75, A fully active (f 1), B idle (f 0):
    // ρ_A = 100 / t_A, ρ_B = 100 / (4 t_B); revocation stops taking from one side when ρ are equal,
    // so t_A = 4 t_B and t_A + t_B = 1000 → 800 / 200.
    const even = minFundingTargets(f64(100, 100), f64(1000, 1000), f64(0, 0), f64(1, 0), 0, 1000, 1);
    expect(Array.from(even)).toEqual([500, 500]);
    const taxed = minFundingTargets(f64(100, 100), f64(1000, 1000), f64(0, 0), f64(1, 0), 0.75, 1000, 1);
    expect(taxed[0] + taxed[1]).toBe(1000);
    expect(Math.abs(taxed[0] - 800)).toBeLessThanOrEqual(1);
    // A reservation of 300 for B stops revocation there: A gets the rest.
    const reserved = minFundingTargets(f64(100, 100), f64(1000, 1000), f64(0, 300), f64(1, 0), 0.75, 1000, 1);
    expect(Array.from(reserved)).toEqual([700, 300]);
  });

  it('takes the max of slow, fast and fast-with-partial for the active estimate', () => {
    // slow 0.3, fast 0.2, partial 0.8, fast gain 0.5: fast-with-partial = 0.2 + 0.5 · 0.6 = 0.5.
    expect(activeEstimate(0.3, 0.2, 0.8, 0.5)).toBeCloseTo(0.5, 12);
    expect(activeEstimate(0.3, 0.2, 0, 0.5)).toBe(0.3);
  });

  it('falls through the free-memory states at once and rises one state at a time past the better threshold plus margin', () => {
    const th = [6, 4, 2, 1];
    expect(nextMemState(STATE_HIGH, 5, th, 0.5)).toBe(STATE_HIGH); // between soft and high: hysteresis
    expect(nextMemState(STATE_HIGH, 3.9, th, 0.5)).toBe(STATE_SOFT);
    expect(nextMemState(STATE_HIGH, 1.5, th, 0.5)).toBe(STATE_HARD);
    expect(nextMemState(STATE_SOFT, 0.5, th, 0.5)).toBe(STATE_LOW);
    expect(nextMemState(STATE_SOFT, 6.4, th, 0.5)).toBe(STATE_SOFT); // needs 6 + 0.5
    expect(nextMemState(STATE_SOFT, 6.5, th, 0.5)).toBe(STATE_HIGH);
    expect(nextMemState(STATE_LOW, 10, th, 0.5)).toBe(STATE_HARD);
    expect(nextMemState(STATE_HARD, 4.5, th, 0.5)).toBe(STATE_SOFT);
  });
});

describe('idle-tax policy', () => {
  it('estimates active memory from sampled touches: 0.5 after one fully touched period, 0.25 after an idle one', async () => {
    // Sampling 1 s periods, reallocation every 0.5 s, slow gain 0.25, fast gain 0.5, start at 0.
    // VM 0 of 100 pages, all touched at t ≈ 0; every page written again at 0.8 s; nothing after
    // until one access at 3 s. A second VM on its own CPU reads one page every 0.1 s, so that
    // the run has a steady clock.
    //   0.5 s realloc: sampling starts (100 random pages armed); partial 0 → estimate 0.
    //   1.0 s realloc: all sampled pages were touched at 0.8 s → partial 1 → max(0, 0, 0 + 0.5) = 0.5.
    //   1.5 s period ends (fires before the realloc due then, pushed earlier): f = 1 → slow 0.25,
    //     fast 0.5; new sample armed. Realloc: partial 0 → max(0.25, 0.5, 0.25) = 0.5 (also at 2.0 s).
    //   2.5 s period ends: f = 0 → slow 0.1875, fast 0.25; realloc → max(0.1875, 0.25, 0.125) = 0.25,
    //     and 3.0 s gives the same.
    const boot: VmAccess[] = Array.from({ length: 100 }, (_, p) => [0, p, 'W', p + 1] as VmAccess);
    const again: VmAccess[] = Array.from({ length: 100 }, (_, p) => [0, p, 'W', p + 1, p === 0 ? 0.8e9 : 0] as VmAccess);
    const e = vmEngine({
      vms: 2,
      localPages: 1000,
      cxlPages: 1000,
      policy: 'idle-tax',
      sets: {
        'policy.idle-tax.samplePeriodS': 1,
        'policy.idle-tax.reallocIntervalS': 0.5,
        'policy.idle-tax.slowGain': 0.25,
        'policy.idle-tax.fastGain': 0.5,
        'stats.epochMs': 1000,
        'vm.memMiB': pagesMiB(100),
        // No guest kernel reserve: the guest holds all 100 pages, so every sample lands on one of them.
        'vm.guestOsBytesPer4KiB': 0,
      },
      perCpu: [[...boot, ...again, [0, 0, 'R', 0, 2.2e9]], ticker(1, 31, 0.1e9)],
    });
    const res = await e.run();
    // Epoch rows cover [a, b): a timer due exactly at b belongs to the next epoch. So the row ending
    // at 1 s shows the 0.5 s estimate (0); the row ending at 2 s the 1.0 s and 1.5 s ones (0.5);
    // the row ending at 3 s the 2.5 s one (0.25).
    const est = res.vm!.epochs.map((ep) => ep.stats[VS_ACTIVE]);
    expect(est.slice(0, 3)).toEqual([0, 0.5, 0.25]);
    expect(res.vm!.final.stats[VS_ACTIVE]).toBe(0.25);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('sets a balloon target on the idle VM of an overcommitted host, not on the active one', async () => {
    // Two VMs of 400 pages on a host of 700 frames; both boot (touch everything; the host pages to
    // fit). VM 0 keeps touching all its pages, VM 1 only page 0. After the estimates settle the
    // idle VM's target is far below the active one's, so its balloon target is the larger.
    const boot = (vm: number): VmAccess[] => Array.from({ length: 400 }, (_, p) => [vm, p, 'W', vm * 1000 + p + 1] as VmAccess);
    const busy: VmAccess[] = [];
    const idle: VmAccess[] = [];
    for (let round = 0; round < 40; round++) {
      for (let p = 0; p < 400; p++) busy.push([0, p, 'R', 0, 2.5e6]); // 1 s per round
      idle.push([1, 0, 'R', 0, 1e9]);
    }
    const e = vmEngine({
      vms: 2,
      localPages: 200,
      cxlPages: 500,
      policy: 'idle-tax',
      sets: { 'policy.idle-tax.samplePeriodS': 2, 'policy.idle-tax.reallocIntervalS': 1, 'vm.memMiB': pagesMiB(400) },
      perCpu: [[...boot(0), ...busy], [...boot(1), ...idle]],
    });
    const res = await e.run();
    const f = res.vm!.final.stats;
    expect(f[0 * VS_STRIDE + VS_ACTIVE]).toBeGreaterThan(0.8);
    expect(f[1 * VS_STRIDE + VS_ACTIVE]).toBeLessThan(0.2);
    expect(f[1 * VS_STRIDE + VS_BALLOON_TARGET]).toBeGreaterThan(f[0 * VS_STRIDE + VS_BALLOON_TARGET] + 100);
    expect(e.checkInvariants()).toEqual([]);
  });
});
