// How robust are tiersim's conclusions to the costs it can only estimate? The sensitivity pass
// (sensitivity.ts) as a validation case: it holds when no ranged cost, at either end of its range,
// changes which policy wins on the default workload or moves a policy to the other side of
// first-touch; otherwise it fails and names the costs the conclusion hangs on.

import type { Ctx, Outcome, ValidationCase } from './case.ts';
import { fmt } from './case.ts';
import { RANKED_POLICIES, rank, sensitivity, tornadoSpec } from './sensitivity.ts';
import type { FactorResult, RankChange } from './sensitivity.ts';

function describe(f: FactorResult): string {
  const end = (name: string, c: RankChange) =>
    c.changed ? `${name}: ${[c.winner ? `${c.winner} first` : '', c.crossed.length ? `${c.crossed.join(', ')} cross first-touch` : ''].filter(Boolean).join('; ')}` : '';
  return `${f.factor.name} (${[end(`at ${f.factor.low}`, f.atLow), end(`at ${f.factor.high}`, f.atHigh)].filter(Boolean).join(', ')})`;
}

export const SENSITIVITY_CASES: ValidationCase[] = [
  {
    id: 'sensitivity-ranking',
    title: 'The policy ranking on the default workload survives every ranged cost at both ends of its range',
    group: 'sensitivity',
    source: 'the ranges of sim/cost-model.ts (COST_SPECS and the tier ranges by topology kind, FACTS §1, §3, §5, §8); issue 13 "Sensitivity"',
    expected: `the same winner and the same policies ahead of first-touch (policies ${RANKED_POLICIES.join(', ')}, ranked by slowdown) when any one ranged cost moves to its low or high end`,
    tolerance: 'none: a changed winner or a policy crossing first-touch is a change (swaps among the others are listed in sensitivity.csv, not counted)',
    fast: false,
    async run(ctx: Ctx): Promise<Outcome> {
      const r = await sensitivity(ctx.sets);
      const order = rank(r.base);
      const winner = order[0];
      const rows = r.results.flatMap((f) =>
        (['low', 'high'] as const).flatMap((end) =>
          RANKED_POLICIES.map((policy) => {
            const c = end === 'low' ? f.atLow : f.atHigh;
            return { factor: f.factor.name, keys: f.factor.keys.join(' '), end, value: f.factor[end], default: f.factor.defaults.join(' '), unit: f.factor.unit, tag: f.factor.tag, policy, slowdown: (end === 'low' ? f.low : f.high)[policy], defaultSlowdown: r.base[policy], rankingChanged: c.changed ? 'yes' : 'no', swaps: c.swaps.join('; ') };
          }),
        ),
      );
      ctx.addSeries('sensitivity', { title: 'sensitivity', x: 'factor', y: 'slowdown', spec: tornadoSpec(r, winner) }, rows);
      const changed = r.results.filter((f) => f.atLow.changed || f.atHigh.changed);
      const widest = [...r.results].sort((a, b) => Math.abs(b.high[winner] - b.low[winner]) - Math.abs(a.high[winner] - a.low[winner]))[0];
      const measured =
        `default ranking (${r.workload}, ${r.machine}): ${order.map((p) => `${p} ${fmt(r.base[p])}`).join(' < ')}; ${r.results.length} ranged costs moved, ` +
        (changed.length ? `the ranking changes under ${changed.length}: ${changed.map(describe).join('; ')}` : 'the ranking changes under none') +
        (widest ? `; ${winner}'s slowdown moves most with ${widest.factor.name} (${fmt(widest.low[winner])} … ${fmt(widest.high[winner])}; tornado: sensitivity.svg)` : '') +
        (r.skipped.length ? `; not moved (not charged on this workload): ${r.skipped.map((s) => s.key).join(', ')}` : '');
      return changed.length === 0
        ? { measured, verdict: 'holds', why: 'no ranged cost changes the winner or a policy\'s side of first-touch' }
        : { measured, verdict: 'fails', why: `the conclusion depends on ${changed.map((f) => f.factor.name).join(', ')}: narrowing those ranges (a measurement) matters most` };
    },
  },
];
