// Sweep grids: axes (config path → values) from a grid file and/or --sweep options, checked in
// full before anything runs, then expanded to points. A point is nothing but a resolved config —
// the same config a single `npm run sim` run would resolve — so any config key can be an axis and
// is validated exactly as it would be for one run.
//
// Grid file (JSON; `//` comments are not JSON and are rejected with their line):
//
//   {
//     "config": "base.json",                                  optional base config file (relative to the grid file)
//     "set":  { "workload": "uniform:pages=2000,accesses=50k" },  optional fixed keys, like --set
//     "axes": { "policy": ["first-touch", "interleave"],      axis order = nesting order: the last
//               "machine.ratio": ["1:4", "1:1"],              axis varies fastest
//               "seed": [1, 2, 3] }
//   }
//
// Keys under "set" and "axes" may be dotted or nested ({"machine": {"ratio": [...]}}); both
// spellings of one key, or a key given twice, is a duplicate and an error naming both lines.
// JSON.parse keeps the last of two duplicate keys silently, so the file is read by the small
// position-tracking parser below, which also lets every error name the line of the bad value.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import type { Config, ConfigValue, Schema } from './config.ts';
import { ConfigError, coerce, keySpec, parseNumber, unknownKeyError } from './config.ts';
import { MACHINE_PRESETS, tierSchema } from './machine.ts';
import { resolveConfig, runName } from './run.ts';
import { hashTrace, setTraceSha } from './run-checks.ts';

export interface Axis {
  /** Config path, e.g. "machine.ratio". */
  path: string;
  /** Raw values as written (strings from --sweep, JSON scalars from a grid file). */
  values: unknown[];
  /** Where the axis was given, for messages: "--sweep" or "grid.json:12". */
  where: string;
  /** Where each value was given (same length as values). */
  valueWhere: string[];
}

export interface GridSpec {
  /** Base config file (absolute or relative to the working directory), if any. */
  file?: string;
  /** Fixed keys applied to every point (grid "set" and --set). */
  sets: Record<string, unknown>;
  axes: Axis[];
}

export interface Point {
  /** Position in the cartesian product (last axis fastest). */
  index: number;
  /** Axis path → resolved (coerced) value of this point. */
  values: Record<string, ConfigValue>;
  /** The full resolved config, as for one run. */
  config: Config;
  /** Run directory name under <out>/points: <policy>-<hash of the relevant config>, as `npm run sim` names runs. */
  id: string;
}

// ---------------------------------------------------------------------------------------------
// A JSON reader that remembers lines and refuses duplicate keys.

interface JNode {
  value: unknown;
  line: number;
  /** For objects: entries in file order with the line of each key. */
  entries?: Array<{ key: string; line: number; node: JNode }>;
  items?: JNode[];
}

export function parseJsonWithLines(text: string, file: string): JNode {
  let i = 0;
  let line = 1;
  const fail = (msg: string): never => {
    throw new ConfigError(`${file}:${line}: ${msg}`);
  };
  const ws = () => {
    for (;;) {
      const c = text[i];
      if (c === '\n') line++, i++;
      else if (c === ' ' || c === '\t' || c === '\r') i++;
      else break;
    }
  };
  const show = () => (i >= text.length ? 'end of file' : JSON.stringify(text.slice(i, i + 12)));
  const str = (): string => {
    const start = i;
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if (text[i] === '\n') fail('unterminated string');
      i++;
    }
    if (i >= text.length) fail('unterminated string');
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return fail(`bad string ${text.slice(start, i)}`);
    }
  };
  const value = (): JNode => {
    ws();
    const at = line;
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: NonNullable<JNode['entries']> = [];
      const seen = new Map<string, number>();
      ws();
      if (text[i] === '}') return i++, { value: {}, line: at, entries };
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`expected a quoted key, found ${show()}`);
        const keyLine = line;
        const key = str();
        if (seen.has(key)) fail(`duplicate key "${key}" (first on line ${seen.get(key)})`);
        seen.set(key, keyLine);
        ws();
        if (text[i] !== ':') fail(`expected ":" after "${key}", found ${show()}`);
        i++;
        entries.push({ key, line: keyLine, node: value() });
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          break;
        }
        fail(`expected "," or "}", found ${show()}`);
      }
      return { value: Object.fromEntries(entries.map((e) => [e.key, e.node.value])), line: at, entries };
    }
    if (c === '[') {
      i++;
      const items: JNode[] = [];
      ws();
      if (text[i] === ']') return i++, { value: [], line: at, items };
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          break;
        }
        fail(`expected "," or "]", found ${show()}`);
      }
      return { value: items.map((n) => n.value), line: at, items };
    }
    if (c === '"') return { value: str(), line: at };
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null)/.exec(text.slice(i, i + 64));
    if (!m) fail(`expected a JSON value, found ${show()}`);
    i += m![0].length;
    return { value: JSON.parse(m![0]), line: at };
  };
  const root = value();
  ws();
  if (i < text.length) fail(`unexpected ${show()} after the end of the JSON value`);
  return root;
}

// ---------------------------------------------------------------------------------------------
// Grid file and --sweep options → GridSpec.

const GRID_KEYS = ['config', 'set', 'axes'];

export function readGridFile(path: string): GridSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read grid file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const root = parseJsonWithLines(text, path);
  if (!root.entries) throw new ConfigError(`${path}:${root.line}: expected a JSON object with keys ${GRID_KEYS.join(', ')}`);
  const spec: GridSpec = { sets: Object.create(null), axes: [] }; // null prototype: "__proto__" is a key like any other
  for (const e of root.entries) {
    const where = `${path}:${e.line}`;
    if (e.key === 'config') {
      if (typeof e.node.value !== 'string') throw new ConfigError(`${where}: "config" expects the path of a JSON config file`);
      spec.file = resolve(dirname(path), e.node.value);
    } else if (e.key === 'set') {
      flattenNode(e.node, '', path, (key, node) => {
        if (node.items) throw new ConfigError(`${path}:${node.line}: set.${key} is a list; fixed keys take one value (put lists under "axes")`);
        if (Object.hasOwn(spec.sets, key)) throw new ConfigError(`${path}:${node.line}: duplicate fixed key ${key}`);
        spec.sets[key] = node.value;
      });
    } else if (e.key === 'axes') {
      flattenNode(e.node, '', path, (key, node) => {
        if (!node.items) throw new ConfigError(`${path}:${node.line}: axis ${key} expects a list of values, found ${JSON.stringify(node.value)}`);
        for (const item of node.items) {
          if (item.value !== null && typeof item.value === 'object') {
            throw new ConfigError(`${path}:${item.line}: axis ${key}: values must be numbers, strings or booleans, found ${JSON.stringify(item.value)}`);
          }
        }
        spec.axes.push({ path: key, values: node.items.map((n) => n.value), where: `${path}:${node.line}`, valueWhere: node.items.map((n) => `${path}:${n.line}`) });
      });
    } else {
      throw new ConfigError(`${where}: unknown grid key "${e.key}". Valid keys: ${GRID_KEYS.join(', ')}`);
    }
  }
  return spec;
}

/** Flatten nested objects to dotted keys; arrays and scalars are leaves. */
function flattenNode(node: JNode, prefix: string, file: string, leaf: (key: string, node: JNode) => void): void {
  if (!node.entries) {
    if (!prefix) throw new ConfigError(`${file}:${node.line}: expected an object of config keys`);
    leaf(prefix, node);
    return;
  }
  for (const e of node.entries) flattenNode(e.node, prefix ? `${prefix}.${e.key}` : e.key, file, leaf);
}

/**
 * One `--sweep path=v1,v2,…` option. Values are split on "," — or on "|" when the text holds one,
 * for values that contain commas (workload specs). "a..b" or "a..b:step" is an inclusive numeric range.
 */
export function parseSweepOption(text: string): Axis {
  const where = `--sweep ${text}`;
  const eq = text.indexOf('=');
  if (eq <= 0) throw new ConfigError(`${where}: expected path=value,value,…`);
  const path = text.slice(0, eq).trim();
  const rest = text.slice(eq + 1);
  const parts = rest.trim() === '' ? [] : rest.split(rest.includes('|') ? '|' : ',').map((s) => s.trim());
  const values: unknown[] = [];
  for (const p of parts) {
    if (p === '') throw new ConfigError(`${where}: empty value (two separators in a row, or one at an end)`);
    const range = /^(.+?)\.\.(.+?)(?::(.+))?$/.exec(p);
    if (range && Number.isFinite(parseNumber(range[1])) && Number.isFinite(parseNumber(range[2]))) {
      const [a, b] = [parseNumber(range[1]), parseNumber(range[2])];
      const step = range[3] === undefined ? 1 : parseNumber(range[3]);
      if (!(step > 0)) throw new ConfigError(`${where}: range step must be a positive number, found "${range[3]}"`);
      if (b < a) throw new ConfigError(`${where}: range ${p} is empty (end below start)`);
      const n = Math.floor((b - a) / step + 1e-9);
      if (n > 100_000) throw new ConfigError(`${where}: range ${p} has ${n + 1} values; more than 100000 is surely a mistake`);
      // Multiply rather than accumulate so 0..1:0.1 gives 0.3, not 0.30000000000000004.
      for (let k = 0; k <= n; k++) values.push(Number((a + k * step).toPrecision(12)));
    } else {
      values.push(p);
    }
  }
  return { path, values, where, valueWhere: values.map(() => where) };
}

// ---------------------------------------------------------------------------------------------
// Checking and expansion.

export interface ExpandedGrid {
  spec: GridSpec;
  points: Point[];
  /** Count of distinct configs (points whose relevant config is equal run once). */
  unique: number;
}

/** Every key that can exist: core, every preset's tiers, every policy's parameters. */
function allKeysSchema(base: Schema): Schema {
  const out: Schema = { ...base };
  for (const preset of MACHINE_PRESETS) for (const [k, s] of Object.entries(tierSchema(preset))) if (!(k in out)) out[k] = s;
  return out;
}

/**
 * Check axes and fixed keys, expand the cartesian product and resolve every point. Throws
 * ConfigError before anything runs. `traceSha` (trace path → content hash, see expandGridHashed)
 * puts each point's trace hash in its config, and so in its run id.
 */
export function expandGrid(spec: GridSpec, maxPoints = 1_000_000, traceSha?: ReadonlyMap<string, string>): ExpandedGrid {
  const { schema: baseSchema } = resolveConfig({ file: spec.file, sets: spec.sets });
  if (spec.axes.length === 0) throw new ConfigError('no sweep axes: give --grid FILE or --sweep path=v1,v2,… (see --help)');
  const schema = allKeysSchema(baseSchema);
  const seen = new Map<string, string>();
  for (const axis of spec.axes) {
    const prev = seen.get(axis.path);
    if (prev) throw new ConfigError(`${axis.where}: duplicate axis ${axis.path} (also given at ${prev})`);
    seen.set(axis.path, axis.where);
    if (Object.hasOwn(spec.sets, axis.path)) throw new ConfigError(`${axis.where}: ${axis.path} is both a fixed key (--set or grid "set") and an axis; keep one`);
    const spec_ = keySpec(schema, axis.path);
    if (!spec_) throw unknownKeyError(axis.path, axis.where, baseSchema);
    if (axis.values.length === 0) throw new ConfigError(`${axis.where}: axis ${axis.path} has no values`);
    // Type, range and choices of every value, against the key's spec (as for --set).
    const coerced = axis.values.map((v, k) => coerce(axis.path, spec_, v, `${axis.valueWhere[k]}: axis`));
    const dup = coerced.findIndex((v, k) => coerced.indexOf(v) !== k);
    if (dup >= 0) throw new ConfigError(`${axis.valueWhere[dup]}: axis ${axis.path} lists ${JSON.stringify(coerced[dup])} twice`);
  }
  let total = 1;
  for (const axis of spec.axes) total *= axis.values.length;
  if (total > maxPoints) throw new ConfigError(`the grid has ${total} points, more than the limit of ${maxPoints}`);

  const points: Point[] = [];
  const idx = new Array<number>(spec.axes.length).fill(0);
  const ids = new Set<string>();
  for (let index = 0; index < total; index++) {
    const sets: Record<string, unknown> = { ...spec.sets };
    const label: string[] = [];
    spec.axes.forEach((axis, a) => {
      sets[axis.path] = axis.values[idx[a]];
      label.push(`${axis.path}=${String(axis.values[idx[a]])}`);
    });
    let config: Config;
    try {
      config = resolveConfig({ file: spec.file, sets }).config;
      const sha = config.trace === null ? undefined : traceSha?.get(config.trace as string);
      if (sha) setTraceSha(config, sha);
    } catch (err) {
      if (err instanceof ConfigError) throw new ConfigError(`point ${index} (${label.join(', ')}): ${err.message}`);
      throw err;
    }
    const values: Record<string, ConfigValue> = {};
    for (const axis of spec.axes) values[axis.path] = config[axis.path];
    const id = pointId(config);
    ids.add(id);
    points.push({ index, values, config, id });
    for (let a = spec.axes.length - 1; a >= 0; a--) {
      if (++idx[a] < spec.axes[a].values.length) break;
      idx[a] = 0;
    }
  }
  return { spec, points, unique: ids.size };
}

/**
 * expandGrid with every point's trace content hash in its config: a sweep over a trace that was
 * rewritten in place gets new point ids, so its old results are not taken as complete. Each
 * distinct trace is hashed once (≈ 1 s per GB). The traces are those of the base config or the
 * `trace` axis: nothing else can set the key.
 */
export async function expandGridHashed(spec: GridSpec, maxPoints?: number): Promise<ExpandedGrid> {
  const axis = spec.axes.find((a) => a.path === 'trace');
  const base = resolveConfig({ file: spec.file, sets: spec.sets });
  const paths = axis ? axis.values.map((v, k) => coerce('trace', base.schema.trace, v, `${axis.valueWhere[k]}: axis`)) : [base.config.trace];
  const traceSha = new Map<string, string>();
  for (const p of new Set(paths)) if (typeof p === 'string') traceSha.set(p, await hashTrace(p));
  return expandGrid(spec, maxPoints, traceSha);
}

/** Run directory name of a config: <policy>-<first 10 hex of its identity>, as `npm run sim` names runs. */
export const pointId = runName;

/** "policy=tpp, machine.ratio=1:4" for messages. */
export function describePoint(p: Pick<Point, 'index' | 'values'>): string {
  return `point ${p.index} (${Object.entries(p.values).map(([k, v]) => `${k}=${v}`).join(', ')})`;
}

/** A fingerprint of the grid (axes, fixed keys, base config file contents): shards of one sweep share it. */
export function gridFingerprint(grid: ExpandedGrid): string {
  const h = createHash('sha256');
  for (const p of grid.points) h.update(`${p.index}:${p.id}:${JSON.stringify(p.values)}\n`);
  return h.digest('hex').slice(0, 16);
}
