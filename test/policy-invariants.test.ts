// Invariant fuzz for the kernel tiering policies: seeded random workloads and machines (including
// machines with no spare capacity, so kswapd, direct reclaim, demotion failure and swap all run),
// with the engine's invariants and the policy's own list invariants checked during and after
// each run.

import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { resolveConfig, policyParams } from '../sim/run.ts';
import { resolveTiers } from '../sim/machine.ts';
import { Engine } from '../sim/engine.ts';
import { findPolicy } from '../policies/registry.ts';
import type { PolicyDefinition, PolicyHooks } from '../policies/policy.ts';
import type { TieringKernel } from '../policies/lib/kernel.ts';
import { SyntheticSource } from '../traces/synthetic.ts';
import * as S from '../sim/stats.ts';

const POLICY_NAMES = ['numa-tiering', 'tpp', 'mglru', 'autonuma', 'nomad', 'neomem', 'colloid-tpp'];

function workload(rng: () => number, hugePages = false): string {
  // With 2 MiB pages: 40–60 k base pages = 78–117 huge pages.
  const pages = hugePages ? 40000 + Math.floor(rng() * 20000) : 1500 + Math.floor(rng() * 4000);
  const threads = 1 + Math.floor(rng() * 3);
  // 40k accesses over the threads, 100–300 µs apart: 1.3–12 s per thread, so NUMA scans (first at
  // 1 s) run several times. init=1 touches every page first, so the tiers fill.
  const gapNs = [100000, 200000, 300000][Math.floor(rng() * 3)];
  const common = `pages=${pages},accesses=40k,threads=${threads},gapNs=${gapNs},write=${rng().toFixed(2)},init=1`;
  const kind = Math.floor(rng() * 3);
  if (kind === 0) return `hotset:${common},hot=0.1,shiftAt=0.5`;
  if (kind === 1) return `zipf:${common},theta=0.9`;
  return `uniform:${common}+hotset:${common}`;
}

/** Wrap a policy so every 50th hook call checks the engine's and the policy's invariants. */
function checked(def: PolicyDefinition, errors: string[], ref: { engine?: Engine }): PolicyDefinition {
  return {
    ...def,
    create(params, host) {
      const hooks = def.create(params, host) as PolicyHooks & { kernel?: TieringKernel };
      let calls = 0;
      const check = (where: string) => {
        if (++calls % 50 !== 0 || errors.length > 0) return;
        for (const e of ref.engine!.checkInvariants()) errors.push(`${where}: ${e}`);
        for (const e of hooks.kernel!.checkLists()) errors.push(`${where}: ${e}`);
      };
      return {
        ...hooks,
        onFault(page, kind, cpu) {
          hooks.onFault!(page, kind, cpu);
          check(`fault ${kind}`);
        },
        onTimer(id) {
          hooks.onTimer!(id);
          check('timer');
        },
        onPressure(tier, pages) {
          hooks.onPressure!(tier, pages);
          check('pressure');
        },
      };
    },
  };
}

describe('kernel tiering policies keep every invariant under seeded random runs', () => {
  for (const name of POLICY_NAMES) {
    it(`${name}: frames, tiers, capacities and LRU lists stay consistent`, async () => {
      const rng = seedrandom.alea(`policy-fuzz/${name}`);
      let movedAway = 0;
      for (let round = 0; round < 5; round++) {
        // Round 4 runs with 2 MiB pages (order-9 folios against base-page watermarks).
        const pageSizeKiB = round === 4 ? 2048 : 4;
        const spec = workload(rng, pageSizeKiB === 2048);
        const preset = round === 3 ? 'ddr5-cxl-3tier' : 'ddr5-cxl';
        const ratio = round === 3 ? '1:2:2' : ['1:4', '1:1', '1:9', '', '1:4'][round];
        // Rounds 1 and 3: a few spare pages only (0.1 %), so the machine fills and reclaim must evict.
        const headroom = round % 2 === 1 ? 0.1 : 10;
        const sets: Record<string, unknown> = { 'machine.headroomPct': headroom };
        if (name === 'tpp') sets['policy.tpp.demoteScaleFactor'] = [200, 1000, 0, 500, 200][round];
        if (name === 'mglru') sets['policy.mglru.minTtlMs'] = [0, 0, 50, 0, 0][round];
        if (name === 'colloid-tpp') {
          // A pulsed DRAM antagonist (on 1 s, off 1 s) on the curve model: local reads slower, then
          // faster, so mode 6's moves away and the promotions after them both run.
          Object.assign(sets, { 'machine.loadModel': 'curve', 'machine.tiers.0.antagonistGBps': 205, 'machine.tiers.0.antagonistPulseOnMs': 1000, 'machine.tiers.0.antagonistPulseOffMs': 1000 });
        }
        if (name === 'neomem') sets['policy.neomem.migrateMBps'] = [1024, 1, 1024, 4, 1024][round];
        else if (name !== 'autonuma') sets[`policy.${name}.promoteRateLimitMBps`] = [65536, 1, 65536, 4, 65536][round];
        const { config } = resolveConfig({ sets, flags: { policy: name, workload: spec, seed: round + 1, pageSizeKiB, 'machine.preset': preset, 'machine.ratio': ratio } });
        const source = new SyntheticSource(spec, round + 1);
        const tiers = resolveTiers(config, source.footprintPages(pageSizeKiB * 1024));
        const engine = new Engine(config, tiers, source);
        const errors: string[] = [];
        const ref: { engine?: Engine } = { engine };
        const def = findPolicy(name);
        engine.attach(checked(def, errors, ref), policyParams(config, def));
        const where = `${spec} ${pageSizeKiB} KiB ${preset} ${ratio} headroom ${headroom}`;
        const result = await engine.run();
        expect(errors, where).toEqual([]);
        expect(engine.checkInvariants(), where).toEqual([]);
        const c = result.counters;
        // Nomad: a remap onto a shadow moves no bytes, an aborted copy moves a page's bytes and
        // moves nothing; shadow frames are used frames no page maps.
        const pc = (n: string) => (result.policyCounterNames.includes(n) ? result.policyCounters[result.policyCounterNames.indexOf(n)] : 0);
        const moves = c[S.C_PROMOTED] + c[S.C_DEMOTED] - pc('shadowRemapDemotions') + pc('nomadAborts');
        expect(c[S.C_MIGRATED_BYTES], where).toBe(moves * engine.pageBytes);
        const shadowsHeld = pc('shadowPages') - pc('shadowRemapDemotions') - pc('shadowWriteBreaks') - pc('shadowsReclaimed') - pc('shadowsFreedOther');
        const used = Array.from(result.usedFrames).reduce((a, b) => a + b, 0);
        expect(used, where).toBe(result.pages - (c[S.C_EVICTED] - c[S.C_SWAP_INS]) + shadowsHeld);
        movedAway += pc('colloidMovedAway');
      }
      // The antagonist rounds must have exercised Colloid's move-away path, or they checked nothing new.
      if (name === 'colloid-tpp') expect(movedAway).toBeGreaterThan(0);
    }, 120_000);
  }
});
