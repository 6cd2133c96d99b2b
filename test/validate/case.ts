// The validation case registry's shapes and the one way a case runs tiersim.
//
// A case states where its expected value comes from (kernel code, a paper, FACTS.md, a derivation
// written in the case), the tolerance, and returns what tiersim measured and a verdict. Expected
// values never come from tiersim's own output.
//
// Every simulation a case runs goes through ctx.sim(), which layers ctx.sets over the case's own
// settings: `npm run validate -- --set cost.hintFaultNs=1000` reruns every case at one point of a
// cost's range. The sensitivity pass (sensitivity.ts, case `sensitivity-ranking`) moves each
// ranged cost to both ends of its range and reports whether the policy ranking changes.

import { resolveConfig, runSimulation } from '../../sim/run.ts';
import type { RunOutcome } from '../../sim/run.ts';
import { summaryRow } from '../../results/rows.ts';
import type { Row } from '../../results/rows.ts';
import type { TieringKernel } from '../../policies/lib/kernel.ts';
import type { Engine } from '../../sim/engine.ts';

export type Verdict = 'holds' | 'fails';

export interface Outcome {
  /** What tiersim gave, in words and numbers. */
  measured: string;
  verdict: Verdict;
  /** Why it holds or fails (for a failure: the likely model reason). */
  why: string;
}

export interface ValidationCase {
  id: string;
  title: string;
  /** kernel | oracle | tpp | done-when | hemem | esx; 'ranking' cases compare policies (sensitivity). */
  group: string;
  /** Where the expected value comes from. */
  source: string;
  expected: string;
  tolerance: string;
  /** Part of the CI subset (seconds, not minutes). */
  fast: boolean;
  run(ctx: Ctx): Promise<Outcome>;
}

/** One chart's data: long-format rows, plotted with results/plot.ts. */
export interface Series {
  title: string;
  x: string;
  y: string;
  by?: string;
  rows: Row[];
  /** A chart of its own (a vega-lite spec with its data inline) instead of the line chart of x, y, by. */
  spec?: Record<string, unknown>;
}

export interface SimRun extends RunOutcome {
  row: Row;
}

export class Ctx {
  readonly series = new Map<string, Series>();
  private readonly memo = new Map<string, Promise<SimRun>>();
  runs = 0;

  /** sets: layered over every run's own settings (the sensitivity hook). */
  constructor(readonly sets: Record<string, unknown> = {}) {}

  /** Run tiersim once per distinct (flags, sets): cases that need the same run share it. */
  sim(flags: Record<string, unknown>, sets: Record<string, unknown> = {}): Promise<SimRun> {
    const allSets = { ...sets, ...this.sets };
    const key = JSON.stringify([flags, allSets]);
    let p = this.memo.get(key);
    if (!p) {
      p = (async () => {
        const { config } = resolveConfig({ flags, sets: allSets });
        const out = await runSimulation(config);
        this.runs++;
        return { ...out, row: summaryRow(config, out.tiers, out.result, out.trace) };
      })();
      this.memo.set(key, p);
    }
    return p;
  }

  /** Add rows to a named chart. */
  addSeries(name: string, s: Omit<Series, 'rows'>, rows: Row[]): void {
    const cur = this.series.get(name) ?? { ...s, rows: [] };
    cur.rows.push(...rows);
    this.series.set(name, cur);
  }
}

/** A policy counter of a run's summary (policy.<name>), 0 if absent. */
export function counter(run: SimRun, name: string): number {
  const v = run.row[`policy.${name}`];
  return typeof v === 'number' ? v : 0;
}

/**
 * The kernel model of a run of numa-tiering / tpp / mglru, for cases that check its internal
 * state (e.g. the promotion threshold). Read through the engine's main-policy hooks
 * (createKernel exposes `kernel` on them); validation code only.
 */
export function kernelOf(engine: Engine): TieringKernel {
  const hooks = engine.policyHooks() as { kernel?: TieringKernel };
  if (!hooks.kernel) throw new Error('kernelOf: the main policy is not a kernel tiering policy');
  return hooks.kernel;
}

export const fmt = (x: number, digits = 3): string => (Number.isFinite(x) ? x.toFixed(digits) : String(x));
export const pct = (x: number, digits = 1): string => `${(100 * x).toFixed(digits)} %`;

export function verdict(ok: boolean, holdsWhy: string, failsWhy: string): Pick<Outcome, 'verdict' | 'why'> {
  return ok ? { verdict: 'holds', why: holdsWhy } : { verdict: 'fails', why: failsWhy };
}
