import { describe, expect, it } from 'vitest';
import { makeEngine, probePolicy } from './helpers.ts';
import { FAULT_FIRST_TOUCH, FAULT_HINT, PAGE_ACCESSED, PAGE_BASE, PAGE_DIRTY, PAGE_SPLIT } from '../policies/policy.ts';
import type { Host } from '../policies/policy.ts';
import * as S from '../sim/stats.ts';

describe('engine: closed-loop time, placement and accounting', () => {
  it('charges gap + tier latency + first-touch fault per access, as computed by hand', async () => {
    // Local holds 2 pages, so A and B go local and C spills to CXL (first-touch fallback).
    // Costs: first-touch fault 1000 ns + 1 ns zeroing; mlp 1; idle latencies only.
    //   A R: 10 gap + 1001 fault + 100 local read  → clock 1111
    //   B W: 10 + 1001 + 150 local write           → 2272
    //   C R: 10 + 1001 + 200 CXL read              → 3483
    //   A R: 10 + 100                              → 3593
    //   C W: 10 + 300 CXL write                    → 3903
    // All-local baseline (every access at local idle latency, same faults):
    //   1111 + 1161 + 1111 + 110 + 160 = 3653 → slowdown 3903 / 3653.
    const e = makeEngine({ perCpu: [[[1, 'R', 10], [2, 'W', 10], [3, 'R', 10], [1, 'R', 10], [3, 'W', 10]]], localPages: 2, cxlPages: 10 });
    const res = await e.run();
    expect(res.simTimeNs).toBe(3903);
    expect(res.idealTimeNs).toBe(3653);
    const c = res.counters;
    expect(c[S.C_ACCESSES]).toBe(5);
    expect(c[S.C_READS]).toBe(3);
    expect(c[S.C_WRITES]).toBe(2);
    expect(c[S.C_FIRST_TOUCH_FAULTS]).toBe(3);
    expect(c[S.C_TIER_BASE]).toBe(3); // A, B, A served locally
    expect(c[S.C_TIER_BASE + S.TIER_STRIDE]).toBe(2); // C twice from CXL
    // Latency excludes the first-touch fault: (100 + 150 + 200 + 100 + 300) / 5 = 170.
    expect(c[S.C_LATENCY_SUM_NS] / c[S.C_ACCESSES]).toBe(170);
    // p99 of {100, 100, 150, 200, 300}: rank ⌈0.99 · 5⌉ = 5 → 300.
    expect(S.histogramQuantile(res.histogram, 0.99)).toBe(300);
    expect(c[S.C_KERNEL_CPU_NS]).toBe(3 * 1001);
    expect(Array.from(res.usedFrames)).toEqual([2, 1]);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('sets accessed and dirty bits, and testAndClearAccessed clears only the accessed bit', async () => {
    let host!: Host;
    const probe = probePolicy((h) => {
      host = h;
      return {};
    });
    const e = makeEngine({ perCpu: [[[1, 'R'], [2, 'W']]], localPages: 4, cxlPages: 4, policy: probe });
    await e.run();
    expect(host.flags(0)).toBe(PAGE_ACCESSED);
    expect(host.flags(1)).toBe(PAGE_ACCESSED | PAGE_DIRTY);
    expect(host.testAndClearAccessed(1)).toBe(true);
    expect(host.flags(1)).toBe(PAGE_DIRTY);
    expect(host.testAndClearAccessed(1)).toBe(false);
  });

  it('a hint fault fires on the first access after arming only, and a migration in it stalls that CPU', async () => {
    // The policy arms a hint fault on page 1 at its first touch and promotes it in the hint fault.
    // Local holds 1 page: page 0 takes it, page 1 starts on CXL.
    // Costs: hint fault 2000; migration 2000 fixed + 4096 B / 4.096 GB/s = 1000 copy + 1000 TLB = 4000.
    const seen: Array<[number, number]> = [];
    const policy = probePolicy((host) => {
      return {
        onFault(page, kind) {
          seen.push([page, kind]);
          if (kind === FAULT_FIRST_TOUCH && page === 1) host.armHintFault(1);
          if (kind === FAULT_HINT) {
            host.migrate(0, 1); // make room: demote page 0 (synchronous, in the fault)
            host.migrate(1, 0);
          }
        },
      };
    }, { name: 'hinter' });
    const e = makeEngine({
      perCpu: [[[0, 'R'], [1, 'R'], [1, 'R'], [1, 'R']]],
      localPages: 1,
      cxlPages: 4,
      policy,
      sets: { 'cost.hintFaultNs': 2000, 'cost.migrationFixedNs': 2000, 'cost.migrationCopyGBps': 4.096, 'cost.tlbShootdownNs': 1000 },
    });
    const res = await e.run();
    // Faults seen: first touch of 0, first touch of 1, one hint fault on 1 (the third access).
    expect(seen).toEqual([[0, FAULT_FIRST_TOUCH], [1, FAULT_FIRST_TOUCH], [1, FAULT_HINT]]);
    expect(res.counters[S.C_HINT_FAULTS]).toBe(1);
    expect(res.counters[S.C_PROMOTED]).toBe(1);
    expect(res.counters[S.C_DEMOTED]).toBe(1);
    expect(res.counters[S.C_MIGRATED_BYTES]).toBe(2 * 4096);
    // Timeline: 0: 1001 + 100 = 1101; 1: +1001 + 200 = 2302 (CXL);
    // third access: hint 2000 + two migrations 8000 stall, then served locally: +10000 + 100 = 12402;
    // fourth: local +100 = 12502.
    expect(res.simTimeNs).toBe(12502);
    expect(res.counters[S.C_STALL_NS]).toBe(10000);
    expect(e.host.tierOf(1)).toBe(0);
    expect(e.host.tierOf(0)).toBe(1);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('migrate refuses a full tier or the same tier and changes nothing', async () => {
    let host!: Host;
    const p = probePolicy((h) => { host = h; return {}; }, { name: 'p' });
    const e = makeEngine({ perCpu: [[[0, 'R'], [1, 'R']]], localPages: 1, cxlPages: 1, policy: p });
    await e.run();
    expect(host.tierOf(0)).toBe(0);
    expect(host.migrate(0, 0)).toBe(false);
    expect(host.migrate(0, 1)).toBe(false); // CXL is full (page 1)
    expect(host.migrate(0, 7)).toBe(false);
    expect(Array.from(e.usedFrames)).toEqual([1, 1]);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('evicts to swap and faults the page back in on its next access', async () => {
    const policy = probePolicy((host) => {
      return { onFault(page, kind) { if (kind === FAULT_FIRST_TOUCH && page === 1) host.evict(0); } };
    }, { name: 'evictor' });
    // 0 touched, then 1 (its fault evicts 0), then 0 again → swap-in (20 µs) instead of first touch.
    const e = makeEngine({ perCpu: [[[0, 'W'], [1, 'R'], [0, 'R']]], localPages: 2, cxlPages: 2, policy, sets: { 'cost.swapInNs': 20000, 'cost.swapOutNs': 5000 } });
    const res = await e.run();
    expect(res.counters[S.C_EVICTED]).toBe(1);
    expect(res.counters[S.C_SWAP_INS]).toBe(1);
    expect(res.counters[S.C_FIRST_TOUCH_FAULTS]).toBe(2);
    // Kernel CPU: two first touches (1001 each), one dirty write-back 5000, one swap-in 20000.
    expect(res.counters[S.C_KERNEL_CPU_NS]).toBe(2 * 1001 + 5000 + 20000);
    // Latency of the third access includes the swap-in stall: 20000 + 100.
    expect(res.counters[S.C_LATENCY_SUM_NS]).toBe(150 + 100 + 20100);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('runs the CPU with the smallest clock first (two CPUs interleave by time) with a zero quantum', async () => {
    // CPU 0: one slow access per 1000 ns of gap; CPU 1: four accesses 200 ns apart. Each first
    // touch costs 1001 ns, so order of first touches (page ids) follows the clocks:
    // cpu0 p10 @1000; cpu1 p20 @200, p21 @200+1001+100+200, …
    const order: number[] = [];
    const policy = probePolicy((host) => {
      return { onFault(page) { order.push(host.vpnLo(page)); } };
    }, { name: 'order' });
    const e = makeEngine({
      perCpu: [
        [[10, 'R', 3000], [11, 'R', 3000]],
        [[20, 'R', 200], [21, 'R', 200], [22, 'R', 200], [23, 'R', 200]],
      ],
      localPages: 8,
      cxlPages: 8,
      policy,
      sets: { 'run.cpuQuantumNs': 0 }, // strict smallest-clock-first order
    });
    await e.run();
    // cpu1 touches: 200, 1501, 2802, 4103 (each + 1001 fault + 100 + 200 gap); cpu0 at 3000, 7101.
    expect(order).toEqual([20, 21, 22, 10, 23, 11]);
  });
});

describe('engine: timers', () => {
  it('fires periodic and one-shot timers in (time, push order) and stops with the trace', async () => {
    const fired: Array<[number, number]> = [];
    const policy = probePolicy((host) => {
      host.every(1000, 1); // 1000, 2000, 3000, …
      host.after(2000, 2); // pushed after timer 1's first firing: at 2000 it fires after 1's 2000? No: see below
      host.after(1000, 3);
      return { onTimer(id) { fired.push([host.now(), id]); } };
    }, { name: 'timers' });
    // One CPU, accesses 500 ns apart (plus 100 ns latency, first touch once): ends near 3.6 µs.
    const e = makeEngine({ perCpu: [Array.from({ length: 6 }, () => [1, 'R', 500] as [number, 'R', number])], localPages: 2, cxlPages: 2, policy, sets: { 'cost.firstTouchFaultNs': 0, 'cost.zeroGBps': 1e9 } });
    await e.run();
    // Pushed at t=0: (1000, seq0, id1), (2000, seq1, id2), (1000, seq2, id3).
    // At 1000: id1 (seq0) before id3 (seq2); id1 re-armed at 2000 with seq3, after id2's seq1.
    // At 2000: id2 then id1. At 3000: id1. Clock ends at 6·600 = 3600 (no timer at 4000 fires).
    expect(fired).toEqual([[1000, 1], [1000, 3], [2000, 2], [2000, 1], [3000, 1]]);
  });
});

describe('engine: warm-up and epochs', () => {
  it('excludes the warm-up period from the summary and splits time into epochs', async () => {
    // 10 reads of one local page, 1 ms apart (gap 1e6 ns), plus 100 ns latency each.
    const accesses = Array.from({ length: 10 }, () => [1, 'R', 1e6] as [number, 'R', number]);
    const e = makeEngine({ perCpu: [accesses], localPages: 2, cxlPages: 2, sets: { 'run.warmupMs': 3.5, 'stats.epochMs': 2, 'cost.firstTouchFaultNs': 0, 'cost.zeroGBps': 1e15 } });
    const res = await e.run();
    // Access k happens at k·(1e6 + 100) + 1e6 ns: those at ~1, 2 and 3 ms fall in the warm-up.
    expect(res.counters[S.C_ACCESSES]).toBe(7);
    expect(res.counters[S.C_FIRST_TOUCH_FAULTS]).toBe(0); // the only fault was in the warm-up
    expect(res.simTimeNs).toBeCloseTo(10 * (1e6 + 100) - 3.5e6, 6);
    // Epochs of 2 ms: [0,2) [2,4) [4,6) [6,8) [8,10) and the last partial one up to 10.001 ms.
    expect(res.epochs.map((x) => x.counters[S.C_ACCESSES])).toEqual([1, 2, 2, 2, 2, 1]);
  });
});

describe('engine: huge pages', () => {
  it('maps 512 sub-pages to one 2 MiB page and reports the untouched share', async () => {
    // 4 KiB pages 0, 1, 511 share 2 MiB page 0; page 512 starts 2 MiB page 1. Touched: 4 sub-pages
    // of 2 × 512 resident → waste 1 − 4/1024.
    const e = makeEngine({ perCpu: [[[0, 'R'], [1, 'R'], [511, 'W'], [512, 'R'], [1, 'R']]], localPages: 2048, cxlPages: 2048, sets: { pageSizeKiB: 2048, 'machine.tiers.0.capacityGiB': 1, 'machine.tiers.1.capacityGiB': 1 } });
    const res = await e.run();
    expect(res.pages).toBe(2);
    expect(res.touchedSubpages).toBe(4);
    expect(res.counters[S.C_FIRST_TOUCH_FAULTS]).toBe(2);
    expect(e.checkInvariants()).toEqual([]);
  });
});

describe('engine: loaded latency', () => {
  it('raises a tier\'s latency with its bandwidth use over the last window (M/M/1 shape)', async () => {
    // Window 1 µs; tier 0 peak (read + write)/2 = 64/950 B/ns; queueFactor 0.5; mlp 1; no fault cost.
    // Access 0 at 900 ns: first window, idle latency 100 → clock 1000; 64 B in the window.
    // Access 1 at 1900 ns: the window rolls; use u = 64 B / (1900 ns · 64/950 B/ns) = 0.5,
    // so latency = 100 · (1 + 0.5 · 0.5 / 0.5) = 150. Average (100 + 150) / 2 = 125.
    const peak = 64 / 950;
    const e = makeEngine({
      perCpu: [[[1, 'R', 900], [1, 'R', 900]]],
      localPages: 4,
      cxlPages: 4,
      sets: {
        'machine.bandwidthWindowUs': 1,
        'machine.queueFactor': 0.5,
        'machine.tiers.0.readGBps': peak,
        'machine.tiers.0.writeGBps': peak,
        'cost.firstTouchFaultNs': 0,
        'cost.zeroGBps': 1e15,
      },
    });
    const res = await e.run();
    expect(res.counters[S.C_LATENCY_SUM_NS] / 2).toBeCloseTo(125, 6);
  });
});

describe('engine: events inside a long compute gap', () => {
  it('closes each epoch before a later timer fires, even when a CPU jumps over several epochs', async () => {
    // A periodic 1 ms timer counts its firings into a policy counter; one access, then a 5.5 ms
    // gap, then another. Epochs of 1 ms: each of epochs 1…5 must hold exactly one firing (at 1, 2,
    // 3, 4, 5 ms), not all five in the first epoch closed after the jump.
    const policy = probePolicy((host) => {
      const id = host.counter('ticks');
      host.every(1e6, 1);
      return { onTimer() { host.count(id); } };
    }, { name: 'ticker' });
    const e = makeEngine({ perCpu: [[[1, 'R', 0], [1, 'R', 5.5e6]]], localPages: 2, cxlPages: 2, policy, sets: { 'stats.epochMs': 1 } });
    const res = await e.run();
    expect(res.epochs.map((x) => x.policyCounters[0])).toEqual([0, 1, 1, 1, 1, 1]);
  });

  it('splits a huge page into 4 KiB base pages in place; accesses, migration and capacity then work per base page', async () => {
    // 2 MiB pages; local holds 2, CXL 4. 4 KiB page numbers: 3 and 7 are in huge page 0, 512 in
    // huge page 1. At 0.5 ms a timer splits huge page 0 (ids 0, 1 taken → sub-pages get ids
    // 2 … 513, sub-page k = 4 KiB page k) and demotes sub-page 3 (id 5).
    let host!: Host;
    let first = -2;
    const probe = probePolicy((h) => {
      host = h;
      h.after(5e5, 0);
      return {
        onTimer: () => {
          first = h.splitPage(0);
          h.migrate(first + 3, 1, true);
        },
      };
    });
    const gib = (pages: number) => (pages * 2 * 1024 * 1024) / 1024 ** 3;
    const e = makeEngine({
      perCpu: [[[3, 'R', 10], [512, 'R', 10], [7, 'W', 1e6], [3, 'R', 10]]],
      localPages: 0,
      cxlPages: 0,
      policy: probe,
      sets: { pageSizeKiB: 2048, 'machine.tiers.0.capacityGiB': gib(2), 'machine.tiers.1.capacityGiB': gib(4) },
    });
    const res = await e.run();
    expect(first).toBe(2);
    expect(host.pageCount()).toBe(2 + 512);
    expect(host.flags(0) & PAGE_SPLIT).toBe(PAGE_SPLIT);
    expect(host.tierOf(0)).toBe(-1);
    expect(host.splitPage(0)).toBe(-1); // already split
    expect(host.splitPage(first)).toBe(-1); // a base page
    // The huge page's accessed bit went to every sub-page (as the PMD's young bit goes to every
    // PTE); the write to 4 KiB page 7 made sub-page id 9 dirty.
    expect(host.flags(first + 100)).toBe(PAGE_BASE | PAGE_ACCESSED);
    expect(host.flags(first + 7)).toBe(PAGE_BASE | PAGE_ACCESSED | PAGE_DIRTY);
    expect(host.vpnLo(first + 7)).toBe(7);
    expect(host.tierOf(first + 3)).toBe(1);
    expect(host.tierOf(first + 7)).toBe(0);
    // Capacity in 2 MiB frames: a base frame is 1/512 of one; the demotion moved 4096 bytes.
    expect(Array.from(res.usedFrames)).toEqual([2 - 1 / 512, 1 / 512]);
    expect(host.free(1)).toBe(4 - 1 / 512);
    const c = res.counters;
    expect(c[S.C_MIGRATED_BYTES]).toBe(4096);
    // Served locally: 3 R and 512 R (before the split), 7 W (sub-page 7); from CXL: 3 R (sub-page 3, demoted).
    expect(c[S.C_TIER_BASE]).toBe(3);
    expect(c[S.C_TIER_BASE + S.TIER_STRIDE]).toBe(1);
    expect(e.checkInvariants()).toEqual([]);
  });
});
