import { describe, expect, it } from 'vitest';
import { TieringKernel } from '../policies/lib/kernel.ts';
import type { KernelOptions } from '../policies/lib/kernel.ts';
import { NUMA_BALANCING_MEMORY_TIERING } from '../policies/lib/numa-balancing.ts';
import { FAULT_FIRST_TOUCH, FAULT_HINT } from '../policies/policy.ts';
import * as S from '../sim/stats.ts';
import { FakeHost } from './lib-fake-host.ts';
import { makeEngine } from './helpers.ts';

const MS = 1e6;
/** The kernel's kswapd timers (ids 8 + node); the scanner's timer is left alone. */
const isKswapd = (id: number) => id >= 8;

function tiering(over: Partial<KernelOptions> = {}): KernelOptions {
  return {
    numaMode: NUMA_BALANCING_MEMORY_TIERING,
    demotionEnabled: true,
    scan: { scanDelayMs: 1000, scanPeriodMinMs: 1000, scanPeriodMaxMs: 60000, scanSizeMB: 256 },
    hotThresholdMs: 1000,
    promoteRateLimitMBps: 65536,
    minFreeKbytes: 0,
    watermarkScaleFactor: 10,
    kswapdPageNs: 500,
    reclaimer: 'lru',
    ...over,
  };
}

/** Node 0 of `local` pages filled with `filled` unaccessed pages (vpn 0…), node 1 of `cxl` pages. */
function machine(local: number, cxl: number, filled: number, o: KernelOptions) {
  const host = new FakeHost([local, cxl]);
  const k = new TieringKernel(host, o);
  const fault = (tier: number, vpn: number) => {
    const p = host.addPage(tier, vpn);
    k.onFault(p, FAULT_FIRST_TOUCH, 0);
    return p;
  };
  for (let i = 0; i < filled; i++) fault(0, i);
  /** A slow-tier page whose last scan stamp was `ageMs` before now. */
  const slowPage = (ageMs: number) => {
    const p = fault(1, 100000 + host.pageCount());
    k.accessTimeMs[p] = Math.floor(host.nowNs / MS) - ageMs;
    return p;
  };
  return { host, k, fault, slowPage };
}

describe('numa-tiering promotion path (should_numa_migrate_memory, tiering mode)', () => {
  // Small nodes, hand-sized watermarks: node 0 = 1,000 pages, node 1 = 10,000, min_free_kbytes =
  // 400 kB → pages_min 100; node 0 min = ⌊100 · 1000 / 11000⌋ = 9; watermark_scale_factor 100 →
  // tmp = max(⌊9 / 4⌋, ⌊1000 · 100 / 10000⌋ = 10) = 10 → low 19, high 29, promo 39.
  const small = tiering({ minFreeKbytes: 400, watermarkScaleFactor: 100 });

  it('wakes kswapd when node 0 has no room, leaves the page, and kswapd stops above promo', () => {
    const { host, k, slowPage } = machine(1000, 10000, 1000, small);
    expect([k.wm.min[0], k.wm.low[0], k.wm.high[0], k.wm.promo[0]]).toEqual([9, 19, 29, 39]);
    host.nowNs = 5000 * MS;
    const x = slowPage(10);
    // Hint fault, latency 10 ms < 1000 → candidate; free 0 is not > high + 1 = 30 → no room:
    // kswapd is woken on node 0 (free 0 ≤ promo 39) and the page stays on node 1.
    k.onFault(x, FAULT_HINT, 0);
    expect(host.tierOf(x)).toBe(1);
    expect(host.get('promoteNoRoom')).toBe(1);
    expect(host.get('kswapdWakes')).toBe(1);
    // kswapd is a thread: the wake reclaims nothing by itself; its first batch is a timer event.
    expect(host.free(0)).toBe(0);
    // Its batch scans the 1,000-page inactive list size >> prio per priority, one round of ≤ 32
    // each, checking free > 39 after each round: prio 12–10 scan 0; prio 9: ⌊1000/512⌋ = 1 → free
    // 1; prio 8: ⌊999/256⌋ = 3 → 4; prio 7: ⌊996/128⌋ = 7 → 11; prio 6: ⌊989/64⌋ = 15 → 26;
    // prio 5: ⌊974/32⌋ = 30 → 56 > 39: balanced. All 56 were demoted, oldest first. The batch
    // took 56 × 500 ns (the fake host charges nothing for scans and moves); the run ends at the
    // next event, 28 µs later, finding the node balanced.
    host.runTimers((id) => k.onTimer(id), Infinity, isKswapd);
    expect(host.free(0)).toBe(56);
    expect(host.nowNs).toBe(5000 * MS + 28000);
    expect(host.get('reclaimDemoted')).toBe(56);
    expect(host.log.slice(0, 3)).toEqual(['demote 0', 'demote 1', 'demote 2']);
    // The next hint fault on x (latency 100 ms since its last fault) finds free 56 > 30: promoted.
    host.nowNs += 100 * MS;
    k.onFault(x, FAULT_HINT, 0);
    expect(host.tierOf(x)).toBe(0);
    // 25 more promotions take free from 55 to 30; the 26th finds 30, not > 30: kswapd again.
    const ys = Array.from({ length: 26 }, () => slowPage(10));
    for (const y of ys) k.onFault(y, FAULT_HINT, 0);
    expect(ys.filter((y) => host.tierOf(y) === 0).length).toBe(25);
    expect(host.tierOf(ys[25])).toBe(1);
    expect(host.get('kswapdWakes')).toBe(2);
    host.runTimers((id) => k.onTimer(id), Infinity, isKswapd);
    // Second run: 970 pages on the inactive list (944 old + 26 promoted at its head), free 30:
    // prio 9: ⌊970/512⌋ = 1 → 31; prio 8: ⌊969/256⌋ = 3 → 34; prio 7: ⌊966/128⌋ = 7 → 41 > 39.
    expect(host.free(0)).toBe(41);
  });

  it('a promoted page used again is kept by reclaim; one not used since its promoting access is demoted on the next visit', () => {
    // Node 0 empty; x then y hint-fault (latency 10 ms < 1000) and are promoted (free 1000 > high
    // 29 + 1, below the bypass's promo + 1 GiB): as migrated folios without PG_active they go to
    // node 0's inactive head (tail x, head y). The access that took each fault is replayed on the
    // new page, so both are young (remove_migration_pte; the faulting access retried).
    const { host, k, slowPage } = machine(1000, 10000, 0, small);
    host.nowNs = 5000 * MS;
    const [x, y] = [slowPage(10), slowPage(10)];
    for (const p of [x, y]) {
      k.onFault(p, FAULT_HINT, 0);
      host.touch(p);
    }
    expect([host.tierOf(x), host.tierOf(y), k.reclaimer.isActive(x)]).toEqual([0, 0, false]);
    const r = k.reclaimer;
    const demote = (p: number) => k.reclaimPage(p, 0, true);
    // Reclaim visits x, then y (one page each, prio 1: ⌊2/2⌋ = 1): each young but unmarked → kept
    // with PG_referenced, young cleared (folio_check_references' FOLIOREF_KEEP).
    r.shrink(0, demote, () => r.scanned >= 1);
    r.shrink(0, demote, () => r.scanned >= 2);
    expect(host.get('reclaimDemoted')).toBe(0);
    // The workload uses x again, not y. Next visit (prio 1: x, the tail): young and marked →
    // activated; rebalance: inactive 1 vs active 1, not low; prio 0: y, not young → demoted.
    host.touch(x);
    r.shrink(0, demote, () => host.get('reclaimDemoted') >= 1);
    expect(r.isActive(x)).toBe(true);
    expect([host.tierOf(x), host.tierOf(y)]).toEqual([0, 1]);
    expect(host.log).toEqual([`promote ${x}`, `promote ${y}`, `demote ${y}`]);
  });

  it('kswapd demotes nothing until it has passed every page referenced since allocation once (the Colloid-scenario race)', () => {
    // Node 0 full of 1,000 pages, each touched since its allocation (young). kswapd woken (free 0 ≤ promo 39).
    const { host, k, fault } = machine(1000, 10000, 0, small);
    for (let i = 0; i < 1000; i++) host.touch(fault(0, i));
    const run = (untilNs: number) => host.runTimers((id) => k.onTimer(id), untilNs, isKswapd);
    k.wakeKswapd(0);
    // Every batch: prio 9–5 take ⌊1000 >> prio⌋ = 1, 3, 7, 15, 31 = 57 pages, each young and not yet
    // marked → kept (PG_referenced, young cleared, back to the head); 57 × 500 ns = 28.5 µs a batch.
    // 17 batches pass pages 0–968 and demote nothing.
    run(17 * 28500 - 1);
    expect([host.get('reclaimDemoted'), host.get('reclaimScanned')]).toEqual([0, 17 * 57]);
    // Batch 18 (484.5 µs): 969, 970–972, 973–979, 980–994 kept; prio 5's 31: 995–999 kept, then the
    // tail is page 0 again, no longer young → 0–25 demoted (free 26). Batch 19 (513 µs) on the
    // 974-page list: ⌊974/512⌋ = 1 → 27, ⌊973/256⌋ = 3 → 30, ⌊970/128⌋ = 7 → 37, ⌊963/64⌋ = 15 →
    // 52 > promo 39: balanced after 26 pages (13 µs); at 526 µs the thread finds it so and sleeps.
    run(17 * 28500);
    expect(host.get('reclaimDemoted')).toBe(26);
    expect(host.log[0]).toBe('demote 0');
    run(Infinity);
    expect([host.free(0), host.get('reclaimDemoted'), host.get('reclaimScanned')]).toEqual([52, 52, 17 * 57 + 57 + 26]);
    expect(host.nowNs).toBe(526000);
  });

  it('runs kswapd as a thread: batches of 32 scanned pages, each taking its time, wakes meanwhile are no-ops', () => {
    // watermark_scale_factor 1000: tmp = max(⌊9/4⌋, ⌊1000 · 1000/10000⌋ = 100) = 100 → low 109,
    // high 209, promo 309 (kswapd's target in tiering mode). Node 0 full of 1,000 cold pages.
    const { host, k } = machine(1000, 10000, 1000, tiering({ minFreeKbytes: 400, watermarkScaleFactor: 1000 }));
    expect(k.wm.promo[0]).toBe(309);
    const run = (untilNs: number) => host.runTimers((id) => k.onTimer(id), untilNs, isKswapd);
    k.wakeKswapd(0);
    expect(host.free(0)).toBe(0);
    // Each batch restarts the priority walk and stops after the round that brings its scanned
    // pages to ≥ 32 (or balances the node); it lasts scanned × 500 ns. Inactive list sizes:
    // batch 1 (t = 0): 1000: prio 9 → 1, 8 → 3, 7 → 7, 6 → 15, 5 → ⌊974/32⌋ = 30: 56 scanned, free 56.
    run(0);
    expect(host.free(0)).toBe(56);
    // A wake while kswapd is awake changes nothing.
    k.wakeKswapd(0);
    expect(host.get('kswapdWakes')).toBe(1);
    // batch 2 (t = 28 µs): 944: 1, 3, 7, ⌊933/64⌋ = 14, ⌊919/32⌋ = 28: 53 scanned, free 109.
    run(28000 - 1);
    expect(host.free(0)).toBe(56);
    run(28000);
    expect(host.free(0)).toBe(109);
    // batch 3 (t = 54.5 µs): 891: 1, 3, 6, 13, 27 → free 159 (50 scanned, 25 µs);
    // batch 4 (t = 79.5 µs): 841: 1, 3, 6, 12, 25 → 206 (47, 23.5 µs);
    // batch 5 (t = 103 µs): 794: 1, 3, 6, 12, 24 → 252 (46, 23 µs);
    // batch 6 (t = 126 µs): 748: 1, 2, 5, 11, 22 → 293 (41, 20.5 µs);
    // batch 7 (t = 146.5 µs): 707: 1, 2, 5, ⌊699/64⌋ = 10 → 311 > 309: balanced (18 scanned, 9 µs).
    run(126000);
    expect(host.free(0)).toBe(293);
    run(146500);
    expect(host.free(0)).toBe(311);
    // At 155.5 µs the thread finds the node balanced and sleeps: one wake, one run, no failure.
    run(Infinity);
    expect(host.nowNs).toBe(155500);
    expect(host.get('reclaimDemoted')).toBe(311);
    expect(host.get('reclaimScanned')).toBe(56 + 53 + 50 + 47 + 46 + 41 + 18);
    expect([host.get('kswapdRuns'), host.get('kswapdFailures')]).toEqual([1, 0]);
    expect(host.kernelNs).toBe(311 * 500);
  });

  it('does not wake kswapd while node 0 is balanced', () => {
    const { host, k } = machine(1000, 10000, 950, small);
    // free 50 > promo 39: a wake is a no-op (pgdat_balanced).
    k.wakeKswapd(0);
    expect(host.get('kswapdWakes')).toBe(0);
    expect(host.free(0)).toBe(50);
  });

  it('bypasses the threshold when node 0 has more than promo + max(1 GiB, node/16) free, and resets the threshold', () => {
    // Node 0 = 600,000 pages, node 1 = 10,000. Default min_free_kbytes: √(16 · 2,440,000 kB) =
    // 6,248 kB → pages_min 1,562; node 0 min = ⌊1,562 · 600,000 / 610,000⌋ = 1,536; tmp =
    // max(384, 600) = 600 → promo = 3,336. Enough = max(262,144 (1 GiB), 37,500) = 262,144.
    // Bypass needs free > 3,336 + 262,144 = 265,480.
    const { host, k, slowPage } = machine(600000, 10000, 0, tiering());
    expect(k.wm.promo[0]).toBe(3336);
    host.nowNs = 5000 * MS;
    host.usedPages[0] = 600000 - 265480; // free exactly 265,480: not enough
    const cold = slowPage(5000); // latency 5 s ≥ 1 s threshold
    k.onFault(cold, FAULT_HINT, 0);
    expect(host.tierOf(cold)).toBe(1);
    expect(host.get('promoteBelowThreshold')).toBe(1);
    host.usedPages[0]--; // free 265,481
    k.promo.thresholdMs = 500;
    const cold2 = slowPage(5000);
    k.onFault(cold2, FAULT_HINT, 0);
    expect(host.tierOf(cold2)).toBe(0);
    expect(host.get('promoteFreeBypass')).toBe(1);
    expect(k.promo.thresholdMs).toBe(0);
  });

  it('caps promotions at the rate limit within a 1 s window', () => {
    // 2/256 MB/s = 2 pages of 4 KiB per second. Five hot candidates (latency 10 ms) at 5,000 …
    // 5,004 ms: the first opens a window (5000 − 0 > 1000, base = 1) → promoted, second → 1 < 2
    // promoted, third → 2 ≥ 2 limited, and so on. At 6,001 ms (1,001 ms later) a new window opens:
    // the third page faults again (latency 6001 − 5002 = 999 < 1000) and is promoted.
    const { host, k, slowPage } = machine(10000, 10000, 0, tiering({ promoteRateLimitMBps: 2 / 256 }));
    host.nowNs = 5000 * MS;
    const pages = Array.from({ length: 5 }, () => slowPage(10));
    pages.forEach((p, i) => {
      host.nowNs = (5000 + i) * MS;
      k.onFault(p, FAULT_HINT, 0);
    });
    expect(pages.map((p) => host.tierOf(p))).toEqual([0, 0, 1, 1, 1]);
    expect(host.get('promoteRateLimited')).toBe(3);
    host.nowNs = 6001 * MS;
    k.onFault(pages[2], FAULT_HINT, 0);
    expect(host.tierOf(pages[2])).toBe(0);
    expect(host.get('promoteCandidates')).toBe(6);
  });
});

describe('numa-tiering scan period in tiering mode (task_numa_fault, update_task_scan_period)', () => {
  it('doubles the period at every scan sequence: promotions are the only recorded faults, remote and private', () => {
    const small = tiering({ minFreeKbytes: 400, watermarkScaleFactor: 100 });
    const { host, k, slowPage } = machine(1000, 10000, 0, small);
    const sc = k.scanner!;
    const x = slowPage(0);
    // First pass at 1000 ms: RSS 1 page = 1 window → task_scan_min = max(1000 / (2560/256), 1000)
    // = 1000 ms; x (node 1) is marked and stamped 1000; the pass reaches the end: seq 1.
    host.nowNs = 1000 * MS;
    k.onTimer(1);
    expect([sc.periodMs, sc.seq, k.accessTimeMs[x]]).toEqual([1000, 1, 1000]);
    // Hint fault at 1100 ms: latency 100 < 1000 → promoted (free 1000 > high 29 + 1). The fault is
    // recorded on node 0 after the move, with TNF_FAULT_LOCAL from node 1 (remote) and
    // last_cpupid = -1 (private). First recorded fault of seq 1 → placement first, with nothing
    // recorded: local + shared = 0 → scan slower, period 2000, numa_next_scan = 1100 + 2000.
    host.nowNs = 1100 * MS;
    k.onFault(x, FAULT_HINT, 0);
    expect(host.tierOf(x)).toBe(0);
    expect([sc.periodMs, sc.locality[0], sc.locality[1], sc.faultsPrivate]).toEqual([2000, 1, 0, 1]);
    // Second pass at 3100 ms marks a new slow page y; its promotion opens seq 2's placement:
    // local 0 + shared 0 again (x counted remote and private) → 4000. It never shortens.
    const y = slowPage(0);
    host.nowNs = 3100 * MS;
    k.onTimer(1);
    expect(k.accessTimeMs[y]).toBe(3100);
    host.nowNs = 3200 * MS;
    k.onFault(y, FAULT_HINT, 0);
    expect(host.tierOf(y)).toBe(0);
    expect(sc.periodMs).toBe(4000);
    expect(host.get('numaScanPeriodUpdates')).toBe(2);
  });
});

describe('numa-tiering in the engine', () => {
  it('takes a hint fault only on the first access after a scan', () => {
    // Node 0 = 1 page, node 1 = 10. min_free_kbytes 4 kB → pages_min 1 → every watermark 0.
    // Page 0 takes the one local frame; page 1 goes to node 1 (node 0 free 0 is not > low 0).
    // First scan at scan_delay 1 ms marks page 1 (slow tier only); the period is then
    // task_scan_min = max(100, 1000 / 1 window) = 1000 ms, so the next scan is at ~1001 ms.
    // Page-1 accesses at ~0.5 ms (before any scan), ~1.5, 1.6, 1.7 ms (first fault only) and
    // ~1200, ~1201 ms (first fault only): 2 hint faults.
    const p = 'policy.numa-tiering.';
    const engine = makeEngine({
      localPages: 1,
      cxlPages: 10,
      policy: 'numa-tiering',
      sets: { [`${p}scanDelayMs`]: 1, [`${p}minFreeKbytes`]: 4 },
      perCpu: [
        [
          [0, 'W', 0],
          [1, 'W', 0],
          [1, 'R', 0.5 * MS],
          [1, 'R', 1 * MS],
          [1, 'R', 0.1 * MS],
          [1, 'R', 0.1 * MS],
          [1, 'R', 1198.3 * MS],
          [1, 'R', 1 * MS],
        ],
      ],
    });
    return engine.run().then((r) => {
      expect(r.counters[S.C_HINT_FAULTS]).toBe(2);
      expect(engine.checkInvariants()).toEqual([]);
    });
  });
});
