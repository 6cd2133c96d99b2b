// oracle-lru: an idealised "perfect LRU" baseline, not a real system. Tier 0 always holds the N
// most recently used pages (N = tier 0's capacity in frames), moved for free: no kernel sees every
// access, and no real migration is free. It answers "how much would a perfect LRU placement with
// this much fast memory get?", the observation this project started from ("5 % of the perfect LRU
// in local memory gets 95 % of the performance", from DynamoRIO traces), and bounds what the
// recency-based policies (LRU, MGLRU, TPP) can reach on a trace.
//
// - Every access is seen (PolicyHooks.onAccessOracle, after the access is served, so the tier it was
//   served from is the one it was in before).
// - An access to a page not in tier 0 is a miss: it is served from the slower tier, then the page
//   moves into tier 0 (Host.oracleMove: free), evicting tier 0's least recently used page to the
//   next tier with room when tier 0 is full.
// - First touches are misses: a new page is placed in tier 1 (the engine falls back to another
//   tier only when tier 1 is full) and moves in on that same access.
// - Uses all of tier 0 (no watermark reserve), so with the LLC filter off its local share is the
//   exact LRU hit ratio of a cache of N pages, cold misses included (Mattson et al. 1970); the
//   validation suite checks this against an independent stack-distance count.
// - Fast by construction: the recency list is index-linked in typed arrays (policies/lib
//   page-lists), O(1) per access, nothing allocated per access.

import { asOracleHost, definePolicy } from './policy.ts';
import type { OracleHost, PolicyHooks } from './policy.ts';
import { PageLists, NO_PAGE } from './lib/page-lists.ts';

const L_FAST = 0;

export class OracleLru {
  /** Tier-0 pages, most recently used at the head. */
  readonly lists = new PageLists(1);
  private readonly cMoves: number;
  private readonly cEvictions: number;

  constructor(private readonly host: OracleHost) {
    this.cMoves = host.counter('oracleMoves');
    this.cEvictions = host.counter('oracleEvictions');
  }

  hooks(): PolicyHooks {
    return {
      place: () => (this.host.tiers > 1 ? 1 : 0),
      onAccessOracle: (page) => this.access(page),
    };
  }

  access(page: number): void {
    const lists = this.lists;
    if (page >= lists.listOf.length) lists.ensure(page + 1);
    if (lists.listOf[page] === L_FAST) {
      lists.moveHead(L_FAST, page); // a hit: most recently used now
      return;
    }
    const host = this.host;
    if (host.tierOf(page) !== 0) {
      // A miss: make room by moving the least recently used tier-0 page down, then move in.
      if (host.free(0) < 1 && !this.evictLru()) return;
      if (!host.oracleMove(page, 0)) return;
      host.count(this.cMoves);
    }
    lists.pushHead(L_FAST, page);
  }

  private evictLru(): boolean {
    const host = this.host;
    const victim = this.lists.tail[L_FAST];
    if (victim === NO_PAGE) return false;
    for (let t = 1; t < host.tiers; t++) {
      if (host.oracleMove(victim, t)) {
        this.lists.remove(victim);
        host.count(this.cEvictions);
        return true;
      }
    }
    return false;
  }
}

export default definePolicy({
  name: 'oracle-lru',
  summary: 'Idealised perfect LRU (not a real system): tier 0 always holds the most recently used pages, moved for free; its local share is the exact LRU hit ratio of a tier-0-sized cache.',
  source: 'Idealised baseline: LRU stack algorithm (Mattson et al., IBM Systems Journal 1970); no kernel sees every access',
  params: {},
  create(_params, host) {
    return new OracleLru(asOracleHost(host, 'oracle-lru')).hooks();
  },
});
