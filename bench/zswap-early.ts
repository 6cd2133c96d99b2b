// `npx tsx bench/zswap-early.ts [out.csv]`: issue 15's question "act early or wait for the
// watermark?" as a small sweep. A Zipf(0.99) workload whose 20 000 pages fill 97 % of a 1:4
// machine runs under numa-tiering with zswap on; early reclaim (policy.numa-tiering.reclaimEarlyPct)
// at 60, 70, 80, 90 % of memory against 0 (wait for the watermarks). Per point: slowdown, the
// zswap pool, memory it saves, swap-ins and stalls. Writes a CSV (default
// docs/figures/zswap-early.csv) for `npm run plot`.

import { writeFileSync } from 'node:fs';
import '../policies/registry.ts'; // the policy catalog's composition root (sim/ never imports policies/)
import { resolveConfig, runSimulation } from '../sim/run.ts';
import { runAsMain } from '../sim/cli-common.ts';
import { ZS_POOL_BYTES, ZS_SAVED_BYTES, ZS_STORED, ZS_LOADS, ZS_WRITTEN_BACK } from '../sim/swap.ts';
import * as S from '../sim/stats.ts';

const PAGES = 20000;
const MEMORY = Math.ceil(PAGES / 0.97);
const MiB = 2 ** 20;

export async function zswapEarlyRun(pct: number) {
  const local = Math.floor(MEMORY / 5);
  const sets = {
    workload: `zipf:pages=${PAGES},accesses=2M,init=1,gapNs=200`,
    'machine.tiers.0.capacityGiB': (local * 4096) / 2 ** 30,
    'machine.tiers.1.capacityGiB': ((MEMORY - local) * 4096) / 2 ** 30,
    'zswap.enabled': true,
    'policy.numa-tiering.reclaimEarlyPct': pct,
  };
  const { config } = resolveConfig({ sets, flags: { policy: 'numa-tiering' } });
  const out = await runSimulation(config);
  const z = out.engine.zswapStats;
  const c = out.result.counters;
  return {
    reclaimEarlyPct: pct,
    trigger: pct === 0 ? 'watermark' : `${pct} %`,
    slowdown: out.result.simTimeNs / out.result.idealTimeNs,
    poolMiB: z[ZS_POOL_BYTES] / MiB,
    savedMiB: z[ZS_SAVED_BYTES] / MiB,
    compressionRatio: z[ZS_POOL_BYTES] > 0 ? ((z[ZS_SAVED_BYTES] + z[ZS_POOL_BYTES]) / z[ZS_POOL_BYTES]) : 0,
    stores: z[ZS_STORED],
    loads: z[ZS_LOADS],
    writtenBack: z[ZS_WRITTEN_BACK],
    swapIns: c[S.C_SWAP_INS],
    stallMs: c[S.C_STALL_NS] / 1e6,
  };
}

async function main(argv: string[]): Promise<number> {
  const rows = [];
  for (const pct of [0, 90, 80, 70, 60]) {
    const r = await zswapEarlyRun(pct);
    rows.push(r);
    console.log(Object.entries(r).map(([k, v]) => `${k}=${typeof v === 'number' ? +v.toFixed(3) : v}`).join(' '));
  }
  const cols = Object.keys(rows[0]);
  writeFileSync(argv[0] ?? 'docs/figures/zswap-early.csv', [cols.join(','), ...rows.map((r) => cols.map((k) => String((r as Record<string, unknown>)[k])).join(','))].join('\n') + '\n');
  return 0;
}

runAsMain(import.meta.url, main);
