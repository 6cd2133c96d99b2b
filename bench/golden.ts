// Golden outputs: the correctness guard of engine rewrites. A fixed set of configs covering every
// policy, 2 MiB pages, several CPUs, warm-up, run.maxAccesses, VMs with balloon / idle-tax /
// page-sharing, a splitting Memtis, 3-tier and other machines, and the shared lackey traces is run,
// and the CSV files a run writes (summary.csv, timeseries.csv, vm-timeseries.csv) are hashed.
//
//   npx tsx bench/golden.ts --record DIR     run every config, write its CSVs under DIR/<name>/ and
//                                            the hashes to bench/golden.json
//   npx tsx bench/golden.ts [--ref DIR] [name-filter]
//                                            run and compare with bench/golden.json; with --ref, a
//                                            config whose files differ is compared column by column
//                                            with the CSVs recorded in DIR (max relative difference)
//
// Not a test: the configs take about a minute, and an output that changes on purpose is a decision
// (re-record, and say why in the commit), not a failure to hide.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import '../policies/registry.ts'; // the policy catalog's composition root (sim/ never imports policies/)
import { resolveConfig, runSimulation } from '../sim/run.ts';
import { summaryRow, timeseriesRows, vmTimeseriesRows } from '../results/rows.ts';
import { toCsv } from '../results/write.ts';

interface GoldenCase {
  name: string;
  flags: Record<string, unknown>;
  sets?: Record<string, unknown>;
}

const TRACES = '/work/shared/traces';
/** Long enough (4 s simulated at 2 µs per access) for daemons with 1 s periods to act several times. */
const HOT = 'hotset:pages=64Ki,hot=0.1,hotShare=0.9,accesses=2M,write=0.25,gapNs=2000';
const ZIPF = 'zipf:pages=64Ki,accesses=1M,theta=0.99,gapNs=3000,init=1';
const HOT_2M = 'hotset:pages=256Ki,hot=0.1,hotShare=0.9,shiftAt=0.5,accesses=2M,write=0.25,gapNs=1000';
const VMS = 'vms:count=3,pages=2000,accesses=40k,os=0.4,zero=0.1,images=1,write=0.3,ws=1/0.1,gapNs=20000';
const VM_SETS = {
  'policy.idle-tax.samplePeriodS': 0.05,
  'policy.idle-tax.reallocIntervalS': 0.02,
  'policy.idle-tax.stateCheckMs': 2,
  'policy.balloon.pollIntervalMs': 5,
  'policy.page-sharing.scanRatePerVmPagesPerS': 20000,
  'policy.page-sharing.scanRateTotalPagesPerS': 50000,
  'policy.page-sharing.scanIntervalMs': 1,
  // Host at 75 % of the guests' 6000 pages, 1:3 local:CXL (overcommitted: host paging, ballooning).
  'machine.tiers.0.capacityGiB': (1125 * 4096) / 1024 ** 3,
  'machine.tiers.1.capacityGiB': (3375 * 4096) / 1024 ** 3,
  'vm.1.limitMiB': (1400 * 4096) / 1024 ** 2,
};

export const GOLDEN_CASES: GoldenCase[] = [
  { name: 'first-touch-hotset', flags: { policy: 'first-touch', workload: HOT } },
  { name: 'interleave-3to1', flags: { policy: 'interleave', workload: HOT }, sets: { 'policy.interleave.weights': '3:1' } },
  { name: 'numa-tiering-hotset', flags: { policy: 'numa-tiering', workload: HOT } },
  { name: 'tpp-hotset', flags: { policy: 'tpp', workload: HOT } },
  { name: 'mglru-hotset', flags: { policy: 'mglru', workload: HOT } },
  { name: 'autonuma-zipf', flags: { policy: 'autonuma', workload: ZIPF, 'machine.ratio': '1:1' } },
  { name: 'pebs-zipf', flags: { policy: 'pebs', workload: ZIPF }, sets: { 'policy.pebs.samplePeriod': 101 } },
  { name: 'hemem-2m', flags: { policy: 'hemem', workload: HOT_2M, pageSizeKiB: 2048, 'stats.epochMs': 100 }, sets: { 'policy.hemem.samplePeriod': 997 } },
  { name: 'hemem-artifact-optane', flags: { policy: 'hemem', workload: HOT, 'machine.preset': 'dram-optane' }, sets: { 'policy.hemem.preset': 'artifact', 'policy.hemem.samplePeriod': 199 } },
  { name: 'memtis-4k', flags: { policy: 'memtis', workload: ZIPF } },
  {
    name: 'memtis-2m-split',
    flags: { policy: 'memtis', workload: 'zipf:pages=256Ki,accesses=3M,gapNs=100', pageSizeKiB: 2048 },
    sets: { 'policy.memtis.coolingPeriodSamples': 20000, 'policy.memtis.adaptationPeriodSamples': 1000 },
  },
  { name: 'pebs-2m', flags: { policy: 'pebs', workload: HOT_2M, pageSizeKiB: 2048 } },
  { name: 'first-touch-2m-sparse', flags: { policy: 'first-touch', workload: 'uniform:pages=256Ki,accesses=500k,layout=sparse,init=1', pageSizeKiB: 2048 } },
  { name: 'tpp-4cpu', flags: { policy: 'tpp', workload: 'hotset:pages=64Ki,accesses=2M,threads=4,gapNs=8000,write=0.3' } },
  { name: 'mglru-2cpu-warmup', flags: { policy: 'mglru', workload: 'zipf:pages=32Ki,accesses=1M,threads=2,gapNs=6000,init=1', 'run.warmupMs': 800 } },
  { name: 'pebs-3cpu-strict', flags: { policy: 'pebs', workload: 'uniform:pages=16Ki,accesses=600k,threads=3,gapNs=500+hotset:pages=16Ki,accesses=600k,threads=3,gapNs=500' }, sets: { 'run.cpuQuantumNs': 0 } },
  { name: 'numa-tiering-warmup', flags: { policy: 'numa-tiering', workload: HOT, 'run.warmupMs': 1500 } },
  { name: 'pebs-max-accesses', flags: { policy: 'pebs', workload: HOT, 'run.maxAccesses': 700000 } },
  { name: 'numa-tiering-3tier', flags: { policy: 'numa-tiering', workload: HOT, 'machine.preset': 'ddr5-cxl-3tier', 'machine.ratio': '1:2:2' } },
  { name: 'autonuma-two-socket', flags: { policy: 'autonuma', workload: HOT, 'machine.preset': 'two-socket', 'machine.ratio': '2:1' } },
  { name: 'memtis-cxl-switch', flags: { policy: 'memtis', workload: HOT, 'machine.preset': 'cxl-switch' } },
  { name: 'mglru-evicting', flags: { policy: 'mglru', workload: 'zipf:pages=16Ki,accesses=800k,theta=0.9,gapNs=5000,init=1', 'machine.ratio': '1:9' }, sets: { 'machine.headroomPct': 0.1, 'policy.mglru.minTtlMs': 20 } },
  { name: 'tpp-scan-2m', flags: { policy: 'tpp', workload: 'scan:pages=128Ki,accesses=1M,lines=2,gapNs=3000', pageSizeKiB: 2048 } },
  { name: 'vm-first-touch-balloon', flags: { policy: 'first-touch', workload: VMS, with: 'balloon', 'stats.epochMs': 20 }, sets: { ...VM_SETS, 'machine.tiers.1.capacityGiB': (6000 * 4096) / 1024 ** 3, 'vm.0.balloonMiB': (300 * 4096) / 1024 ** 2 } },
  { name: 'vm-idle-tax', flags: { policy: 'first-touch', workload: VMS, with: 'balloon,idle-tax', 'stats.epochMs': 20 }, sets: VM_SETS },
  { name: 'vm-page-sharing', flags: { policy: 'page-sharing', workload: VMS, 'stats.epochMs': 20 }, sets: { ...VM_SETS, 'machine.tiers.1.capacityGiB': (6000 * 4096) / 1024 ** 3 } },
  { name: 'vm-tpp-all-three', flags: { policy: 'tpp', workload: VMS, with: 'balloon,idle-tax,page-sharing', 'stats.epochMs': 20 }, sets: VM_SETS },
  { name: 'vm-mglru-undersized', flags: { policy: 'mglru', workload: VMS, with: 'idle-tax,page-sharing', 'stats.epochMs': 20 }, sets: { ...VM_SETS, 'vm.memMiB': (1500 * 4096) / 1024 ** 2 } },
  { name: 'trace-sort-first-touch', flags: { policy: 'first-touch', trace: `${TRACES}/sort.lackey.zst`, 'stats.epochMs': 1 } },
  { name: 'trace-xz-tpp-small-llc', flags: { policy: 'tpp', trace: `${TRACES}/xz.lackey.zst`, 'stats.epochMs': 1 }, sets: { 'llc.sizeMiB': 0.0625 } },
  { name: 'trace-sqlite3-mglru', flags: { policy: 'mglru', trace: `${TRACES}/sqlite3.lackey.zst`, 'stats.epochMs': 1, 'machine.ratio': '1:2' } },
  { name: 'trace-sort-pebs-2m', flags: { policy: 'pebs', trace: `${TRACES}/sort.lackey.zst`, pageSizeKiB: 2048, 'machine.ratio': '1:1', 'stats.epochMs': 1 }, sets: { 'policy.pebs.samplePeriod': 101 } },
];

/** The CSV files a run directory gets (recordRun writes the same rows). */
export async function goldenFiles(c: GoldenCase): Promise<Record<string, string>> {
  const { config } = resolveConfig({ sets: c.sets, flags: c.flags });
  const outcome = await runSimulation(config);
  const files: Record<string, string> = {
    'summary.csv': toCsv([summaryRow(config, outcome.tiers, outcome.result, outcome.trace)]),
    'timeseries.csv': toCsv(timeseriesRows(outcome.tiers, outcome.result, outcome.config)),
  };
  const vm = vmTimeseriesRows(outcome.result);
  if (vm.length > 0) files['vm-timeseries.csv'] = toCsv(vm);
  return files;
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** Per column, the largest relative difference between two CSVs of the same shape (or why they cannot be compared). */
export function csvDiff(a: string, b: string): string[] {
  const ra = a.trim().split('\n').map((l) => l.split(','));
  const rb = b.trim().split('\n').map((l) => l.split(','));
  if (ra[0].join() !== rb[0].join()) return [`header differs: ${ra[0].length} vs ${rb[0].length} columns`];
  if (ra.length !== rb.length) return [`${ra.length - 1} vs ${rb.length - 1} rows`];
  const out: string[] = [];
  for (let col = 0; col < ra[0].length; col++) {
    let worst = 0;
    let rows = 0;
    let text = false;
    for (let r = 1; r < ra.length; r++) {
      if (ra[r][col] === rb[r][col]) continue;
      rows++;
      const x = Number(ra[r][col]);
      const y = Number(rb[r][col]);
      if (!Number.isFinite(x) || !Number.isFinite(y)) text = true;
      else worst = Math.max(worst, Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y), 1e-300));
    }
    if (rows > 0) out.push(`${ra[0][col]}: ${rows} rows, ${text ? 'text differs' : `max relative difference ${worst.toExponential(2)}`}`);
  }
  return out;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    const v = args[i + 1];
    args.splice(i, 2);
    return v;
  };
  const record = flag('--record');
  const ref = flag('--ref');
  const filter = args.join(' ');
  const hashFile = new URL('./golden.json', import.meta.url);
  const expected: Record<string, Record<string, string>> = existsSync(hashFile) ? JSON.parse(readFileSync(hashFile, 'utf8')) : {};
  const hashes: Record<string, Record<string, string>> = record ? {} : expected;
  let differ = 0;
  for (const c of GOLDEN_CASES) {
    if (filter && !c.name.includes(filter)) continue;
    const t0 = performance.now();
    const files = await goldenFiles(c);
    const ms = performance.now() - t0;
    const got = Object.fromEntries(Object.entries(files).map(([f, text]) => [f, sha(text)]));
    if (record) {
      mkdirSync(join(record, c.name), { recursive: true });
      for (const [f, text] of Object.entries(files)) writeFileSync(join(record, c.name, f), text);
      hashes[c.name] = got;
      console.log(`${c.name}: recorded (${(ms / 1e3).toFixed(1)} s)`);
      continue;
    }
    const want = expected[c.name] ?? {};
    const bad = Object.keys({ ...want, ...got }).filter((f) => want[f] !== got[f]);
    if (bad.length === 0) {
      console.log(`${c.name}: identical (${(ms / 1e3).toFixed(1)} s)`);
      continue;
    }
    differ++;
    console.log(`${c.name}: DIFFERS in ${bad.join(', ')} (${(ms / 1e3).toFixed(1)} s)`);
    if (ref) {
      for (const f of bad) {
        const path = join(ref, c.name, f);
        if (!existsSync(path) || !files[f]) console.log(`  ${f}: missing on one side`);
        else for (const line of csvDiff(readFileSync(path, 'utf8'), files[f])) console.log(`  ${f} ${line}`);
      }
    }
  }
  if (record) writeFileSync(hashFile, JSON.stringify(hashes, null, 1) + '\n');
  else if (differ > 0) {
    console.log(`${differ} config(s) differ`);
    process.exitCode = 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
