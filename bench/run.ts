// `npm run bench`: simulator throughput and memory, not tests. Every engine case runs over a stream
// translated once and held in memory (the translated-stream cache keeps it between runs), so the
// engine is timed alone; times are process CPU time (the machine is shared), best and median of
// the repetitions, with wall time beside them.
//
//   npm run bench                  the quick set (< 3 min): the C reference loops, translation,
//                                  first-touch and every tiering policy on the core workload, and
//                                  an 8-point sweep over one trace showing it is translated once
//   npm run bench -- --full        everything: also the other engine cases, 2 MiB pages, scaling
//                                  in pages and accesses, a raw trace end to end, generators, and
//                                  bench/trace-ingest.ts and bench/vm-throughput.ts
//   npm run bench -- [--full] NAME only the cases whose name contains NAME (=NAME: exactly NAME)
//
// The C reference (bench/c/dense-loop.c) is compiled with the machine's cc at bench time and run
// on the same stream in the same run, before and after the engine cases, so that ratios are not
// figures from another day; without a C compiler it is skipped with a note.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import '../policies/registry.ts'; // the policy catalog's composition root (sim/ never imports policies/)
import { resolveConfig, attachPolicies } from '../sim/run.ts';
import { resolveTiers } from '../sim/machine.ts';
import { Engine } from '../sim/engine.ts';
import type { EngineResult } from '../sim/engine.ts';
import { PageTable } from '../sim/page-table.ts';
import { StoredIdSource } from '../sim/id-stream.ts';
import type { IdTrace } from '../sim/id-stream.ts';
import { idCachePath, ensureCached, CachedIdSource } from '../sim/id-cache.ts';
import { SyntheticSource } from '../traces/synthetic.ts';
import { createBatch } from '../traces/batch.ts';

/** The core benchmark workload: 20 M zipf(0.99) accesses over 4 Mi pages, all touched by the init pass. */
const CORE = 'zipf:pages=4Mi,accesses=20M,theta=0.99,init=1';
const DEFAULT = 'hotset:pages=256Ki,hot=0.1,hotShare=0.9,accesses=10M,write=0.25,gapNs=200';

interface EngineCase {
  name: string;
  policy: string;
  workload: string;
  pageSizeKiB?: number;
  quick?: boolean;
}

/** Case names are kept from one version to the next, so that figures compare over time. */
const ENGINE_CASES: EngineCase[] = [
  { name: 'engine first-touch zipf(0.99) 20M accesses, 4Mi pages (init pass touches all)', policy: 'first-touch', workload: CORE, quick: true },
  { name: 'engine first-touch zipf(0.99) 20M accesses, 64Ki pages (cache-resident)', policy: 'first-touch', workload: 'zipf:pages=64Ki,accesses=20M,theta=0.99,init=1' },
  { name: 'engine first-touch uniform 10M accesses, 1Mi pages, sparse 64-bit layout', policy: 'first-touch', workload: 'uniform:pages=1Mi,accesses=10M,layout=sparse,init=1' },
  { name: 'engine interleave hotset default workload', policy: 'interleave', workload: DEFAULT },
  ...['numa-tiering', 'tpp', 'mglru', 'pebs', 'hemem', 'memtis'].map((policy) => ({ name: `policy ${policy} core workload`, policy, workload: CORE, quick: true })),
  { name: 'policy autonuma core workload', policy: 'autonuma', workload: CORE },
  ...['first-touch', 'hemem', 'memtis', 'pebs'].map((policy) => ({ name: `policy ${policy} core workload, 2 MiB pages`, policy, workload: CORE, pageSizeKiB: 2048 })),
];

/** Scaling: the same workload shape at 1×, 4× and 16× the pages (and accesses). */
const SCALING = [256, 1024, 4096].map((ki) => ({ name: `scaling first-touch zipf(0.99), ${ki / 1024 >= 1 ? `${ki / 1024}Mi` : `${ki}Ki`} pages, 5 accesses per page`, policy: 'first-touch', workload: `zipf:pages=${ki}Ki,accesses=${5 * ki}Ki,theta=0.99,init=1` }));

const args = process.argv.slice(2);
const full = args.includes('--full');
const filter = args.filter((a) => a !== '--full').join(' ');
// NAME matches the cases whose name contains it; =NAME only the case of exactly that name.
const wanted = (name: string, quick = false) => (filter ? (filter.startsWith('=') ? name === filter.slice(1) : name.includes(filter)) : full || quick);
const dir = mkdtempSync(join(tmpdir(), 'tiersim-bench-'));

interface Timing {
  cpuS: number[];
  wallS: number[];
}

/** Best and median of repeated timings, as accesses/s. */
function rates(n: number, t: Timing): string {
  const sorted = [...t.cpuS].sort((a, b) => a - b);
  const med = sorted[Math.floor((sorted.length - 1) / 2)];
  const wall = Math.min(...t.wallS);
  return `${(n / sorted[0] / 1e6).toFixed(1)} M/s best, ${(n / med / 1e6).toFixed(1)} median (CPU time, ${t.cpuS.length} runs); ${(n / wall / 1e6).toFixed(1)} M/s wall`;
}

async function timed(reps: number, fn: () => Promise<void> | void): Promise<Timing> {
  const t: Timing = { cpuS: [], wallS: [] };
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    await fn();
    const u = process.cpuUsage(c0);
    t.cpuS.push((u.user + u.system) / 1e6);
    t.wallS.push((performance.now() - w0) / 1e3);
  }
  return t;
}

/** A workload's translated stream, in memory: generated and translated once, then read from the cache. */
const streams = new Map<string, IdTrace>();
async function stream(workload: string, pageSizeKiB: number): Promise<IdTrace> {
  const key = `${workload}@${pageSizeKiB}`;
  const have = streams.get(key);
  if (have) return have;
  const { config } = resolveConfig({ flags: { workload, pageSizeKiB } });
  const path = (await idCachePath(config))!;
  const t0 = performance.now();
  await ensureCached(path, pageSizeKiB * 1024, async () => ({ source: new SyntheticSource(workload, 1), stats: () => undefined }));
  const src = new CachedIdSource(path);
  const t = src.load();
  src.close();
  console.log(`  (stream ${workload}, ${pageSizeKiB} KiB pages: ${t.pages.toLocaleString('en-US')} pages, ready in ${((performance.now() - t0) / 1e3).toFixed(1)} s from ${path})`);
  streams.set(key, t);
  return t;
}

let cRate = 0;
/** Best M accesses/s of each engine case, for the summary against the C loop. */
const bestRates: Array<[string, number]> = [];
async function engineCase(c: EngineCase, reps: number): Promise<void> {
  const pageSizeKiB = c.pageSizeKiB ?? 4;
  const trace = await stream(c.workload, pageSizeKiB);
  const n = trace.cpus.reduce((a, x) => a + x.count, 0);
  const { config } = resolveConfig({ flags: { policy: c.policy, workload: c.workload, pageSizeKiB } });
  const source = new StoredIdSource(trace);
  const tiers = resolveTiers(config, source.footprintPages(pageSizeKiB * 1024));
  let last: EngineResult | undefined;
  const t = await timed(reps, async () => {
    source.rewind();
    const engine = new Engine(config, tiers, source);
    attachPolicies(engine, config);
    last = await engine.run();
  });
  const best = n / Math.min(...t.cpuS) / 1e6;
  bestRates.push([c.name, best]);
  const ratio = cRate > 0 ? `, ${(best / cRate).toFixed(2)}× the C loop before the cases` : '';
  console.log(`${c.name}\n  ${rates(n, t)}${ratio}; ${n.toLocaleString('en-US')} accesses, ${last!.pages.toLocaleString('en-US')} pages, engine state ${(last!.engineBytes / last!.pages).toFixed(1)} bytes/page`);
}

/** The C reference loops over the core stream: dense ids, and the hash translation of its page numbers. */
function cReference(core: IdTrace): { ids: number; hash: number } | undefined {
  const bin = join(dir, 'dense-loop');
  try {
    execFileSync('cc', ['-O2', '-o', bin, new URL('./c/dense-loop.c', import.meta.url).pathname], { stdio: 'pipe' });
  } catch (err) {
    console.log(`C reference skipped: no working cc (${(err as Error).message.split('\n')[0]})`);
    return undefined;
  }
  const c = core.cpus[0];
  const idsFile = join(dir, 'core.ids');
  writeFileSync(idsFile, new Uint8Array(c.code.buffer, c.code.byteOffset, c.count * 4));
  const vpnFile = join(dir, 'core.vpn');
  const vpn = new Uint32Array(2 * c.count);
  for (let i = 0; i < c.count; i++) {
    const id = c.code[i] >>> 1;
    vpn[2 * i] = core.keyLo[id];
    vpn[2 * i + 1] = core.keyVmHi[id] & 0xfffff;
  }
  writeFileSync(vpnFile, new Uint8Array(vpn.buffer));
  const local = resolveTiers(resolveConfig({ flags: { workload: CORE } }).config, core.footprint4k ?? core.pages)[0].capacityFrames;
  const run = (...a: string[]) => {
    const [n, s] = execFileSync(bin, a, { encoding: 'utf8' }).trim().split(' ').map(Number);
    return n / s / 1e6;
  };
  return { ids: run('ids', idsFile, String(core.pages), String(local), '5'), hash: run('hash', vpnFile, String(core.pages), '3') };
}

/** JS translation of the core stream's addresses through PageTable (what a raw run does per batch). */
async function jsTranslation(core: IdTrace): Promise<void> {
  const c = core.cpus[0];
  // The addresses of every access, built once (as a reader would hand them over).
  const lo = new Uint32Array(c.count);
  const hi = new Uint32Array(c.count);
  for (let i = 0; i < c.count; i++) {
    const id = c.code[i] >>> 1;
    lo[i] = core.keyLo[id] << 12;
    hi[i] = ((core.keyVmHi[id] & 0xfffff) << 12) | (core.keyLo[id] >>> 20);
  }
  const batchRecords = 8192;
  const out = new Int32Array(batchRecords);
  const t = await timed(3, () => {
    const table = new PageTable(core.pages);
    for (let i = 0; i < c.count; i += batchRecords) {
      const k = Math.min(batchRecords, c.count - i);
      const b = { ...createBatch(0), count: k, addrLo: lo.subarray(i, i + k), addrHi: hi.subarray(i, i + k), vm: new Uint16Array(k) };
      table.translate(b, k, 12, out);
    }
  });
  console.log(`translate: 64-bit addresses → dense page ids (PageTable.translate, batches of ${batchRecords})\n  ${rates(c.count, t)}`);
}

/** An 8-point sweep over one trace through the CLI: how many times is the trace translated? */
async function sweepTranslation(core: IdTrace): Promise<void> {
  const csv = join(dir, 'sweep.csv');
  const lines = ['time,cpu,op,addr,size'];
  const c = core.cpus[0];
  for (let i = 0; i < 400_000; i++) {
    const id = c.code[i] >>> 1;
    lines.push(`${i * 50},0,${c.code[i] & 1 ? 'W' : 'R'},0x${(0x10000000 + (id % 65536) * 4096).toString(16)},8`);
  }
  writeFileSync(csv, lines.join('\n') + '\n');
  const out = join(dir, 'sweep-out');
  // Start from no translated stream, so that this run shows the translation.
  rmSync((await idCachePath(resolveConfig({ flags: { trace: csv } }).config))!, { force: true });
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', './policies/registry.ts', 'sim/sweep.ts', '--sweep', 'policy=first-touch,tpp,mglru,pebs', '--sweep', 'machine.ratio=1:4,1:1', '--set', `trace=${csv}`, '--jobs', '2', '--out', out], { encoding: 'utf8' });
  const log = `${r.stdout}\n${r.stderr}`;
  const translated = log.split('\n').filter((l) => /translated once/.test(l));
  console.log(`sweep: 8 points (4 policies × 2 ratios) over one 400 k-access CSV trace, --jobs 2, ${((performance.now() - t0) / 1e3).toFixed(1)} s wall, exit ${r.status}`);
  console.log(`  translations: ${translated.length} (${translated.map((l) => l.trim()).join('; ') || 'none logged'})`);
}

/**
 * A raw trace end to end, as its first run goes: parse, translate while running (recording the
 * translated stream), run. The trace index (footprint pre-pass) is cached by a run before the timed
 * ones, and the translated stream is deleted before each, so that every timed run translates.
 */
async function traceEndToEnd(core: IdTrace): Promise<void> {
  const csv = join(dir, 'e2e.csv');
  const c = core.cpus[0];
  const n = 5_000_000;
  const lines = ['time,cpu,op,addr,size'];
  for (let i = 0; i < n; i++) lines.push(`${i * 50},0,${c.code[i] & 1 ? 'W' : 'R'},0x${(0x10000000 + (c.code[i] >>> 1) * 4096).toString(16)},8`);
  writeFileSync(csv, lines.join('\n') + '\n');
  const { runSimulation } = await import('../sim/run.ts');
  const { config } = resolveConfig({ flags: { policy: 'first-touch', trace: csv } });
  const cache = (await idCachePath(config))!;
  await runSimulation(config);
  // Each timed run hashes the trace as a fresh process does (traces/identity.ts remembers hashes).
  const { forgetTraceIdentities } = await import('../traces/identity.ts');
  const t = await timed(3, async () => {
    rmSync(cache, { force: true });
    forgetTraceIdentities();
    await runSimulation(config);
  });
  console.log(`trace end to end: ${n.toLocaleString('en-US')}-access CSV trace, first-touch, as a first run (parse, translate while running, record the translated stream)\n  ${rates(n, t)}`);
  const again = await timed(3, async () => {
    forgetTraceIdentities();
    await runSimulation(config);
  });
  console.log(`the same trace as a later run (translated stream read from the cache)\n  ${rates(n, again)}`);
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${new Date().toISOString()}, ${cpus().length} CPUs, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const core = await stream(CORE, 4);
  let ref: { ids: number; hash: number } | undefined;
  if (!filter || /C loop|translate/.test(filter)) {
    ref = cReference(core);
    if (ref) {
      cRate = ref.ids;
      console.log(`C loop (cc -O2), dense page ids of the core stream, first-touch placement\n  ${ref.ids.toFixed(1)} M accesses/s (CPU time, best of 5)`);
      console.log(`C loop, 64-bit page numbers → dense ids through an open-addressing hash\n  ${ref.hash.toFixed(1)} M accesses/s (CPU time, best of 3)`);
    }
    await jsTranslation(core);
  }
  const reps = full ? 3 : 2;
  for (const c of ENGINE_CASES) if (wanted(c.name, c.quick)) await engineCase(c, reps);
  if (full || filter) for (const c of SCALING) if (wanted(c.name)) await engineCase(c, reps);
  if (wanted('sweep translation', true)) await sweepTranslation(core);
  if (wanted('trace end to end')) await traceEndToEnd(core);
  if (ref && (!filter || /C loop/.test(filter))) {
    const again = cReference(core)!;
    const mean = (ref.ids + again.ids) / 2;
    console.log(`C loop again after the engine cases: ${again.ids.toFixed(1)} M accesses/s (before: ${ref.ids.toFixed(1)}; the load of a shared machine moves it)`);
    console.log(`\nsummary: best M accesses/s and × the mean of the two C loop runs (${mean.toFixed(1)} M/s)`);
    for (const [name, rate] of bestRates) console.log(`  ${rate.toFixed(1).padStart(6)}  ${(rate / mean).toFixed(2)}×  ${name}`);
  }
  if (full && !filter) {
    for (const g of [{ name: 'generator hotset (default workload)', workload: DEFAULT }, { name: 'generator zipf(0.99) 4Mi pages', workload: 'zipf:pages=4Mi,accesses=10M,theta=0.99' }]) {
      const b = createBatch();
      let n = 0;
      const t = await timed(2, () => {
        const syn = new SyntheticSource(g.workload, 1);
        n = 0;
        for (let k; (k = syn.read(0, b)) > 0; ) n += k;
      });
      console.log(`${g.name}\n  ${rates(n, t)} generated`);
    }
    for (const script of ['bench/trace-ingest.ts', 'bench/vm-throughput.ts']) {
      console.log(`\n== ${script}`);
      const r = spawnSync(process.execPath, ['--import', 'tsx', script], { stdio: 'inherit' });
      if (r.status !== 0) process.exitCode = 1;
    }
  }
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }));
