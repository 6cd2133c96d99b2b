// Heap allocation of one engine run, and who allocates it: the measure of "no allocation on the
// hot paths" (issue 14). Not a timing (the profiler slows the run); time with `npm run bench`.
//
//   npx tsx bench/alloc.ts POLICY [WORKLOAD] [--top N] [--page-kib K] [--warm]
//
// WORKLOAD defaults to the bench's core case (20 M zipf(0.99) accesses over 4 Mi pages), read
// from the translated-stream cache as `npm run bench` does. V8's sampling heap profiler runs with
// objects collected by minor and major GCs included, so the total is what the run allocated, not
// what survived; at a 32 KiB sampling interval the figure is an estimate good to a few %. The GC
// counts (scavenges, mark-compacts) come from PerformanceObserver 'gc' entries.

import { Session } from 'node:inspector/promises';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import '../policies/registry.ts'; // the policy catalog's composition root
import { resolveConfig, attachPolicies } from '../sim/run.ts';
import { resolveTiers } from '../sim/machine.ts';
import { Engine } from '../sim/engine.ts';
import { StoredIdSource } from '../sim/id-stream.ts';
import { idCachePath, ensureCached, CachedIdSource } from '../sim/id-cache.ts';
import { SyntheticSource } from '../traces/synthetic.ts';

const CORE = 'zipf:pages=4Mi,accesses=20M,theta=0.99,init=1';

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string, def: number) => {
    const i = args.indexOf(name);
    if (i < 0) return def;
    const v = Number(args.splice(i, 2)[1]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
    return v;
  };
  const warm = args.includes('--warm');
  if (warm) args.splice(args.indexOf('--warm'), 1);
  const top = opt('--top', 12);
  const pageSizeKiB = opt('--page-kib', 4);
  const [policy, workload = CORE] = args;
  if (!policy) throw new Error('usage: npx tsx bench/alloc.ts POLICY [WORKLOAD] [--top N] [--page-kib K] [--warm]');

  const { config: wl } = resolveConfig({ flags: { workload, pageSizeKiB } });
  const path = (await idCachePath(wl))!;
  await ensureCached(path, pageSizeKiB * 1024, async () => ({ source: new SyntheticSource(workload, 1), stats: () => undefined }));
  const cached = new CachedIdSource(path);
  const trace = cached.load();
  cached.close();
  const n = trace.cpus.reduce((a, x) => a + x.count, 0);
  const { config } = resolveConfig({ flags: { policy, workload, pageSizeKiB } });
  const source = new StoredIdSource(trace);
  const tiers = resolveTiers(config, source.footprintPages(pageSizeKiB * 1024));

  const runOnce = async () => {
    source.rewind();
    const engine = new Engine(config, tiers, source);
    attachPolicies(engine, config);
    await engine.run();
  };
  // --warm: one run first, unprofiled, so that the profile shows the steady state (optimized code)
  // rather than what the interpreter allocates before V8 optimizes the hot paths.
  if (warm) await runOnce();
  const gcs = { minor: 0, major: 0, other: 0, ms: 0 };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = ((e as unknown as { detail?: { kind?: number } }).detail as { kind?: number } | undefined)?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gcs.minor++;
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gcs.major++;
      else gcs.other++;
      gcs.ms += e.duration;
    }
  });
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', { samplingInterval: 32768, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  obs.observe({ entryTypes: ['gc'] });
  const c0 = process.cpuUsage();
  await runOnce();
  const u = process.cpuUsage(c0);
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: ProfileNode } };
  await new Promise((r) => setImmediate(r)); // deliver the last gc entries
  obs.disconnect();
  session.disconnect();

  // Self bytes per function (summed over its call sites).
  const per = new Map<string, number>();
  let total = 0;
  const walk = (node: ProfileNode) => {
    if (node.selfSize > 0) {
      const f = node.callFrame;
      const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(sim|policies|traces|bench)\//, '$1/')}:${f.lineNumber + 1}`;
      per.set(key, (per.get(key) ?? 0) + node.selfSize);
      total += node.selfSize;
    }
    for (const c of node.children) walk(c);
  };
  walk(profile.head);
  const mb = (b: number) => (b / 1e6).toFixed(1);
  console.log(`${policy} on ${workload} (${n.toLocaleString('en-US')} accesses, ${pageSizeKiB} KiB pages${warm ? ', second run in the process' : ''}), load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log(`  allocated during the run: ${mb(total)} MB (sampled, collected objects included); GCs: ${gcs.minor} scavenges, ${gcs.major} mark-compacts, ${gcs.other} other, ${gcs.ms.toFixed(0)} ms; CPU ${((u.user + u.system) / 1e6).toFixed(2)} s with the profiler on`);
  const rows = [...per].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [k, b] of rows) console.log(`  ${mb(b).padStart(8)} MB  ${k}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
