// One simulation run: resolve the layered config, build the source, machine and policy, run the
// engine. Shared by the CLI and (later) sweeps, so a sweep point and a single run are the same run.

import type { Config, Schema } from './config.ts';
import { CORE_SCHEMA, ConfigError, applyValues, defaultsOf, readConfigFile, unknownKeyError } from './config.ts';
import { findPreset, tierSchema, resolveTiers, MACHINE_PRESETS } from './machine.ts';
import type { Tier } from './machine.ts';
import { Engine } from './engine.ts';
import type { EngineResult } from './engine.ts';
import { POLICIES, findPolicy } from '../policies/registry.ts';
import type { PolicyDefinition } from '../policies/policy.ts';
import type { AccessSource } from '../traces/batch.ts';
import { SyntheticSource, parseWorkload } from '../traces/synthetic.ts';

/** Config keys of every policy's parameters: policy.<name>.<param>. */
export function policySchema(): Schema {
  const out: Schema = {};
  for (const p of POLICIES) {
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
}

/** defaults → machine preset → config file → --set → flags; every key validated. */
export function resolveConfig(layers: ConfigLayers = {}): { config: Config; schema: Schema } {
  const fileVals = layers.file ? unwrapRunFile(readConfigFile(layers.file)) : {};
  const sets = layers.sets ?? {};
  const flags = layers.flags ?? {};
  const presetName = String(flags['machine.preset'] ?? sets['machine.preset'] ?? fileVals['machine.preset'] ?? CORE_SCHEMA['machine.preset'].default);
  const preset = findPreset(presetName);
  const schema: Schema = { ...CORE_SCHEMA, ...tierSchema(preset), ...policySchema() };
  const config = defaultsOf(schema);
  applyValues(config, fileVals, schema, layers.file ?? 'config file');
  applyValues(config, sets, schema, '--set');
  applyValues(config, flags, schema, 'option');
  validate(config);
  return { config, schema };
}

/** A run's config.json holds {config, run}; accept it, or a plain config object. */
function unwrapRunFile(flat: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(flat);
  if (keys.length > 0 && keys.every((k) => k.startsWith('config.') || k.startsWith('run.meta.'))) {
    const out: Record<string, unknown> = {};
    for (const k of keys) if (k.startsWith('config.')) out[k.slice(7)] = flat[k];
    return out;
  }
  return flat;
}

function validate(config: Config): void {
  findPolicy(config.policy as string);
  const kib = config.pageSizeKiB as number;
  if (kib !== 4 && kib !== 2048) throw new ConfigError(`pageSizeKiB must be 4 or 2048 (4 KiB or 2 MiB pages), found ${kib}`);
  if (!('trace' in config) || config.trace === null) parseWorkload(config.workload as string);
}

/** The keys that describe this run: engine keys, the machine's tiers and the active policy's parameters. */
export function relevantConfig(config: Config): Config {
  const out: Config = {};
  const prefix = `policy.${config.policy}.`;
  for (const k of Object.keys(config).sort()) {
    if (k.startsWith('policy.') && !k.startsWith(prefix)) continue;
    out[k] = config[k];
  }
  return out;
}

export function policyParams(config: Config, policy: PolicyDefinition): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const param of Object.keys(policy.params)) out[param] = config[`policy.${policy.name}.${param}`];
  return out;
}

export function openSource(config: Config): AccessSource {
  return new SyntheticSource(config.workload as string, config.seed as number);
}

export interface RunOutcome {
  config: Config;
  tiers: Tier[];
  result: EngineResult;
  engine: Engine;
  wallMs: number;
}

export async function runSimulation(config: Config): Promise<RunOutcome> {
  const started = performance.now();
  const source = openSource(config);
  try {
    const pageBytes = (config.pageSizeKiB as number) * 1024;
    const tiers = resolveTiers(config, source.footprintPages(pageBytes));
    const policy = findPolicy(config.policy as string);
    const engine = new Engine(config, tiers, source);
    engine.attach(policy, policyParams(config, policy));
    const result = await engine.run();
    return { config, tiers, result, engine, wallMs: performance.now() - started };
  } finally {
    await source.close?.();
  }
}

export { MACHINE_PRESETS, unknownKeyError };
