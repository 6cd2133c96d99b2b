// `npx tsx bench/vm-throughput.ts [filter]`: engine throughput with the VM model (issue 6 goal:
// ≥ 20 M accesses/s with 8 VMs and balloon, idle-tax and page-sharing on). Each case's stream is
// generated once into typed arrays (vm and content columns included) and replayed, so the engine
// is timed alone; time is process CPU time (user + system), since the machine is shared.

import { resolveConfig, attachPolicies } from '../sim/run.ts';
import { resolveTiers } from '../sim/machine.ts';
import { Engine } from '../sim/engine.ts';
import { SyntheticSource } from '../traces/synthetic.ts';
import type { AccessBatch, AccessSource } from '../traces/batch.ts';
import { createBatch } from '../traces/batch.ts';

interface Stream {
  n: number;
  addrHi: Uint32Array;
  addrLo: Uint32Array;
  op: Uint8Array;
  vm: Uint16Array;
  gap: Float32Array;
  content: Uint32Array;
}

function capture(src: SyntheticSource, cpu: number): Stream {
  const parts: Stream[] = [];
  const b = createBatch();
  let total = 0;
  for (;;) {
    const n = src.read(cpu, b);
    if (n === 0) break;
    parts.push({ n, addrHi: b.addrHi.slice(0, n), addrLo: b.addrLo.slice(0, n), op: b.op.slice(0, n), vm: b.vm.slice(0, n), gap: b.gapNs.slice(0, n), content: b.content.slice(0, n) });
    total += n;
  }
  const s: Stream = { n: total, addrHi: new Uint32Array(total), addrLo: new Uint32Array(total), op: new Uint8Array(total), vm: new Uint16Array(total), gap: new Float32Array(total), content: new Uint32Array(total) };
  let at = 0;
  for (const p of parts) {
    s.addrHi.set(p.addrHi, at);
    s.addrLo.set(p.addrLo, at);
    s.op.set(p.op, at);
    s.vm.set(p.vm, at);
    s.gap.set(p.gap, at);
    s.content.set(p.content, at);
    at += p.n;
  }
  return s;
}

class Replay implements AccessSource {
  readonly name = 'replay';
  readonly cpus: number;
  private readonly pos: Float64Array;
  constructor(
    private readonly streams: Stream[],
    readonly vms: number,
    private readonly perVmPages: number | undefined,
  ) {
    this.cpus = streams.length;
    this.pos = new Float64Array(streams.length);
  }
  vmPages(): number | undefined {
    return this.perVmPages;
  }
  footprintPages(): number | undefined {
    return undefined;
  }
  read(cpu: number, b: AccessBatch): number {
    const s = this.streams[cpu];
    const from = this.pos[cpu];
    const n = Math.min(b.capacity, s.n - from);
    if (n <= 0) return 0;
    b.addrHi.set(s.addrHi.subarray(from, from + n));
    b.addrLo.set(s.addrLo.subarray(from, from + n));
    b.op.set(s.op.subarray(from, from + n));
    b.vm.set(s.vm.subarray(from, from + n));
    b.gapNs.set(s.gap.subarray(from, from + n));
    b.content.set(s.content.subarray(from, from + n));
    b.cpu.fill(cpu, 0, n);
    b.count = n;
    this.pos[cpu] = from + n;
    return n;
  }
}

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
    const streams = Array.from({ length: gen.cpus }, (_, cpu) => capture(gen, cpu));
    const accesses = streams.reduce((a, s) => a + s.n, 0);
    const guestPages = gen.footprintPages(4096);
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
      const engine = new Engine(config, resolveTiers(config, undefined), new Replay(streams, gen.vms, gen.vmPages(0)));
      attachPolicies(engine, config);
      const t0 = process.cpuUsage();
      const res = await engine.run();
      const u = process.cpuUsage(t0);
      runs.push((u.user + u.system) / 1e3);
      if (res.vm) summary = `simulated ${(res.simTimeNs / 1e9).toFixed(1)} s, frames saved ${res.vm.final.framesSaved}, shared pages ${res.vm.final.sharedPages}, evicted ${res.counters[14]}`;
    }
    const best = Math.min(...runs);
    process.stdout.write(`${c.name}\n  ${(accesses / 1e6).toFixed(1)} M accesses, best of ${runs.length}: ${(best / 1e3).toFixed(2)} s CPU → ${(accesses / best / 1e3).toFixed(1)} M accesses/s (CPU time)${summary ? `\n  ${summary}` : ''}\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
