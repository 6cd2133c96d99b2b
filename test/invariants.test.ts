// Invariant fuzz: every registered policy, seeded random workloads, checked at several cut points
// of the same deterministic run (run.maxAccesses replays the same prefix), plus determinism.

import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { POLICIES } from '../policies/registry.ts';
import { resolveConfig, runSimulation } from '../sim/run.ts';
import { summaryRow, timeseriesRows } from '../results/rows.ts';
import { toCsv } from '../results/write.ts';
import * as S from '../sim/stats.ts';

const KINDS = ['uniform', 'zipf', 'hotset', 'scan'];

/** A small random workload: a few thousand pages; large gaps so that daemons with 1 s periods run. */
function randomWorkload(rng: () => number, hugePages: boolean): string {
  const kind = KINDS[Math.floor(rng() * KINDS.length)];
  // With 2 MiB pages, enough 4 KiB pages for a few dozen huge pages, so every tier gets one at 1:9.
  const pages = (hugePages ? 20000 : 500) + Math.floor(rng() * 3000);
  const threads = 1 + Math.floor(rng() * 3);
  const gapNs = [20, 2000, 100000][Math.floor(rng() * 3)];
  // Tiers are sized from the pages touched: a scan of 20k accesses at 64 lines a page touches only
  // 313 pages, less than one huge page, so with 2 MiB pages it scans one line a page.
  const lines = kind === 'scan' && hugePages ? ',lines=1' : '';
  return `${kind}:pages=${pages},accesses=20k,threads=${threads},gapNs=${gapNs},write=${rng().toFixed(2)}${lines}`;
}

describe('invariants under seeded random runs', () => {
  for (const policy of POLICIES) {
    it(`${policy.name}: every page in one frame, every frame in one tier, no tier over capacity, counts add up`, async () => {
      const rng = seedrandom.alea(`fuzz/${policy.name}`);
      for (let round = 0; round < 3; round++) {
        const pageSizeKiB = rng() < 0.25 ? 2048 : 4;
        const workload = randomWorkload(rng, pageSizeKiB === 2048);
        const ratio = ['1:4', '1:1', '1:9'][round];
        for (const cut of [3000, 9000, 0]) {
          const { config } = resolveConfig({ flags: { policy: policy.name, workload, seed: round + 1, pageSizeKiB, 'machine.ratio': ratio, 'run.maxAccesses': cut } });
          const { engine, result } = await runSimulation(config);
          const where = `${workload} ${pageSizeKiB} KiB ${ratio} cut ${cut}`;
          expect(engine.checkInvariants(), where).toEqual([]);
          const c = result.counters;
          expect(c[S.C_READS] + c[S.C_WRITES], where).toBe(c[S.C_ACCESSES]);
          let tierAccesses = 0;
          for (let t = 0; t < engine.tiers; t++) tierAccesses += c[S.C_TIER_BASE + S.TIER_STRIDE * t];
          expect(tierAccesses, where).toBe(c[S.C_ACCESSES]);
          expect(c[S.C_MIGRATED_BYTES], where).toBe((c[S.C_PROMOTED] + c[S.C_DEMOTED]) * engine.pageBytes);
          if (cut) expect(c[S.C_ACCESSES], where).toBe(cut);
          // Frames in use = pages touched − pages currently swapped out (no sharing yet).
          const used = Array.from(result.usedFrames).reduce((a, b) => a + b, 0);
          expect(used, where).toBe(result.pages - (c[S.C_EVICTED] - c[S.C_SWAP_INS]));
        }
      }
    });
  }
});

describe('determinism', () => {
  async function csvOf(seed: number, policy: string): Promise<string> {
    const { config } = resolveConfig({ flags: { policy, seed, workload: 'hotset:pages=4000,accesses=60k,threads=2,gapNs=500', 'stats.epochMs': 1 } });
    const { result, tiers } = await runSimulation(config);
    return toCsv([summaryRow(config, tiers, result)]) + toCsv(timeseriesRows(tiers, result));
  }

  for (const policy of POLICIES.map((p) => p.name)) {
    it(`${policy}: same config and seed give byte-identical CSV; another seed changes it`, async () => {
      const a = await csvOf(7, policy);
      expect(await csvOf(7, policy)).toBe(a);
      expect(await csvOf(8, policy)).not.toBe(a);
    });
  }
});
