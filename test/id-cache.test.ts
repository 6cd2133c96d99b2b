// The translated-stream cache (sim/id-cache.ts): a trace is translated once, recorded while its first
// run goes, and replayed by later runs and sweep points with byte-identical results.

import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, runSimulation, openSource } from '../sim/run.ts';
import { summaryRow, timeseriesRows } from '../results/rows.ts';
import { toCsv } from '../results/write.ts';
import { idCachePath, openCached, translateOnce, CachedIdSource } from '../sim/id-cache.ts';
import type { Config } from '../sim/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'tiersim-idcache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A CSV trace of one or two threads: `n` accesses over 300 pages, every 7th a write. */
function csvTrace(name: string, n: number, threads = 1): string {
  const lines = ['time,cpu,op,addr,size'];
  for (let i = 0; i < n; i++) lines.push(`${i * 50},${i % threads},${i % 7 === 0 ? 'W' : 'R'},0x${(0x10000000 + ((i * 7919) % 300) * 4096 + (i % 64) * 64).toString(16)},8`);
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

async function csvOf(config: Config): Promise<string> {
  const o = await runSimulation(config);
  return toCsv([summaryRow(config, o.tiers, o.result, o.trace)]) + toCsv(timeseriesRows(o.tiers, o.result));
}

describe('translated-stream cache', () => {
  it('the first run of a trace records its stream; later runs read it, with byte-identical output', async () => {
    const trace = csvTrace('a.csv', 20000);
    const { config } = resolveConfig({ flags: { policy: 'tpp', trace, 'stats.epochMs': 0.1 } });
    const path = (await idCachePath(config))!;
    expect(existsSync(path)).toBe(false);
    const first = await csvOf(config);
    expect(existsSync(path)).toBe(true);
    const cached = openCached(path)!;
    expect(cached).toBeInstanceOf(CachedIdSource);
    // One CPU, 20 000 accesses over 300 distinct 4 KiB pages.
    expect(cached.streamPages()).toBe(300);
    let records = 0;
    for (let b = cached.next(0); b !== null; b = cached.next(0)) records += b.end - b.start;
    cached.close();
    expect(records).toBe(20000);
    const second = await csvOf(config);
    expect(second).toBe(first);
    rmSync(path);
  });

  it('a run cut short by run.maxAccesses leaves no cache, and a 2 MiB run keys its own', async () => {
    const trace = csvTrace('b.csv', 5000);
    const { config: cut } = resolveConfig({ flags: { policy: 'first-touch', trace, 'run.maxAccesses': 100 } });
    expect(await idCachePath(cut)).toBeUndefined();
    const { config: small } = resolveConfig({ flags: { policy: 'first-touch', trace } });
    const { config: huge } = resolveConfig({ flags: { policy: 'first-touch', trace, pageSizeKiB: 2048 } });
    expect(await idCachePath(huge)).not.toBe(await idCachePath(small));
  });

  it('a sweep translates a stream its points share once: the source is opened once for three runs', async () => {
    const trace = csvTrace('c.csv', 8000);
    const configs = ['first-touch', 'tpp', 'mglru'].map((policy) => resolveConfig({ flags: { policy, trace } }).config);
    let opened = 0;
    const logged: string[] = [];
    const done = await translateOnce(configs, (c) => (opened++, openSource(c)), (s) => logged.push(s));
    expect(opened).toBe(1);
    expect([...done].sort()).toEqual([0, 1, 2]);
    expect(logged[0]).toMatch(/translated once for 3 runs/);
    // Every point then replays the cache: the same result as a run that translates for itself.
    const viaCache = await csvOf(configs[1]);
    rmSync((await idCachePath(configs[1]))!);
    const fresh = await csvOf({ ...configs[1], 'trace.indexCache': false });
    expect(viaCache).toBe(fresh);
  });
});
