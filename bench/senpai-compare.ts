// `npx tsx bench/senpai-compare.ts [out-prefix]`: issue 15's comparison — act early at 80 % of
// memory, wait for the watermarks, or let Senpai (TMO) size the workload by its memory pressure.
// One workload (Zipf(0.99) over 64 Ki pages = 256 MiB, every page touched first, then 12 M accesses
// 15 µs apart: about three minutes of simulated time, long enough for Senpai's 1 s ticks and 6 s
// intervals at senpai.py's defaults) on a 1:4 machine sized so the footprint fills 97 % of it,
// numa-tiering with zswap on. Per point: throughput, the zswap pool, memory saved, memory.current
// (frames in use plus the pool: what cgroup v2 charges) at the end and over the last 60 s, swap-ins
// and the memory stall (PSI some). Writes <prefix>.csv (one row per trigger) and <prefix>-time.csv
// (every 3 s: memory.current, pool, stall, Senpai's limit) — default
// docs/figures/senpai-compare — for `npm run plot`.

import { writeFileSync } from 'node:fs';
import '../policies/registry.ts'; // the policy catalog's composition root (sim/ never imports policies/)
import { attachPolicies, openSource, resolveConfig } from '../sim/run.ts';
import { Engine } from '../sim/engine.ts';
import { resolveTiers } from '../sim/machine.ts';
import { definePolicy } from '../policies/policy.ts';
import { runAsMain } from '../sim/cli-common.ts';
import { ZS_POOL_BYTES, ZS_SAVED_BYTES, ZS_LOADS, ZS_WRITTEN_BACK } from '../sim/swap.ts';
import type { TieringKernel } from '../policies/lib/kernel.ts';
import * as S from '../sim/stats.ts';

const PAGES = 65536;
const MEMORY = Math.ceil(PAGES / 0.97);
const MiB = 2 ** 20;
const ACCESSES = process.env.SENPAI_ACCESSES ?? '12M';
/** The probe's period, s, and the steady-state window at the end, s. */
const PROBE_S = 3;
const LAST_S = 60;

export const TRIGGERS = [
  { name: 'watermark', sets: {} },
  { name: 'early 80 %', sets: { 'policy.numa-tiering.reclaimEarlyPct': 80 } },
  { name: 'senpai', sets: { 'policy.numa-tiering.senpai': true } },
  // The same with a 10× looser target (100 ms of stall per 6 s): how far the one knob moves it.
  { name: 'senpai 100 ms', sets: { 'policy.numa-tiering.senpai': true, 'policy.numa-tiering.senpaiPressureUs': 100000 } },
  // oomd's stateless poking mode (memory.reclaim-like): 1 % of (current − 100 MiB) per 6 s while PSI avg10/avg60 < 0.1 %.
  { name: 'senpai poking', sets: { 'policy.numa-tiering.senpai': true, 'policy.numa-tiering.senpaiPoking': true } },
] as const;

/**
 * A probe attached beside the kernel (`--with`-style, bench only): every PROBE_S it records
 * memory.current (frames in use plus the zswap pool's) and the PSI memory total. It only reads.
 */
function memoryProbe(log: { timeS: number[]; currentMiB: number[]; poolMiB: number[]; psiMs: number[] }) {
  return definePolicy({
    name: 'memory-probe',
    summary: 'bench: memory.current and PSI every few seconds',
    source: 'bench/senpai-compare.ts',
    params: {},
    create(_p, host) {
      const cap0 = Array.from({ length: host.tiers }, (_, t) => host.capacity(t));
      host.every(PROBE_S * 1e9, 1);
      return {
        onTimer() {
          let used = 0;
          let pool = 0;
          for (let t = 0; t < host.tiers; t++) {
            used += host.used(t);
            pool += cap0[t] - host.capacity(t);
          }
          log.timeS.push(host.now() / 1e9);
          log.currentMiB.push(((used + pool) * host.pageBytes) / MiB);
          log.poolMiB.push((pool * host.pageBytes) / MiB);
          log.psiMs.push(host.memPressureNs() / 1e6);
        },
      };
    },
  });
}

/** One trigger's run; `extra` is layered over its settings last (the validation's sensitivity hook). */
export async function senpaiCompareRun(trigger: (typeof TRIGGERS)[number], extra: Record<string, unknown> = {}) {
  const local = Math.floor(MEMORY / 5);
  const sets = {
    workload: `zipf:pages=${PAGES},accesses=${ACCESSES},init=1,gapNs=15000`,
    'machine.tiers.0.capacityGiB': (local * 4096) / 2 ** 30,
    'machine.tiers.1.capacityGiB': ((MEMORY - local) * 4096) / 2 ** 30,
    'zswap.enabled': true,
    ...trigger.sets,
    ...extra,
  };
  const { config } = resolveConfig({ sets, flags: { policy: 'numa-tiering' } });
  const { source } = await openSource(config);
  const engine = new Engine(config, resolveTiers(config, source.footprintPages(4096)), source);
  attachPolicies(engine, config);
  const probe = { timeS: [] as number[], currentMiB: [] as number[], poolMiB: [] as number[], psiMs: [] as number[] };
  engine.attachWith(memoryProbe(probe), {});
  const res = await engine.run();
  const z = engine.zswapStats;
  const c = res.counters;
  const host = engine.host;
  const pool = MEMORY - host.capacity(0) - host.capacity(1);
  const resident = res.usedFrames.reduce((a, b) => a + b, 0);
  const senpai = (engine.policyHooks() as { kernel?: TieringKernel }).kernel?.senpai ?? null;
  // Steady state: the last LAST_S (the first seconds hold the start, and Senpai's climb from min_size).
  const k = probe.timeS.length - 1;
  const k0 = Math.max(0, k - LAST_S / PROBE_S);
  const row = {
    trigger: trigger.name,
    simS: res.simTimeNs / 1e9,
    accessesPerMs: c[S.C_ACCESSES] / (res.simTimeNs / 1e6),
    slowdown: res.simTimeNs / res.idealTimeNs,
    memoryCurrentMiB: ((resident + pool) * 4096) / MiB,
    residentMiB: (resident * 4096) / MiB,
    poolMiB: z[ZS_POOL_BYTES] / MiB,
    savedMiB: z[ZS_SAVED_BYTES] / MiB,
    swapIns: c[S.C_SWAP_INS],
    zswapLoads: z[ZS_LOADS],
    writtenBack: z[ZS_WRITTEN_BACK],
    memStallMs: host.memPressureNs() / 1e6,
    memStallMsPerS_last60s: (probe.psiMs[k] - probe.psiMs[k0]) / (probe.timeS[k] - probe.timeS[k0]),
    memoryCurrentMiB_last60sMean: probe.currentMiB.slice(k0 + 1, k + 1).reduce((a, b) => a + b, 0) / (k - k0),
    senpaiLimitMiB: senpai && Number.isFinite(senpai.limitBytes) ? senpai.limitBytes / MiB : '',
    senpaiProbes: senpai ? senpai.probes : '',
  };
  // Over time, every PROBE_S: memory.current, the pool, memory stall per second since the last sample, Senpai's limit.
  const time = probe.timeS.map((t, i) => {
    let limit: number | string = '';
    if (senpai) {
      let at = -1;
      for (let j = 0; j < senpai.log.timeNs.length && senpai.log.timeNs[j] <= t * 1e9; j++) at = j;
      if (at >= 0 && Number.isFinite(senpai.log.limitBytes[at])) limit = senpai.log.limitBytes[at] / MiB;
    }
    return { trigger: trigger.name, timeS: t, memoryCurrentMiB: probe.currentMiB[i], poolMiB: probe.poolMiB[i], memStallMsPerS: (probe.psiMs[i] - (i > 0 ? probe.psiMs[i - 1] : 0)) / PROBE_S, senpaiLimitMiB: limit };
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
