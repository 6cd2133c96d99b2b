// oracle-static: an idealised static-placement bound, not a real system. The N pages with the most
// accesses over the whole run (N = tier 0's capacity in frames) are placed in tier 0 from their
// first touch and nothing ever moves. No static placement (first-touch, interleave, a profile-
// guided placement) can serve more accesses from tier 0 on the same run; a dynamic policy can, when
// the hot set changes over time.
//
// - Whole-run access counts come from a counting pre-pass over the run's source (`oracle: true`:
//   sim/oracle-counts.ts), read through Host.oracleRank: rank < N → tier 0, else tier 1.
// - Ties at the N-th count are broken by first touch in the pre-pass; any tie-break serves the
//   same number of accesses from tier 0.
// - Uses all of tier 0 (no watermark reserve); never migrates, so it costs nothing at run time.

import { asOracleHost, definePolicy } from './policy.ts';

export default definePolicy({
  name: 'oracle-static',
  summary: 'Idealised static placement (not a real system): the tier-0-sized set of pages with the most whole-run accesses placed in tier 0 from the start, never moved.',
  source: 'Idealised baseline: best static placement by whole-run access counts (a counting pre-pass over the trace)',
  oracle: true,
  params: {},
  create(_params, plain) {
    const host = asOracleHost(plain, 'oracle-static');
    const n = Math.floor(host.capacity(0));
    const slow = host.tiers > 1 ? 1 : 0;
    return { place: (page) => (host.oracleRank(page) < n ? 0 : slow) };
  },
});
