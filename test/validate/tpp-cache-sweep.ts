// Reproduces the README's tables for TPP's cache case (README "Page types and storage"): the case's
// workload (cases-pagetypes.ts cacheWorkload) under autonuma and tpp with one [estimate] at a time
// moved to an end of its range, and optionally the diagnostic runs behind the verdict's
// explanation (the same run at 4× and 16× size; watermarkScaleFactor 100 and kswapdPageNs 200 / 2000
// under autonuma), and the baseline runs (autonuma with demotion on and off, and tpp, with the heap
// all hot or 55 % / 80 % of it idle once grown: CacheShape.anonHot 0.45 / 0.2).
//
//   npx tsx test/validate/tpp-cache-sweep.ts            the range table (12 runs + 2, a few minutes)
//   npx tsx test/validate/tpp-cache-sweep.ts --diag     the size, watermark and kswapd runs (a few minutes)
//   npx tsx test/validate/tpp-cache-sweep.ts --baseline demotion on/off and heap hotness (9 runs, about a minute)
//
// Prints one JSON line per run: anon pages local, page-cache pages local, remote share, simulated s.

import { cacheWorkload } from './cases-pagetypes.ts';
import type { CacheShape } from './cases-pagetypes.ts';
import '../../policies/registry.ts'; // the policy catalog's composition root (sim/ never imports policies/)
import { resolveConfig, runSimulation } from '../../sim/run.ts';
import { summaryRow } from '../../results/rows.ts';

const LOCAL_PAGES = 4000;
const CXL_PAGES = 16000;

async function run(policy: string, scale: number, shape: Partial<CacheShape>, sets: Record<string, unknown> = {}): Promise<void> {
  const { config } = resolveConfig({
    flags: { policy, workload: cacheWorkload(scale, shape) },
    sets: {
      'machine.tiers.0.capacityGiB': (scale * LOCAL_PAGES * 4096) / 2 ** 30,
      'machine.tiers.1.capacityGiB': (scale * CXL_PAGES * 4096) / 2 ** 30,
      'storage.device': 'nvme',
      ...sets,
    },
  });
  const out = await runSimulation(config);
  const c = out.engine.pageTypeCounts(); // [tier · 4 + type]: anon 0, cache 3
  const row = summaryRow(config, out.tiers, out.result, out.trace);
  const line = {
    policy,
    scale,
    shape,
    sets,
    anonLocal: +(c[0] / (c[0] + c[4])).toFixed(4),
    cacheLocal: c[3],
    remote: +(1 - (row.localShare as number)).toFixed(4),
    simulatedS: +((row.simTimeNs as number) / 1e9).toFixed(2),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const diag = process.argv.includes('--diag');
if (process.argv.includes('--baseline')) {
  for (const anonHot of [1, 0.45, 0.2]) {
    for (const demotionEnabled of [false, true]) await run('autonuma', 1, { anonHot }, { 'policy.autonuma.demotionEnabled': demotionEnabled });
    await run('tpp', 1, { anonHot });
  }
} else if (diag) {
  await run('autonuma', 1, {}, { 'policy.autonuma.watermarkScaleFactor': 100 });
  for (const ns of [200, 2000]) await run('autonuma', 1, {}, { 'policy.autonuma.kswapdPageNs': ns });
  for (const policy of ['autonuma', 'tpp']) await run(policy, 4, {});
  await run('autonuma', 16, {});
} else {
  const shapes: Array<Partial<CacheShape>> = [{}, { filePages: 20000 }, { filePages: 60000 }, { theta: 0.7 }, { theta: 1.1 }, { anonPages: 3000 }, { anonPages: 7000 }];
  for (const shape of shapes) for (const policy of ['autonuma', 'tpp']) await run(policy, 1, shape);
}
