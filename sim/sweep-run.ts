// Running a sweep (all points, or one shard) on a worker pool, and merging shard outputs.
//
// Resume: a point is complete when its run directory records the point's identity (its resolved
// config with the trace's content hash; results/run-dir.ts, as `npm run sim` skips a finished run).
// Run directories are published whole, so a point stopped part-way (SIGTERM, SIGKILL, a crash)
// leaves nothing that looks complete: only a hidden temporary sibling, removed by the next run.
// Points with equal relevant configs (e.g. a swept parameter of a policy that is not active) share
// one run directory and run once.
//
// Sharding: shard i of N takes the points whose index ≡ i (mod N) — round-robin, so that cheap and
// dear points (the last axes vary fastest) spread evenly. Shards may write to one shared --out
// directory (cluster file system) or to separate ones; `merge` reads the run directories of all of
// them and writes the CSV with the same function as an unsharded run.

import { existsSync, readdirSync, rmSync } from 'node:fs';
import { removeStaleTemps } from '../results/run-dir.ts';
import { join } from 'node:path';
import { ConfigError } from './config.ts';
import { openSource, relevantConfig } from './run.ts';
import type { ExpandedGrid, Point } from './sweep-grid.ts';
import { describePoint, gridFingerprint } from './sweep-grid.ts';
import type { Manifest } from './sweep-output.ts';
import { FAILED_JSON, POINTS_DIR, SWEEP_CSV, completedPoint, findPointRow, manifestOf, pointDir, readManifest, sweepCsv, writeManifest } from './sweep-output.ts';
import { WorkerPool } from './sweep-pool.ts';
import type { PoolEvents } from './sweep-pool.ts';
import { Progress } from './sweep-progress.ts';
import { captureSource, shareKey } from './sweep-trace.ts';
import { translateOnce } from './id-cache.ts';
import type { SharedTrace } from './sweep-trace.ts';
import type { ProgressSink } from './sweep-progress.ts';
import type { Row } from '../results/rows.ts';
import { writeAtomic } from '../results/write.ts';

export interface Shard {
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new ConfigError(`--shard ${text}: expected i/N with 0 ≤ i < N (e.g. 0/4; Slurm's $SLURM_ARRAY_TASK_ID and Kubernetes' $JOB_COMPLETION_INDEX count from 0)`);
  const [index, count] = [Number(m[1]), Number(m[2])];
  if (count < 1 || index >= count) throw new ConfigError(`--shard ${text}: expected i/N with 0 ≤ i < N, found i=${index}, N=${count}`);
  return { index, count };
}

export const shardCsvName = (s: Shard) => `shard-${s.index}-of-${s.count}.csv`;

export function shardPoints(points: Point[], shard?: Shard): Point[] {
  return shard ? points.filter((p) => p.index % shard.count === shard.index) : points;
}

export interface FailedPoint {
  index: number;
  id: string;
  values: Record<string, unknown>;
  error: string;
  crashed: boolean;
  config: Record<string, unknown>;
}

export interface SweepOptions {
  grid: ExpandedGrid;
  out: string;
  jobs: number;
  resume?: boolean;
  shard?: Shard;
  /** Progress output; null for none. Default: stderr. */
  progress?: ProgressSink | null;
  /** Messages (failures, notes); default stderr. */
  log?: (line: string) => void;
  pool?: PoolEvents;
  /** Least time between two rewrites of the CSV once it exceeds 256 KiB (smaller: after every point). */
  csvIntervalMs?: number;
  /** Read a trace once into shared memory for all points that replay the same stream (default true; sweep-trace.ts). */
  shareTrace?: boolean;
  /** Set to stop early (SIGINT): running points are abandoned, the CSV is written. */
  signal?: AbortSignal;
}

export interface SweepSummary {
  points: number;
  skipped: number;
  ran: number;
  failed: FailedPoint[];
  csv: string;
  wallMs: number;
  interrupted: boolean;
}

export async function runSweep(opts: SweepOptions): Promise<SweepSummary> {
  const started = performance.now();
  const log = opts.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const { grid, out } = opts;
  const manifest = manifestOf(grid, gridFingerprint(grid));
  if (existsSync(join(out, 'sweep.json'))) {
    const prev = readManifest(out);
    if (prev.fingerprint !== manifest.fingerprint) log(`note: ${out} held another grid; its completed points with equal configs are reused`);
  }
  writeManifest(out, manifest);
  removeStaleTemps(join(out, POINTS_DIR)); // left by sweeps on this host that were killed

  const mine = shardPoints(grid.points, opts.shard);
  const csvPath = join(out, opts.shard ? shardCsvName(opts.shard) : SWEEP_CSV);
  const axes = grid.spec.axes.map((a) => a.path);
  const rows = new Map<number, Row>();
  const byId = new Map<string, Point[]>();
  for (const p of mine) byId.set(p.id, [...(byId.get(p.id) ?? []), p]);

  const todo: Point[][] = [];
  let skipped = 0;
  for (const group of byId.values()) {
    const prev = opts.resume === false ? undefined : completedPoint(out, group[0]);
    if (prev) {
      for (const p of group) rows.set(p.index, prev), skipped++;
    } else todo.push(group);
  }
  if (skipped) log(`resume: ${skipped} of ${mine.length} points already complete in ${out}`);

  // The CSV is rewritten whole (its columns grow as new policy counters appear), so while it is
  // small it is rewritten after every point, and once large at most every csvIntervalMs. Either
  // way the run directories are the durable record: a rerun rebuilds the CSV from them at once.
  let lastCsv = 0;
  let csvBytes = 0;
  let csvTimer: NodeJS.Timeout | undefined;
  const writeCsv = () => {
    if (csvTimer) clearTimeout(csvTimer), (csvTimer = undefined);
    lastCsv = performance.now();
    const text = sweepCsv(manifest.points.filter((p) => rows.has(p.index)), axes, rows);
    csvBytes = text.length;
    writeAtomic(csvPath, text);
  };
  const interval = opts.csvIntervalMs ?? 1000;
  const csvSoon = () => {
    if (csvTimer) return;
    const wait = csvBytes < 256 * 1024 ? 0 : Math.max(0, lastCsv + interval - performance.now());
    if (wait === 0) writeCsv();
    else csvTimer = setTimeout(writeCsv, wait);
  };
  writeCsv();

  const failed: FailedPoint[] = [];
  const pool = new WorkerPool(Math.max(1, Math.min(opts.jobs, todo.length)), opts.pool);
  let interrupted = false;
  const onAbort = () => {
    interrupted = true;
    void pool.close();
  };
  opts.signal?.addEventListener('abort', onAbort);
  // Streams replayed by several points are translated once into the id cache (sim/id-cache.ts);
  // other shared traces are read once into shared memory (sweep-trace.ts).
  const translated = opts.shareTrace === false ? new Set<number>() : await translateOnce(todo.map((g) => g[0].config), openSource, log, opts.signal);
  const shared = opts.shareTrace === false ? new Map<string, SharedTrace>() : await shareTraces(todo.filter((_, i) => !translated.has(i)), log, opts.signal);
  const progress = opts.progress === null ? undefined : new Progress(mine.length, skipped, opts.progress ?? process.stderr);
  const say = (s: string) => (progress?.clear(), log(s), progress?.redraw());
  let ran = 0;
  const failedPath = join(out, FAILED_JSON);
  const writeFailed = () => {
    failed.sort((a, b) => a.index - b.index);
    if (failed.length) writeAtomic(failedPath, JSON.stringify(failed, null, 1) + '\n');
    else rmSync(failedPath, { force: true });
  };

  await Promise.all(
    todo.map(async (group) => {
      const head = group[0];
      const key = shareKey(head.config);
      const res = await pool.run(head.config, pointDir(out, head.id), key === undefined ? undefined : shared.get(key));
      if (!res.ok && res.error === 'interrupted') return;
      const label = group.map(describePoint).join(' = ');
      if (res.ok) {
        ran += group.length;
        for (const p of group) rows.set(p.index, res.row);
        csvSoon();
        progress?.tick(true, label, res.wallMs, group.length);
      } else {
        for (const p of group) {
          failed.push({ index: p.index, id: p.id, values: p.values, error: res.error, crashed: res.crashed, config: relevantConfig(p.config) });
        }
        writeFailed();
        say(
          `error: ${label} failed${res.crashed ? ' (worker crashed)' : ''}: ${res.error.split('\n')[0]}\n` +
            `  config: ${JSON.stringify(givenKeys(grid, head))} (full resolved config in ${join(out, FAILED_JSON)}); the other points go on`,
        );
        progress?.tick(false, label, 0, group.length);
      }
    }),
  );
  opts.signal?.removeEventListener('abort', onAbort);
  await pool.close();
  if (interrupted) removeStaleTemps(join(out, POINTS_DIR), undefined, true); // of workers stopped while publishing
  progress?.end();
  writeCsv();
  writeFailed();
  return { points: mine.length, skipped, ran, failed, csv: csvPath, wallMs: performance.now() - started, interrupted };
}

export interface MergeSummary {
  points: number;
  csv: string;
}

/**
 * Combine shard outputs: every dir must hold the same grid (sweep.json fingerprint); every point must
 * be complete in one of them, else the error lists what is missing, by shard if the shards are known.
 */
export function mergeSweeps(dirs: string[], outCsv: string): MergeSummary {
  if (dirs.length === 0) throw new ConfigError('merge: give one or more sweep output directories');
  const manifests: Manifest[] = dirs.map(readManifest);
  const shardCount = shardCountOf(dirs);
  const first = manifests[0];
  manifests.forEach((m, k) => {
    if (m.fingerprint !== first.fingerprint) {
      throw new ConfigError(`merge: ${dirs[k]} holds a different grid than ${dirs[0]} (sweep.json fingerprints ${m.fingerprint} ≠ ${first.fingerprint})`);
    }
  });
  const rows = new Map<number, Row>();
  const missing: number[] = [];
  const cache = new Map<string, Row | undefined>();
  for (const p of first.points) {
    if (!cache.has(p.id)) cache.set(p.id, findPointRow(dirs, p.id));
    const row = cache.get(p.id);
    if (row) rows.set(p.index, row);
    else missing.push(p.index);
  }
  if (missing.length) {
    const show = missing.slice(0, 20).join(', ') + (missing.length > 20 ? ', …' : '');
    let byShard = '';
    if (shardCount) {
      const shards = [...new Set(missing.map((i) => i % shardCount))].sort((a, b) => a - b);
      byShard = ` — shard(s) ${shards.map((s) => `${s}/${shardCount}`).join(', ')} not finished`;
    }
    throw new ConfigError(`merge: ${missing.length} of ${first.points.length} points have no result in ${dirs.join(', ')}: ${show}${byShard}. Run the missing shards (a rerun skips finished points), then merge again.`);
  }
  writeAtomic(outCsv, sweepCsv(first.points, first.axes.map((a) => a.path), rows));
  return { points: first.points.length, csv: outCsv };
}

/** N of the shard-i-of-N.csv files in dirs, if they agree (for "which shard is missing" messages). */
function shardCountOf(dirs: string[]): number | undefined {
  const counts = new Set<number>();
  for (const d of dirs) {
    for (const f of readdirSync(d)) {
      const m = /^shard-\d+-of-(\d+)\.csv$/.exec(f);
      if (m) counts.add(Number(m[1]));
    }
  }
  return counts.size === 1 ? [...counts][0] : undefined;
}

/** The keys a point sets on top of the defaults and base file: fixed keys and its axis values. */
function givenKeys(grid: ExpandedGrid, p: Point): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (grid.spec.file) out['(config file)'] = grid.spec.file;
  for (const k of Object.keys(grid.spec.sets)) out[k] = p.config[k];
  for (const k of Object.keys(p.values)) out[k] = p.config[k];
  return out;
}

/**
 * Read each trace stream that two or more points to run replay into shared memory, once. A stream
 * that cannot be shared, or fails to read, is left to the points (which then fail one by one,
 * each with its config, if the trace is bad).
 */
async function shareTraces(todo: Point[][], log: (s: string) => void, signal?: AbortSignal): Promise<Map<string, SharedTrace>> {
  const groups = new Map<string, Point[]>();
  for (const g of todo) {
    const key = shareKey(g[0].config);
    if (key !== undefined) groups.set(key, [...(groups.get(key) ?? []), g[0]]);
  }
  const out = new Map<string, SharedTrace>();
  for (const [key, heads] of groups) {
    if (heads.length < 2 || signal?.aborted) continue;
    const started = performance.now();
    log(`reading ${heads[0].config.trace} once for ${heads.length} points (one read-only copy shared by the worker threads)…`);
    try {
      const t = await captureSource(heads[0].config);
      if (!t) {
        log('  not shared: a multi-CPU trace behind the LLC filter reaches the cache in an order that depends on the policy; each point reads it');
        continue;
      }
      out.set(key, t);
      const bytes = t.cpus.reduce((a, c) => a + c.count * 19 + c.batches.length * 4, 0);
      log(`  ${t.records.toLocaleString('en-US')} records reach the engine; ${(bytes / 2 ** 20).toFixed(1)} MiB shared; read in ${((performance.now() - started) / 1e3).toFixed(2)} s`);
    } catch (err) {
      log(`  could not read it once (${(err as Error).message}); each point reads it itself`);
    }
  }
  return out;
}
