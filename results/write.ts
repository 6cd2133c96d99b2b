// Result files. A file is written to a temporary name and renamed, so a crash never leaves a
// half-written file that looks whole; a run directory is published whole (run-dir.ts).

import { renameSync, writeFileSync, rmSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import type { Row } from './rows.ts';
import { CONFIG_JSON, SUMMARY_CSV, SUMMARY_JSON, publishRunDir } from './run-dir.ts';

export { SUMMARY_CSV };

export function writeAtomic(path: string, data: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    // Report the file the user named, not the temporary one.
    if ((err as NodeJS.ErrnoException).path === tmp) (err as NodeJS.ErrnoException).path = path;
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
  /** SHA-256 of the run's resolved config: recorded in config.json, it marks the folder as this run (run-dir.ts). */
  identity: string;
  meta: Record<string, unknown>;
  summary: Row;
  timeseries: Row[];
  /** Per-VM time series (runs with the VM model only): vm-timeseries.csv. */
  vmTimeseries?: Row[];
}

/**
 * Publish a run directory whole (results/run-dir.ts): config.json (with the run identity and
 * metadata), timeseries.csv, vm-timeseries.csv when the run has VMs, summary.json, summary.csv.
 * `replace`: an earlier run in dir may be replaced (--force, or a sweep's point folder).
 */
export function writeRunDir(dir: string, files: RunFiles, opts: { replace: boolean }): void {
  const out: Record<string, string> = {
    [CONFIG_JSON]: JSON.stringify({ config: files.config, run: { identity: files.identity, meta: files.meta } }, null, 2) + '\n',
    'timeseries.csv': toCsv(files.timeseries),
  };
  if (files.vmTimeseries && files.vmTimeseries.length > 0) out['vm-timeseries.csv'] = toCsv(files.vmTimeseries);
  out[SUMMARY_JSON] = JSON.stringify(files.summary, null, 2) + '\n';
  out[SUMMARY_CSV] = toCsv([files.summary]);
  publishRunDir(dir, out, { replace: opts.replace, identity: files.identity });
}
