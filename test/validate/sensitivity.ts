// The sensitivity pass (issue 13 "Sensitivity"): rerun the policy ranking on the default workload
// with each ranged cost of the cost model (sim/cost-model.ts costEntries: every [estimate] and
// every [secondary] figure that comes as a range) at the low and at the high end of its range, one
// factor at a time, and say whether the ranking changes. A tier's read and write figures move
// together (one factor: "dram latency", "cxl bandwidth", …).
//
// Runs go through the sweep machinery (sim/sweep-run.ts): both cores, and a rerun reuses every
// point whose config is unchanged (results/.validate-sensitivity/, not committed).
//
// What "the ranking changes" means here, so that it can be checked by hand from the CSV: policies
// are ordered by slowdown (simulated time over the all-local ideal, lower first); a factor changes
// the ranking when, at either end, (a) another policy comes first, or (b) a policy moves to the
// other side of first-touch (beats it at the default, not at that end, or the reverse). Swaps
// among the others are listed but do not count: two policies within a few tenths of a percent of
// each other swap under any perturbation.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSource, resolveConfig } from '../../sim/run.ts';
import { resolveTiers } from '../../sim/machine.ts';
import { costEntries } from '../../sim/cost-model.ts';
import type { CostEntry } from '../../sim/cost-model.ts';
import { pointId } from '../../sim/sweep-grid.ts';
import type { ExpandedGrid, Point } from '../../sim/sweep-grid.ts';
import { runSweep } from '../../sim/sweep-run.ts';
import { completedPoint } from '../../sim/sweep-output.ts';

/**
 * The policies ranked: first-touch (the default placement) and the tiering policies users compare
 * most (pebs and arms are left out to keep the pass near five minutes on two free cores: each
 * policy costs 2 runs per factor).
 */
export const RANKED_POLICIES = ['first-touch', 'numa-tiering', 'tpp', 'mglru', 'hemem', 'memtis', 'damon-tiering'];

/**
 * Cost keys the default workload never charges (no VMs, no swap, 4 KiB pages): moving them cannot
 * change a run, so they are listed as such, not run.
 */
export const NOT_CHARGED: Record<string, string> = {
  'cost.swapInNs': 'no swap on the default machine (every tier together holds the footprint)',
  'cost.swapOutNs': 'no swap on the default machine',
  'cost.cowBreakNs': 'VM model only (copy-on-write of shared pages)',
  'cost.pageShareNs': 'VM model only (content-based page sharing)',
  'cost.touchSampleNs': 'VM model only (ESX active-memory sampling)',
  'cost.guestPageOutNs': 'VM model only (guest paging)',
  'cost.splitHugePageNs': 'huge pages only (the default runs 4 KiB pages)',
};

/** One factor: the config keys it moves together, with their low and high values. */
export interface Factor {
  name: string;
  keys: string[];
  low: number;
  high: number;
  /** The default values of its keys, for the report. */
  defaults: number[];
  unit: string;
  tag: string;
}

/** The factors of a config: ranged cost entries, a tier's read and write figures merged into one. */
export function factorsOf(entries: CostEntry[], cpus = 1): { factors: Factor[]; skipped: Array<{ key: string; why: string }> } {
  const factors: Factor[] = [];
  const skipped: Array<{ key: string; why: string }> = [];
  const byName = new Map<string, Factor>();
  for (const e of entries) {
    if (e.low === undefined || e.high === undefined) continue;
    if (NOT_CHARGED[e.key]) {
      skipped.push({ key: e.key, why: NOT_CHARGED[e.key] });
      continue;
    }
    if (e.key === 'cost.tlbShootdownPerCpuNs' && cpus === 1) {
      skipped.push({ key: e.key, why: 'one CPU: no other CPU receives the shootdown' });
      continue;
    }
    const tier = /^machine\.tiers\.(\d+)\.(read|write)(LatencyNs|GBps)$/.exec(e.key);
    const name = tier ? `machine.tiers.${tier[1]}.${tier[3] === 'GBps' ? 'bandwidth' : 'latency'}` : e.key;
    const f = byName.get(name);
    if (f) {
      f.keys.push(e.key);
      f.defaults.push(e.value);
      continue;
    }
    const nf: Factor = { name, keys: [e.key], low: e.low, high: e.high, defaults: [e.value], unit: e.unit, tag: e.tag };
    byName.set(name, nf);
    factors.push(nf);
  }
  return { factors, skipped };
}

/** Policies in order of slowdown (lower first; ties in RANKED_POLICIES order). */
export function rank(slowdown: Record<string, number>): string[] {
  return Object.keys(slowdown).sort((a, b) => slowdown[a] - slowdown[b] || RANKED_POLICIES.indexOf(a) - RANKED_POLICIES.indexOf(b));
}

export interface RankChange {
  /** Another policy comes first. */
  winner: string | null;
  /** Policies on the other side of first-touch than at the default. */
  crossed: string[];
  /** Adjacent swaps among the rest (informational). */
  swaps: string[];
  changed: boolean;
}

/** How a ranking at one end of a factor differs from the default ranking (see the header). */
export function compareRanking(base: Record<string, number>, moved: Record<string, number>, reference = 'first-touch'): RankChange {
  const r0 = rank(base);
  const r1 = rank(moved);
  const winner = r1[0] !== r0[0] ? r1[0] : null;
  const beats = (s: Record<string, number>, p: string) => s[p] < s[reference];
  const crossed = r0.filter((p) => p !== reference && p in moved && beats(base, p) !== beats(moved, p));
  const swaps: string[] = [];
  for (let i = 0; i < r0.length; i++) for (let j = i + 1; j < r0.length; j++) if (r1.indexOf(r0[i]) > r1.indexOf(r0[j])) swaps.push(`${r0[j]} ahead of ${r0[i]}`);
  return { winner, crossed, swaps, changed: winner !== null || crossed.length > 0 };
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where the pass's sweeps keep their points (resumable, not committed). */
export const SENSITIVITY_RUNS = join(ROOT, 'results', '.validate-sensitivity');

/** One run of the pass: which factor (-1 = the defaults), which end, which policy, and its sweep point. */
interface Planned {
  factor: number;
  end: 'low' | 'high' | 'default';
  policy: string;
  point: Point;
}

/**
 * Run every planned config as one sweep (one worker pool for all of them; points with equal
 * configs run once; a rerun skips complete points) and return each point's slowdown.
 */
async function runAll(plan: Planned[], sets: Record<string, unknown>, jobs: number): Promise<number[]> {
  const axis = { path: 'policy', values: RANKED_POLICIES, where: 'sensitivity', valueWhere: RANKED_POLICIES.map(() => 'sensitivity') };
  const points = plan.map((p) => p.point);
  const grid: ExpandedGrid = { spec: { sets, axes: [axis] }, points, unique: new Set(points.map((p) => p.id)).size };
  const out = await runSweep({ grid, out: SENSITIVITY_RUNS, jobs, progress: null, log: () => {} });
  if (out.failed.length) throw new Error(`sensitivity: ${out.failed.map((f) => `${f.id}: ${f.error}`).join('; ')}`);
  return points.map((p) => {
    const row = completedPoint(SENSITIVITY_RUNS, p);
    if (!row) throw new Error(`sensitivity: point ${p.id} did not complete`);
    return Number(row.slowdown);
  });
}

export interface FactorResult {
  factor: Factor;
  low: Record<string, number>;
  high: Record<string, number>;
  atLow: RankChange;
  atHigh: RankChange;
}

export interface SensitivityResult {
  base: Record<string, number>;
  results: FactorResult[];
  skipped: Array<{ key: string; why: string }>;
  workload: string;
  machine: string;
}

/** The whole pass: the default ranking, then each factor at its low and high end. */
export async function sensitivity(sets: Record<string, unknown> = {}, jobs = 2): Promise<SensitivityResult> {
  const { config } = resolveConfig({ sets });
  const { source } = await openSource(config);
  let tiers;
  const cpus = source.cpus;
  try {
    tiers = resolveTiers(config, source.footprintPages((config.pageSizeKiB as number) * 1024));
  } finally {
    await source.close?.();
  }
  const { factors, skipped } = factorsOf(costEntries(config, tiers), cpus);
  const plan: Planned[] = [];
  const add = (factor: number, end: Planned['end'], over: Record<string, unknown>) => {
    for (const policy of RANKED_POLICIES) {
      const c = resolveConfig({ sets: { ...sets, ...over, policy } }).config;
      plan.push({ factor, end, policy, point: { index: plan.length, values: { policy }, config: c, id: pointId(c) } });
    }
  };
  add(-1, 'default', {});
  factors.forEach((f, i) => {
    for (const end of ['low', 'high'] as const) add(i, end, Object.fromEntries(f.keys.map((k) => [k, f[end]])));
  });
  const slow = await runAll(plan, sets, jobs);
  const pick = (factor: number, end: Planned['end']) => Object.fromEntries(plan.flatMap((p, k) => (p.factor === factor && p.end === end ? [[p.policy, slow[k]]] : [])));
  const base = pick(-1, 'default');
  const results: FactorResult[] = factors.map((factor, i) => {
    const low = pick(i, 'low');
    const high = pick(i, 'high');
    return { factor, low, high, atLow: compareRanking(base, low), atHigh: compareRanking(base, high) };
  });
  return { base, results, skipped, workload: String(config.workload), machine: `${config['machine.preset']} ${config['machine.ratio']}` };
}

/** The tornado chart (vega-lite): per factor, the change in % of `policy`'s slowdown at the low and the high end, widest on top. */
export function tornadoSpec(r: SensitivityResult, policy: string): Record<string, unknown> {
  const rows: Array<Record<string, unknown>> = [];
  const width = new Map<string, number>();
  for (const f of r.results) {
    const d = (s: Record<string, number>) => +(100 * (s[policy] / r.base[policy] - 1)).toFixed(3);
    const lo = d(f.low);
    const hi = d(f.high);
    const label = `${f.factor.name} (${f.factor.low} … ${f.factor.high} ${f.factor.unit})`;
    rows.push({ factor: label, end: 'low end', changePct: lo }, { factor: label, end: 'high end', changePct: hi });
    width.set(label, Math.abs(hi - lo));
  }
  const order = [...width.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Sensitivity of ${policy}'s slowdown to each ranged cost (default ${r.base[policy].toFixed(3)})`,
    data: { values: rows },
    mark: 'bar',
    encoding: {
      y: { field: 'factor', type: 'nominal', sort: order, title: null },
      x: { field: 'changePct', type: 'quantitative', title: `change of ${policy}'s slowdown, %` },
      color: { field: 'end', type: 'nominal', title: 'cost at its' },
      yOffset: { field: 'end' },
    },
    width: 420,
  };
}
