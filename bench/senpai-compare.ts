// `npx tsx bench/senpai-compare.ts [out-prefix]`: issue 15's comparison — act early at 80 % of
// memory, wait for the watermarks, or let Senpai (TMO) size the workload by its memory pressure.
// One workload (Zipf(0.99) over 64 Ki pages = 256 MiB, every page touched first, then 4 M accesses
// 15 µs apart: about a minute of simulated time, long enough for Senpai's 1 s ticks and 6 s
// intervals at senpai.py's defaults) on a 1:4 machine sized so the footprint fills 97 % of it,
// numa-tiering with zswap on. Per point: throughput, the zswap pool, memory saved, memory.current
// at the end, swap-ins and the memory stall (PSI some). Writes <prefix>.csv (one row per trigger)
// and <prefix>-time.csv (resident pages per second, and Senpai's limit) — default
// docs/figures/senpai-compare — for `npm run plot`.

import { writeFileSync } from 'node:fs';
import '../policies/registry.ts'; // the policy catalog's composition root (sim/ never imports policies/)
import { resolveConfig, runSimulation } from '../sim/run.ts';
import { runAsMain } from '../sim/cli-common.ts';
import { ZS_POOL_BYTES, ZS_SAVED_BYTES, ZS_LOADS, ZS_WRITTEN_BACK } from '../sim/swap.ts';
import type { TieringKernel } from '../policies/lib/kernel.ts';
import * as S from '../sim/stats.ts';

const PAGES = 65536;
const MEMORY = Math.ceil(PAGES / 0.97);
const MiB = 2 ** 20;
const ACCESSES = process.env.SENPAI_ACCESSES ?? '4M';

export const TRIGGERS = [
  { name: 'watermark', sets: {} },
  { name: 'early 80 %', sets: { 'policy.numa-tiering.reclaimEarlyPct': 80 } },
  { name: 'senpai', sets: { 'policy.numa-tiering.senpai': true } },
] as const;

export async function senpaiCompareRun(trigger: (typeof TRIGGERS)[number]) {
  const local = Math.floor(MEMORY / 5);
  const sets = {
    workload: `zipf:pages=${PAGES},accesses=${ACCESSES},init=1,gapNs=15000`,
    'machine.tiers.0.capacityGiB': (local * 4096) / 2 ** 30,
    'machine.tiers.1.capacityGiB': ((MEMORY - local) * 4096) / 2 ** 30,
    'zswap.enabled': true,
    'stats.epochMs': 1000,
    ...trigger.sets,
  };
  const { config } = resolveConfig({ sets, flags: { policy: 'numa-tiering' } });
  const out = await runSimulation(config);
  const z = out.engine.zswapStats;
  const c = out.result.counters;
  const host = out.engine.host;
  const pool = MEMORY - host.capacity(0) - host.capacity(1);
  const resident = out.result.usedFrames.reduce((a, b) => a + b, 0);
  const kernel = (out.engine.policyHooks() as { kernel?: TieringKernel }).kernel;
  const senpai = kernel?.senpai ?? null;
  const row = {
    trigger: trigger.name,
    simS: out.result.simTimeNs / 1e9,
    accessesPerMs: c[S.C_ACCESSES] / (out.result.simTimeNs / 1e6),
    slowdown: out.result.simTimeNs / out.result.idealTimeNs,
    residentMiB: (resident * 4096) / MiB,
    poolMiB: z[ZS_POOL_BYTES] / MiB,
    memoryCurrentMiB: ((resident + pool) * 4096) / MiB,
    savedMiB: z[ZS_SAVED_BYTES] / MiB,
    swapIns: c[S.C_SWAP_INS],
    zswapLoads: z[ZS_LOADS],
    writtenBack: z[ZS_WRITTEN_BACK],
    memStallMs: host.memPressureNs() / 1e6,
    stallMs: c[S.C_STALL_NS] / 1e6,
    senpaiLimitMiB: senpai ? senpai.limitBytes / MiB : '',
  };
  // Over time: resident pages per epoch (1 s), and Senpai's limit at its tick in that second.
  const time = out.result.epochs.map((e, i) => {
    let limit: number | string = '';
    if (senpai) {
      const k = senpai.log.timeNs.findIndex((t) => t > e.endMs * 1e6) - 1;
      const at = k >= 0 ? k : senpai.log.timeNs.length - 1;
      if (at >= 0 && senpai.log.timeNs[at] <= e.endMs * 1e6) limit = senpai.log.limitBytes[at] / MiB;
    }
    return { trigger: trigger.name, epoch: i, endS: e.endMs / 1000, residentMiB: (e.usedFrames.reduce((a, b) => a + b, 0) * 4096) / MiB, senpaiLimitMiB: limit, swapIns: e.counters[S.C_SWAP_INS] };
  });
  return { row, time };
}

function csv(rows: Array<Record<string, unknown>>): string {
  const cols = Object.keys(rows[0]);
  return [cols.join(','), ...rows.map((r) => cols.map((k) => String(r[k])).join(','))].join('\n') + '\n';
}

async function main(argv: string[]): Promise<number> {
  const prefix = argv[0] ?? 'docs/figures/senpai-compare';
  const rows = [];
  const times = [];
  for (const t of TRIGGERS) {
    const r = await senpaiCompareRun(t);
    rows.push(r.row);
    times.push(...r.time);
    console.log(Object.entries(r.row).map(([k, v]) => `${k}=${typeof v === 'number' ? +v.toFixed(3) : v}`).join(' '));
  }
  writeFileSync(`${prefix}.csv`, csv(rows));
  writeFileSync(`${prefix}-time.csv`, csv(times));
  return 0;
}

runAsMain(import.meta.url, main);
