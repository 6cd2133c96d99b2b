// `npm run plot -- FILE.csv --x COL --y COL …`: an SVG chart of a sweep.csv (one row per point) or
// of a run's timeseries.csv / summary.csv. Lines when x is numeric with more than two values, else
// grouped bars; title, axis labels with units (from tiersim's column names) and a legend.
//
// Charting package: Vega-Lite compiled to Vega, rendered with Vega's headless SVG renderer
// (view.toSVG()). Chosen because it is well kept (the Vega project, regular releases), needs no
// DOM, canvas or browser on the server — its SVG renderer builds a string — and its grammar gives
// grouped bars, multi-series lines, legends and axis titles declaratively, so this file only
// decides *what* to show. (d3 would need a server-side DOM and hand-built axes and legends.)
// Output is deterministic: same CSV and options ⇒ same SVG bytes.
//
// One file on purpose: results/ also holds run directories named <policy>-<hash>, and a cleanup
// glob such as `rm -rf results/*-*` must not take source files with it.

import yargs from 'yargs';
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { ConfigError, suggest } from '../sim/config.ts';
import { finishCli, runAsMain } from '../sim/cli-common.ts';
import { writeAtomic } from './write.ts';

// ---------------------------------------------------------------------------------------------
// Reading the CSVs tiersim writes back: RFC 4180 (quoted fields may hold commas, doubled quotes,
// newlines). Cells stay text; the chart decides per column whether it is numeric.

export interface Table {
  columns: string[];
  rows: Array<Record<string, string>>;
}

export function parseCsv(text: string, file = 'CSV'): Table {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let i = 0;
  let line = 1;
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') (field += '"'), (i += 2);
        else (quoted = false), i++;
      } else {
        if (c === '\n') line++;
        field += c;
        i++;
      }
      continue;
    }
    if (c === '"' && field === '') (quoted = true), i++;
    else if (c === ',') record.push(field), (field = ''), i++;
    else if (c === '\n' || c === '\r') {
      record.push(field), records.push(record), (record = []), (field = '');
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
    } else (field += c), i++;
  }
  if (quoted) throw new ConfigError(`${file}:${line}: unterminated quoted field`);
  if (field !== '' || record.length) record.push(field), records.push(record);
  if (records.length === 0) throw new ConfigError(`${file}: empty CSV (no header)`);
  const columns = records[0];
  const rows = records.slice(1).map((r, k) => {
    if (r.length !== columns.length) throw new ConfigError(`${file}:${k + 2}: ${r.length} fields, the header has ${columns.length}`);
    const o: Record<string, string> = {};
    columns.forEach((c, j) => (o[c] = r[j]));
    return o;
  });
  return { columns, rows };
}

export function readCsv(path: string): Table {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseCsv(text, path);
}

// ---------------------------------------------------------------------------------------------
// The chart.

export const KINDS = ['auto', 'line', 'bar'] as const;
export const AGGREGATES = ['mean', 'median', 'min', 'max', 'sum'] as const;

export interface PlotOptions {
  x: string;
  /** One or more metrics; several give one chart each, stacked, sharing x and legend. */
  y: string[];
  /** Series (colour) column. */
  by?: string;
  /** Small-multiple column: one panel per value. */
  facet?: string;
  kind?: (typeof KINDS)[number];
  /** How rows with equal x / by / facet (e.g. several seeds) are combined. */
  aggregate?: (typeof AGGREGATES)[number];
  /** Keep rows where column = value. */
  where?: Array<[string, string]>;
  title?: string;
  /** Source name shown in the subtitle. */
  source?: string;
  logY?: boolean;
  width?: number;
  height?: number;
}

/** Units from tiersim's column naming convention (units in names, DESIGN.md "Config"). */
const UNIT_RULES: Array<[RegExp, string]> = [
  [/^slowdown$/, '× vs. all-local idle'],
  [/GBps$/, 'GB/s'],
  [/GiB$/, 'GiB'],
  [/MiB$/, 'MiB'],
  [/KiB$/, 'KiB'],
  [/Ns$/, 'ns'],
  [/Us$/, 'µs'],
  [/Ms$/, 'ms'],
  [/Bytes$/, 'bytes'],
  [/Pct$/, '%'],
  [/(Share|Ratio)$/, 'fraction of accesses'],
  [/(Pages|pages)$/, 'pages'],
  [/(Faults|Ins|accesses|reads|writes|samples|samplesLost|pteScans)$/, 'count'],
];

export function unitOf(column: string): string | undefined {
  if (column === 'machine.ratio') return 'local : CXL capacity';
  const last = column.split('.').pop()!;
  for (const [re, unit] of UNIT_RULES) if (re.test(last)) return unit;
  if (column.startsWith('policy.') && /^[a-z]/.test(last)) return 'count';
  return undefined;
}

export function labelOf(column: string): string {
  const u = unitOf(column);
  return u ? `${column} (${u})` : column;
}

const isNumeric = (values: string[]) => values.some((v) => v !== '') && values.every((v) => v === '' || Number.isFinite(Number(v)));

function checkColumn(table: Table, col: string, what: string): void {
  if (table.columns.includes(col)) return;
  const near = suggest(col, table.columns, 3);
  throw new ConfigError(`${what} ${col}: no such column.${near.length ? ` Did you mean ${near.join(' or ')}?` : ''} Columns: ${table.columns.join(', ')}`);
}

export interface BuiltPlot {
  spec: TopLevelSpec;
  kind: 'line' | 'bar';
  /** Most rows behind one mark (after filters): > 1 means aggregated. */
  perMark: number;
  rows: number;
}

export function buildSpec(table: Table, o: PlotOptions): BuiltPlot {
  checkColumn(table, o.x, '--x');
  if (o.y.length === 0) throw new ConfigError('--y: give at least one column');
  for (const y of o.y) checkColumn(table, y, '--y');
  if (o.by) checkColumn(table, o.by, '--by');
  if (o.facet) checkColumn(table, o.facet, '--facet');
  let rows = table.rows;
  for (const [col, val] of o.where ?? []) {
    checkColumn(table, col, '--where');
    const before = rows;
    rows = rows.filter((r) => r[col] === val);
    if (rows.length === 0) {
      const vals = [...new Set(before.map((r) => r[col]))].slice(0, 20);
      throw new ConfigError(`--where ${col}=${val}: no row has that value; values: ${vals.join(', ')}`);
    }
  }
  if (rows.length === 0) throw new ConfigError('no rows to plot (the CSV has a header only)');
  for (const y of o.y) {
    if (!isNumeric(rows.map((r) => r[y]))) throw new ConfigError(`--y ${y}: not a numeric column (e.g. ${JSON.stringify(rows[0][y])})`);
  }

  const xNumeric = isNumeric(rows.map((r) => r[o.x]));
  const distinctX = new Set(rows.map((r) => r[o.x])).size;
  const kind: 'line' | 'bar' = !o.kind || o.kind === 'auto' ? (xNumeric && distinctX > 2 ? 'line' : 'bar') : o.kind;
  const agg = o.aggregate ?? 'mean';

  // Rows per mark, so that the subtitle says when values were aggregated (e.g. over seeds).
  const groups = new Map<string, number>();
  for (const r of rows) {
    const key = JSON.stringify([r[o.x], o.by ? r[o.by] : '', o.facet ? r[o.facet] : '']);
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  const perMark = Math.max(...groups.values());

  // Values typed here so that Vega never guesses; empty cells are missing values.
  const numericCols = new Set([...o.y, ...(xNumeric ? [o.x] : [])]);
  const used = [...new Set([o.x, ...o.y, o.by, o.facet].filter((c): c is string => !!c))];
  const values = rows.map((r) => {
    const v: Record<string, string | number | null> = {};
    for (const c of used) v[c] = numericCols.has(c) ? (r[c] === '' ? null : Number(r[c])) : r[c];
    return v;
  });

  const order = (col: string) => [...new Set(rows.map((r) => r[col]))];
  const xType = kind === 'line' && xNumeric ? 'quantitative' : 'ordinal';
  // Vega reads "." in a field name as nesting; tiersim's columns are dotted paths, so escape it.
  const f = (c: string) => c.replace(/\./g, '\\.');
  const xSort = xNumeric ? [...new Set(rows.map((r) => Number(r[o.x])))].sort((a, b) => a - b) : order(o.x);
  const xEnc = { field: f(o.x), type: xType, title: labelOf(o.x), ...(xType === 'ordinal' ? { sort: xSort, axis: { labelAngle: 0 } } : {}) };
  const colorEnc = o.by ? { color: { field: f(o.by), type: 'nominal', title: o.by, sort: order(o.by) } } : {};
  const chartFor = (y: string) => {
    const yEnc = { field: f(y), type: 'quantitative', aggregate: agg, title: labelOf(y), scale: o.logY ? { type: 'log' } : { zero: kind === 'bar' } };
    if (kind === 'bar') {
      const offset = o.by ? { xOffset: { field: f(o.by), type: 'nominal', sort: order(o.by) } } : {};
      return { mark: { type: 'bar', tooltip: true }, encoding: { x: xEnc, y: yEnc, ...colorEnc, ...offset } };
    }
    return { mark: { type: 'line', point: true, tooltip: true }, encoding: { x: xEnc, y: yEnc, ...colorEnc } };
  };

  const title = o.title ?? `${o.y.join(', ')} vs ${o.x}${o.by ? ` by ${o.by}` : ''}${o.facet ? `, per ${o.facet}` : ''}`;
  const sub: string[] = [];
  if (o.source) sub.push(o.source);
  sub.push(`${rows.length} row${rows.length === 1 ? '' : 's'}`);
  if (perMark > 1) sub.push(`${agg} of up to ${perMark} rows per ${kind === 'bar' ? 'bar' : 'point'}`);
  for (const [c, v] of o.where ?? []) sub.push(`${c} = ${v}`);

  const barWidth = Math.max(320, distinctX * (o.by ? 22 * order(o.by).length + 10 : 40));
  const size = { width: o.width ?? (kind === 'bar' ? barWidth : 480), height: o.height ?? 300 };
  const charts = o.y.map((y) => ({ ...size, ...chartFor(y) }));
  const inner: Record<string, unknown> = charts.length === 1 ? charts[0] : { vconcat: charts };
  const body = o.facet ? { facet: { field: f(o.facet), type: 'nominal', title: o.facet, sort: order(o.facet) }, columns: 3, spec: inner } : inner;
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: sub.join(' · '), anchor: 'start' },
    data: { values },
    ...body,
    config: { font: 'sans-serif', view: { stroke: '#ddd' } },
  } as unknown as TopLevelSpec;
  return { spec, kind, perMark, rows: rows.length };
}

/** Render a Vega-Lite spec to SVG text without a browser. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

// ---------------------------------------------------------------------------------------------
// Command line.

const OPTIONS = ['--x', '--y', '--by', '--facet', '--kind', '--agg', '--where', '--title', '--log-y', '--width', '--height', '--out', '--vega-lite', '--help'];

const EPILOG = `Columns are the CSV's header names — sweep.csv: point, run, the sweep axes, identity,
engine metrics, policy.* counters; timeseries.csv: epoch, endMs, accesses, localShare,
tier<i>ReadGBps, …. Units come from the names (…Ns = ns, …GBps = GB/s, …Share = fraction of
accesses, slowdown = × vs all-local idle). Rows with equal x, --by and --facet values (e.g.
several seeds) are combined with --agg, and the subtitle says so.

Examples:
  npm run plot -- results/sort/sweep.csv --x machine.ratio --y slowdown,localShare --by policy
  npm run plot -- results/demo/sweep.csv --x seed --y avgLatencyNs --by policy --kind line
  npm run plot -- results/sort/points/<run>/timeseries.csv --x endMs --y localShare,promotedPages`;

export async function main(argv: string[], io: { stderr?: (s: string) => void } = {}): Promise<number> {
  const stderr = io.stderr ?? ((s: string) => void process.stderr.write(s));
  const parser = yargs(argv)
    .scriptName('npm run plot --')
    .usage('Plot a tiersim CSV (sweep.csv, timeseries.csv, summary.csv) as an SVG chart.\n\nUsage: $0 FILE.csv --x COLUMN --y COLUMN[,COLUMN…] [options]')
    .command('$0 <csv>', 'Write an SVG chart of FILE.csv.', (y) => y.positional('csv', { type: 'string', describe: 'The CSV file to plot.' }))
    .option('x', { type: 'string', demandOption: true, describe: 'Column on the x axis (e.g. machine.ratio, seed, endMs).' })
    .option('y', { type: 'string', array: true, demandOption: true, describe: 'Metric column(s) on the y axis; several (comma-separated or repeated) give one chart each, stacked.' })
    .option('by', { type: 'string', describe: 'Column whose values are the series (colour, legend), e.g. policy.' })
    .option('facet', { type: 'string', describe: 'Column whose values get a panel each (small multiples), e.g. workload.' })
    .option('kind', { type: 'string', choices: KINDS, default: 'auto', describe: 'line, bar (grouped by --by), or auto: line when x is numeric with more than 2 values, else bar.' })
    .option('agg', { type: 'string', choices: AGGREGATES, default: 'mean', describe: 'How rows with equal x / by / facet (e.g. seeds) are combined.' })
    .option('where', { type: 'string', array: true, describe: 'Keep only rows where COLUMN=VALUE (repeatable), e.g. --where seed=1.' })
    .option('title', { type: 'string', describe: 'Chart title (default: "<y> vs <x> by <by>").' })
    .option('log-y', { type: 'boolean', default: false, describe: 'Logarithmic y axis.' })
    .option('width', { type: 'number', describe: 'Width of one chart in pixels (default: by kind and number of bars).' })
    .option('height', { type: 'number', default: 300, describe: 'Height of one chart in pixels.' })
    .option('out', { alias: 'o', type: 'string', describe: 'SVG file to write (default: beside the CSV, <csv name>-<y>-vs-<x>[-by-<by>].svg).' })
    .option('vega-lite', { type: 'string', describe: 'Also write the Vega-Lite spec (JSON) here, to restyle the chart elsewhere.' })
    .strict();
  const args = await finishCli(parser, EPILOG, (msg) => (/Unknown argument/.test(msg) ? `. Valid options: ${OPTIONS.join(', ')} (see --help)` : '')).parseAsync();
  if (args.help) return 0;
  const csv = args.csv as string;
  const y = (args.y as string[]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  const where = (args.where ?? []).map((w): [string, string] => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--where ${w}: expected COLUMN=VALUE`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
  const table = readCsv(csv);
  const { spec } = buildSpec(table, {
    x: args.x, y, by: args.by, facet: args.facet, kind: args.kind as (typeof KINDS)[number], aggregate: args.agg as (typeof AGGREGATES)[number],
    where, title: args.title, source: basename(csv), logY: args['log-y'], width: args.width, height: args.height,
  });
  const svg = await renderSvg(spec);
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_');
  const out = args.out ?? join(dirname(csv), `${basename(csv, extname(csv))}-${safe(y.join('+'))}-vs-${safe(args.x)}${args.by ? `-by-${safe(args.by)}` : ''}.svg`);
  writeAtomic(out, svg);
  if (args['vega-lite']) writeAtomic(args['vega-lite'], JSON.stringify(spec, null, 2) + '\n');
  stderr(`wrote ${out}\n`);
  return 0;
}

runAsMain(import.meta.url, (argv) => main(argv), {
  options: ['--x', '--y', '--by', '--facet', '--kind', '--agg', '--where', '--title', '--log-y', '--width', '--height', '--out', '--vega-lite'],
  flags: ['--log-y'],
});
