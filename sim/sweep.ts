// `npm run sweep -- …`: run the cartesian product of config axes on worker threads, resumable and
// shardable; `merge` combines shard outputs; `plan` shows the points and emits Slurm / Kubernetes
// job files. A point is one resolved config run exactly as `npm run sim` runs it (sim/run.ts).
// Layout of the output directory: sweep-output.ts. Grid file format: sweep-grid.ts.

import yargs from 'yargs';
import type { Argv } from 'yargs';
import { availableParallelism } from 'node:os';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseSets } from './config.ts';
import { finishCli, runAsMain, stopOnSignals } from './cli-common.ts';
import type { GridSpec, ExpandedGrid } from './sweep-grid.ts';
import { expandGridHashed, gridFingerprint, parseSweepOption, readGridFile } from './sweep-grid.ts';
import { mergeSweeps, parseShard, runSweep, shardPoints } from './sweep-run.ts';
import type { Shard } from './sweep-run.ts';
import { POINTS_DIR, SWEEP_CSV } from './sweep-output.ts';
import { emitK8s, emitSlurm } from './sweep-emit.ts';
import { writeAtomic } from '../results/write.ts';
import { checkWritableDir, removeStaleTemps } from '../results/run-dir.ts';

const EMITS = ['slurm', 'k8s'] as const;

const EPILOG = `Axes are config paths (all keys: npm run sim -- --list-keys), checked like --set before
anything runs. --sweep values are separated by "," or, when a value holds commas (workload
specs), by "|"; a..b or a..b:step is a numeric range. The last axis varies fastest.

Grid file (JSON; "config" and "set" are optional):
  { "config": "base.json",
    "set":  { "workload": "uniform:pages=2000,accesses=50k" },
    "axes": { "policy": ["tpp", "mglru"], "machine.ratio": ["1:4", "1:1"], "seed": [1, 2] } }

Output directory:
  sweep.csv     one row per point: point, run, the axes, identity, engine metrics, policy.*
  points/<run>/ each point's run directory as npm run sim writes it (config.json, summary.csv,
                timeseries.csv); a rerun skips points complete there
  sweep.json    the grid and its points;  failed.json  failed points with config and error

Examples:
  npm run sweep -- --sweep policy=tpp,mglru,autonuma --sweep machine.ratio=1:4,1:2,1:1 \\
      --set trace=../shared/traces/sort.lackey.zst --out results/sort
  npm run plot -- results/sort/sweep.csv --x machine.ratio --y slowdown --by policy
  npm run sweep -- --grid grid.json --out results/g --shard 0/4    (1/4, 2/4, 3/4: anywhere)
  npm run sweep -- merge results/g
  npm run sweep -- plan --grid grid.json --shards 16 --emit slurm --out /scratch/g \\
      --script sweep.sbatch

Exit status: 0 all points done; 1 a point failed (reported with its config; the others ran);
2 bad input (nothing ran); 130 / 143 interrupted by SIGINT / SIGTERM (a rerun resumes).`;

function gridOptions<T>(y: Argv<T>) {
  return y
    .option('grid', { alias: 'g', type: 'string', describe: 'Grid file (JSON: config, set, axes; see below). May be combined with --sweep.' })
    .option('sweep', { alias: 'S', type: 'string', array: true, describe: 'An axis: --sweep path=v1,v2,… (repeatable; "|" separates values that contain commas; a..b[:step] is a range).' })
    .option('set', { alias: 's', type: 'string', array: true, describe: 'Fix a config key for every point: --set path=value (repeatable).' })
    .option('config', { alias: 'c', type: 'string', describe: 'Base JSON config file for every point (a run\'s config.json works).' });
}

interface GridArgs {
  grid?: string;
  sweep?: string[];
  set?: string[];
  config?: string;
}

function gridSpecOf(args: GridArgs): GridSpec {
  const spec: GridSpec = args.grid ? readGridFile(args.grid) : { sets: Object.create(null), axes: [] };
  if (args.config) {
    if (spec.file) throw new ConfigError(`--config ${args.config}: the grid file already names a base config (${spec.file}); keep one`);
    spec.file = args.config;
  }
  for (const [k, v] of Object.entries(parseSets(args.set ?? []))) {
    if (Object.hasOwn(spec.sets, k)) throw new ConfigError(`--set ${k}: also fixed in the grid file; keep one`);
    spec.sets[k] = v;
  }
  for (const s of args.sweep ?? []) spec.axes.push(parseSweepOption(s));
  return spec;
}

/** The grid arguments as given, for the emitted job files. */
function gridArgv(args: GridArgs): string[] {
  const out: string[] = [];
  if (args.grid) out.push('--grid', args.grid);
  if (args.config) out.push('--config', args.config);
  for (const s of args.set ?? []) out.push('--set', s);
  for (const s of args.sweep ?? []) out.push('--sweep', s);
  return out;
}

function describeGrid(grid: ExpandedGrid): string {
  const axes = grid.spec.axes.map((a) => `  ${a.path}: ${a.values.map(String).join(', ')} (${a.values.length})`);
  return [`${grid.points.length} points (${grid.unique} distinct configs) over ${grid.spec.axes.length} axes:`, ...axes].join('\n');
}

const OPTION_LIST: Record<string, string[]> = {
  run: ['--grid', '--sweep', '--set', '--config', '--out', '--jobs', '--resume', '--no-resume', '--shard', '--share-trace', '--no-share-trace', '--quiet', '--help'],
  merge: ['--out', '--help'],
  plan: ['--grid', '--sweep', '--set', '--config', '--shards', '--emit', '--out', '--jobs', '--script', '--name', '--workdir', '--time', '--partition', '--memory', '--image', '--pvc', '--help'],
};

export interface MainIO {
  stdout?: (s: string) => void;
  stderr?: (s: string) => void;
  /** Progress output (tests pass null). */
  progress?: { isTTY?: boolean; columns?: number; write(s: string): unknown } | null;
}

export async function main(argv: string[], io: MainIO = {}): Promise<number> {
  const stdout = io.stdout ?? ((s: string) => void process.stdout.write(s));
  const stderr = io.stderr ?? ((s: string) => void process.stderr.write(s));
  let code = 0;
  let command = 'run';
  const parser = yargs(argv)
    .scriptName('npm run sweep --')
    .usage('Parameter sweeps over tiersim configs: parallel, resumable, shardable.\n\nUsage: $0 [run] [options]   |   $0 merge DIR… [--out FILE]   |   $0 plan [options]')
    .command(
      ['run', '$0'],
      'Run every point of the grid (or one shard of it) on worker threads (the default command).',
      (y) =>
        gridOptions(y)
          .option('out', { alias: 'o', type: 'string', describe: 'Output directory (default results/sweep-<grid fingerprint>).' })
          .option('jobs', { alias: 'j', type: 'number', default: availableParallelism(), describe: 'Worker threads running points in parallel (default: the CPU count).' })
          .option('resume', { type: 'boolean', default: true, describe: 'Skip points already complete in --out (--no-resume re-runs them).' })
          .option('shard', { type: 'string', describe: 'Run only shard i of N (points with index mod N = i), e.g. --shard 0/4; writes shard-i-of-N.csv. Combine with merge.' })
          .option('share-trace', { type: 'boolean', default: true, describe: 'Read a trace once into memory shared by the worker threads when several points replay the same stream (--no-share-trace: each point reads the file).' })
          .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No progress output (failures are still reported).' }),
      async (args) => {
        command = 'run';
        const shard: Shard | undefined = args.shard === undefined ? undefined : parseShard(args.shard);
        checkCount('--jobs', args.jobs);
        if (args.out !== undefined) checkWritableDir(args.out, `--out ${args.out}`);
        const grid = await expandGridHashed(gridSpecOf(args));
        const out = args.out ?? join('results', `sweep-${gridFingerprint(grid)}`);
        checkWritableDir(out, `--out ${out}`);
        const mine = shardPoints(grid.points, shard).length;
        stderr(`${describeGrid(grid)}\n${shard ? `shard ${shard.index}/${shard.count}: ${mine} points; ` : ''}${args.jobs} worker thread(s); output in ${out}/\n`);
        // Stopped by a signal, the workers are terminated; a point's folder is published whole or
        // not at all, so only hidden temporary siblings can be left, and they are removed.
        const stop = stopOnSignals({
          say: (s) => stderr(`${s}; finished points are kept and a rerun resumes\n`),
          cleanup: () => removeStaleTemps(join(out, POINTS_DIR), undefined, true),
        });
        try {
          const res = await runSweep({
            grid, out, jobs: args.jobs, resume: args.resume, shard, signal: stop.signal, shareTrace: args['share-trace'],
            progress: args.quiet ? null : io.progress === undefined ? process.stderr : io.progress,
            log: (s) => stderr(s + '\n'),
          });
          stderr(
            `${res.ran} ran, ${res.skipped} already complete, ${res.failed.length} failed, in ${(res.wallMs / 1e3).toFixed(2)} s; wrote ${res.csv}` +
              (res.failed.length ? `\nfailed points (config and error in ${join(out, 'failed.json')}): ${res.failed.map((f) => f.index).join(', ')}` : '') +
              '\n',
          );
          // A signal that came after the last point finished still says the sweep was stopped
          // (it printed "interrupted"): exit 130 / 143 whenever one arrived.
          code = stop.exitCode ?? (res.interrupted ? 130 : res.failed.length ? 1 : 0);
        } finally {
          stop.dispose();
        }
      },
    )
    .command(
      'merge <dirs..>',
      'Combine the outputs of shards (one shared directory or several) into one sweep.csv, identical to an unsharded run.',
      (y) =>
        y
          .positional('dirs', { type: 'string', array: true, describe: 'Sweep output directories (each holds sweep.json and points/).' })
          .option('out', { alias: 'o', type: 'string', describe: 'CSV file to write (default: DIR/sweep.csv of the first directory).' }),
      (args) => {
        command = 'merge';
        const dirs = (args.dirs ?? []) as string[];
        const outCsv = args.out ?? join(dirs[0], SWEEP_CSV);
        const res = mergeSweeps(dirs, outCsv);
        stderr(`merged ${res.points} points from ${dirs.join(', ')} into ${res.csv}\n`);
      },
    )
    .command(
      'plan',
      'Show the points of a grid and how they split into shards; --emit writes a Slurm job array or a Kubernetes Indexed Job running the shards.',
      (y) =>
        gridOptions(y)
          .option('shards', { alias: 'n', type: 'number', default: 1, describe: 'Number of shards (array tasks / pods).' })
          .option('emit', { type: 'string', choices: EMITS, describe: 'Write a Slurm job-array script (slurm) or a Kubernetes Indexed Job manifest (k8s).' })
          .option('out', { alias: 'o', type: 'string', describe: 'Output directory of the sweep as the jobs see it (a shared file system; k8s default /results/<name>).' })
          .option('jobs', { alias: 'j', type: 'number', default: 2, describe: 'Worker threads per shard = CPUs requested per task / pod.' })
          .option('script', { type: 'string', describe: 'Write the emitted file here (default: stdout).' })
          .option('name', { type: 'string', describe: 'Job name (default tiersim-sweep-<grid fingerprint>).' })
          .option('workdir', { type: 'string', describe: 'tiersim checkout (with npm ci done) inside the job; relative paths in the sweep arguments are taken from it (default: this directory for slurm, /app for k8s).' })
          .option('time', { type: 'string', describe: 'Slurm --time limit per task (default 01:00:00).' })
          .option('partition', { type: 'string', describe: 'Slurm partition.' })
          .option('memory', { type: 'string', describe: 'Memory per task / pod (Slurm --mem, e.g. 4G; Kubernetes, e.g. 4Gi).' })
          .option('image', { type: 'string', describe: 'Kubernetes: container image with the checkout (default tiersim:latest).' })
          .option('pvc', { type: 'string', describe: 'Kubernetes: ReadWriteMany PersistentVolumeClaim mounted at /results (default tiersim-results).' }),
      async (args) => {
        command = 'plan';
        checkCount('--shards', args.shards, 100_000);
        checkCount('--jobs', args.jobs);
        const grid = await expandGridHashed(gridSpecOf(args));
        const fp = gridFingerprint(grid);
        const sizes = Array.from({ length: args.shards }, (_, i) => shardPoints(grid.points, { index: i, count: args.shards }).length);
        const name = args.name ?? `tiersim-sweep-${fp.slice(0, 8)}`;
        if (!args.emit) {
          const lines = [describeGrid(grid), `grid fingerprint ${fp}`, `${args.shards} shard(s): ${sizes.join(', ')} points each`];
          for (const p of grid.points.slice(0, 10)) lines.push(`  point ${p.index}: ${Object.entries(p.values).map(([k, v]) => `${k}=${v}`).join(', ')}  → points/${p.id}`);
          if (grid.points.length > 10) lines.push(`  … ${grid.points.length - 10} more`);
          stdout(lines.join('\n') + '\n');
          return;
        }
        if (sizes.some((n) => n === 0)) throw new ConfigError(`--shards ${args.shards}: more shards than points (${grid.points.length}); some would have nothing to do`);
        const opts = {
          sweepArgs: gridArgv(args), shards: args.shards, jobs: args.jobs, name, points: grid.points.length,
          out: args.out ?? (args.emit === 'k8s' ? `/results/${name}` : join('results', `sweep-${fp}`)),
          workdir: args.workdir ?? (args.emit === 'k8s' ? '/app' : process.cwd()),
          time: args.time, partition: args.partition, memory: args.memory, image: args.image, pvc: args.pvc, file: args.script,
        };
        if (args.emit === 'k8s' && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) {
          throw new ConfigError(`--name ${name}: a Kubernetes Job name is lower-case letters, digits and "-", at most 63 characters, starting and ending with a letter or digit`);
        }
        if (args.emit === 'k8s' && !opts.out.startsWith('/results/')) {
          stderr(`warning: --out ${opts.out} is not under /results, where the manifest mounts the shared volume; the pods' outputs would not meet\n`);
        }
        const text = args.emit === 'slurm' ? emitSlurm(opts) : emitK8s(opts);
        if (args.script) {
          writeAtomic(args.script, text);
          if (args.emit === 'slurm') chmodSync(args.script, 0o755);
          stderr(`wrote ${args.script}: ${args.emit === 'slurm' ? 'Slurm job array' : 'Kubernetes Indexed Job'} of ${args.shards} shards, ${grid.points.length} points\n`);
        } else stdout(text);
      },
    )
    .strict();
  // yargs decides the command only while parsing; guess it for the message of an unknown option.
  command = argv[0] === 'merge' || argv[0] === 'plan' ? argv[0] : 'run';
  await finishCli(parser, EPILOG, (msg) =>
    /Unknown argument/.test(msg) ? `. Valid options for ${command}: ${OPTION_LIST[command].join(', ')}; commands: run (default), merge, plan (see --help)` : '',
  ).parseAsync();
  return code;
}

/** A whole-number option in [1, max]. */
function checkCount(flag: string, n: number, max = 1024): void {
  if (!(Number.isInteger(n) && n >= 1 && n <= max)) throw new ConfigError(`${flag}: expected a whole number from 1 to ${max}, found ${n}`);
}

runAsMain(import.meta.url, (argv) => main(argv), {
  options: [...new Set(Object.values(OPTION_LIST).flat())],
  flags: ['--resume', '--no-resume', '--share-trace', '--no-share-trace', '--quiet', '--help'],
});
