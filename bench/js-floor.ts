// The floor of plain JavaScript on this machine: bench/c/dense-loop.c's `ids` loop (first-touch
// placement, state byte, latency sum, clock, per-tier counts) copied into JavaScript and run over the
// core stream held in memory, with and without the engine's prefetch pass (sim/access-loop.ts
// PREFETCH: the page state of the next 256 records loaded first). Not a test; a reference for
// README "Benchmarks": how far the engine is from what JavaScript can do, not from C.
//
//   npx tsx bench/js-floor.ts [reps]      (needs the core stream cached: `npm run bench` makes it)

import { resolveConfig } from '../sim/run.ts';
import { idCachePath, ensureCached, CachedIdSource } from '../sim/id-cache.ts';
import { resolveTiers } from '../sim/machine.ts';
import { SyntheticSource } from '../traces/synthetic.ts';

const CORE = 'zipf:pages=4Mi,accesses=20M,theta=0.99,init=1';

/** One repetition: accesses per second of CPU time. Tables are allocated inside the timed part, as in the C loop. */
function floor(prefetch: boolean, code: Int32Array, gaps: Float32Array, n: number, pages: number, local: number): number {
  const lat = new Float64Array([100, 100, 180, 180]);
  const c0 = process.cpuUsage();
  const state = new Uint8Array(pages);
  const count = new Float64Array(4);
  let used0 = 0;
  let clock = 0;
  let latSum = 0;
  let ahead = 0;
  let sink = 0;
  for (let i = 0; i < n; i++) {
    if (prefetch && i >= ahead) {
      const to = Math.min(n, i + 256);
      let t = 0;
      for (let j = i; j < to; j++) t |= state[code[j] >>> 1];
      sink |= t;
      ahead = to;
    }
    const x = code[i];
    const w = x & 1;
    const id = x >>> 1;
    let s = state[id];
    clock += gaps[i];
    if ((s & 0x80) === 0) {
      const tier = used0 < local ? 0 : 1;
      used0 += tier === 0 ? 1 : 0;
      s = 0x80 | (tier << 2);
      clock += 1000 + 4096 / 10;
    }
    state[id] = s | 1 | (w << 1);
    const k = ((s >> 2) & 1) * 2 + w;
    count[k]++;
    latSum += lat[k];
    clock += lat[k] * 0.5;
  }
  const u = process.cpuUsage(c0);
  if (clock + latSum + count[0] + sink < 0) console.log('unreachable');
  return n / ((u.user + u.system) / 1e6) / 1e6;
}

const reps = Number(process.argv[2] ?? 5);
const { config } = resolveConfig({ flags: { workload: CORE } });
const path = (await idCachePath(config))!;
await ensureCached(path, 4096, async () => ({ source: new SyntheticSource(CORE, 1), stats: () => undefined }));
const src = new CachedIdSource(path);
const trace = src.load();
src.close();
const c = trace.cpus[0];
const local = resolveTiers(config, trace.footprint4k ?? trace.pages)[0].capacityFrames;
for (const prefetch of [false, true]) {
  const rates = Array.from({ length: reps }, () => floor(prefetch, c.code, c.gapNs, c.count, trace.pages, local));
  console.log(`plain-JS copy of the C loop, core stream${prefetch ? ', with a 256-record prefetch pass' : ''}: best ${Math.max(...rates).toFixed(1)} M accesses/s, all ${rates.map((r) => r.toFixed(1)).join(' ')} (CPU time)`);
}
