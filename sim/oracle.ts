// Whole-run access counts for the idealised oracle policies (PolicyDefinition.oracle: oracle-lru,
// oracle-static): how often each page is accessed over the run, and its rank by that count. No real
// system can know this; that is the point of an oracle (a bound to compare real policies against).
// The translated stream makes the counts free: one pass over the access codes, by stream id (each
// CPU's first ⌈run.maxAccesses / CPUs⌉ records when the run is cut short: exact with one CPU).

import type { Core } from './core.ts';
import { SimError } from './core.ts';

export class Oracle {
  private ranks: Int32Array | null = null;

  /** counts: accesses per stream id. */
  constructor(
    private readonly core: Core,
    private readonly counts: Float64Array,
  ) {}

  /** Accesses of the page over the whole run (0 for pages the stream never names: split sub-pages). */
  futureAccesses(page: number): number {
    const sid = this.core.ids.streamIdOf(page);
    return sid >= 0 && sid < this.counts.length ? this.counts[sid] : 0;
  }

  /** Rank by whole-run accesses, 0 = most accessed, ties by first appearance in the stream; pages it never names rank last. */
  rank(page: number): number {
    const n = this.counts.length;
    if (this.ranks === null) {
      const c = this.counts;
      const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => c[b] - c[a] || a - b);
      this.ranks = new Int32Array(n);
      for (let r = 0; r < n; r++) this.ranks[order[r]] = r;
    }
    const sid = this.core.ids.streamIdOf(page);
    return sid >= 0 && sid < n ? this.ranks[sid] : n;
  }
}

/** The error of a policy that reads whole-run counts without declaring `oracle: true`. */
export function oracleUndeclared(policy: string): SimError {
  return new SimError(`policy ${policy} reads whole-run access counts: define it with oracle: true (the run then counts them before it starts)`);
}
