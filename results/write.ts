// Result files. Every file is written to a temporary name and renamed, so a crash never leaves a
// half-written result that looks whole; summary.csv is written last and marks a run complete.

import { mkdirSync, renameSync, writeFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { Row } from './rows.ts';

export function writeAtomic(path: string, data: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** CSV text with a header; columns are the union of the rows' keys in first-seen order, missing cells empty. */
export function toCsv(rows: Row[]): string {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) if (!seen.has(k)) seen.add(k), columns.push(k);
  return stringify(rows, { header: true, columns, cast: { number: (n) => String(n) } });
}

export interface RunFiles {
  config: unknown;
  meta: Record<string, unknown>;
  summary: Row;
  timeseries: Row[];
  /** Per-VM time series (runs with the VM model only): vm-timeseries.csv. */
  vmTimeseries?: Row[];
}

export const SUMMARY_CSV = 'summary.csv';

/** Write a run directory: config.json, timeseries.csv, summary.json, then summary.csv. */
export function writeRunDir(dir: string, files: RunFiles): void {
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, 'config.json'), JSON.stringify({ config: files.config, run: { meta: files.meta } }, null, 2) + '\n');
  writeAtomic(join(dir, 'timeseries.csv'), toCsv(files.timeseries));
  if (files.vmTimeseries && files.vmTimeseries.length > 0) writeAtomic(join(dir, 'vm-timeseries.csv'), toCsv(files.vmTimeseries));
  writeAtomic(join(dir, 'summary.json'), JSON.stringify(files.summary, null, 2) + '\n');
  writeAtomic(join(dir, SUMMARY_CSV), toCsv([files.summary]));
}

/** The summary of a complete earlier run of exactly this config in dir, or undefined. */
export function completedRun(dir: string, config: unknown): Row | undefined {
  const summaryCsv = join(dir, SUMMARY_CSV);
  if (!existsSync(summaryCsv)) return undefined;
  try {
    const prev = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { config?: unknown };
    if (JSON.stringify(prev.config) !== JSON.stringify(config)) return undefined;
    return JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Row;
  } catch {
    return undefined;
  }
}
