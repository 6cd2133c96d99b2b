import { describe, expect, it } from 'vitest';
import { PromotionControl, NumaScanner, NUMA_BALANCING_MEMORY_TIERING } from '../policies/lib/numa-balancing.ts';
import { AddressOrder } from '../policies/lib/address-order.ts';
import { PAGE_HINT_ARMED } from '../policies/policy.ts';
import { FakeHost } from './lib-fake-host.ts';

describe('hot threshold auto-adjustment (numa_promotion_adjust_threshold)', () => {
  it('steps down by 125 ms per 60 s under a candidate rate above 110 % of the limit, to the 125 ms floor, then back up', () => {
    // rate limit 100 pages/s, scan_period_max 60 s → ref_cand = 100 · 60 = 6,000 per period;
    // unit = 2 · 1000 / 16 = 125 ms. The controller runs when now − start > 60,000 ms, i.e. at
    // t = 61 s, 122 s, 183 s, … (start 0, then the time of the last adjustment).
    // Phase 1: 200 candidates every second → 61 s · 200 = 12,200 per period > 6,600 → −125 each time:
    // 875, 750, 625, 500, 375, 250, 125, then max(125 − 125, 125) = 125.
    // Phase 2: 50 per second → 3,050 < 5,400 (90 %) → +125 each time, capped at 2 · 1000 = 2,000.
    const pc = new PromotionControl();
    const seen: number[] = [];
    let t = 0;
    const run = (perSecond: number, adjustments: number) => {
      let done = 0;
      while (done < adjustments) {
        t += 1000;
        pc.nrCand += perSecond;
        if (pc.adjustThreshold(t, 100, 1000, 60000)) {
          seen.push(pc.threshold(1000));
          done++;
        }
      }
    };
    run(200, 8);
    expect(seen).toEqual([875, 750, 625, 500, 375, 250, 125, 125]);
    expect(t).toBe(8 * 61000);
    seen.length = 0;
    run(50, 17);
    // The first period of phase 2 still holds 0 s of phase-1 candidates (the counter base was reset
    // at the last adjustment), so every step is +125: 250 … 2000, then capped.
    expect(seen).toEqual([250, 375, 500, 625, 750, 875, 1000, 1125, 1250, 1375, 1500, 1625, 1750, 1875, 2000, 2000, 2000]);
  });

  it('leaves the threshold alone between 90 % and 110 % of the reference', () => {
    // 100 pages/s for 61 s = 6,100: inside [5,400, 6,600] → stays at the default 1000 ms.
    const pc = new PromotionControl();
    for (let t = 1000; t <= 61000; t += 1000) {
      pc.nrCand += 100;
      pc.adjustThreshold(t, 100, 1000, 60000);
    }
    expect(pc.threshold(1000)).toBe(1000);
    expect(pc.thStartMs).toBe(61000);
  });
});

describe('promotion rate limit (numa_promotion_rate_limit)', () => {
  it('allows rate_limit candidates per window; a window restarts only when more than 1000 ms passed', () => {
    // limit 3 pages. t = 1001: 1001 − 0 > 1000 → window starts, base = 1 (this candidate) → 0 < 3 ok.
    // 1002 → 1, 1003 → 2 ok; 1004 → 3 ≥ 3 limited; 1500 → 4 limited;
    // 2001: 2001 − 1001 = 1000, not > 1000 → same window, 5 → limited;
    // 2002: 1001 > 1000 → new window, base = 7 → 0 ok; 2003 → 1 ok.
    const pc = new PromotionControl();
    const times = [1001, 1002, 1003, 1004, 1500, 2001, 2002, 2003];
    expect(times.map((t) => !pc.rateLimited(t, 3, 1))).toEqual([true, true, true, false, false, false, true, true]);
    expect(pc.nrCand).toBe(8);
  });
});

describe('scan period (task_scan_min/max, update_task_scan_period)', () => {
  function scannerWith(rssPages: number) {
    const host = new FakeHost([rssPages, 10]);
    host.usedPages[0] = rssPages;
    const sc = new NumaScanner(host, { scanDelayMs: 1000, scanPeriodMinMs: 1000, scanPeriodMaxMs: 60000, scanSizeMB: 256 }, NUMA_BALANCING_MEMORY_TIERING, new AddressOrder(host));
    return { host, sc };
  }

  it('derives min/max from the RSS in 256 MB windows', () => {
    // 1 GiB RSS = 262,144 pages = 4 windows of 65,536: min = max(1000 / (2560 / 256) = 100,
    // 1000 / 4 = 250) = 250 ms; max = max(250, 60000 / 4 = 15000) = 15000 ms.
    const { sc } = scannerWith(262144);
    expect(sc.windows()).toBe(4);
    expect(sc.scanMinMs()).toBe(250);
    expect(sc.scanMaxMs()).toBe(15000);
    // 20 GiB RSS = 80 windows: 1000 / 80 = 12 < floor 100 → min 100; max = 60000 / 80 = 750.
    const big = scannerWith(20 * 262144);
    expect(big.sc.scanMinMs()).toBe(100);
    expect(big.sc.scanMaxMs()).toBe(750);
  });

  it('slows down by 3 slots when faults are private, speeds up when shared and remote, doubles when none is local or shared', () => {
    const { sc } = scannerWith(262144);
    sc.periodMs = 250;
    // Private only (ps_ratio = 10 ≥ 7): slot = ⌈250 / 10⌉ = 25, diff = (10 − 7) · 25 = 75 → 325.
    sc.faultsPrivate = 10;
    sc.locality[1] = 10;
    sc.updatePeriod();
    expect(sc.periodMs).toBe(325);
    // Shared and mostly remote: private 2, shared 8 → ps = 2; local 1, remote 9 → lr = 1;
    // diff = −(7 − max(1, 2)) · ⌈325 / 10⌉ = −5 · 33 = −165 → 160, clamped up to the 250 ms minimum.
    sc.faultsPrivate = 2;
    sc.faultsShared = 8;
    sc.locality[1] = 1;
    sc.locality[0] = 9;
    sc.updatePeriod();
    expect(sc.periodMs).toBe(250);
    // Remote private faults only: local + shared = 0 → double to 500.
    sc.faultsPrivate = 5;
    sc.locality[0] = 5;
    sc.updatePeriod();
    expect(sc.periodMs).toBe(500);
    expect(sc.lastUpdateDoubled).toBe(true);
  });

  it('marks only slow-tier pages not already PROT_NONE in tiering mode, resuming where it stopped', () => {
    // Pages 0..5 at vpn 100..105 on tiers 0,1,1,0,1,1; page 4 already armed. scan_size 256 MB =
    // 65,536 pages ≥ all 6, so one pass covers everything and wraps (seq 1): marks 1, 2, 5.
    const host = new FakeHost([10, 10]);
    const tiers = [0, 1, 1, 0, 1, 1];
    tiers.forEach((t, i) => host.addPage(t, 100 + i));
    host.armHintFault(4); // already PROT_NONE: skipped
    const sc = new NumaScanner(host, { scanDelayMs: 1000, scanPeriodMinMs: 1000, scanPeriodMaxMs: 60000, scanSizeMB: 256 }, NUMA_BALANCING_MEMORY_TIERING, new AddressOrder(host));
    // Stamps record which pages the pass armed (tiering mode stamps each with the scan time, 7 ms).
    const stamp = new Float64Array(6);
    const n = sc.work(stamp, 7);
    const marked = [...stamp.keys()].filter((p) => stamp[p] === 7);
    expect(n).toBe(3);
    expect(marked).toEqual([1, 2, 5]);
    expect(sc.seq).toBe(1);
    expect(host.flags(0) & PAGE_HINT_ARMED).toBe(0);
  });

  it('stops after scan_size of ranges that marked something; ranges that marked nothing only use up 8× that', () => {
    // scan size 2 pages (8 KiB = 2^-7 MB). All six pages slow-tier, vpn 0..5.
    // Pass 1 marks [0, 1] (a range with updates: pages 2 − 2 = 0 → stop), resumes at page 2;
    // pass 2 marks [2, 3]; pass 3 marks [4, 5] and reaches the end: seq 1.
    // Pass 4: ranges [0,1], [2,3], [4,5] are all armed already → no updates, only virtpages
    // (16 → 14 → 12 → 10) is used, so the pass walks to the end again: seq 2, nothing marked.
    const host = new FakeHost([10, 10]);
    for (let i = 0; i < 6; i++) host.addPage(1, i);
    const sc = new NumaScanner(host, { scanDelayMs: 1000, scanPeriodMinMs: 1000, scanPeriodMaxMs: 60000, scanSizeMB: 2 ** -7 }, NUMA_BALANCING_MEMORY_TIERING, new AddressOrder(host));
    const passes: number[][] = [];
    const stamp = new Float64Array(6);
    for (let k = 0; k < 4; k++) {
      // Pass k stamps the pages it arms with k + 1.
      sc.work(stamp, k + 1);
      passes.push([...stamp.keys()].filter((p) => stamp[p] === k + 1));
    }
    expect(passes).toEqual([[0, 1], [2, 3], [4, 5], []]);
    expect(sc.seq).toBe(2);
  });
});
