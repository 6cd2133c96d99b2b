// The oracle contract (OracleHost, PolicyHooks.onAccessOracle), as the idealised baselines
// oracle-lru and oracle-static use it: whole-run access counts and ranks from the translated
// stream, free moves, and a hook on every access. Expected values derived by hand below.

import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../sim/run.ts';
import { resolveTiers } from '../sim/machine.ts';
import { Engine } from '../sim/engine.ts';
import { StoredIdSource, translateSource } from '../sim/id-stream.ts';
import { MemorySource } from '../traces/memory-source.ts';
import { asOracleHost, definePolicy } from '../policies/policy.ts';
import type { OracleHost, PolicyHooks } from '../policies/policy.ts';
import * as S from '../sim/stats.ts';
import { SIMPLE_MACHINE, traceOf } from './helpers.ts';
import type { Access } from './helpers.ts';

// Pages 1, 2, 1, 3, 1, 2 (page ids 0, 1, 0, 2, 0, 1 in first-touch order): counts 3, 2, 1.
const ACCESSES: Access[] = [[1, 'R'], [2, 'W'], [1, 'R'], [3, 'R'], [1, 'W'], [2, 'R']];

async function oracleRun(create: (host: OracleHost) => PolicyHooks, sets: Record<string, unknown> = {}, oracle = true) {
  const { config } = resolveConfig({ sets: { ...SIMPLE_MACHINE, 'machine.tiers.0.capacityGiB': 4096 / 1024 ** 3, 'machine.tiers.1.capacityGiB': (4 * 4096) / 1024 ** 3, ...sets } });
  const source = new StoredIdSource(await translateSource(new MemorySource('oracle', [traceOf(ACCESSES)]), 4096));
  const e = new Engine(config, resolveTiers(config, undefined), source);
  e.attach(definePolicy({ name: 'probe-oracle', summary: 'test', source: 'test', params: {}, oracle, create: (_p, h) => create(asOracleHost(h, 'probe-oracle')) }), {});
  return { e, res: await e.run() };
}

describe('oracle host', () => {
  it('counts each page\'s accesses over the whole run and ranks pages by them, ties by first appearance', async () => {
    let host!: OracleHost;
    await oracleRun((h) => ((host = h), {}));
    expect([0, 1, 2].map((p) => host.oracleFutureAccesses(p))).toEqual([3, 2, 1]);
    expect([0, 1, 2].map((p) => host.oracleRank(p))).toEqual([0, 1, 2]);
    // Cut at 4 accesses (one CPU: the first 4 records): counts 2, 1, 1; pages 1 and 2 tie, page 1 first.
    await oracleRun((h) => ((host = h), {}), { 'run.maxAccesses': 4 });
    expect([0, 1, 2].map((p) => host.oracleFutureAccesses(p))).toEqual([2, 1, 1]);
    expect([0, 1, 2].map((p) => host.oracleRank(p))).toEqual([0, 1, 2]);
  });

  it('moves frames for free: no time, no kernel CPU, no migration counted; false when the tier is full', async () => {
    let host!: OracleHost;
    const { e, res } = await oracleRun((h) => ((host = h), {}));
    // Local holds 1 page: page 0 there, pages 1 and 2 on CXL.
    expect([0, 1, 2].map((p) => host.tierOf(p))).toEqual([0, 1, 1]);
    const kernel = res.counters[S.C_KERNEL_CPU_NS];
    expect(host.oracleMove(2, 0)).toBe(false); // local is full
    expect(host.oracleMove(0, 0)).toBe(false); // already there
    expect(host.oracleMove(0, 1)).toBe(true);
    expect(host.oracleMove(2, 0)).toBe(true);
    expect([0, 1, 2].map((p) => host.tierOf(p))).toEqual([1, 1, 0]);
    expect(Array.from(e.usedFrames)).toEqual([1, 2]);
    expect(e.checkInvariants()).toEqual([]);
    expect(res.counters[S.C_KERNEL_CPU_NS]).toBe(kernel);
    expect(res.counters[S.C_PROMOTED] + res.counters[S.C_DEMOTED]).toBe(0);
  });

  it('calls onAccessOracle on every access, with the page and whether it writes', async () => {
    const seen: Array<[number, boolean]> = [];
    await oracleRun(() => ({ onAccessOracle: (page, isWrite) => seen.push([page, isWrite]) }));
    expect(seen).toEqual([[0, false], [1, true], [0, false], [2, false], [0, true], [1, false]]);
  });

  it('a policy not declared oracle: true cannot read whole-run counts', async () => {
    let host!: OracleHost;
    await oracleRun((h) => ((host = h), {}), {}, false);
    expect(() => host.oracleFutureAccesses(0)).toThrow(/oracle: true/);
  });
});
