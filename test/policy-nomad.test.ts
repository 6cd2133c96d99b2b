// Nomad (policies/nomad.ts) and the engine's shadow frames (sim/shadow-ops.ts): worked examples on
// tiny machines, every expected value derived by hand from the artifact's rules and the default
// costs (cost.migrationFixedNs 2000, migrationCopyGBps 12, tlbShootdownNs 1000, one CPU:
// a 4 KiB migration = 2000 + 4096/12 + 1000 = 3341.33 ns, of which the copy is 341.33 ns).

import { describe, expect, it } from 'vitest';
import { makeEngine, probePolicy } from './helpers.ts';
import type { Access } from './helpers.ts';
import { asShadowHost, FAULT_HINT } from '../policies/policy.ts';
import type { Host, PolicyHooks } from '../policies/policy.ts';
import type { TieringKernel } from '../policies/lib/kernel.ts';
import nomad from '../policies/nomad.ts';
import * as S from '../sim/stats.ts';

const MIGRATION_NS = 2000 + 4096 / 12 + 1000;
const COPY_NS = 4096 / 12;
const FIRST_TOUCH_NS = 1000 + 1; // SIMPLE_MACHINE: fault 1000 ns + zeroing 4096 B at 4096 B/ns

function counter(result: { policyCounterNames: string[]; policyCounters: Float64Array }, name: string): number {
  const i = result.policyCounterNames.indexOf(name);
  if (i < 0) throw new Error(`no counter ${name}`);
  return result.policyCounters[i];
}

describe('engine shadow frames (ShadowHost)', () => {
  /** Pages 0 and 1 first touched on the slow tier; at 0.5 ms page 0 is promoted keeping its shadow. */
  async function run(trace: Access[], atMs: Array<(host: Host) => void>) {
    const policy = probePolicy((host) => {
      const sh = asShadowHost(host, 'probe');
      const breaks = host.counter('breaks');
      sh.countShadowWriteBreaks(breaks);
      atMs.forEach((_, i) => host.after((i + 1) * 0.5e6, i));
      return {
        place: () => 1,
        onTimer: (id) => atMs[id](host),
      };
    });
    const engine = makeEngine({ perCpu: [trace], policy, localPages: 4, cxlPages: 4 });
    const result = await engine.run();
    return { engine, result };
  }

  it('a copy-and-remap promotion keeps the old frame as a shadow; the first write frees it', async () => {
    const log: unknown[] = [];
    const { engine, result } = await run(
      // page 0 written at t ≈ 0 (dirty), page 1 read; page 0 written again at ≈ 2 ms.
      [[0, 'W', 0], [1, 'R', 0], [1, 'R', 1_000_000], [0, 'W', 1_000_000], [1, 'R', 1_000_000]],
      [
        (host) => {
          const sh = asShadowHost(host, 'probe');
          log.push(sh.testAndClearDirty(0), sh.testAndClearDirty(0)); // dirty from the first write, then clean
          log.push(sh.migrateKeepShadow(0, 0), host.tierOf(0), sh.shadowTier(0), host.used(0), host.used(1));
          log.push(sh.migrateKeepShadow(0, 0)); // already on tier 0 with a shadow: refused
        },
        (host) => log.push(asShadowHost(host, 'probe').shadowTier(0), host.used(1)), // 1 ms: still shadowed
      ],
    );
    expect(log).toEqual([true, false, true, 0, 1, 1, 2, false, 1, 2]);
    // The write at ≈ 2 ms took a write-protect fault that dropped the shadow.
    expect(Array.from(engine.usedFrames)).toEqual([1, 1]);
    expect(counter(result, 'breaks')).toBe(1);
    const c = result.counters;
    expect(c[S.C_PROMOTED]).toBe(1);
    expect(c[S.C_MIGRATED_BYTES]).toBe(4096);
    // Kernel CPU: 2 first touches, 2 PTE scans (30 ns), the migration, the write-protect fault (2000 ns).
    expect(c[S.C_KERNEL_CPU_NS]).toBeCloseTo(2 * FIRST_TOUCH_NS + 2 * 30 + MIGRATION_NS + 2000, 6);
    expect(engine.checkInvariants()).toEqual([]);
  });

  it('demoting a clean shadowed page is a remap onto its shadow: 0 bytes, no copy time', async () => {
    const log: unknown[] = [];
    const { engine, result } = await run(
      [[0, 'R', 0], [1, 'R', 0], [1, 'R', 1_000_000], [1, 'R', 1_000_000]],
      [
        (host) => log.push(asShadowHost(host, 'probe').migrateKeepShadow(0, 0)),
        (host) => log.push(host.migrate(0, 1, true), host.tierOf(0), asShadowHost(host, 'probe').shadowTier(0), host.used(0), host.used(1)),
      ],
    );
    expect(log).toEqual([true, true, 1, -1, 0, 2]);
    const c = result.counters;
    expect([c[S.C_PROMOTED], c[S.C_DEMOTED]]).toEqual([1, 1]);
    expect(c[S.C_MIGRATED_BYTES]).toBe(4096); // the promotion's copy only
    expect(c[S.C_KERNEL_CPU_NS]).toBeCloseTo(2 * FIRST_TOUCH_NS + MIGRATION_NS + (MIGRATION_NS - COPY_NS), 6);
    expect(Array.from(engine.usedFrames)).toEqual([0, 2]);
    expect(engine.checkInvariants()).toEqual([]);
  });

  it('evicting a shadowed page frees its shadow too', async () => {
    const log: unknown[] = [];
    const { engine } = await run(
      [[0, 'R', 0], [1, 'R', 0], [1, 'R', 1_000_000]],
      [(host) => log.push(asShadowHost(host, 'probe').migrateKeepShadow(0, 0), host.evict(0), host.used(0), host.used(1))],
    );
    expect(log).toEqual([true, true, 0, 1]);
    expect(engine.checkInvariants()).toEqual([]);
  });
});

describe('nomad', () => {
  // Node 0 = 4 pages, node 1 = 3; min_free_kbytes 4 → pages_min 1, node 0 min ⌊1·4/7⌋ = 0 and
  // tmp = max(0, ⌊4·10/10000⌋) = 0: every watermark of both nodes is 0. Pages X = 0, C = 1, D = 2,
  // A = 3 are first touched on node 0 (free − 0 > low 0 each time). At 0.5 ms the test demotes X, C,
  // D by hand (node 1 full); at 1 ms X takes a hint fault: latency 1 ms − stamp 0 < 1000 ms, rate
  // limit far off → promote, which Nomad queues (lookBack 0: at the fault itself). The worker starts
  // X's copy at 1 ms (dirty bit cleared); its commit check is at 1 ms + copyWindowNs (100 µs).
  const SETS = {
    'policy.nomad.minFreeKbytes': 4,
    'policy.nomad.lookBack': 0,
    'policy.nomad.copyWindowNs': 100_000,
  };

  async function scenario(writeDuringCopy: boolean, kswapdAt13: boolean) {
    const trace: Access[] = [
      [0, 'W', 0],
      [1, 'W', 0],
      [2, 'W', 0],
      [3, 'W', 0],
      [3, 'R', 1_020_000], // ≈ 1.025 ms
      [writeDuringCopy ? 0 : 3, 'W', 0], // X written inside the first copy window [1.0, 1.1] ms
      [3, 'R', 200_000], // ≈ 1.225 ms: after the second pass's commit at 1.2 ms
      [3, 'R', 200_000], // ≈ 1.425 ms
    ];
    let hooks!: PolicyHooks & { kernel: TieringKernel };
    const log: unknown[] = [];
    const params = Object.fromEntries(Object.entries(nomad.params).map(([k, v]) => [k, v.default])) as Record<string, unknown>;
    for (const [k, v] of Object.entries(SETS)) params[k.slice('policy.nomad.'.length)] = v;
    const policy = probePolicy((host) => {
      hooks = nomad.create(params as never, host) as PolicyHooks & { kernel: TieringKernel };
      host.after(0.5e6, 900);
      host.after(1e6, 901);
      host.after(1.3e6, 902);
      return {
        place: (p, cpu) => hooks.place!(p, cpu),
        onFault: (p, kind, cpu) => hooks.onFault!(p, kind, cpu),
        onPressure: (t, n) => hooks.onPressure!(t, n),
        onTimer(id) {
          if (id === 900) log.push(host.migrate(0, 1, true), host.migrate(1, 1, true), host.migrate(2, 1, true));
          else if (id === 901) hooks.onFault!(0, FAULT_HINT, 0);
          else if (id === 902) {
            log.push(host.tierOf(0), host.used(0), host.used(1));
            if (kswapdAt13) hooks.kernel.kswapd(1);
          } else hooks.onTimer!(id);
        },
      };
    }, { name: 'nomad' });
    const engine = makeEngine({ perCpu: [trace], policy, localPages: 4, cxlPages: 3 });
    const result = await engine.run();
    return { engine, result, log, c: (n: string) => counter(result, n) };
  }

  it('a page written during its copy aborts, is retried in the next pass and commits with a shadow', async () => {
    const { engine, result, log, c } = await scenario(true, false);
    expect(log.slice(0, 3)).toEqual([true, true, true]);
    expect(log.slice(3)).toEqual([0, 2, 3]); // at 1.3 ms: X on node 0; node 1 = C, D and X's shadow
    expect([c('nomadQueued'), c('nomadTransactions'), c('nomadAborts'), c('nomadRetries'), c('nomadCommits'), c('shadowPages')]).toEqual([1, 2, 1, 1, 1, 1]);
    // 3 hand demotions + the aborted copy + the committed copy, 4 KiB each.
    expect(result.counters[S.C_MIGRATED_BYTES]).toBe(5 * 4096);
    expect(result.counters[S.C_PROMOTED]).toBe(1);
    expect(engine.checkInvariants()).toEqual([]);
  });

  it('a page left clean during its copy commits on the first pass', async () => {
    const { result, c } = await scenario(false, false);
    expect([c('nomadTransactions'), c('nomadAborts'), c('nomadCommits')]).toEqual([1, 0, 1]);
    expect(result.counters[S.C_MIGRATED_BYTES]).toBe(4 * 4096);
  });

  it('under slow-tier pressure kswapd frees shadows before reclaiming any page', async () => {
    // At 1.3 ms node 1 is full (C, D, X's shadow), free 0, kswapd target promo = 0: not balanced
    // (free 0 is not > 0). Shadow reclaim is asked for ⌈(0 − 0)/1⌉ + 1 = 1 page and frees X's
    // shadow: free 1 > 0, balanced, so no LRU page is reclaimed.
    const { engine, result, c } = await scenario(false, true);
    expect(c('shadowsReclaimed')).toBe(1);
    expect(c('reclaimDemoted') + c('reclaimEvicted')).toBe(0);
    expect(Array.from(engine.usedFrames)).toEqual([2, 2]);
    expect(result.counters[S.C_EVICTED]).toBe(0);
    expect(engine.checkInvariants()).toEqual([]);
  });

  it('decide_queue_page: a faulted page is queued at a later fault, once young and active', async () => {
    // Node 0 = 8 pages, node 1 = 8, every watermark 0 (min_free_kbytes 4). Pages X, Y, Z, W = 0 … 3
    // first touched (young, inactive), demoted by hand at 0.5 ms; hint faults on X, Y, Z, W at 1.0,
    // 1.1, 1.2, 1.3 ms, each a promotion candidate (latency ≤ 1 ms < 1000 ms). Look-back walks:
    // fault Y: X young inactive → marked (referenced); fault Z: Y marked, X marked again → active;
    // fault W: Z marked, Y → active, X young and active → queued. One queued page, committed at
    // 1.3 ms + 2 µs; Y would go at the next fault.
    let hooks!: PolicyHooks & { kernel: TieringKernel };
    const params = Object.fromEntries(Object.entries(nomad.params).map(([k, v]) => [k, v.default])) as Record<string, unknown>;
    params.minFreeKbytes = 4;
    let hostRef!: Host;
    const policy = probePolicy((host) => {
      hostRef = host;
      hooks = nomad.create(params as never, host) as PolicyHooks & { kernel: TieringKernel };
      host.after(0.5e6, 900);
      [0, 1, 2, 3].forEach((p, i) => host.after(1e6 + i * 0.1e6, 910 + p));
      return {
        place: (p, cpu) => hooks.place!(p, cpu),
        onFault: (p, kind, cpu) => hooks.onFault!(p, kind, cpu),
        onPressure: (t, n) => hooks.onPressure!(t, n),
        onTimer(id) {
          if (id === 900) for (const p of [0, 1, 2, 3]) host.migrate(p, 1, true);
          else if (id >= 910) hooks.onFault!(id - 910, FAULT_HINT, 0);
          else hooks.onTimer!(id);
        },
      };
    }, { name: 'nomad' });
    const trace: Access[] = [[0, 'W', 0], [1, 'W', 0], [2, 'W', 0], [3, 'W', 0], [4, 'W', 0], [4, 'R', 2_000_000]];
    const engine = makeEngine({ perCpu: [trace], policy, localPages: 8, cxlPages: 8 });
    const result = await engine.run();
    expect([counter(result, 'nomadQueued'), counter(result, 'nomadCommits')]).toEqual([1, 1]);
    expect([0, 1, 2, 3].map((p) => hostRef.tierOf(p))).toEqual([0, 1, 1, 1]);
    expect(hooks.kernel.reclaimer.isActive(1)).toBe(true);
    expect(hooks.kernel.reclaimer.isActive(2)).toBe(false);
    expect(engine.checkInvariants()).toEqual([]);
  });
});
