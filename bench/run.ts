// `npm run bench`: simulator throughput and memory, not tests. Each case pre-generates its access
// stream into memory (traces/memory-source.ts) so that the engine is timed alone; generator speed
// is reported as its own case. Benchmark.js runs each case and reports its mean time.
//
//   npm run bench                 all cases, then the trace-ingest and VM benchmarks
//   npm run bench -- engine       cases whose name contains "engine" (and no other benchmark)
//
// Standalone benchmarks with their own arguments: bench/trace-ingest.ts (trace readers, native
// format, LLC filter), bench/vm-throughput.ts (VM mechanisms), bench/sweep-parallel.ts (--jobs
// speed-up), bench/policies-tiering.ts and bench/sampling-policies.ts (kernel work per second).

import Benchmark from 'benchmark';
import { spawnSync } from 'node:child_process';
import { resolveConfig, attachPolicies } from '../sim/run.ts';
import { resolveTiers } from '../sim/machine.ts';
import { Engine } from '../sim/engine.ts';
import type { EngineResult } from '../sim/engine.ts';
import { SyntheticSource } from '../traces/synthetic.ts';
import { MemorySource, captureCpu } from '../traces/memory-source.ts';
import type { MemoryTrace } from '../traces/memory-source.ts';
import { createBatch } from '../traces/batch.ts';

interface EngineCase {
  name: string;
  policy: string;
  workload: string;
  pageSizeKiB?: number;
}

/** The core benchmark workload: 20 M zipf(0.99) accesses over 4 Mi pages, all touched by the init pass. */
const CORE = 'zipf:pages=4Mi,accesses=20M,theta=0.99,init=1';

/** The core issue's goal case first: 20 M zipf(0.99) accesses over 4 M distinct 4 KiB pages. */
const ENGINE_CASES: EngineCase[] = [
  { name: 'engine first-touch zipf(0.99) 20M accesses, 4Mi pages (init pass touches all)', policy: 'first-touch', workload: 'zipf:pages=4Mi,accesses=20M,theta=0.99,init=1' },
  { name: 'engine first-touch zipf(0.99) 20M accesses, 64Ki pages (cache-resident)', policy: 'first-touch', workload: 'zipf:pages=64Ki,accesses=20M,theta=0.99,init=1' },
  { name: 'engine first-touch uniform 10M accesses, 1Mi pages, sparse 64-bit layout', policy: 'first-touch', workload: 'uniform:pages=1Mi,accesses=10M,layout=sparse,init=1' },
  { name: 'engine interleave hotset default workload', policy: 'interleave', workload: 'hotset:pages=256Ki,hot=0.1,hotShare=0.9,accesses=10M,write=0.25,gapNs=200' },
  // Every placement policy on the core workload (issues 4 and 5: ≥ 20 M accesses/s each).
  ...['numa-tiering', 'tpp', 'mglru', 'autonuma', 'pebs'].map((policy) => ({ name: `policy ${policy} core workload`, policy, workload: CORE })),
  ...['first-touch', 'hemem', 'memtis', 'pebs'].map((policy) => ({ name: `policy ${policy} core workload, 2 MiB pages`, policy, workload: CORE, pageSizeKiB: 2048 })),
];

const GENERATOR_CASES = [
  { name: 'generator hotset (default workload)', workload: 'hotset:pages=256Ki,hot=0.1,hotShare=0.9,accesses=10M,write=0.25,gapNs=200' },
  { name: 'generator zipf(0.99) 4Mi pages', workload: 'zipf:pages=4Mi,accesses=10M,theta=0.99' },
];

const filter = process.argv.slice(2).join(' ');
const wanted = (name: string) => !filter || name.includes(filter);

function runBench(name: string, fn: () => Promise<void>): Promise<Benchmark> {
  return new Promise((resolve, reject) => {
    const b = new Benchmark(name, {
      defer: true,
      // Each run is seconds long: a few samples give a stable mean without minutes of waiting.
      minSamples: 2,
      maxTime: 4,
      initCount: 1,
      fn: (deferred: { resolve(): void }) => {
        fn().then(() => deferred.resolve(), reject);
      },
      onError: (e: unknown) => reject(e),
      onComplete: () => resolve(b),
    });
    b.run({ async: true });
  });
}

async function engineCase(c: EngineCase): Promise<void> {
  const { config } = resolveConfig({ flags: { policy: c.policy, workload: c.workload, pageSizeKiB: c.pageSizeKiB ?? 4 } });
  const syn = new SyntheticSource(c.workload, 1);
  const trace: MemoryTrace = await captureCpu(syn, 0);
  const source = new MemorySource(c.workload, [trace], { footprint: (pb) => syn.footprintPages(pb) });
  const tiers = resolveTiers(config, source.footprintPages((c.pageSizeKiB ?? 4) * 1024));
  let last: EngineResult | undefined;
  const bench = await runBench(c.name, async () => {
    source.rewind();
    const engine = new Engine(config, tiers, source);
    attachPolicies(engine, config);
    last = await engine.run();
  });
  // One more run timed in CPU time: on a shared machine wall time also counts other processes.
  source.rewind();
  const cpu0 = process.cpuUsage();
  const engine = new Engine(config, tiers, source);
  attachPolicies(engine, config);
  await engine.run();
  const cpu = process.cpuUsage(cpu0);
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  const perSec = trace.count / bench.stats.mean;
  console.log(`${c.name}`);
  console.log(
    `  ${(perSec / 1e6).toFixed(1)} M accesses/s wall (mean ${bench.stats.mean.toFixed(2)} s ± ${bench.stats.rme.toFixed(1)} %, ${bench.stats.sample.length} runs), ` +
      `${(trace.count / cpuSec / 1e6).toFixed(1)} M accesses/s per CPU-second; ${trace.count.toLocaleString('en-US')} accesses, ` +
      `${last!.pages.toLocaleString('en-US')} pages, engine state ${(last!.engineBytes / last!.pages).toFixed(1)} bytes/page`,
  );
}

async function generatorCase(name: string, workload: string): Promise<void> {
  const batch = createBatch();
  let total = 0;
  const bench = await runBench(name, async () => {
    const syn = new SyntheticSource(workload, 1);
    total = 0;
    for (let n; (n = syn.read(0, batch)) > 0; ) total += n;
  });
  console.log(`${name}\n  ${(total / bench.stats.mean / 1e6).toFixed(1)} M accesses/s generated (mean ${bench.stats.mean.toFixed(2)} s, ${bench.stats.sample.length} runs)`);
}

console.log(`node ${process.version}, ${new Date().toISOString()}`);
for (const c of ENGINE_CASES) if (wanted(c.name)) await engineCase(c);
for (const g of GENERATOR_CASES) if (wanted(g.name)) await generatorCase(g.name, g.workload);
if (!filter) {
  // The trace-input and VM benchmarks are their own scripts (they prepare their own inputs).
  for (const script of ['bench/trace-ingest.ts', 'bench/vm-throughput.ts']) {
    console.log(`\n== ${script}`);
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { stdio: 'inherit' });
    if (r.status !== 0) process.exitCode = 1;
  }
}
