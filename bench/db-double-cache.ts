// `npx tsx bench/db-double-cache.ts [out-dir]`: issue 15 item 5, a database that double-caches. The
// db workload (traces/synthetic-db.ts: shared buffers in shmem with clock sweep, over a page cache
// of 32 Ki Zipf(0.9) blocks) on a 1:4 machine sized from its footprint, NVMe storage below. Counts,
// at the end of each run, blocks that live twice (in shared buffers and resident in the page cache)
// and where each copy lives, for shared_buffers at about 10 / 25 / 40 % of the blocks, buffered vs
// O_DIRECT, numa-tiering vs tpp (which puts page cache and shmem on CXL first); and double-cached
// MiB over time (runs cut at growing run.maxAccesses) for the 25 % buffered case. Writes
// db-double-cache.csv and db-double-cache-time.csv (default docs/figures/).

import { writeFileSync } from 'node:fs';
import { resolveConfig, policyParams } from '../sim/run.ts';
import { resolveTiers } from '../sim/machine.ts';
import { Engine } from '../sim/engine.ts';
import { SyntheticSource } from '../traces/synthetic.ts';
import { findPolicy } from '../policies/registry.ts';
import { runAsMain } from '../sim/cli-common.ts';
import { dbLayout } from '../traces/synthetic-db.ts';

const BLOCKS = 32768;
const MiB = 2 ** 20;

export async function dbRun(policy: string, buffers: number, direct: boolean, maxAccesses = 0, opts: { blocks?: number; requests?: number; sets?: Record<string, unknown> } = {}) {
  const blocks = opts.blocks ?? BLOCKS;
  const workload = `db:blocks=${blocks},buffers=${buffers},accesses=${opts.requests ?? 300000},theta=0.9,write=0.1,direct=${direct ? 1 : 0}`;
  const { config } = resolveConfig({ sets: { workload, 'storage.device': 'nvme', 'run.maxAccesses': maxAccesses, ...opts.sets }, flags: { policy } });
  const src = new SyntheticSource(workload, 1);
  const e = new Engine(config, resolveTiers(config, src.footprintPages(4096)), src);
  const p = findPolicy(policy);
  e.attach(p, policyParams(config, p));
  const res = await e.run();
  const db = src.dbWorkload!;
  const { bufferBase, fileBase } = dbLayout(db.s);
  const host = e.host;
  // Per tier: buffer pages, page-cache pages, and double-cached page-cache pages.
  const buf = [0, 0];
  const cache = [0, 0];
  const twice = [0, 0];
  for (let pg = 0; pg < host.pageCount(); pg++) {
    const t = host.tierOf(pg);
    if (t < 0) continue;
    const vpn = host.vpnLo(pg);
    if (vpn >= bufferBase && vpn < bufferBase + db.s.buffers) buf[t]++;
    else if (vpn >= fileBase && vpn < fileBase + blocks) {
      cache[t]++;
      if (db.bufOfBlock[vpn - fileBase] >= 0) twice[t]++;
    }
  }
  return {
    policy,
    sharedBuffersPct: Math.round((100 * buffers) / blocks),
    direct: direct ? 1 : 0,
    accesses: res.counters[0],
    simMs: res.simTimeNs / 1e6,
    bufferHitRatio: db.hits / Math.max(1, db.hits + db.misses),
    doubleCachedMiB: ((twice[0] + twice[1]) * 4096) / MiB,
    doubleCachedLocalMiB: (twice[0] * 4096) / MiB,
    buffersLocal: buf[0],
    buffersCxl: buf[1],
    cacheLocal: cache[0],
    cacheCxl: cache[1],
  };
}

function csv(rows: Array<Record<string, unknown>>): string {
  const cols = Object.keys(rows[0]);
  return [cols.join(','), ...rows.map((r) => cols.map((k) => (typeof r[k] === 'number' ? +(r[k] as number).toFixed(4) : String(r[k]))).join(','))].join('\n') + '\n';
}

async function main(argv: string[]): Promise<number> {
  const dir = argv[0] ?? 'docs/figures';
  const rows = [];
  for (const policy of ['numa-tiering', 'tpp']) {
    for (const buffers of [3277, 8192, 13107]) {
      for (const direct of [false, true]) {
        const r = await dbRun(policy, buffers, direct);
        rows.push(r);
        console.log(JSON.stringify(r));
      }
    }
  }
  writeFileSync(`${dir}/db-double-cache.csv`, csv(rows));
  const time = [];
  for (const m of [50e3, 100e3, 200e3, 300e3, 400e3, 0]) {
    const r = await dbRun('numa-tiering', 8192, false, m);
    time.push({ simMs: r.simMs, accesses: r.accesses, doubleCachedMiB: r.doubleCachedMiB, bufferHitRatio: r.bufferHitRatio });
    console.log(JSON.stringify(time[time.length - 1]));
  }
  writeFileSync(`${dir}/db-double-cache-time.csv`, csv(time));
  return 0;
}

runAsMain(import.meta.url, main);
