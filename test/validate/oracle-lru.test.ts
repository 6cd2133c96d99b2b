// oracle-lru's local share equals the exact LRU hit ratio of a cache of tier 0's size, counted
// independently by the stack-distance pass in mattson.ts; both are checked on streams worked by
// hand first.

import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import seedrandom from 'seedrandom';
import { StackDistances, pageStream } from './mattson.ts';
import { makeEngine } from '../helpers.ts';
import type { Access } from '../helpers.ts';
import { resolveConfig, runSimulation, openSource } from '../../sim/run.ts';
import * as S from '../../sim/stats.ts';
import { SHIPPED_TRACES } from './shipped-traces.ts';

/** Tier-0 hits of oracle-lru with tier 0 = n pages on a stream of 4 KiB page numbers. */
async function oracleHits(pages: number[], n: number): Promise<number> {
  const trace: Access[] = pages.map((p) => [p, 'R', 10]);
  const e = makeEngine({ perCpu: [trace], localPages: n, cxlPages: pages.length + 1, policy: 'oracle-lru' });
  const res = await e.run();
  expect(e.checkInvariants()).toEqual([]);
  return res.counters[S.C_TIER_BASE];
}

const A = 0, B = 1, C = 2, D = 3;

describe('stack distances (Mattson) on streams worked by hand', () => {
  it('A B C A B D A: distances ∞ ∞ ∞ 3 3 ∞ 3, so a 2-page LRU hits nothing and a 3-page one hits 3 of 7', () => {
    // Cache of 2: A B → {B A}; C evicts A; A evicts B; B evicts C; D evicts A; A evicts B: all miss.
    // Cache of 3: A B C miss; A and B hit (2 others since); D misses, evicts C; A hits (B, D since).
    const sd = StackDistances.of([A, B, C, A, B, D, A]);
    expect(sd.coldMisses).toBe(4);
    expect(Array.from(sd.hist.subarray(1, 5))).toEqual([0, 0, 3, 0]);
    expect([sd.hits(1), sd.hits(2), sd.hits(3), sd.hits(100)]).toEqual([0, 0, 3, 3]);
  });

  it('A A A B A: distances ∞ 1 1 ∞ 2, so a 1-page LRU hits 2 of 5 and a 2-page one 3 of 5', () => {
    const sd = StackDistances.of([A, A, A, B, A]);
    expect([sd.hits(1), sd.hits(2)]).toEqual([2, 3]);
    expect(sd.hitRatio(1)).toBe(0.4);
  });

  it('a cyclic scan of k + 1 pages never hits in a k-page LRU, and always after the first pass in a (k + 1)-page one', () => {
    const stream: number[] = [];
    for (let r = 0; r < 5; r++) for (let p = 0; p < 5; p++) stream.push(p);
    const sd = StackDistances.of(stream);
    expect(sd.hits(4)).toBe(0);
    expect(sd.hits(5)).toBe(20);
  });
});

describe('oracle-lru: tier-0 accesses = LRU hits of a tier-0-sized cache', () => {
  it('on the hand-worked streams above (first touches are misses)', async () => {
    expect(await oracleHits([A, B, C, A, B, D, A], 2)).toBe(0);
    expect(await oracleHits([A, B, C, A, B, D, A], 3)).toBe(3);
    expect(await oracleHits([A, A, A, B, A], 1)).toBe(2);
    expect(await oracleHits([A, A, A, B, A], 2)).toBe(3);
  });

  it('on seeded random streams with locality, for several tier-0 sizes', async () => {
    const rng = seedrandom.alea('oracle-lru/mattson');
    for (let round = 0; round < 4; round++) {
      const stream: number[] = [];
      for (let i = 0; i < 3000; i++) stream.push(rng() < 0.7 ? Math.floor(rng() * 8) : Math.floor(rng() * 200));
      const sd = StackDistances.of(stream);
      for (const n of [1, 3, 8, 50]) expect(await oracleHits(stream, n), `round ${round}, n ${n}`).toBe(sd.hits(n));
    }
  });

  const sqlite = SHIPPED_TRACES.find((t) => t.name === 'sqlite3')!;
  it.skipIf(!existsSync(sqlite.path))('on the first 300 k records of the shipped sqlite3 lackey trace, LLC filter off, 4 KiB pages', async () => {
    const limit = 300_000;
    const sets = { 'llc.enabled': 'false', 'run.maxAccesses': limit, 'machine.tiers.0.capacityGiB': (16 * 4096) / 2 ** 30, 'machine.tiers.1.capacityGiB': 1 };
    const { config } = resolveConfig({ sets, flags: { policy: 'oracle-lru', trace: sqlite.path } });
    const { source } = await openSource(config);
    const { ids, pages } = await pageStream(source, 4096, limit);
    await source.close?.();
    const sd = StackDistances.of(ids, pages);
    const { result } = await runSimulation(config);
    expect(result.counters[S.C_ACCESSES]).toBe(limit);
    expect(result.counters[S.C_TIER_BASE]).toBe(sd.hits(16));
  });
});
