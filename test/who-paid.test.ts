// Who paid for page migrations (stats.whoPaid): a migration done in a fault is the application's
// time (its thread stalls), one done in a timer or asked asynchronously is a kernel thread's.
// Default costs, one CPU: a 4 KiB migration = 2000 + 4096/12 + 1000 = 3341.33 ns.

import { describe, expect, it } from 'vitest';
import { makeEngine, probePolicy } from './helpers.ts';
import { FAULT_FIRST_TOUCH } from '../policies/policy.ts';
import { resolveConfig, runSimulation, relevantConfig } from '../sim/run.ts';
import { summaryRow } from '../results/rows.ts';
import * as S from '../sim/stats.ts';

const MIGRATION_NS = 2000 + 4096 / 12 + 1000;

describe('who paid for migrations', () => {
  it('a migration in a fault is charged to the application, one in a timer or asked async to a kernel thread', async () => {
    const policy = probePolicy((host) => {
      host.after(1e6, 1);
      return {
        place: () => 0,
        onFault(page, kind) {
          if (kind === FAULT_FIRST_TOUCH && page === 1) host.migrate(0, 1); // synchronous, in page 1's fault
          if (kind === FAULT_FIRST_TOUCH && page === 2) host.migrate(1, 1, true); // asked async: kernel
        },
        onTimer: () => host.migrate(0, 0), // a daemon: kernel, whatever the flag
      };
    });
    const engine = makeEngine({ perCpu: [[[0, 'R', 0], [1, 'R', 0], [2, 'R', 0], [2, 'R', 2e6]]], policy, localPages: 4, cxlPages: 4 });
    const result = await engine.run();
    const b = S.migrationPayerBase(2);
    expect(result.counters[b + S.MP_APP]).toBeCloseTo(MIGRATION_NS, 6);
    expect(result.counters[b + S.MP_KERNEL]).toBeCloseTo(2 * MIGRATION_NS, 6);
    expect(result.counters[S.C_PROMOTED] + result.counters[S.C_DEMOTED]).toBe(3);
  });

  it('the summary has the two columns only with stats.whoPaid, and the run identity is unchanged without it', async () => {
    const flags = { policy: 'numa-tiering', workload: 'uniform:pages=64,accesses=1000,gapNs=1000' };
    const off = resolveConfig({ flags, sets: {} }).config;
    const on = resolveConfig({ flags, sets: { 'stats.whoPaid': true } }).config;
    expect('stats.whoPaid' in relevantConfig(off)).toBe(false);
    expect(relevantConfig(on)['stats.whoPaid']).toBe(true);
    const a = await runSimulation(off);
    const r = await runSimulation(on);
    const rowOff = summaryRow(off, a.tiers, a.result, a.trace);
    const rowOn = summaryRow(on, r.tiers, r.result, r.trace);
    expect('migrationAppNs' in rowOff).toBe(false);
    expect(typeof rowOn.migrationAppNs).toBe('number');
    expect(typeof rowOn.migrationKernelNs).toBe('number');
  });
});
