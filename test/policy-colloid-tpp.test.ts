import { describe, expect, it } from 'vitest';
import { TieringKernel } from '../policies/lib/kernel.ts';
import type { KernelOptions } from '../policies/lib/kernel.ts';
import { NUMA_BALANCING_MEMORY_TIERING } from '../policies/lib/numa-balancing.ts';
import { ColloidMonitor, ColloidTiering } from '../policies/lib/colloid.ts';
import { FAULT_FIRST_TOUCH, FAULT_HINT, PAGE_HINT_ARMED } from '../policies/policy.ts';
import { LoadFakeHost } from './lib-fake-host.ts';
import { makeEngine } from './helpers.ts';
import type { Access } from './helpers.ts';

const MS = 1e6;

const MON = { pollNs: 10_000, ewmaExp: 1, minLocalLatNs: 75, minRemoteLatNs: 135 };

describe('colloid-mon (EWMA of occupancy and inserts)', () => {
  it('gives latency = smoothed occupancy / smoothed inserts (the module\'s fixed point), and the local-slower flag', () => {
    const host = new LoadFakeHost([1000, 1000]);
    const m = new ColloidMonitor(host, MON);
    // Poll 1 at 10 µs: local 100 lines at 220 ns (occupancy rate 2.2 in flight), remote 50 at 200
    // (1.0). Fixed point and EWMA weight 1/2 from 0: local occupancy ⌊2.2 · 2^20⌋ = 2,306,867 →
    // ⌊/2⌋ = 1,153,433; inserts 100 · 2^10 → 51,200; latency = (1,153,433 / 2^20) · 10 µs / 50 =
    // 219.9999 ns. Remote: 2^20 → 524,288 and 51,200 → 25,600: 0.5 · 10 µs / 25 = 200 ns.
    host.serve(0, 100, 220);
    host.serve(1, 50, 200);
    host.nowNs = 10_000;
    m.poll();
    expect(m.smoothedOcc[0]).toBe(1_153_433);
    expect(m.smoothedInserts[0]).toBe(51_200);
    expect(m.latNs[0]).toBeCloseTo(220, 3);
    expect(m.latNs[1]).toBe(200);
    expect(m.localSlower).toBe(true);
    // Poll 2 at 20 µs: local 100 lines at 100 ns (rate 1.0), remote 50 at 200. Local occupancy
    // ⌊(1,048,576 + 1,153,433) / 2⌋ = 1,101,004, inserts (102,400 + 51,200) / 2 = 76,800 →
    // 1.0499992 · 10 µs / 75 = 139.9999 ns (smoothed, not 100); remote stays 200 ns.
    host.serve(0, 100, 100);
    host.serve(1, 50, 200);
    host.nowNs = 20_000;
    m.poll();
    expect(m.smoothedOcc[0]).toBe(1_101_004);
    expect(m.latNs[0]).toBeCloseTo(140, 3);
    expect(m.latNs[1]).toBe(200);
    expect(m.localSlower).toBe(false);
  });

  it('falls back to the floor once a tier without traffic has its smoothed inserts decay to 0', () => {
    const host = new LoadFakeHost([1000, 1000]);
    const m = new ColloidMonitor(host, MON);
    host.serve(0, 100, 300);
    host.serve(1, 50, 200);
    host.nowNs = 10_000;
    m.poll();
    expect(m.localSlower).toBe(true);
    // Then only remote traffic. Local inserts halve with flooring: 51,200 → 25,600 → … → 25 → 12 →
    // 6 → 3 → 1 → 0 after 16 more polls; until then local keeps its last latency (300 ns).
    for (let i = 1; i <= 16; i++) {
      host.serve(1, 50, 200);
      host.nowNs += 10_000;
      m.poll();
      if (i === 15) {
        expect(m.smoothedInserts[0]).toBe(1);
        expect(m.localSlower).toBe(true);
      }
    }
    expect(m.smoothedInserts[0]).toBe(0);
    expect(m.latNs[0]).toBe(75);
    expect(m.localSlower).toBe(false);
  });

  it('floors each latency at its minimum, which is also its value with no traffic', () => {
    const host = new LoadFakeHost([1000, 1000]);
    const m = new ColloidMonitor(host, MON);
    // Local 10 lines at 50 ns (below the 75 ns floor), remote nothing (→ 135 ns).
    host.serve(0, 10, 50);
    host.nowNs = 10_000;
    m.poll();
    expect(m.latNs[0]).toBe(75);
    expect(m.latNs[1]).toBe(135);
    expect(m.localSlower).toBe(false);
  });
});

function options(colloid: ColloidTiering | undefined): KernelOptions {
  return {
    numaMode: NUMA_BALANCING_MEMORY_TIERING,
    demotionEnabled: true,
    scan: { scanDelayMs: 1000, scanPeriodMinMs: 1000, scanPeriodMaxMs: 60000, scanSizeMB: 256 },
    hotThresholdMs: 1000,
    promoteRateLimitMBps: 65536,
    // As in policy-numa-tiering.test.ts: node 0 = 1,000 pages, node 1 = 10,000, min_free_kbytes
    // 400 kB → 100 pages; node 0: min ⌊100 · 1000/11000⌋ = 9, tmp max(2, 10) = 10 → low 19, high 29;
    // node 1: min ⌊100 · 10000/11000⌋ = 90, tmp max(22, 100) = 100 → low 190, high 290.
    minFreeKbytes: 400,
    watermarkScaleFactor: 100,
    reclaimer: 'lru',
    kswapdPageNs: 500, // WATERMARK_PARAMS default
    colloid,
  };
}

/** Node 0 holds `filled` pages, node 1 `slowFilled`; Colloid on (local slower settable) or off. */
function machine(filled: number, slowFilled: number, withColloid: boolean) {
  const host = new LoadFakeHost([1000, 10000]);
  const monitor = new ColloidMonitor(host, MON);
  const colloid = withColloid ? new ColloidTiering(host, monitor) : undefined;
  const k = new TieringKernel(host, options(colloid));
  const fault = (tier: number) => {
    const p = host.addPage(tier, host.pageCount());
    k.onFault(p, FAULT_FIRST_TOUCH, 0);
    return p;
  };
  for (let i = 0; i < filled; i++) fault(0);
  for (let i = 0; i < slowFilled; i++) fault(1);
  host.nowNs = 5000 * MS;
  /** A page on `tier` whose scan stamp is `ageMs` old. */
  const page = (tier: number, ageMs: number) => {
    const p = fault(tier);
    k.accessTimeMs[p] = 5000 - ageMs;
    return p;
  };
  return { host, k, monitor, page };
}

describe('colloid-tpp: numa_balancing mode 6 on the tiering kernel', () => {
  it('has the watermarks the worked examples use', () => {
    const { k } = machine(500, 0, true);
    expect([k.wm.low[0], k.wm.high[0]]).toEqual([19, 29]);
    expect([k.wm.low[1], k.wm.high[1]]).toEqual([190, 290]);
  });

  it('blocks a promotion while local is slower, lets it through otherwise', () => {
    const { host, k, monitor, page } = machine(500, 0, true);
    // Slow-tier page, hint-fault latency 10 ms < 1000 ms; node 0 free 500 > high + 1 = 30 (room),
    // and not above promo + 1 GiB (no free-space bypass): a promotion candidate.
    const x = page(1, 10);
    monitor.localSlower = true;
    k.onFault(x, FAULT_HINT, 0);
    expect(host.tierOf(x)).toBe(1);
    expect(host.get('colloidPromoteBlocked')).toBe(1);
    expect(host.get('promoteCandidates')).toBe(0);
    // The latency was read (and the page re-stamped) before the gate, as in the original: the next
    // fault 10 ms later sees 10 ms again.
    expect(k.accessTimeMs[x]).toBe(5000);
    monitor.localSlower = false;
    host.nowNs += 10 * MS;
    k.onFault(x, FAULT_HINT, 0);
    expect(host.tierOf(x)).toBe(0);
    expect(host.get('promoteSuccess')).toBe(1);
    expect(host.get('colloidPromoteBlocked')).toBe(1);
  });

  it('moves a hot local page away while local is slower; a cold one, or any while local is faster, stays', () => {
    const { host, k, monitor, page } = machine(500, 0, true);
    const hot = page(0, 10); // hint-fault latency 10 ms < threshold 1000 ms
    const cold = page(0, 1500); // 1500 ms ≥ 1000 ms
    const other = page(0, 10);
    // Local faster: numa_migrate_memory_away_target gives up before reading the latency.
    k.onFault(other, FAULT_HINT, 0);
    expect(host.tierOf(other)).toBe(0);
    expect(k.accessTimeMs[other]).toBe(4990);
    monitor.localSlower = true;
    // Node 1 free 10 000 > high 290 + 1: the hot page moves to the next demotion node, in the fault.
    k.onFault(hot, FAULT_HINT, 0);
    expect(host.tierOf(hot)).toBe(1);
    expect(host.log).toEqual([`demote ${hot}`]);
    expect(host.get('colloidMovedAway')).toBe(1);
    // Its page lists follow it (reclaim on node 1 can find it).
    expect(k.checkLists()).toEqual([]);
    k.onFault(cold, FAULT_HINT, 0);
    expect(host.tierOf(cold)).toBe(0);
    expect(host.get('colloidAwayCold')).toBe(1);
    expect(k.accessTimeMs[cold]).toBe(5000);
    expect(host.get('numaHintFaultsLocal')).toBe(3);
  });

  it('leaves a hot local page when the next node is not balanced (free ≤ high + 1)', () => {
    // Node 1 with 9,710 pages used: free 290, not > 291.
    const { host, k, monitor, page } = machine(500, 9709, true);
    const hot = page(0, 10);
    page(1, 0);
    expect(host.free(1)).toBe(290);
    monitor.localSlower = true;
    k.onFault(hot, FAULT_HINT, 0);
    expect(host.tierOf(hot)).toBe(0);
    expect(host.get('colloidAwayNoRoom')).toBe(1);
  });

  it('records no NUMA fault statistics (task_numa_fault), where plain tiering records a promoted page', () => {
    for (const withColloid of [false, true]) {
      const { host, k, page } = machine(500, 0, withColloid);
      const x = page(1, 10);
      k.onFault(x, FAULT_HINT, 0);
      expect(host.tierOf(x)).toBe(0);
      // Plain tiering: one private fault, remote (the page was on node 1 when it faulted);
      // Colloid: nothing recorded.
      expect(k.scanner!.faultsPrivate).toBe(withColloid ? 0 : 1);
      expect(k.scanner!.locality[0]).toBe(withColloid ? 0 : 1);
    }
  });

  it('makes the scanner mark and stamp top-tier pages too', () => {
    for (const withColloid of [false, true]) {
      const { host, k, page } = machine(0, 0, withColloid);
      const local = page(0, 0);
      const slow = page(1, 0);
      host.nowNs = 7000 * MS;
      k.onTimer(1); // TIMER_SCAN
      expect((host.flags(slow) & PAGE_HINT_ARMED) !== 0).toBe(true);
      expect((host.flags(local) & PAGE_HINT_ARMED) !== 0).toBe(withColloid);
      expect(k.accessTimeMs[local]).toBe(withColloid ? 7000 : 5000);
    }
  });
});

describe('colloid-tpp in a run', () => {
  /** Page 0 read every 10 µs for 3 ms; the scanner's first pass at 1 ms. */
  const trace: Access[] = Array.from({ length: 300 }, () => [0, 'R', 10_000] as Access);
  const run = async (antagonistGBps: number) => {
    const engine = makeEngine({
      perCpu: [trace],
      localPages: 4096,
      cxlPages: 4096,
      policy: 'colloid-tpp',
      sets: { 'machine.loadModel': 'curve', 'machine.tiers.0.antagonistGBps': antagonistGBps, 'policy.colloid-tpp.scanDelayMs': 1 },
    });
    const res = await engine.run();
    const names = res.policyCounterNames;
    const get = (n: string) => res.policyCounters[names.indexOf(n)];
    return { engine, get };
  };

  it('moves the hot page off DRAM loaded to 90 % by an antagonist (220 ns) when CXL is idle (200 ns), and not without it', async () => {
    // 193.5 GB/s of 215: u = 0.9 → ×2.2 → DRAM 220 ns; CXL no traffic → its floor 135 ns: local
    // slower from the first poll. At 1 ms the scanner marks page 0 (on DRAM, stamped 1 ms); the
    // next read faults, latency 0 ms < 1000 ms: moved to CXL.
    const loaded = await run(193.5);
    expect(loaded.engine.host.tierOf(0)).toBe(1);
    expect(loaded.get('colloidMovedAway')).toBe(1);
    expect(loaded.get('numaHintFaultsLocal')).toBe(1);
    // Unloaded: DRAM 100 ns vs the CXL floor 135 ns — local faster; the page faults once and stays.
    const idle = await run(0);
    expect(idle.engine.host.tierOf(0)).toBe(0);
    expect(idle.get('colloidMovedAway')).toBe(0);
    expect(idle.get('numaHintFaultsLocal')).toBe(1);
    expect(idle.get('colloidLocalSlowerPolls')).toBe(0);
  });
});
