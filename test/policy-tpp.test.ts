import { describe, expect, it } from 'vitest';
import { TieringKernel, SCANNER_UNSETTLED } from '../policies/lib/kernel.ts';
import type { KernelOptions } from '../policies/lib/kernel.ts';
import { NUMA_BALANCING_MEMORY_TIERING } from '../policies/lib/numa-balancing.ts';
import { FAULT_FIRST_TOUCH, FAULT_HINT } from '../policies/policy.ts';
import { FakeHost } from './lib-fake-host.ts';

const MS = 1e6;
/** The kernel's kswapd timers (ids 8 + node); the scanner's timer is left alone. */
const isKswapd = (id: number) => id >= 8;

function opts(tpp: KernelOptions['tpp'] | undefined): KernelOptions {
  // Node 0 = 1,000 pages, node 1 = 10,000; min_free_kbytes 400 kB, watermark_scale_factor 100:
  // node 0 min 9, low 19, high 29, promo 39 (worked out in policy-numa-tiering.test.ts).
  return {
    numaMode: NUMA_BALANCING_MEMORY_TIERING,
    demotionEnabled: true,
    scan: { scanDelayMs: 1000, scanPeriodMinMs: 1000, scanPeriodMaxMs: 60000, scanSizeMB: 256 },
    hotThresholdMs: 1000,
    promoteRateLimitMBps: 65536,
    minFreeKbytes: 400,
    watermarkScaleFactor: 100,
    kswapdPageNs: 500,
    reclaimer: 'lru',
    tpp,
  };
}

function setup(tpp: KernelOptions['tpp'] | undefined) {
  const host = new FakeHost([1000, 10000]);
  const k = new TieringKernel(host, opts(tpp));
  const fault = (tier: number, vpn: number) => {
    const p = host.addPage(tier, vpn);
    k.onFault(p, FAULT_FIRST_TOUCH, 0);
    return p;
  };
  return { host, k, fault };
}

describe('tpp', () => {
  it('wakes kswapd on an allocation that leaves node 0 below the demotion watermark, and demotes past it', () => {
    // demote_scale_factor 1000 → WMARK_DEMOTE = min 9 + 1000 · 1000 / 10000 = 109; kswapd's target
    // on node 0 = max(promo 39, 109) = 109. The 891st allocation leaves free 109 (not below);
    // the 892nd leaves 108 → wake. kswapd over 892 unreferenced inactive pages: prio 9:
    // ⌊892/512⌋ = 1 → free 109 (not > 109); prio 8: ⌊891/256⌋ = 3 → 112 > 109: stop.
    const { host, k, fault } = setup({ demoteScaleFactor: 1000, promoteActiveOnly: true, kswapdRetryMs: 10000 });
    expect(k.demoteWm).toBe(109);
    for (let i = 0; i < 891; i++) fault(0, i);
    expect(host.get('kswapdWakes')).toBe(0);
    fault(0, 891);
    expect(host.get('kswapdWakes')).toBe(1);
    host.runTimers((id) => k.onTimer(id), Infinity, isKswapd); // kswapd's batch runs as its own thread's event
    expect(host.free(0)).toBe(112);
    expect(host.log).toEqual(['demote 0', 'demote 1', 'demote 2', 'demote 3']);
  });

  it('without TPP, allocations never wake kswapd (the fast path just falls to the next node)', () => {
    const { host, fault } = setup(undefined);
    for (let i = 0; i < 1000; i++) fault(0, i);
    expect(host.get('kswapdWakes')).toBe(0);
    expect(host.free(0)).toBe(0);
  });

  it('promotes a slow-tier page only from the active LRU: the first hint fault marks it, the second activates it, the third promotes', () => {
    const { host, k, fault } = setup({ demoteScaleFactor: 200, promoteActiveOnly: true, kswapdRetryMs: 10000 });
    host.nowNs = 5000 * MS;
    const x = fault(1, 5000);
    k.accessTimeMs[x] = 4990; // scanned 10 ms ago
    // Fault 1: x is inactive and unreferenced → folio_mark_accessed sets PG_referenced; no move.
    k.onFault(x, FAULT_HINT, 0);
    expect(host.tierOf(x)).toBe(1);
    expect(k.reclaimer.isActive(x)).toBe(false);
    expect(host.get('promoteInactiveSkipped')).toBe(1);
    // Fault 2 (100 ms later): still not PageActive when the gate tests it → mark_page_accessed
    // activates it (inactive + referenced), and the gate leaves the page all the same.
    host.nowNs += 100 * MS;
    k.onFault(x, FAULT_HINT, 0);
    expect(host.tierOf(x)).toBe(1);
    expect(k.reclaimer.isActive(x)).toBe(true);
    expect([host.get('promoteInactiveSkipped'), host.get('promoteCandidates')]).toEqual([2, 0]);
    // Fault 3 (100 ms later): active → the tiering checks: latency 5200 − 4990 = 210 ms < 1000 (the
    // gated faults did not exchange the stamp) → promoted, keeping PG_active on node 0. Node 0 is
    // empty: free 1000 > high + 1.
    host.nowNs += 100 * MS;
    k.onFault(x, FAULT_HINT, 0);
    expect(host.tierOf(x)).toBe(0);
    expect(k.reclaimer.isActive(x)).toBe(true);
    expect(host.get('promoteCandidates')).toBe(1);
  });

  it('without the gate the same page is promoted at its first hint fault', () => {
    const { host, k, fault } = setup({ demoteScaleFactor: 200, promoteActiveOnly: false, kswapdRetryMs: 10000 });
    host.nowNs = 5000 * MS;
    const x = fault(1, 5000);
    k.accessTimeMs[x] = 4990;
    k.onFault(x, FAULT_HINT, 0); // latency 10 ms < 1000 → candidate → promoted
    expect(host.tierOf(x)).toBe(0);
    expect(host.get('promoteSuccess')).toBe(1);
  });

  it('reclaim on the slow node activates a page it finds young and PG_referenced: its next hint fault promotes', () => {
    // How a slow-tier page reaches the active list other than by two gated hint faults:
    // folio_check_references during reclaim on its node. Node 1 (10,000 pages): min 90, low 190,
    // high 290, promo 390 (tiering mode: kswapd balances to promo). x is the first page on node 1,
    // so the tail of its inactive list, the first page kswapd looks at.
    const { host, k, fault } = setup({ demoteScaleFactor: 200, promoteActiveOnly: true, kswapdRetryMs: 10000 });
    host.nowNs = 5000 * MS;
    const x = fault(1, 0);
    k.accessTimeMs[x] = 4990;
    k.onFault(x, FAULT_HINT, 0); // hint fault 1: PG_referenced
    host.touch(x); // the faulting access itself leaves the PTE young (do_numa_page: pte_mkyoung)
    expect(k.reclaimer.isActive(x)).toBe(false);
    for (let i = 1; i < 9700; i++) fault(1, i); // free 300 < promo 390
    k.wakeKswapd(1);
    host.runTimers((id) => k.onTimer(id), Infinity, isKswapd);
    // x: young PTE and PG_referenced → FOLIOREF_ACTIVATE. The other, never touched pages are
    // evicted (node 1 is the last tier) until free > 390.
    expect(host.tierOf(x)).toBe(1);
    expect(k.reclaimer.isActive(x)).toBe(true);
    expect(host.free(1)).toBeGreaterThan(390);
    // Next hint fault: PageActive → latency 5100 − 4990 = 110 ms < 1000 → promoted.
    host.nowNs += 100 * MS;
    k.onFault(x, FAULT_HINT, 0);
    expect(host.tierOf(x)).toBe(0);
    expect(host.get('promoteInactiveSkipped')).toBe(1);
  });

  it('warns when kswapd keeps more than 10 % of a tier free, and until the scanner has made three passes (the gate promotes at a third hint fault)', () => {
    // demote_scale_factor 1000 → node 0's target 109 of 1000 pages = 10.9 % > 10 %: one warning.
    // Node 1 (10,000 pages): min ⌊100 · 10000/11000⌋ = 90, tmp max(22, 100) = 100 → promo 390 =
    // 3.9 %: none. With the default 200: 9 + 20 = 29 < promo 39 → target 39 = 3.9 %: none.
    const { host, k, fault } = setup({ demoteScaleFactor: 1000, promoteActiveOnly: true, kswapdRetryMs: 10000 });
    const reserve = [...host.warnings.keys()].filter((w) => w.startsWith('kswapd keeps'));
    expect(reserve).toEqual([expect.stringContaining("kswapd keeps 109 of tier 0's 1000 base pages free (10.9 %")]);
    expect(setup({ demoteScaleFactor: 200, promoteActiveOnly: true, kswapdRetryMs: 10000 }).host.warnings.size).toBe(1); // the scanner's only
    // The scanner's warning stands until two full passes are done and, in tiering mode, the scan
    // period has reached task_scan_max. 3 pages (one 256 MB window): first pass at scanDelayMs =
    // 1000 ms, period task_scan_min = max(1000 / (2560 / 256), 1000 / 1 window) = 1000 ms, second
    // pass at 2000 ms. With scan_period_max 60 s (task_scan_max 60 s) and no recorded fault the
    // period stays 1000 ms: still unsettled.
    expect(host.warnings.get(SCANNER_UNSETTLED)).toBe(Infinity);
    for (let i = 0; i < 3; i++) fault(1, 100 + i);
    host.runTimers((id) => k.onTimer(id), 2000 * MS, (id) => id === 1);
    expect(k.scanner!.passes).toBe(2);
    expect(host.warnings.get(SCANNER_UNSETTLED)).toBe(Infinity);
    // With scan_period_max 1000 ms, task_scan_max = 1000 = the period: settled at the third pass
    // (TPP's gate), which retracts the warning for runs that reach 3 s.
    const h2 = new FakeHost([1000, 10000]);
    const o2 = opts({ demoteScaleFactor: 200, promoteActiveOnly: true, kswapdRetryMs: 10000 });
    const k2 = new TieringKernel(h2, { ...o2, scan: { ...o2.scan, scanPeriodMaxMs: 1000 } });
    for (let i = 0; i < 3; i++) k2.onFault(h2.addPage(1, 100 + i), FAULT_FIRST_TOUCH, 0);
    h2.runTimers((id) => k2.onTimer(id), 1000 * MS, (id) => id === 1);
    expect(h2.warnings.get(SCANNER_UNSETTLED)).toBe(Infinity);
    h2.runTimers((id) => k2.onTimer(id), 2000 * MS, (id) => id === 1);
    expect(h2.warnings.get(SCANNER_UNSETTLED)).toBe(Infinity);
    h2.runTimers((id) => k2.onTimer(id), 3000 * MS, (id) => id === 1);
    expect(h2.warnings.get(SCANNER_UNSETTLED)).toBe(3000 * MS);
  });

  it('a page demoted from node 0 arrives inactive and unreferenced: three hint faults before it can come back', () => {
    // demote_scale_factor 200 → WMARK_DEMOTE = 9 + 20 = 29 < promo 39, so kswapd's target is 39.
    // Page 0 is marked accessed once on node 0 (PG_referenced), never touched through its PTE.
    const { host, k, fault } = setup({ demoteScaleFactor: 200, promoteActiveOnly: true, kswapdRetryMs: 10000 });
    const x = fault(0, 0);
    k.reclaimer.markAccessed(x);
    // The 972nd allocation leaves free 28 < 29: kswapd. Its batch: prio 9 ⌊972/512⌋ = 1 (page 0,
    // the inactive tail, not young: demoted; folio_check_references cleared PG_referenced) → free
    // 29; prio 8: 3 → 32; prio 7: 7 → 39 (not above 39); prio 6: ⌊961/64⌋ = 15 → 54: balanced.
    for (let i = 1; i < 972; i++) fault(0, i);
    host.runTimers((id) => k.onTimer(id), Infinity, isKswapd);
    expect(host.tierOf(x)).toBe(1);
    expect(host.free(0)).toBe(54);
    host.nowNs = 5000 * MS;
    k.accessTimeMs[x] = 4990;
    k.onFault(x, FAULT_HINT, 0); // sets PG_referenced only: had demotion kept it, this would activate
    expect(host.tierOf(x)).toBe(1);
    expect(host.get('promoteInactiveSkipped')).toBe(1);
    host.nowNs += 100 * MS;
    k.onFault(x, FAULT_HINT, 0); // activates it; the gate had found it inactive, so it stays
    expect(host.tierOf(x)).toBe(1);
    host.nowNs += 100 * MS;
    k.onFault(x, FAULT_HINT, 0); // active: promoted (node 0 free 54 > high 29 + 1)
    expect(host.tierOf(x)).toBe(0);
  });
});
