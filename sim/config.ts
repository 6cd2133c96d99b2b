// Configuration: a flat map of dotted paths ("machine.tiers.1.readLatencyNs") to values.
// Flat because every layer (preset, file, --set, sweep axis, CSV identity column) names a key the
// same way. Resolution order: defaults → machine preset → config file → --set → named flags.
// Every key is declared once with its default, unit (in the name) and meaning; anything else is
// an error that lists the valid keys.

import { readFileSync } from 'node:fs';

export type ConfigValue = number | string | boolean | null;
export type Config = Record<string, ConfigValue>;

export interface KeySpec {
  default: ConfigValue;
  doc: string;
  type: 'number' | 'string' | 'boolean';
  /** null allowed (meaning "unset"). */
  nullable?: boolean;
  integer?: boolean;
  min?: number;
  max?: number;
  choices?: readonly string[];
}
export type Schema = Record<string, KeySpec>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const num = (def: number, doc: string, extra: Partial<KeySpec> = {}): KeySpec => ({ default: def, doc, type: 'number', ...extra });

// Upper bounds shared by many numeric keys (every number from a user has a documented range;
// --list-keys prints each key's). They are far beyond any plausible setting, and small enough that
// whatever a key sizes (typed arrays, counters, timer periods) stays finite and allocatable.
/** Longest simulated duration any key may name, in ms: 10⁹ ms ≈ 11.6 days. */
export const MAX_SIM_MS = 1e9;
/** Largest cost of one event, in ns: 1 s. */
export const MAX_EVENT_NS = 1e9;
/** Largest memory size, in MiB: 2²⁶ MiB = 64 TiB. */
export const MAX_MIB = 2 ** 26;
/** Largest memory size, in GiB: 64 TiB. */
export const MAX_GIB = 2 ** 16;
/** Largest count (accesses, samples, events per sample, pages per second). */
export const MAX_COUNT = 1e12;
/** Largest bandwidth, in GB/s: far past any device, so that a copy or zeroing cost can be switched off (tests do). */
export const MAX_GBPS = 1e15;
/**
 * Most rows timeseries.csv may get (simulated time / stats.epochMs; 1000 s at the default 10 ms):
 * a run that would exceed it is rejected before it starts when its length can be bounded, and
 * stopped when it gets there. Each row costs about 1 KiB of memory until the run ends (measured:
 * 1.2 GB peak for a million), so the bound keeps a run with tiny epochs from exhausting memory.
 */
export const MAX_EPOCH_ROWS = 100_000;
const str = (def: string | null, doc: string, extra: Partial<KeySpec> = {}): KeySpec => ({ default: def, doc, type: 'string', nullable: def === null, ...extra });

/**
 * Default workload: GUPS-like, 1 GiB footprint initialised in address order, then 90 % of 10 M
 * accesses to a 10 % hot set in the middle of it, 200 ns of compute between a thread's memory
 * accesses (5 M LLC misses/s: memory-intensive, and long enough, ~3 s simulated, for daemons with
 * 1 s periods to act). With local:CXL = 1:4 first-touch leaves the hot
 * set on CXL, so placement policies have something to find.
 */
export const DEFAULT_WORKLOAD = 'hotset:pages=256Ki,hot=0.1,hotShare=0.9,accesses=10M,write=0.25,gapNs=200';

/** Engine, run and cost-model keys. Machine tier keys and policy parameters are added by their owners. */
export const CORE_SCHEMA: Schema = {
  policy: str('first-touch', 'Placement policy (file name under policies/).'),
  workload: str(DEFAULT_WORKLOAD, 'Synthetic workload spec (see README "Workloads"); ignored when trace is set.'),
  seed: num(1, 'Seed for every random choice in the run (workload, policies, sampler).', { integer: true, min: 0 , max: Number.MAX_SAFE_INTEGER}),
  pageSizeKiB: num(4, 'Page size of the run: 4 (base pages) or 2048 (2 MiB huge pages).', { integer: true, min: 4, max: 2048 }),
  'run.warmupMs': num(0, 'Simulated time excluded from the summary (stats are end minus the warm-up snapshot).', { min: 0 , max: MAX_SIM_MS}),
  'run.maxAccesses': num(0, 'Stop after this many accesses in total (0 = run the whole workload or trace).', { integer: true, min: 0 , max: MAX_COUNT}),
  'run.cpuQuantumNs': num(1000, 'Simulated time a CPU may run ahead of the next CPU before they interleave again: 0 = strict smallest-clock-first order; larger is faster with several CPUs. Timers, epochs and warm-up are always exact.', { min: 0 , max: MAX_EVENT_NS}),
  'stats.epochMs': num(10, 'Simulated time per time-series row in timeseries.csv.', { min: 1e-3, max: MAX_SIM_MS}),
  'stats.whoPaid': { type: 'boolean', default: false, doc: 'Add the summary columns migrationAppNs (migration time paid synchronously by the application\'s threads: hint-fault promotions, direct reclaim, pins) and migrationKernelNs (paid by kernel threads: kswapd, kdamond, migration daemons). Off: the summary keeps its columns.' },
  'cpu.mlp': num(2, 'Memory-level parallelism: an access stalls its CPU for latency / mlp. [estimate]', { min: 1 , max: 64}),
  // The trace's content hash is part of the run's identity (run folder name, completeness, sweep
  // point ids): a trace rewritten in place with the same size and mtime is a different run. The
  // trace itself, its format and LLC keys are declared in traces/trace-config.ts.
  'trace.sha256': str(null, 'SHA-256 of the trace file\'s content, filled in when a run starts (so it is in every config.json); set it to require that content: a trace that hashes otherwise is an error.'),
  'machine.preset': str('ddr5-cxl', 'Machine preset: tiers, latencies and bandwidths with sources (README "Machines").'),
  'machine.ratio': str('1:4', 'Capacity split across tiers, fastest first, as shares of the workload footprint (used when tier capacities are unset).'),
  'machine.headroomPct': num(10, 'Extra capacity, as % of the footprint, added to the slowest tier when sizing by ratio, so that it can take demotions.', { min: 0 , max: 1000}),
  'machine.lineBytes': num(64, 'Bytes moved per memory access (one cache line).', { integer: true, min: 1 , max: 4096}),
  'machine.bandwidthWindowUs': num(10, 'Window over which tier bandwidth use is measured for the loaded-latency curve.', { min: 1e-3 , max: 1e6}),
  'machine.queueFactor': num(0.5, 'Loaded-latency curve: latency = idle · (1 + queueFactor · u / (1 − u)), u = bandwidth use (M/M/1 shape). [estimate]', { min: 0 , max: 100}),
  'machine.loadModel': str('mm1', 'Loaded-latency curve: mm1 (idle · (1 + queueFactor·u/(1 − u))) or curve (idle · the multiplier machine.loadCurve gives at u, with separate read and write peaks). See README "Loaded latency".', { choices: ['mm1', 'curve'] }),
  'machine.loadCurve': str('0:1,0.5:1.1,0.7:1.3,0.8:1.6,0.9:2.2,1:3', 'Points utilisation:multiplier of the curve model, linear between them (shape of Intel MLC loaded-latency curves, Colloid SOSP\'24 Fig. 1; points [estimate]).'),
  'machine.maxUtilization': num(0.95, 'Bandwidth use at which the loaded-latency curve is capped.', { min: 0.1, max: 0.999 }),
  'cost.firstTouchFaultNs': num(1000, 'Fixed cost of a first-touch (allocation) page fault, before zeroing. [estimate]', { min: 0 , max: MAX_EVENT_NS}),
  'cost.zeroGBps': num(10, 'Bandwidth of zeroing a newly allocated page. [estimate]', { min: 1e-3 , max: MAX_GBPS}),
  'cost.hintFaultNs': num(2000, 'NUMA hint fault without migration (FACTS §5: 1–3 µs). [estimate]', { min: 0 , max: MAX_EVENT_NS}),
  'cost.pteScanNs': num(30, 'Scanning one PTE: accessed-bit test-and-clear or PROT_NONE marking (FACTS §1: 10–50 ns). [estimate]', { min: 0 , max: MAX_EVENT_NS}),
  'cost.sampleNs': num(500, 'Kernel CPU per PEBS sample taken and drained (FACTS §3: a few hundred ns to ~1 µs). [estimate]', { min: 0 , max: MAX_EVENT_NS}),
  'cost.migrationFixedNs': num(2000, 'Fixed cost per page migration: unmap, allocate, remap (FACTS §5: 2–10 µs end to end). [estimate]', { min: 0 , max: MAX_EVENT_NS}),
  'cost.migrationCopyGBps': num(12, 'Page copy bandwidth during migration (FACTS §5: 4 KiB copy 0.3–0.5 µs; 2 MiB at 10–20 GB/s). [estimate]', { min: 1e-3 , max: MAX_GBPS}),
  'cost.tlbShootdownNs': num(1000, 'TLB shootdown IPI round, base (FACTS §5: ≈ 1 µs + 200 ns per receiving core). [secondary]', { min: 0 , max: MAX_EVENT_NS}),
  'cost.tlbShootdownPerCpuNs': num(200, 'TLB shootdown cost per receiving CPU. [secondary]', { min: 0 , max: MAX_EVENT_NS}),
  'cost.splitHugePageNs': num(20000, 'Splitting a huge page into base pages (split_huge_page: freeze 512 struct pages, fill a PTE table, flush the TLB), kernel CPU. [estimate]', { min: 0 , max: MAX_EVENT_NS}),
  'cost.swapInNs': num(20000, 'Major fault reading an evicted page back from swap (NVMe 4 KiB read ≈ 10–100 µs). [estimate]', { min: 0 , max: MAX_EVENT_NS}),
  'cost.swapOutNs': num(5000, 'Kernel CPU to write back a dirty page on eviction (I/O itself is asynchronous). [estimate]', { min: 0 , max: MAX_EVENT_NS}),
  'sampler.ringSamples': num(4096, 'PEBS ring buffer capacity; samples beyond it before a drain are lost (7 bytes of memory each). [estimate]', { integer: true, min: 1 , max: 2 ** 24}),
  'sampler.drainIntervalUs': num(1000, 'Interval at which the sample ring buffer is drained to the policy. [estimate]', { min: 1e-3 , max: MAX_SIM_MS * 1e3}),
};

/** Parse a value given on the command line or in a file according to its key spec. */
export function coerce(key: string, spec: KeySpec, raw: unknown, where: string): ConfigValue {
  if (raw === null || raw === 'null' || raw === '') {
    if (spec.nullable) return null;
    throw new ConfigError(`${where}: ${key} expects a ${spec.type}, found ${JSON.stringify(raw)}`);
  }
  let value: ConfigValue;
  if (spec.type === 'number') {
    value = typeof raw === 'number' ? raw : typeof raw === 'string' ? parseNumber(raw) : NaN;
    if (!Number.isFinite(value)) throw new ConfigError(`${where}: ${key} expects a number, found ${typeof raw === 'number' ? String(raw) : JSON.stringify(raw)}`);
    if (spec.integer && !Number.isInteger(value)) throw new ConfigError(`${where}: ${key} expects a whole number, found ${raw}`);
    if (spec.min !== undefined && value < spec.min) throw new ConfigError(`${where}: ${key} must be ≥ ${spec.min}, found ${raw}`);
    if (spec.max !== undefined && value > spec.max) throw new ConfigError(`${where}: ${key} must be ≤ ${spec.max}, found ${raw}`);
  } else if (spec.type === 'boolean') {
    if (raw === true || raw === 'true' || raw === '1') value = true;
    else if (raw === false || raw === 'false' || raw === '0') value = false;
    else throw new ConfigError(`${where}: ${key} expects true or false, found ${JSON.stringify(raw)}`);
  } else {
    if (typeof raw !== 'string' && typeof raw !== 'number') throw new ConfigError(`${where}: ${key} expects a string, found ${JSON.stringify(raw)}`);
    value = String(raw);
    if (spec.choices && !spec.choices.includes(value)) {
      throw new ConfigError(`${where}: ${key} must be one of ${spec.choices.join(', ')}; found ${JSON.stringify(raw)}`);
    }
  }
  return value;
}

const SUFFIX: Record<string, number> = { k: 1e3, K: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };

/** A number with an optional decimal (k, M, G) or binary (Ki, Mi, Gi) multiplier: "10M", "256Ki", "0.5". */
export function parseNumber(text: string): number {
  const m = /^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*(Ki|Mi|Gi|k|K|M|G)?\s*$/.exec(text);
  if (!m) return NaN;
  return Number(m[1]) * (m[2] ? SUFFIX[m[2]] : 1);
}

/** Flatten a nested JSON object into dotted keys; arrays become numeric path segments. */
export function flatten(value: unknown, prefix = '', out: Record<string, unknown> = Object.create(null)): Record<string, unknown> {
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out[prefix] = value;
  }
  return out;
}

/** The closest valid keys to a misspelt one, for error messages. */
export function suggest(key: string, valid: Iterable<string>, max = 3): string[] {
  const scored: Array<[number, string]> = [];
  for (const v of valid) scored.push([editDistance(key.toLowerCase(), v.toLowerCase()), v]);
  scored.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : 1));
  return scored.filter(([d]) => d <= Math.max(3, key.length / 3)).slice(0, max).map(([, v]) => v);
}

function editDistance(a: string, b: string): number {
  const prev = new Int32Array(b.length + 1).map((_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(up + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/**
 * An unknown key names the closest few valid ones and where the full list is: the schema has
 * hundreds of keys (per-VM and per-policy), too many for one error line.
 */
export function unknownKeyError(key: string, where: string, schema: Schema): ConfigError {
  const near = suggest(key, Object.keys(schema));
  const hint = near.length ? ` Did you mean ${near.join(' or ')}?` : '';
  return new ConfigError(`${where}: unknown config key "${key}".${hint} Every key with its default and range: npm run sim -- --list-keys`);
}

/**
 * The spec of a key, or undefined. Own properties only: "constructor", "toString" or "__proto__"
 * are Object.prototype members of a plain object, not config keys.
 */
export function keySpec(schema: Schema, key: string): KeySpec | undefined {
  return Object.hasOwn(schema, key) ? schema[key] : undefined;
}

/** Apply raw key/values onto a config, validating each against the schema. */
export function applyValues(config: Config, raw: Record<string, unknown>, schema: Schema, where: string | ((key: string) => string)): void {
  for (const [key, value] of Object.entries(raw)) {
    const at = typeof where === 'string' ? where : where(key);
    const spec = keySpec(schema, key);
    if (!spec) throw unknownKeyError(key, at, schema);
    config[key] = coerce(key, spec, value, at);
  }
}

/** Parse `--set path=value` strings (into a null-prototype object, so "__proto__" stays a key and is rejected as unknown). */
export function parseSets(sets: readonly string[]): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set ${s}: expected path=value, found no "="`);
    out[s.slice(0, eq).trim()] = s.slice(eq + 1).trim();
  }
  return out;
}

/** Read a JSON config file (nested or flat keys). */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read config file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const line = jsonErrorLine(text);
    throw new ConfigError(`${path}${line ? `:${line}` : ''}: expected JSON, ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`${path}: expected a JSON object of config keys, found ${Array.isArray(parsed) ? 'an array' : typeof parsed}`);
  }
  return flatten(parsed);
}

/**
 * Line of the first JSON syntax error. V8's messages give a position only for some errors, so grow
 * the text line by line: the first prefix that fails for a reason other than ending too soon holds
 * the error. Quadratic, which is fine for config files.
 */
function jsonErrorLine(text: string): number | undefined {
  const lines = text.split('\n');
  let prefix = '';
  for (let i = 0; i < lines.length; i++) {
    prefix += (i ? '\n' : '') + lines[i];
    try {
      JSON.parse(prefix);
    } catch (err) {
      const msg = (err as Error).message;
      if (/Unexpected end of JSON input/.test(msg)) continue;
      const pos = /at position (\d+)/.exec(msg);
      if (pos && Number(pos[1]) >= prefix.trimEnd().length) continue;
      return i + 1;
    }
  }
  return undefined;
}

export function defaultsOf(schema: Schema): Config {
  const out: Config = {};
  for (const [k, spec] of Object.entries(schema)) out[k] = spec.default;
  return out;
}
