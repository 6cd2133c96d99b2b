// Run folders are published whole. A run's files are written into a hidden sibling
// (`.<name>.tmp-<host>-<pid>-<thread>`) and renamed into place in one step, so a crash, a kill or
// a full disk part-way never leaves a folder that looks complete, and no file of an earlier run
// (say its vm-timeseries.csv) survives beside the new ones. Replacing a folder moves the old one
// aside first (`.old-…`) and deletes it after the new one is in place.
//
// Completeness: config.json records `run.identity`, the SHA-256 of the run's resolved config (trace
// content hash included). A folder is a complete run of a config when its identity matches and its
// summary is there; anything else at the place is either another run (replaced only with --force)
// or files that are not a run (never replaced).
//
// Output places are checked before the simulation (prepareRunDir): a probe directory is made and
// removed where the folder will go, so an unusable --out (under a regular file, read-only, /proc/…)
// fails in a second with one line, not after the run; nothing is created until the run publishes.

import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { threadId } from 'node:worker_threads';
import { ConfigError } from '../sim/config.ts';
import { fsMessage, fsReason, isFsError } from '../sim/fs-errors.ts';
import type { Row } from './rows.ts';

export const CONFIG_JSON = 'config.json';
export const SUMMARY_CSV = 'summary.csv';
export const SUMMARY_JSON = 'summary.json';

/** Names a run folder may hold: what a run writes, and charts `npm run plot` draws beside its CSVs. */
const RUN_FILES = new Set([CONFIG_JSON, SUMMARY_CSV, SUMMARY_JSON, 'timeseries.csv', 'vm-timeseries.csv']);
const isRunEntry = (name: string) => RUN_FILES.has(name) || name.endsWith('.svg');

export type RunDirState =
  | { kind: 'absent' }
  | { kind: 'empty' }
  /** A complete run of the identity asked about: its summary row. */
  | { kind: 'complete'; summary: Row }
  /** A run folder of another config (or one written before run identities, or unreadable). */
  | { kind: 'other'; why: string }
  /** Not a run folder (a file, or a directory with other entries): never replaced. */
  | { kind: 'foreign'; why: string };

/** What a folder holds, measured against a run identity. */
export function inspectRunDir(dir: string, identity: string): RunDirState {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) return { kind: 'foreign', why: 'it is a file, not a directory' };
    entries = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' };
    throw err;
  }
  if (entries.length === 0) return { kind: 'empty' };
  const other = entries.filter((e) => !isRunEntry(e));
  if (other.length > 0) {
    const show = other.slice(0, 3).join(', ') + (other.length > 3 ? `, … (${other.length} in all)` : '');
    return { kind: 'foreign', why: `it holds files that are not part of a run (${show})` };
  }
  const recorded = readIdentity(dir);
  if (recorded !== identity) {
    return { kind: 'other', why: recorded ? `it holds a run of another config (identity ${recorded.slice(0, 10)}…, this run is ${identity.slice(0, 10)}…)` : 'it holds a run without a readable run identity (unfinished, or written by an older tiersim)' };
  }
  try {
    if (!entries.includes(SUMMARY_CSV)) throw new Error('no summary.csv');
    return { kind: 'complete', summary: JSON.parse(readFileSync(join(dir, SUMMARY_JSON), 'utf8')) as Row };
  } catch {
    return { kind: 'other', why: 'its summary is missing or unreadable' };
  }
}

/** The run identity recorded in dir/config.json, or undefined. */
export function readIdentity(dir: string): string | undefined {
  try {
    const cfg = JSON.parse(readFileSync(join(dir, CONFIG_JSON), 'utf8')) as { run?: { identity?: unknown } };
    return typeof cfg.run?.identity === 'string' ? cfg.run.identity : undefined;
  } catch {
    return undefined;
  }
}

export interface PreparedRunDir {
  /** The summary of a complete run of this identity already there (and not --force). */
  previous?: Row;
  /** The folder holds a run that this one replaces when it is published. */
  replace: boolean;
}

/**
 * Check, before the simulation, that a run folder can be published at `dir`: its parents exist or
 * can be created, the parent is writable (a probe directory is made and removed), and the place is
 * free, holds this run complete (returned as `previous` unless force), or holds another run (an
 * error unless force). `label` names the place in messages (e.g. "--out results/x").
 */
export function prepareRunDir(dir: string, identity: string, opts: { force: boolean; label: string }): PreparedRunDir {
  const { label } = opts;
  checkWritableDir(dirname(resolve(dir)), label);
  removeStaleTemps(dirname(resolve(dir)), basename(resolve(dir)));
  const state = inspectRunDir(dir, identity);
  switch (state.kind) {
    case 'absent':
    case 'empty':
      return { replace: false };
    case 'complete':
      return opts.force ? { replace: true } : { previous: state.summary, replace: false };
    case 'other':
      if (opts.force) return { replace: true };
      throw new ConfigError(`${label}: ${state.why}; --force replaces it, or choose another folder`);
    case 'foreign':
      throw new ConfigError(`${label}: ${state.why}; a run is written only to a new folder, an empty one or a run folder`);
  }
}

/**
 * Prove that `dir` exists or can be made, without making anything: its nearest existing ancestor
 * must be a directory in which a probe directory can be created (and is removed at once). Errors
 * are ConfigErrors naming `label`. Nothing is left behind when a later check fails.
 */
export function checkWritableDir(dir: string, label: string): void {
  let base = resolve(dir);
  for (;;) {
    let st;
    try {
      st = statSync(base);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(base) !== base) {
        base = dirname(base);
        continue;
      }
      if (isFsError(err)) throw new ConfigError(`${label}: ${fsMessage(err)}`);
      throw err;
    }
    if (!st.isDirectory()) throw new ConfigError(`${label}: ${base} is a file, not a directory`);
    break;
  }
  const probe = join(base, `.tiersim-probe-${hostname()}-${process.pid}-${threadId}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
  } catch (err) {
    if (isFsError(err)) throw new ConfigError(`${label}: cannot write in ${base}: ${fsReason(err)}`);
    throw err;
  }
}

/** mkdir -p, one level at a time: Node's recursive mkdir loops forever on ENOENT under /proc. */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let p = dir; ; p = dirname(p)) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(p) !== p) {
        missing.push(p);
        continue;
      }
      throw err;
    }
    if (!isDir) throw new ConfigError(`${p} is a file, not a directory`);
    break;
  }
  for (const p of missing.reverse()) mkdirSync(p);
}

/** Name of this process's (or worker thread's) hidden sibling of `dir` for a phase of publishing. */
function sibling(dir: string, phase: 'tmp' | 'old'): string {
  const abs = resolve(dir);
  return join(dirname(abs), `.${basename(abs)}.${phase}-${hostname()}-${process.pid}-${threadId}`);
}

/**
 * Write `files` (name → content) as the run folder `dir`, whole: into a hidden sibling, then one
 * rename. An existing folder at `dir` is replaced only when `replace` is set; without it, a folder
 * that appeared meanwhile (a concurrent run of the same config) is kept if it is this run complete.
 */
export function publishRunDir(dir: string, files: Record<string, string>, opts: { replace: boolean; identity: string }): void {
  const tmp = sibling(dir, 'tmp');
  try {
    makeDirs(dirname(resolve(dir)));
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(tmp, name), text);
    if (tryRename(tmp, dir)) return;
    if (!opts.replace) {
      if (inspectRunDir(dir, opts.identity).kind === 'complete') return rmSync(tmp, { recursive: true, force: true });
      throw new ConfigError(`${dir}: another run's folder appeared there during this run; this run's result is not written (rerun with --force to replace it)`);
    }
    const old = sibling(dir, 'old');
    rmSync(old, { recursive: true, force: true });
    renameSync(dir, old);
    renameSync(tmp, dir);
    rmSync(old, { recursive: true, force: true });
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (isFsError(err)) throw new ConfigError(fsMessage(err));
    throw err;
  }
}

/** rename(2) onto a missing or empty directory succeeds; onto a non-empty one it fails: false. */
function tryRename(from: string, to: string): boolean {
  try {
    renameSync(from, to);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw err;
  }
}

const TEMP_RE = /^\.(.+)\.(?:tmp|old)-(.+)-(\d+)-(\d+)$/;

/**
 * Remove hidden siblings left in `parent` by runs that died (SIGKILL, power loss) on this host:
 * those of `name` (or of any folder when name is undefined) whose process is gone, and, with
 * `ownPid`, also this process's own (after its worker threads were stopped). Another host's
 * siblings on a shared file system are left alone: its processes cannot be checked from here.
 */
export function removeStaleTemps(parent: string, name?: string, ownPid = false): void {
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return;
  }
  const host = hostname();
  for (const e of entries) {
    const m = TEMP_RE.exec(e);
    if (!m || (name !== undefined && m[1] !== name) || m[2] !== host) continue;
    const pid = Number(m[3]);
    if (pid === process.pid ? ownPid : !alive(pid)) rmSync(join(parent, e), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
