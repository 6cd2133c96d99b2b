// Throughput of the sampling-based policies (pebs, hemem, memtis) against first-touch on the core
// benchmark workload (bench/run.ts's goal case: zipf(0.99) over 4 Mi 4 KiB pages, init pass, 20 M
// accesses), each at its default sample period, with 4 KiB and with 2 MiB pages. Not a test.
// The access stream is generated once into memory so that the engine + policy is timed alone;
// each case is timed in process CPU time (the machine may be shared) and wall time.
//
//   npx tsx bench/sampling-policies.ts                 all cases
//   npx tsx bench/sampling-policies.ts hemem 2m        cases whose name contains every word

import { resolveConfig, policyParams } from '../sim/run.ts';
import { resolveTiers } from '../sim/machine.ts';
import { Engine } from '../sim/engine.ts';
import { findPolicy } from '../policies/registry.ts';
import { SyntheticSource } from '../traces/synthetic.ts';
import { MemorySource, captureCpu } from '../traces/memory-source.ts';
import * as S from '../sim/stats.ts';

const WORKLOAD = 'zipf:pages=4Mi,accesses=20M,theta=0.99,init=1';
const POLICIES = ['first-touch', 'pebs', 'hemem', 'memtis'];
const PAGE_SIZES: Array<[string, number]> = [
  ['4k', 4],
  ['2m', 2048],
];

const words = process.argv.slice(2);
const wanted = (name: string) => words.every((w) => name.includes(w));

console.log(`node ${process.version}, ${new Date().toISOString()}, workload ${WORKLOAD}`);
const syn = new SyntheticSource(WORKLOAD, 1);
const trace = await captureCpu(syn, 0);
const source = new MemorySource(WORKLOAD, [trace], { footprint: (pb) => syn.footprintPages(pb) });

for (const [sizeName, pageSizeKiB] of PAGE_SIZES) {
  for (const policyName of POLICIES) {
    const name = `${policyName} ${sizeName}`;
    if (!wanted(name)) continue;
    const { config } = resolveConfig({ flags: { policy: policyName, workload: WORKLOAD, pageSizeKiB } });
    const tiers = resolveTiers(config, source.footprintPages(pageSizeKiB * 1024));
    const policy = findPolicy(policyName);
    source.rewind();
    const wall0 = performance.now();
    const cpu0 = process.cpuUsage();
    const engine = new Engine(config, tiers, source);
    engine.attach(policy, policyParams(config, policy));
    const res = await engine.run();
    const cpu = process.cpuUsage(cpu0);
    const wallSec = (performance.now() - wall0) / 1e3;
    const cpuSec = (cpu.user + cpu.system) / 1e6;
    const c = res.counters;
    console.log(
      `${name.padEnd(16)} ${(trace.count / cpuSec / 1e6).toFixed(1).padStart(5)} M accesses/s per CPU-second, ` +
        `${(trace.count / wallSec / 1e6).toFixed(1).padStart(5)} M/s wall; ${res.pages.toLocaleString('en-US')} pages, ` +
        `${c[S.C_SAMPLES].toLocaleString('en-US')} samples (${c[S.C_SAMPLES_LOST].toLocaleString('en-US')} lost), ` +
        `${(c[S.C_PROMOTED] + c[S.C_DEMOTED]).toLocaleString('en-US')} migrations, local share ${((c[S.C_TIER_BASE] / c[S.C_ACCESSES]) * 100).toFixed(1)} %`,
    );
  }
}
