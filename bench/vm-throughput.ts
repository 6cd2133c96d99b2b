// `npx tsx bench/vm-throughput.ts [filter]`: engine throughput with the VM model (issue 6 goal:
// ≥ 20 M accesses/s with 8 VMs and balloon, idle-tax and page-sharing on). Each case's stream is
// generated once into typed arrays (vm and content columns included) and replayed, so the engine
// is timed alone; time is process CPU time (user + system), since the machine is shared.

import '../policies/registry.ts'; // the policy catalog's composition root (sim/ never imports policies/)
import { resolveConfig, attachPolicies } from '../sim/run.ts';
import { resolveTiers } from '../sim/machine.ts';
import { Engine } from '../sim/engine.ts';
import { SyntheticSource } from '../traces/synthetic.ts';
import { MemorySource, captureCpu } from '../traces/memory-source.ts';
import { C_EVICTED } from '../sim/stats.ts';

interface Case {
  name: string;
  workload: string;
  policy: string;
  with: string;
  /** Host memory as a share of the guests' memory (1.1 = room for all). */
  hostShare: number;
}

const VMS8 = 'vms:count=8,pages=64Ki,accesses=2500k,os=0.4,zero=0.15,write=0.2,osShare=0.3';
const CASES: Case[] = [
  { name: '1 process, no VM model (reference)', workload: 'zipf:pages=512Ki,accesses=20M,theta=0.99,init=1', policy: 'first-touch', with: '', hostShare: 1.1 },
  { name: '1 process, 8 threads, no VM model (reference: multi-CPU scheduling)', workload: 'zipf:pages=512Ki,accesses=20M,theta=0.99,init=1,threads=8', policy: 'first-touch', with: '', hostShare: 1.1 },
  { name: '8 VMs, first-touch only (content tracking on)', workload: `${VMS8},gapNs=20`, policy: 'first-touch', with: '', hostShare: 1.1 },
  { name: '8 VMs, first-touch only, 20 µs gaps (same stream as the next case, no mechanisms)', workload: `${VMS8},gapNs=20000`, policy: 'first-touch', with: '', hostShare: 1.1 },
  { name: '8 VMs, first-touch + balloon,idle-tax,page-sharing (ESX rates, 50 s simulated)', workload: `${VMS8},gapNs=20000`, policy: 'first-touch', with: 'balloon,idle-tax,page-sharing', hostShare: 1.1 },
  { name: '8 VMs, tpp + balloon,idle-tax,page-sharing, host at 80 % of guest memory', workload: `${VMS8},gapNs=20000`, policy: 'tpp', with: 'balloon,idle-tax,page-sharing', hostShare: 0.8 },
];

const filter = process.argv.slice(2).join(' ');

async function main(): Promise<void> {
  for (const c of CASES) {
    if (filter && !c.name.includes(filter)) continue;
    const gen = new SyntheticSource(c.workload, 1);
    const streams = [];
    for (let cpu = 0; cpu < gen.cpus; cpu++) streams.push(await captureCpu(gen, cpu));
    const accesses = streams.reduce((a, s) => a + s.count, 0);
    const guestPages = gen.footprintPages(4096)!;
    const hostPages = Math.ceil(guestPages * c.hostShare);
    const local = Math.floor(hostPages / 5);
    const sets = {
      'machine.tiers.0.capacityGiB': (local * 4096) / 1024 ** 3,
      'machine.tiers.1.capacityGiB': ((hostPages - local) * 4096) / 1024 ** 3,
    };
    const { config } = resolveConfig({ sets, flags: { policy: c.policy, with: c.with, workload: c.workload } });
    const runs: number[] = [];
    let summary = '';
    for (let rep = 0; rep < 2; rep++) {
      const engine = new Engine(config, resolveTiers(config, undefined), new MemorySource('replay', streams, { vms: gen.vms, vmPages: (vm) => gen.vmPages(vm) }));
      attachPolicies(engine, config);
      const t0 = process.cpuUsage();
      const res = await engine.run();
      const u = process.cpuUsage(t0);
      runs.push((u.user + u.system) / 1e3);
      if (res.vm) summary = `simulated ${(res.simTimeNs / 1e9).toFixed(1)} s, frames saved ${res.vm.final.framesSaved}, shared pages ${res.vm.final.sharedPages}, evicted ${res.counters[C_EVICTED]}`;
    }
    const best = Math.min(...runs);
    process.stdout.write(`${c.name}\n  ${(accesses / 1e6).toFixed(1)} M accesses, best of ${runs.length}: ${(best / 1e3).toFixed(2)} s CPU → ${(accesses / best / 1e3).toFixed(1)} M accesses/s (CPU time)${summary ? `\n  ${summary}` : ''}\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
