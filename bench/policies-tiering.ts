// `npx tsx bench/policies-tiering.ts [workload]`: throughput of the Linux tiering policies
// (numa-tiering, tpp, mglru, autonuma, beside first-touch) on the core benchmark workload, with
// the kernel work each did per second of simulated time (PTE scans, hint faults, migrations,
// kswapd runs, MGLRU agings). The stream is generated once into memory so the engine and the
// policy are timed alone; CPU time is reported too, since the machine may be shared.

import { resolveConfig, policyParams } from '../sim/run.ts';
import { resolveTiers } from '../sim/machine.ts';
import { Engine } from '../sim/engine.ts';
import { findPolicy } from '../policies/registry.ts';
import { SyntheticSource } from '../traces/synthetic.ts';
import { MemorySource, captureCpu } from '../traces/memory-source.ts';
import * as S from '../sim/stats.ts';

const workload = process.argv[2] ?? 'zipf:pages=4Mi,accesses=20M,theta=0.99,init=1';
const policies = (process.argv[3] ?? 'first-touch,numa-tiering,tpp,mglru,autonuma').split(',');

const syn = new SyntheticSource(workload, 1);
const trace = await captureCpu(syn, 0);
const source = new MemorySource(workload, [trace], { footprint: (pb) => syn.footprintPages(pb) });
console.log(`node ${process.version}, ${new Date().toISOString()}, workload ${workload}, ${trace.count.toLocaleString('en-US')} accesses`);

for (const name of policies) {
  const { config } = resolveConfig({ flags: { policy: name, workload } });
  const tiers = resolveTiers(config, source.footprintPages(4096));
  const policy = findPolicy(name);
  source.rewind();
  const engine = new Engine(config, tiers, source);
  engine.attach(policy, policyParams(config, policy));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await engine.run();
  const wall = (performance.now() - t0) / 1e3;
  const cpu = process.cpuUsage(cpu0);
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  const simSec = r.simTimeNs / 1e9;
  const c = r.counters;
  const pc = (n: string) => {
    const i = r.policyCounterNames.indexOf(n);
    return i < 0 ? 0 : r.policyCounters[i];
  };
  const perSim = (x: number) => (x / simSec).toFixed(0);
  console.log(
    `${name.padEnd(13)} ${(trace.count / wall / 1e6).toFixed(1).padStart(5)} M acc/s wall, ${(trace.count / cpuSec / 1e6).toFixed(1).padStart(5)} M acc/s CPU; ` +
      `sim ${simSec.toFixed(2)} s, local ${((c[S.C_TIER_BASE] / c[S.C_ACCESSES]) * 100).toFixed(1)} %; per simulated s: ` +
      `PTE scans ${perSim(c[S.C_PTE_SCANS])}, hint faults ${perSim(c[S.C_HINT_FAULTS])}, promoted ${perSim(c[S.C_PROMOTED])}, demoted ${perSim(c[S.C_DEMOTED])}, ` +
      `evicted ${perSim(c[S.C_EVICTED])}, kswapd runs ${perSim(pc('kswapdRuns'))}, agings ${perSim(pc('mglruAgings'))}`,
  );
}
