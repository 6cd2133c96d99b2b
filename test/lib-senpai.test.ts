import { describe, expect, it } from 'vitest';
import { Senpai, SENPAI_BACKOFF, SENPAI_PARAMS, SENPAI_PROBE, SENPAI_WAIT } from '../policies/lib/senpai.ts';
import type { SenpaiOptions } from '../policies/lib/senpai.ts';
import { ActiveInactiveLru, ADD_FAULT } from '../policies/lib/lru.ts';
import { FakeHost } from './lib-fake-host.ts';

/** senpai.py's argparse defaults, written out by hand (not read from SENPAI_PARAMS). */
const SENPAI_PY: SenpaiOptions = { intervalTicks: 6, tickMs: 1000, pressureUs: 10000, maxProbe: 0.01, maxBackoff: 1.0, coeffProbe: 10, coeffBackoff: 20, minSizeMiB: 100, maxSizeMiB: 100 * 1024 };

describe('Senpai (senpai.py Senpai.tick) on a fake host', () => {
  it('has senpai.py\'s defaults', () => {
    const d = Object.fromEntries(Object.entries(SENPAI_PARAMS).map(([k, v]) => [k, v.default]));
    expect(d).toEqual({
      senpai: false, senpaiIntervalTicks: 6, senpaiTickMs: 1000, senpaiPressureUs: 10000, senpaiMaxProbe: 0.01, senpaiMaxBackoff: 1.0,
      senpaiCoeffProbe: 10, senpaiCoeffBackoff: 20, senpaiMinSizeMiB: 100, senpaiMaxSizeMiB: 102400,
      // oomd SenpaiPoking: off unless asked; mem_pressure_pct_ = io_pressure_pct_ = 0.1.
      senpaiPoking: false, senpaiPressurePct: 0.1,
    });
  });

  /** 5000 pages (20,480,000 B) resident on tier 0 of a 10,000 + 10,000-frame host. */
  function host5000(): FakeHost {
    const h = new FakeHost([10000, 10000]);
    for (let i = 0; i < 5000; i++) h.addPage(0, i);
    return h;
  }

  it('starts at memory.current clamped to min_size (100 MiB), and min_size holds the limit', () => {
    const h = host5000();
    const s = new Senpai(h, SENPAI_PY);
    expect(s.limitBytes).toBe(100 * 2 ** 20);
    for (let i = 0; i < 7; i++) s.tick();
    expect(s.probes).toBe(1);
    expect(s.limitBytes).toBe(100 * 2 ** 20); // 99 % of 100 MiB clamped back up
  });

  it('waits `interval` quiet ticks, then probes by max_probe (1 %) when there is no pressure', () => {
    const h = host5000();
    const s = new Senpai(h, { ...SENPAI_PY, minSizeMiB: 1 });
    expect(s.limitBytes).toBe(20480000);
    // grace_ticks = 6: ticks 1 … 6 count it down, tick 7 probes.
    for (let i = 0; i < 6; i++) expect(s.tick()).toBe(SENPAI_WAIT);
    expect(s.tick()).toBe(SENPAI_PROBE);
    // err = 10000 / max(0, 1); (err / 10)² · 0.01 ≫ 0.01 → 0.01: 20,480,000 · 0.99 = 20,275,200, down to 4 KiB: 4950 pages.
    expect(s.limitBytes).toBe(4950 * 4096);
    // Then interval − 1 = 5 waits before the next probe.
    for (let i = 0; i < 5; i++) expect(s.tick()).toBe(SENPAI_WAIT);
    expect(s.tick()).toBe(SENPAI_PROBE);
    expect(s.limitBytes).toBe(Math.floor((4950 * 4096 * 0.99) / 4096) * 4096); // 4900 pages (4900.5)
    expect(s.limitBytes).toBe(4900 * 4096);
  });

  it('probes less when some pressure was seen: (err / coeff_probe)² · max_probe', () => {
    const h = host5000();
    const s = new Senpai(h, { ...SENPAI_PY, minSizeMiB: 1 });
    for (let i = 0; i < 6; i++) s.tick();
    h.pressureNs = 2000e3; // 2000 µs over the interval
    expect(s.tick()).toBe(SENPAI_PROBE);
    // err = 10000 / 2000 = 5; adj = (5/10)² · 0.01 = 0.0025: 20,480,000 · 0.9975 = 20,428,800 → 4987 pages.
    expect(s.limitBytes).toBe(4987 * 4096);
    expect(s.integralUs).toBe(0);
  });

  it('backs off at once when pressure passes the target: (err / coeff_backoff)² · max_backoff', () => {
    const h = host5000();
    const s = new Senpai(h, { ...SENPAI_PY, minSizeMiB: 1 });
    h.pressureNs = 30000e3; // 30 ms in the first tick
    expect(s.tick()).toBe(SENPAI_BACKOFF);
    // err = 3; adj = (3/20)² · 1.0 = 0.0225: 20,480,000 · 1.0225 = 20,940,800 → 5112 pages (5112.5).
    expect(s.limitBytes).toBe(5112 * 4096);
    expect(s.graceTicks).toBe(5);
    // 400 ms in one tick: err = 40 > coeff_backoff → adj capped at max_backoff 1.0: the limit doubles.
    h.pressureNs += 400000e3;
    expect(s.tick()).toBe(SENPAI_BACKOFF);
    expect(s.limitBytes).toBe(2 * 5112 * 4096);
  });

  it('accumulates pressure below target across ticks until it passes it', () => {
    const h = host5000();
    const s = new Senpai(h, { ...SENPAI_PY, minSizeMiB: 1 });
    h.pressureNs = 6000e3;
    expect(s.tick()).toBe(SENPAI_WAIT); // integral 6000 ≤ 10000
    h.pressureNs = 12000e3;
    expect(s.tick()).toBe(SENPAI_BACKOFF); // integral 12000: err 1.2, adj = 0.0036
    expect(s.limitBytes).toBe(Math.floor((20480000 * 1.0036) / 4096) * 4096); // 5018 pages
    expect(s.limitBytes).toBe(5018 * 4096);
  });

  it('reclaims down to the limit, slowest tier first', () => {
    // 20 pages: 15 on tier 0, 5 on tier 1 (pages 15 … 19); limit after one probe: 20 · 4096 · 0.99 → 19 pages.
    const h = new FakeHost([100, 100]);
    const lru = new ActiveInactiveLru(h);
    lru.ensure(32);
    for (let i = 0; i < 20; i++) lru.add(h.addPage(i < 15 ? 0 : 1, i), i < 15 ? 0 : 1, ADD_FAULT, false);
    const s = new Senpai(h, { ...SENPAI_PY, minSizeMiB: 0.01, intervalTicks: 1 });
    expect(s.tick()).toBe(SENPAI_WAIT);
    expect(s.tick()).toBe(SENPAI_PROBE);
    expect(s.limitBytes).toBe(19 * 4096);
    expect(s.over()).toBe(true);
    // Tier 1's inactive list (tail = page 15): priorities 12 … 3 scan ⌊5 ≫ p⌋ = 0, priority 2 scans 1: page 15.
    expect(s.reclaim(lru, false)).toBe(1);
    expect(h.tierOf(15)).toBe(-1);
    expect(h.used(0)).toBe(15);
    expect(s.over()).toBe(false);
    expect(s.reclaimedAtTick).toBe(1);
  });
});

describe('Senpai poking mode (oomd SenpaiPoking::tick)', () => {
  it('pokes every interval ticks while PSI averages are low: (current − min) · max_probe, then no limit', () => {
    const h = new FakeHost([10000, 10000]);
    const lru = new ActiveInactiveLru(h);
    lru.ensure(5000);
    for (let i = 0; i < 5000; i++) lru.add(h.addPage(1, i), 1, ADD_FAULT, false);
    const s = new Senpai(h, { ...SENPAI_PY, minSizeMiB: 1, poking: true, pressurePct: 0.1 });
    expect(s.limitBytes).toBe(Infinity);
    expect(s.over()).toBe(false);
    for (let i = 0; i < 5; i++) expect(s.tick()).toBe(SENPAI_WAIT);
    expect(s.tick()).toBe(SENPAI_PROBE); // 6th tick: ++ticks ≥ interval
    // (20,480,000 − 1,048,576) · 0.01 = 194,314.24 B → limit ⌊(20,480,000 − 194,314.24) / 4096⌋ = 4952 pages.
    expect(s.limitBytes).toBe(4952 * 4096);
    expect(s.reclaim(lru, false)).toBeGreaterThanOrEqual(48);
    expect(h.used(1)).toBeLessThanOrEqual(4952);
    expect(s.limitBytes).toBe(Infinity); // memory.high reset to max
    expect(s.over()).toBe(false);
  });

  it('holds off while any average is at or above pressure_pct, and pokes on the first tick after it falls', () => {
    const h = new FakeHost([10000, 10000]);
    for (let i = 0; i < 5000; i++) h.addPage(0, i);
    const s = new Senpai(h, { ...SENPAI_PY, minSizeMiB: 1, poking: true, pressurePct: 0.1 });
    h.avgs.set([0, 0, 0.1, 0]); // io avg10 at the threshold: not below it
    for (let i = 0; i < 8; i++) expect(s.tick()).toBe(SENPAI_WAIT);
    h.avgs.set([0.05, 0.09, 0, 0.02]);
    expect(s.tick()).toBe(SENPAI_PROBE);
  });
});

describe('PSI averages (psi.c update_averages, calc_avgs)', () => {
  it('folds each 2 s period\'s stall share into avg10 / avg60 with EXP_10s = 1677, EXP_60s = 1981 (of 2048)', async () => {
    const { Psi } = await import('../sim/psi.ts');
    const p = new Psi(1);
    p.memStall(0, 1e9); // 1 s of stall in the first 2 s: 50 %
    expect(Array.from(p.averages(1.5e9))).toEqual([0, 0, 0, 0]); // not due before 2 s
    const a = p.averages(2e9);
    expect(a[0]).toBeCloseTo((50 * (2048 - 1677)) / 2048, 9); // 9.0576
    expect(a[1]).toBeCloseTo((50 * (2048 - 1981)) / 2048, 9); // 1.6357
    // Next due at 4 s; read at 6 s: one missed period decays, then a 0 % sample over the 4 s since.
    const b = p.averages(6e9);
    expect(b[0]).toBeCloseTo(((50 * (2048 - 1677)) / 2048) * (1677 / 2048) ** 2, 9);
    expect(b[2]).toBe(0);
  });
});

describe('Senpai in a kernel run', () => {
  it('keeps memory.current at its limit after every tick, and moves the limit as senpai.py would from the pressure it read', async () => {
    const { resolveConfig, runSimulation } = await import('../sim/run.ts');
    const sets = {
      workload: 'zipf:pages=3000,accesses=200000,init=1,gapNs=500',
      'machine.tiers.0.capacityGiB': (800 * 4096) / 2 ** 30,
      'machine.tiers.1.capacityGiB': (3200 * 4096) / 2 ** 30,
      'zswap.enabled': true,
      'policy.numa-tiering.senpai': true,
      // Scaled to a 0.1 s run: a tick every 2 ms, 200 µs target per interval, 4 MiB floor.
      'policy.numa-tiering.senpaiTickMs': 2,
      'policy.numa-tiering.senpaiPressureUs': 200,
      'policy.numa-tiering.senpaiMinSizeMiB': 4,
    };
    const { config } = resolveConfig({ sets, flags: { policy: 'numa-tiering' } });
    const out = await runSimulation(config);
    const kernel = (out.engine.policyHooks() as { kernel?: import('../policies/lib/kernel.ts').TieringKernel }).kernel!;
    const s = kernel.senpai!;
    const log = s.log;
    expect(log.timeNs.length).toBeGreaterThan(20);
    // memory_high_write reclaims down to the new limit at every tick.
    for (let i = 0; i < log.timeNs.length; i++) expect(log.currentBytes[i]).toBeLessThanOrEqual(log.limitBytes[i]);
    // Replay senpai.py's tick on the stall deltas the run logged; the limits must match.
    let limit = 4 * 2 ** 20;
    let integral = 0;
    let grace = 6;
    const clamp = (x: number) => Math.floor(Math.max(4 * 2 ** 20, Math.min(100 * 2 ** 30, x)) / 4096) * 4096;
    let backoffs = 0;
    for (let i = 0; i < log.deltaUs.length; i++) {
      integral += log.deltaUs[i];
      if (integral > 200) {
        limit = clamp(Math.floor(limit + limit * Math.min(((integral / 200) / 20) ** 2, 1)));
        integral = 0;
        grace = 5;
        backoffs++;
      } else if (grace > 0) grace--;
      else {
        limit = clamp(Math.floor(limit - limit * Math.min(((200 / Math.max(integral, 1)) / 10) ** 2 * 0.01, 0.01)));
        integral = 0;
        grace = 5;
      }
      expect(log.limitBytes[i], `tick ${i}`).toBe(limit);
    }
    // The workload's 3000 pages (11.7 MiB) start squeezed under 4 MiB: pressure, so the limit backs off.
    expect(backoffs).toBeGreaterThan(0);
    const names = out.result.policyCounterNames;
    expect(out.result.policyCounters[names.indexOf('senpaiBackoffs')]).toBe(backoffs);
    expect(out.result.policyCounters[names.indexOf('senpaiReclaimedInTask')]).toBeGreaterThan(0);
    // The PSI total Senpai read is the engine's: the deltas add up to it (µs, floored).
    expect(log.deltaUs.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(out.engine.host.memPressureNs() / 1000);
    expect(out.engine.checkInvariants()).toEqual([]);
  });

  it.each(['mglru', 'tpp', 'autonuma'])('works with %s\'s reclaimer, page types and a storage device: invariants hold, memory.current ≤ limit after each tick', async (policy) => {
    const { resolveConfig, runSimulation } = await import('../sim/run.ts');
    const sets = {
      workload: 'scan:pages=800,accesses=800,lines=1,type=cache+zipf:pages=2000,offset=800,accesses=60000,init=1,gapNs=500',
      'machine.tiers.0.capacityGiB': (600 * 4096) / 2 ** 30,
      'machine.tiers.1.capacityGiB': (2400 * 4096) / 2 ** 30,
      'zswap.enabled': true,
      'storage.device': 'nvme',
      [`policy.${policy}.senpai`]: true,
      [`policy.${policy}.senpaiTickMs`]: 2,
      [`policy.${policy}.senpaiPressureUs`]: 200,
      [`policy.${policy}.senpaiMinSizeMiB`]: 4,
    };
    const { config } = resolveConfig({ sets, flags: { policy } });
    const out = await runSimulation(config);
    const kernel = (out.engine.policyHooks() as { kernel?: import('../policies/lib/kernel.ts').TieringKernel }).kernel!;
    const s = kernel.senpai!;
    expect(kernel.checkLists()).toEqual([]);
    expect(s.log.timeNs.length).toBeGreaterThan(5);
    for (let i = 0; i < s.log.timeNs.length; i++) expect(s.log.currentBytes[i]).toBeLessThanOrEqual(s.log.limitBytes[i]);
    expect(s.reclaimedInTask + s.reclaimedAtTick).toBeGreaterThan(0);
    expect(out.engine.checkInvariants()).toEqual([]);
  });

  it('poking: reclaims at ticks only, never in the task, and keeps the invariants', async () => {
    const { resolveConfig, runSimulation } = await import('../sim/run.ts');
    const sets = {
      workload: 'zipf:pages=3000,accesses=200000,init=1,gapNs=500',
      'machine.tiers.0.capacityGiB': (800 * 4096) / 2 ** 30,
      'machine.tiers.1.capacityGiB': (3200 * 4096) / 2 ** 30,
      'zswap.enabled': true,
      'policy.numa-tiering.senpai': true,
      'policy.numa-tiering.senpaiPoking': true,
      'policy.numa-tiering.senpaiTickMs': 2,
      'policy.numa-tiering.senpaiMinSizeMiB': 4,
      'policy.numa-tiering.senpaiPressurePct': 100, // always below: poke every interval
    };
    const { config } = resolveConfig({ sets, flags: { policy: 'numa-tiering' } });
    const out = await runSimulation(config);
    const kernel = (out.engine.policyHooks() as { kernel?: import('../policies/lib/kernel.ts').TieringKernel }).kernel!;
    const s = kernel.senpai!;
    // Ticks at 2, 4, … ms; pokes every 6th tick (PSI averages start being updated after 2 s, so 0 here).
    const ticks = s.log.timeNs.length;
    expect(s.probes).toBe(Math.floor(ticks / 6));
    expect(s.reclaimedInTask).toBe(0);
    expect(s.reclaimedAtTick).toBeGreaterThan(0);
    for (let i = 0; i < ticks; i++) if (Number.isFinite(s.log.limitBytes[i])) expect(s.log.currentBytes[i]).toBeLessThanOrEqual(s.log.limitBytes[i]);
    expect(kernel.checkLists()).toEqual([]);
    expect(out.engine.checkInvariants()).toEqual([]);
  });
});
