// Interleaved A/B timing of two checkouts of tiersim in one process: the same in-memory stream,
// runs of A and B alternating, so that both see the same load (this project's 2-core VM is shared
// and its speed drifts by 2× within minutes; figures from separate processes minutes apart do not
// compare). Each checkout's modules load from its own directory (its own policy registry).
//
//   npx tsx bench/ab.ts DIR_A DIR_B POLICY [REPS] [WORKLOAD]
//
// Prints each run's CPU time as M accesses/s, then best and median per side. REPS defaults to 3;
// WORKLOAD to the bench's core case (20 M zipf(0.99) accesses over 4 Mi pages).

import { resolve } from 'node:path';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';

const CORE = 'zipf:pages=4Mi,accesses=20M,theta=0.99,init=1';

interface Side {
  name: string;
  run: () => Promise<number>;
}

async function side(dir: string, policy: string, workload: string, name: string): Promise<{ side: Side; accesses: number }> {
  const at = (p: string) => pathToFileURL(resolve(dir, p)).href;
  await import(at('policies/registry.ts'));
  const { resolveConfig, attachPolicies } = await import(at('sim/run.ts'));
  const { resolveTiers } = await import(at('sim/machine.ts'));
  const { Engine } = await import(at('sim/engine.ts'));
  const { StoredIdSource } = await import(at('sim/id-stream.ts'));
  const { idCachePath, ensureCached, CachedIdSource } = await import(at('sim/id-cache.ts'));
  const { SyntheticSource } = await import(at('traces/synthetic.ts'));
  const { config: wl } = resolveConfig({ flags: { workload } });
  const path = (await idCachePath(wl))!;
  await ensureCached(path, 4096, async () => ({ source: new SyntheticSource(workload, 1), stats: () => undefined }));
  const cached = new CachedIdSource(path);
  const trace = cached.load();
  cached.close();
  const accesses = trace.cpus.reduce((a: number, x: { count: number }) => a + x.count, 0);
  const { config } = resolveConfig({ flags: { policy, workload } });
  const source = new StoredIdSource(trace);
  const tiers = resolveTiers(config, source.footprintPages(4096));
  const run = async () => {
    source.rewind();
    const c0 = process.cpuUsage();
    const engine = new Engine(config, tiers, source);
    attachPolicies(engine, config);
    await engine.run();
    const u = process.cpuUsage(c0);
    return (u.user + u.system) / 1e6;
  };
  return { side: { name, run }, accesses };
}

async function main(): Promise<void> {
  const [a, b, policy, repsArg, workload = CORE] = process.argv.slice(2);
  if (!a || !b || !policy) throw new Error('usage: npx tsx bench/ab.ts DIR_A DIR_B POLICY [REPS] [WORKLOAD]');
  const reps = repsArg ? Number(repsArg) : 3;
  if (!Number.isInteger(reps) || reps < 1 || reps > 50) throw new Error(`REPS must be an integer in [1, 50], found ${repsArg}`);
  const A = await side(a, policy, workload, 'A');
  const B = await side(b, policy, workload, 'B');
  const n = A.accesses;
  console.log(`${policy} on ${workload}: A = ${a}, B = ${b}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const rates: Record<string, number[]> = { A: [], B: [] };
  for (let r = 0; r < reps; r++) {
    // Alternate which side goes first, so that neither always runs right after the other's garbage.
    for (const s of r % 2 === 0 ? [A.side, B.side] : [B.side, A.side]) {
      const cpuS = await s.run();
      rates[s.name].push(n / cpuS / 1e6);
      console.log(`  ${s.name} run ${r + 1}: ${(n / cpuS / 1e6).toFixed(1)} M accesses/s (CPU ${cpuS.toFixed(2)} s)`);
    }
  }
  for (const k of ['A', 'B']) {
    const s = [...rates[k]].sort((x, y) => x - y);
    console.log(`${k}: best ${s[s.length - 1].toFixed(1)}, median ${s[Math.floor((s.length - 1) / 2)].toFixed(1)} M accesses/s`);
  }
  console.log(`load average after: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
