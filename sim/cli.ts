// `npm run sim -- …`: run one simulation and print its summary. Every option is documented in
// --help; every config key (with its default and meaning) in --list-keys.

import yargs from 'yargs';
import { join } from 'node:path';
import { ConfigError, parseSets } from './config.ts';
import type { KeySpec } from './config.ts';
import { MACHINE_PRESETS } from './machine.ts';
import { resolveConfig, runIdentity, runName, runSimulation, recordRun } from './run.ts';
import { identifyTrace } from './run-checks.ts';
import { runProgress } from './run-progress.ts';
import { finishCli, runAsMain, stopOnSignals } from './cli-common.ts';
import { listPolicies } from './policy-catalog.ts';
import { WORKLOAD_KINDS } from '../traces/synthetic.ts';
import type { Row } from '../results/rows.ts';
import { toCsv } from '../results/write.ts';
import { prepareRunDir } from '../results/run-dir.ts';
import { formatTable } from '../results/table.ts';
import { formatTypeReport } from './page-types.ts';

const FORMATS = ['table', 'json', 'csv'] as const;

function epilog(): string {
  const pad = (s: string, n: number) => s.padEnd(n);
  const lines = ['Policies (--policy):'];
  for (const p of listPolicies()) lines.push(`  ${pad(p.name, 14)} ${p.summary}`);
  lines.push('', 'Machine presets (--machine):');
  for (const m of MACHINE_PRESETS) lines.push(`  ${pad(m.name, 14)} ${m.summary}`);
  lines.push('', 'Workloads (--workload kind:key=value,…; phases joined with +):');
  for (const [k, w] of Object.entries(WORKLOAD_KINDS)) {
    lines.push(`  ${pad(k, 14)} ${w.summary}`);
    lines.push(`  ${pad('', 14)} keys: ${Object.entries(w.params).map(([n, d]) => `${n}=${d.default}`).join(', ')}`);
  }
  lines.push('', 'Every config key, its default and meaning: --list-keys. Results: results/<policy>-<hash>/ unless --out.');
  return lines.join('\n');
}

function parsePageSize(v: string): number {
  const s = String(v).trim().toLowerCase();
  if (s === '4k' || s === '4' || s === '4kib') return 4;
  if (s === '2m' || s === '2048' || s === '2mib' || s === '2048k') return 2048;
  throw new ConfigError(`--page-size: expected 4k or 2m, found "${v}"`);
}

export async function main(argv: string[]): Promise<number> {
  const parser = yargs(argv)
    .scriptName('npm run sim --')
    .usage('Simulate a page-placement policy on a tiered-memory machine.\n\nUsage: $0 [options]')
    .option('policy', { alias: 'p', type: 'string', describe: 'Placement policy (listed below).' })
    .option('with', { type: 'string', describe: 'Extra policies attached alongside --policy, comma-separated, e.g. balloon,idle-tax,page-sharing (config key "with").' })
    .option('workload', { alias: 'w', type: 'string', describe: 'Synthetic workload spec (listed below). Default: the embedded hot-set workload.' })
    .option('trace', { type: 'string', describe: 'Replay a trace file instead of the workload (lackey, CSV, perf script, drmemtrace, ChampSim, DAMON, native; plain, .gz, .zst, .xz; see traces/FORMAT.md).' })
    .option('skip-bad', { type: 'boolean', describe: 'Skip and count malformed trace records instead of stopping at the first.' })
    .option('machine', { alias: 'm', type: 'string', describe: 'Machine preset (listed below). Default: ddr5-cxl.' })
    .option('local-gib', { type: 'number', describe: 'Capacity of tier 0 (local DRAM) in GiB; overrides --ratio for that tier.' })
    .option('cxl-gib', { type: 'number', describe: 'Capacity of tier 1 (CXL / remote / PMem) in GiB; overrides --ratio for that tier.' })
    .option('ratio', { type: 'string', describe: 'Capacity split of the workload footprint across tiers, fastest first (default 1:4; the slowest tier gets 10 % headroom).' })
    .option('page-size', { type: 'string', describe: 'Page size: 4k or 2m.' })
    .option('seed', { type: 'number', describe: 'Seed for every random choice (default 1). Same config and seed give byte-identical CSV.' })
    .option('warmup-ms', { type: 'number', describe: 'Simulated ms excluded from the summary.' })
    .option('epoch-ms', { type: 'number', describe: 'Simulated ms per timeseries.csv row (default 10).' })
    .option('max-accesses', { type: 'number', describe: 'Stop after this many accesses (0 = all).' })
    .option('config', { alias: 'c', type: 'string', describe: 'JSON config file (nested or dotted keys; a run\'s config.json re-runs it).' })
    .option('set', { alias: 's', type: 'string', array: true, describe: 'Override any config key: --set path=value (repeatable). See --list-keys.' })
    .option('out', { alias: 'o', type: 'string', describe: 'Run directory for config.json, summary.csv, summary.json, timeseries.csv.' })
    .option('format', { alias: 'f', type: 'string', choices: FORMATS, default: 'table', describe: 'Summary on stdout: table, json (one object, keys = summary.csv columns) or csv.' })
    .option('force', { type: 'boolean', default: false, describe: 'Re-run even if the run directory holds a complete run of this config, and replace a run directory holding another config.' })
    .option('list-keys', { type: 'boolean', default: false, describe: 'Print every config key with its default, range and meaning, then exit.' })
    .strict();
  const args = await finishCli(parser, epilog(), (msg) => (/Unknown argument/.test(msg) ? `. Valid options: ${OPTION_NAMES.join(', ')} (see --help); this command takes no other arguments` : '')).parseAsync();
  if (args.help) return 0;

  const flags: Record<string, unknown> = {};
  const flagOf: Record<string, string> = {};
  const put = (key: string, flag: string, v: unknown) => {
    if (v !== undefined) (flags[key] = v), (flagOf[key] = flag);
  };
  put('policy', '--policy', args.policy);
  put('with', '--with', args.with);
  put('workload', '--workload', args.workload);
  put('trace', '--trace', args.trace);
  put('trace.skipBad', '--skip-bad', args['skip-bad']);
  put('machine.preset', '--machine', args.machine);
  put('machine.tiers.0.capacityGiB', '--local-gib', args['local-gib']);
  put('machine.tiers.1.capacityGiB', '--cxl-gib', args['cxl-gib']);
  put('machine.ratio', '--ratio', args.ratio);
  put('pageSizeKiB', '--page-size', args['page-size'] === undefined ? undefined : parsePageSize(args['page-size']));
  put('seed', '--seed', args.seed);
  put('run.warmupMs', '--warmup-ms', args['warmup-ms']);
  put('stats.epochMs', '--epoch-ms', args['epoch-ms']);
  put('run.maxAccesses', '--max-accesses', args['max-accesses']);

  const { config, schema } = resolveConfig({ file: args.config, sets: parseSets(args.set ?? []), flags, flagName: (k) => flagOf[k] ?? 'option' });

  if (args['list-keys']) {
    for (const key of Object.keys(schema).sort()) process.stdout.write(describeKey(key, schema[key], config[key]));
    return 0;
  }

  // Everything that can be wrong with the inputs and the output place fails here, before the run.
  await identifyTrace(config);
  const dir = args.out ?? join('results', runName(config));
  const identity = runIdentity(config);
  const place = prepareRunDir(dir, identity, { force: args.force, label: args.out !== undefined ? `--out ${dir}` : dir });
  const format = args.format as (typeof FORMATS)[number];
  if (place.previous) {
    print(place.previous, format, `(already complete in ${dir}; --force to re-run)`);
    return 0;
  }

  const progress = runProgress(config);
  const stop = stopOnSignals({ say: (s) => process.stderr.write(s + '\n'), cleanup: () => progress.stop() });
  let outcome: Awaited<ReturnType<typeof runSimulation>>;
  try {
    outcome = await runSimulation(config, undefined, { signal: stop.signal, onProgress: progress.onProgress });
  } catch (err) {
    if (stop.exitCode === undefined) throw err;
    process.stderr.write(`stopped; nothing was written to ${dir}\n`);
    return stop.exitCode;
  } finally {
    progress.stop();
    stop.dispose();
  }
  const summary = recordRun(outcome, dir, { replace: place.replace });
  // A signal that came as the run finished: the run is whole and written, but the exit says it was stopped.
  const stoppedCode = stop.exitCode;
  if ((config['run.warmupMs'] as number) > 0 && outcome.result.measuredFromNs === 0) {
    process.stderr.write(`warning: the run ended (${(outcome.result.simTimeNs / 1e6).toFixed(3)} ms) inside its ${config['run.warmupMs']} ms warm-up; the summary covers the whole run\n`);
  }
  for (const w of outcome.result.warnings) process.stderr.write(`warning: ${w}\n`);
  // Behind the LLC filter, count the trace's records (what was read and filtered), not only misses.
  const llc = outcome.trace?.llc;
  const perSecond = (llc ? llc.accesses : (summary.accesses as number)) / (outcome.wallMs / 1e3);
  const unit = llc ? 'M trace records/s through the LLC filter' : 'M accesses/s';
  const skipped = outcome.trace?.badRecords ? `; skipped ${outcome.trace.badRecords} malformed trace records (--skip-bad)` : '';
  if (format === 'table') {
    const e = outcome.engine;
    process.stdout.write(formatTable(summary) + '\n');
    process.stdout.write(formatTypeReport(e.tiers, e.pageTypeCounts(), e.host.pageTypesOn(), config['storage.device'] === 'nvme' ? e.storageStats : null, config['zswap.enabled'] === true ? e.zswapStats : null, e.pageBytes, e.host.memPressureNs()));
    process.stderr.write(`wrote ${dir}/ in ${(outcome.wallMs / 1e3).toFixed(2)} s (${(perSecond / 1e6).toFixed(1)} ${unit})${skipped}\n`);
    return stoppedCode ?? 0;
  }
  print(summary, format, `wrote ${dir}/ in ${(outcome.wallMs / 1e3).toFixed(2)} s (${(perSecond / 1e6).toFixed(1)} ${unit})${skipped}`);
  return stoppedCode ?? 0;
}

/** One --list-keys entry: key = default, its range or choices, and its meaning. */
function describeKey(key: string, spec: KeySpec, value: unknown): string {
  let range = '';
  if (spec.type === 'number') range = ` [${spec.min ?? '-∞'} … ${spec.max ?? '∞'}${spec.integer ? ', whole' : ''}${spec.nullable ? ', or null' : ''}]`;
  else if (spec.choices) range = ` (${spec.choices.join(', ')})`;
  return `${key} = ${JSON.stringify(value)}${range}\n    ${spec.doc}\n`;
}

const OPTION_NAMES = [
  '--policy', '--with', '--workload', '--trace', '--skip-bad', '--machine', '--local-gib', '--cxl-gib', '--ratio', '--page-size', '--seed', '--warmup-ms',
  '--epoch-ms', '--max-accesses', '--config', '--set', '--out', '--format', '--force', '--list-keys', '--help',
];

function print(summary: Row, format: (typeof FORMATS)[number], note: string): void {
  if (format === 'json') process.stdout.write(JSON.stringify(summary) + '\n');
  else if (format === 'csv') process.stdout.write(toCsv([summary]));
  else process.stdout.write(formatTable(summary) + '\n');
  process.stderr.write(note + '\n');
}

runAsMain(import.meta.url, main, { options: OPTION_NAMES, flags: ['--skip-bad', '--force', '--list-keys', '--help'] });
