// interleave: Linux weighted interleave (MPOL_WEIGHTED_INTERLEAVE, v6.9), which spreads a task's
// allocations over nodes in proportion to per-node weights (/sys/kernel/mm/mempolicy/
// weighted_interleave/nodeN). Follows mm/mempolicy.c weighted_interleave_nodes(): the task keeps
// allocating on the current node until that node's weight is used up, then moves to the next.
//
// - Placement: weights "w0:w1:…" per tier, fastest first (default 1:1, plain MPOL_INTERLEAVE).
// - A full tier is skipped by the engine's fallback to the next tier with room.
// - Never migrates.

import { definePolicy } from './policy.ts';
import { parseRatio } from '../sim/machine.ts';

export default definePolicy({
  name: 'interleave',
  summary: 'Weighted N:M page interleave across tiers (Linux MPOL_WEIGHTED_INTERLEAVE); never migrates.',
  source: 'Linux mm/mempolicy.c weighted_interleave_nodes (v6.9+), Documentation/admin-guide/mm/numa_memory_policy.rst',
  params: {
    weights: { default: '1:1', doc: 'Pages allocated per turn on each tier, fastest first, e.g. 3:1 (must list one integer ≥ 0 per tier).' },
  },
  create(params, host) {
    const weights = parseRatio(params.weights, host.tiers).map((w) => Math.floor(w));
    if (weights.every((w) => w === 0)) throw new Error('policy.interleave.weights: at least one tier needs a weight ≥ 1');
    let tier = weights.findIndex((w) => w > 0);
    let left = weights[tier];
    return {
      place() {
        const chosen = tier;
        if (--left === 0) {
          do tier = (tier + 1) % weights.length;
          while (weights[tier] === 0);
          left = weights[tier];
        }
        return chosen;
      },
    };
  },
});
