// RunControl: the engine yields to Node's event loop between turns, reports progress and stops on an
// aborted signal, without changing results.

import { describe, expect, it } from 'vitest';
import { resolveConfig, runSimulation } from '../sim/run.ts';
import { RunAborted } from '../sim/engine.ts';
import type { RunProgress } from '../sim/engine.ts';
import { summaryRow, timeseriesRows } from '../results/rows.ts';
import { toCsv } from '../results/write.ts';
import { C_ACCESSES } from '../sim/stats.ts';

// 2 threads, 0.05 ms epochs: thousands of turns, so the loop reaches its yield points often.
const flags = { policy: 'tpp', workload: 'hotset:pages=3000,accesses=60k,threads=2,gapNs=2000', 'stats.epochMs': 0.05 };

describe('run control', () => {
  it('reports progress as it yields, and yielding at every chance gives the same bytes as not yielding', async () => {
    const { config } = resolveConfig({ flags });
    const seen: RunProgress[] = [];
    const often = await runSimulation(config, undefined, { yieldEveryMs: 0, onProgress: (p) => seen.push(p) });
    const never = await runSimulation(config, undefined, { yieldEveryMs: 1e9 });
    const csv = (o: typeof often) => toCsv([summaryRow(config, o.tiers, o.result)]) + toCsv(timeseriesRows(o.tiers, o.result));
    expect(csv(often)).toBe(csv(never));
    expect(seen.length).toBeGreaterThan(10);
    // Progress only grows, and stays within the run.
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i].accesses).toBeGreaterThanOrEqual(seen[i - 1].accesses);
      expect(seen[i].simNowNs).toBeGreaterThanOrEqual(seen[i - 1].simNowNs);
    }
    expect(seen[seen.length - 1].accesses).toBeLessThanOrEqual(often.result.counters[C_ACCESSES]);
  });

  it('stops with RunAborted at the first yield after the signal is aborted', async () => {
    const { config } = resolveConfig({ flags });
    const ac = new AbortController();
    let reports = 0;
    const run = runSimulation(config, undefined, {
      signal: ac.signal,
      yieldEveryMs: 0,
      onProgress: () => {
        if (++reports === 3) ac.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(RunAborted);
    expect(reports).toBe(3);
  });
});
