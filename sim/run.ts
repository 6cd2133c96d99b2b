// One simulation run: resolve the layered config, build the source, machine and policy, run the
// engine. Shared by the CLI and (later) sweeps, so a sweep point and a single run are the same run.

import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { Config, Schema } from './config.ts';
import { CORE_SCHEMA, ConfigError, applyValues, defaultsOf, readConfigFile, unknownKeyError } from './config.ts';
import { isDefaultLoadKey } from './loaded-latency.ts';
import { findPreset, tierSchema, resolveTiers, MACHINE_PRESETS } from './machine.ts';
import type { Tier } from './machine.ts';
import { Engine } from './engine.ts';
import type { EngineResult, RunControl } from './engine.ts';
import { findPolicy, listPolicies } from './policy-catalog.ts';
import type { PolicyDefinition } from './host.ts';
import type { AccessSource } from '../traces/batch.ts';
import type { IdSource } from './id-stream.ts';
import { StoredIdSource, translateSource } from './id-stream.ts';
import { idCachePath, openCached, recordable, RecordingIdSource } from './id-cache.ts';
import { SyntheticSource, parseWorkload } from '../traces/synthetic.ts';
import { summaryRow, timeseriesRows, vmTimeseriesRows } from '../results/rows.ts';
import type { Row } from '../results/rows.ts';
import { writeRunDir } from '../results/write.ts';
import { TRACE_SCHEMA } from '../traces/trace-config.ts';
import { openTraceSource, llcOptions } from '../traces/source.ts';
import type { TraceRunStats } from '../traces/source.ts';
import { LlcFilterSource } from '../traces/llc-filter.ts';
import { VM_SCHEMA, withPolicies } from './vm-config.ts';
import { PAGE_TYPE_SCHEMA } from './page-types.ts';
import { STORAGE_SCHEMA } from './storage.ts';
import { SWAP_SCHEMA } from './swap.ts';
import { PIN_SCHEMA } from './pins.ts';
import { TLB_SCHEMA } from './tlb.ts';
import { THP_SCHEMA } from './thp.ts';
import { checkEpochBudget, epochRowGuard } from './run-checks.ts';

/** The policy key (its doc lists every registered policy) and every policy's parameters: policy.<name>.<param>. */
export function policySchema(): Schema {
  const policies = listPolicies();
  const out: Schema = { policy: { ...CORE_SCHEMA.policy, doc: `Placement policy (file name under policies/): ${policies.map((p) => p.name).join(', ')}.` } };
  for (const p of policies) {
    for (const [param, spec] of Object.entries(p.params)) {
      const type = typeof spec.default as 'number' | 'string' | 'boolean';
      out[`policy.${p.name}.${param}`] = { default: spec.default, doc: spec.doc, type, min: spec.min, max: spec.max, integer: spec.integer, choices: spec.choices };
    }
  }
  return out;
}

export interface ConfigLayers {
  /** Path of a JSON config file (nested or flat keys; a run's config.json works as is). */
  file?: string;
  /** --set path=value pairs. */
  sets?: Record<string, unknown>;
  /** Named flags, already mapped to config keys. */
  flags?: Record<string, unknown>;
  /** How messages name a flag's key (e.g. stats.epochMs → "--epoch-ms"); default "option". */
  flagName?: (key: string) => string;
}

/** defaults → machine preset → config file → --set → flags; every key validated. */
export function resolveConfig(layers: ConfigLayers = {}): { config: Config; schema: Schema } {
  const fileVals = layers.file ? unwrapRunFile(readConfigFile(layers.file)) : {};
  const sets = layers.sets ?? {};
  const flags = layers.flags ?? {};
  const presetName = String(flags['machine.preset'] ?? sets['machine.preset'] ?? fileVals['machine.preset'] ?? CORE_SCHEMA['machine.preset'].default);
  const preset = findPreset(presetName);
  const schema: Schema = { ...CORE_SCHEMA, ...TRACE_SCHEMA, ...tierSchema(preset), ...VM_SCHEMA, ...PAGE_TYPE_SCHEMA, ...STORAGE_SCHEMA, ...SWAP_SCHEMA, ...PIN_SCHEMA, ...TLB_SCHEMA, ...THP_SCHEMA, ...policySchema() };
  const config = defaultsOf(schema);
  applyValues(config, fileVals, schema, layers.file ?? 'config file');
  applyValues(config, sets, schema, '--set');
  applyValues(config, flags, schema, layers.flagName ?? 'option');
  validate(config);
  return { config, schema };
}

/** A run's config.json holds {config, run}; accept it, or a plain config object. */
function unwrapRunFile(flat: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(flat);
  if (keys.length > 0 && keys.every((k) => k.startsWith('config.') || k.startsWith('run.meta.') || k === 'run.identity')) {
    const out: Record<string, unknown> = Object.create(null);
    for (const k of keys) if (k.startsWith('config.')) out[k.slice(7)] = flat[k];
    return out;
  }
  return flat;
}

function validate(config: Config): void {
  findPolicy(config.policy as string);
  for (const w of withPolicies(config)) {
    findPolicy(w);
    if (w === config.policy) throw new ConfigError(`with: ${w} is already the main policy (--policy)`);
  }
  const kib = config.pageSizeKiB as number;
  if (kib !== 4 && kib !== 2048) throw new ConfigError(`pageSizeKiB must be 4 or 2048 (4 KiB or 2 MiB pages), found ${kib}`);
  if (!('trace' in config) || config.trace === null) parseWorkload(config.workload as string);
  checkEpochBudget(config);
}

/**
 * The keys that describe this run: engine keys, the machine's tiers and the parameters of the
 * active policies (main and `with`). VM keys appear only in runs that use the VM model, and
 * per-VM keys only when set, so a run without VMs describes itself as before.
 */
export function relevantConfig(config: Config): Config {
  const out: Config = {};
  const prefixes = [config.policy as string, ...withPolicies(config)].map((p) => `policy.${p}.`);
  const vmRun = usesVms(config);
  for (const k of Object.keys(config).sort()) {
    if (k.startsWith('policy.') && !prefixes.some((p) => k.startsWith(p))) continue;
    if (k in VM_SCHEMA && (!vmRun || config[k] === null)) continue;
    if (isDefaultLoadKey(k, config[k])) continue; // loaded-latency keys at their defaults: identities as before they existed
    // Page-type and storage keys describe a run only when set, so runs without them keep their identity.
    if ((k in PAGE_TYPE_SCHEMA || k in STORAGE_SCHEMA || k in SWAP_SCHEMA) && config[k] === ({ ...PAGE_TYPE_SCHEMA, ...STORAGE_SCHEMA, ...SWAP_SCHEMA })[k].default) continue;
    // Pinning keys at their defaults leave a run's identity as it was before they existed.
    if ((k in PIN_SCHEMA && config[k] === PIN_SCHEMA[k].default) || (/^machine\.tiers\.\d+\.zone$/.test(k) && config[k] === 'normal')) continue;
    if (k in TLB_SCHEMA && config['tlb.enabled'] !== true) continue; // runs without the translation model describe themselves as before
    if (k in THP_SCHEMA && config['thp.enabled'] !== true) continue; // likewise without the THP model
    if (k === 'stats.whoPaid' && config[k] !== true) continue; // runs without the who-paid columns keep their identity
    if (k === 'trace.sha256' && config[k] === null) continue; // synthetic runs keep the identity they had before trace hashes
    out[k] = config[k];
  }
  return out;
}

/** The run uses the VM model through its config: extra policies, vm.count, a VM policy or a multi-VM workload. */
function usesVms(config: Config): boolean {
  if (withPolicies(config).length > 0 || ((config['vm.count'] as number | undefined) ?? 0) > 0) return true;
  if (listPolicies().some((p) => p.vm && p.name === config.policy)) return true;
  if (Object.keys(VM_SCHEMA).some((k) => config[k] !== undefined && config[k] !== VM_SCHEMA[k].default)) return true;
  return typeof config.workload === 'string' && config.trace == null && /(^|\+)vms:/.test(config.workload);
}

/** Attach the main policy and the `with` policies to an engine. */
export function attachPolicies(engine: Engine, config: Config): void {
  const policy = findPolicy(config.policy as string);
  engine.attach(policy, policyParams(config, policy));
  for (const name of withPolicies(config)) {
    const extra = findPolicy(name);
    engine.attachWith(extra, policyParams(config, extra));
  }
}

export function policyParams(config: Config, policy: PolicyDefinition): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const param of Object.keys(policy.params)) out[param] = config[`policy.${policy.name}.${param}`];
  return out;
}

/** A run's opened access stream: addresses (translated as the run goes) or an already translated stream, and its input stats. */
export interface OpenedSource {
  source: AccessSource | IdSource;
  stats: () => TraceRunStats | undefined;
}

/** The run's access source: the trace when config.trace is set (LLC filter per llc.enabled), else the synthetic workload. */
export async function openSource(config: Config): Promise<OpenedSource & { source: AccessSource }> {
  if (config.trace !== null && config.trace !== undefined) return openTraceSource(config);
  // The touched-footprint pre-pass is cached beside the trace indexes (trace.indexCache).
  const footprintCacheDir = config['trace.indexCache'] !== false ? join('results', '.trace-index') : undefined;
  const synthetic = new SyntheticSource(config.workload as string, config.seed as number, { footprintCacheDir });
  if (config['llc.enabled'] !== 'true') return { source: synthetic, stats: () => undefined };
  const filter = new LlcFilterSource(synthetic, llcOptions(config)); // synthetic workloads: only when asked
  return { source: filter, stats: () => ({ format: 'synthetic', badRecords: 0, llc: filter.stats() }) };
}

export interface RunOutcome {
  config: Config;
  tiers: Tier[];
  result: EngineResult;
  engine: Engine;
  wallMs: number;
  /** Trace input stats (format, skipped bad records, LLC hits); undefined for a plain synthetic run. */
  trace?: TraceRunStats;
  /** Pages of the run's size the workload or trace touches, from which the tiers were sized; undefined if not used. */
  footprintPages?: number;
}

/**
 * Run one simulation. `opened` replaces openSource(config) with a source opened by the caller
 * (a sweep replaying a trace from shared memory); everything after it is the same code path.
 */
export async function runSimulation(config: Config, opened?: OpenedSource, control?: RunControl): Promise<RunOutcome> {
  const started = performance.now();
  const { source, stats } = opened ?? (await openRunSource(config));
  try {
    const pageBytes = (config.pageSizeKiB as number) * 1024;
    // An overcommitted VM host (every tier sized explicitly) may hold less than the guests' memory.
    const overcommit = usesVms(config) && Object.keys(config).every((k) => !/^machine\.tiers\.\d+\.capacityGiB$/.test(k) || config[k] !== null);
    const footprintPages = overcommit ? undefined : source.footprintPages(pageBytes);
    const tiers = resolveTiers(config, footprintPages);
    const engine = new Engine(config, tiers, source);
    attachPolicies(engine, config);
    const guard = epochRowGuard(config, control);
    const result = await engine.run(guard.control).catch((err: unknown) => {
      throw guard.explain(err);
    });
    return { config, tiers, result, engine, wallMs: performance.now() - started, trace: stats(), footprintPages };
  } finally {
    await source.close?.();
  }
}

/**
 * The run's stream: from the translated-stream cache when it holds it (sim/id-cache.ts), else
 * opened and translated as the run goes (a trace is recorded into the cache on the way). A run with
 * an oracle policy needs whole-run counts before it starts: its stream is translated up front.
 */
async function openRunSource(config: Config): Promise<OpenedSource> {
  const pageBytes = (config.pageSizeKiB as number) * 1024;
  const path = await idCachePath(config);
  const cached = path ? openCached(path) : undefined;
  if (cached) return { source: cached, stats: () => cached.stats };
  const opened = await openSource(config);
  if ([config.policy as string, ...withPolicies(config)].some((p) => findPolicy(p).oracle)) {
    const trace = await translateSource(opened.source, pageBytes);
    return { source: new StoredIdSource(trace), stats: opened.stats };
  }
  if (path && config.trace != null && recordable(opened.source)) {
    try {
      return { source: new RecordingIdSource(opened.source, pageBytes, path, opened.stats), stats: opened.stats };
    } catch {
      // a read-only checkout still runs, just without the cache
    }
  }
  return opened;
}

export { MACHINE_PRESETS, unknownKeyError };

/** A run's identity: SHA-256 (hex) of its relevant config, trace content hash included. Recorded in config.json. */
export function runIdentity(config: Config): string {
  return createHash('sha256').update(JSON.stringify(relevantConfig(config))).digest('hex');
}

/** A run's folder name: <policy>-<first 10 hex digits of its identity>, for `npm run sim` and sweep points alike. */
export function runName(config: Config): string {
  return `${config.policy}-${runIdentity(config).slice(0, 10)}`;
}

/**
 * Write a finished run's directory (config.json with run metadata, summary, time series) and return
 * its summary row. The one place that turns an outcome into files, for the CLI and sweeps alike.
 */
export function recordRun(outcome: RunOutcome, dir: string, opts: { replace: boolean }): Row {
  const { config, result, tiers, wallMs } = outcome;
  const summary = summaryRow(config, tiers, result, outcome.trace, outcome.footprintPages);
  const accesses = summary.accesses as number;
  const meta = {
    wallMs: Math.round(wallMs),
    accessesPerSecond: Math.round(accesses / (wallMs / 1e3)),
    engineBytesPerPage: result.pages ? +(result.engineBytes / result.pages).toFixed(2) : 0,
    tiersim: '0.1.0',
    node: process.version,
    finishedAt: new Date().toISOString(),
    warnings: result.warnings,
  };
  const files = { config: relevantConfig(config), identity: runIdentity(config), meta, summary, timeseries: timeseriesRows(tiers, result, config), vmTimeseries: vmTimeseriesRows(result) };
  writeRunDir(dir, files, opts);
  return summary;
}
