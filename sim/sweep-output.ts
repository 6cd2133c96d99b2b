// What a sweep leaves in --out DIR, and the one function that turns point results into the tidy CSV.
//
//   DIR/sweep.json                 the grid: axes, fixed keys, every point (index, axis values, run id)
//   DIR/points/<run id>/           one run directory per distinct config, exactly as `npm run sim`
//                                  writes it (config.json with the resolved config and the run
//                                  identity, summary.csv, summary.json, timeseries.csv), published
//                                  whole (results/run-dir.ts): a point is complete when its folder
//                                  records the point's identity — this is what resume reads
//   DIR/sweep.csv                  one row per completed point (unsharded run, or `merge`)
//   DIR/shard-<i>-of-<N>.csv       the same for the points of one shard
//   DIR/failed.json                points that failed in the last run, with their config and error
//
// The CSV is a pure function of (points, their summary rows): an unsharded run and a merge of
// shards call the same sweepCsv() on the same inputs, so their bytes are identical by construction.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigValue } from './config.ts';
import { ConfigError } from './config.ts';
import { runIdentity } from './run.ts';
import type { ExpandedGrid, Point } from './sweep-grid.ts';
import type { Row } from '../results/rows.ts';
import { toCsv, writeAtomic } from '../results/write.ts';
import { inspectRunDir, makeDirs, readIdentity, SUMMARY_JSON } from '../results/run-dir.ts';

export const MANIFEST = 'sweep.json';
export const SWEEP_CSV = 'sweep.csv';
export const FAILED_JSON = 'failed.json';
export const POINTS_DIR = 'points';

export interface ManifestPoint {
  index: number;
  id: string;
  values: Record<string, ConfigValue>;
}

export interface Manifest {
  format: 'tiersim-sweep/1';
  fingerprint: string;
  axes: Array<{ path: string; values: ConfigValue[] }>;
  fixed: { file?: string; sets: Record<string, unknown> };
  points: ManifestPoint[];
}

export function manifestOf(grid: ExpandedGrid, fingerprint: string): Manifest {
  return {
    format: 'tiersim-sweep/1',
    fingerprint,
    axes: grid.spec.axes.map((a) => ({ path: a.path, values: uniqueInOrder(grid.points.map((p) => p.values[a.path])) })),
    fixed: { file: grid.spec.file, sets: grid.spec.sets },
    points: grid.points.map((p) => ({ index: p.index, id: p.id, values: p.values })),
  };
}

function uniqueInOrder<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

export function writeManifest(dir: string, manifest: Manifest): void {
  makeDirs(join(dir, POINTS_DIR));
  writeAtomic(join(dir, MANIFEST), JSON.stringify(manifest, null, 1) + '\n');
}

export function readManifest(dir: string): Manifest {
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) throw new ConfigError(`${dir}: not a sweep output directory (no ${MANIFEST})`);
  const m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  if (m.format !== 'tiersim-sweep/1') throw new ConfigError(`${path}: unknown format ${JSON.stringify(m.format)}`);
  return m;
}

export const pointDir = (dir: string, id: string) => join(dir, POINTS_DIR, id);

/** The summary row of a complete run of exactly this point's config (trace content included) in dir, or undefined. */
export function completedPoint(dir: string, point: Point): Row | undefined {
  const state = inspectRunDir(pointDir(dir, point.id), runIdentity(point.config));
  return state.kind === 'complete' ? state.summary : undefined;
}

/**
 * Summary row of a point found complete in any of dirs (merge: the manifest gives only the run id,
 * <policy>-<first 10 hex digits of the identity>, so the folder's recorded identity must start with those).
 */
export function findPointRow(dirs: string[], id: string): Row | undefined {
  const prefix = id.slice(id.lastIndexOf('-') + 1);
  for (const dir of dirs) {
    const p = pointDir(dir, id);
    if (!readIdentity(p)?.startsWith(prefix)) continue;
    try {
      return JSON.parse(readFileSync(join(p, SUMMARY_JSON), 'utf8')) as Row;
    } catch {
      continue;
    }
  }
  return undefined;
}

/**
 * The tidy sweep CSV: one row per point with a result, in point order. Columns, in a fixed order:
 * `point`, `run` (directory under points/), the axes (in grid order), then the summary columns
 * (identity, engine metrics, per-tier) not already among the axes in first-seen order, then
 * `policy.*` counters in first-seen order; a cell is empty where a row lacks the column.
 */
export function sweepCsv(points: ManifestPoint[], axes: string[], rows: Map<number, Row>): string {
  const out: Row[] = [];
  const base: string[] = [];
  const policy: string[] = [];
  const seen = new Set<string>(['point', 'run', ...axes]);
  const sorted = [...points].sort((a, b) => a.index - b.index);
  for (const p of sorted) {
    const row = rows.get(p.index);
    if (!row) continue;
    for (const k of Object.keys(row)) {
      if (seen.has(k)) continue;
      seen.add(k);
      (k.startsWith('policy.') ? policy : base).push(k);
    }
    const r: Row = { point: p.index, run: `${POINTS_DIR}/${p.id}` };
    for (const a of axes) {
      const v = p.values[a];
      r[a] = v === null ? '' : typeof v === 'boolean' ? String(v) : v;
    }
    for (const [k, v] of Object.entries(row)) if (!(k in r)) r[k] = v;
    out.push(r);
  }
  const columns = ['point', 'run', ...axes, ...base, ...policy];
  if (out.length === 0) return columns.join(',') + '\n';
  // toCsv takes columns in first-seen order of the first row's keys; build the first row in
  // column order with every column present so that order is `columns`.
  const ordered = out.map((r, k) => {
    const o: Row = {};
    for (const c of columns) if (c in r) o[c] = r[c];
    else if (k === 0) o[c] = '';
    return o;
  });
  return toCsv(ordered);
}
