// zone_watermark_ok over the zonelist for the allocation fast path (mm/page_alloc.c
// get_page_from_freelist): the first tier whose free base pages, less the folio's other
// 2^order − 1 base pages, exceed its mark. The same test as TieringKernel.aboveMark, written
// as loops over the mark column so that the kernel's place() runs on every first-touch fault
// without allocating. Speed trick: aboveMark(t, marks[t]) passes a double it read from a
// Float64Array to a call V8 does not always inline, and boxes it (a heap number per tier per
// fault: ~160 MB per tpp core-workload run, bench/alloc.ts).

import type { Host } from '../policy.ts';

/** First tier in zonelist order (0, 1, …) above its mark, or -1. `ppf`: base pages per page of the run. */
export function firstAboveMark(host: Host, ppf: number, marks: Float64Array): number {
  const n = host.tiers;
  for (let t = 0; t < n; t++) if (host.free(t) * ppf - (ppf - 1) > marks[t]) return t;
  return -1;
}

/** The slow tiers first (1, 2, …), then tier 0: TPP's page-type-aware allocation (typed-lru.ts slowFirst), or -1. */
export function slowFirstAboveMark(host: Host, ppf: number, marks: Float64Array): number {
  const n = host.tiers;
  for (let t = 1; t < n; t++) if (host.free(t) * ppf - (ppf - 1) > marks[t]) return t;
  return host.free(0) * ppf - (ppf - 1) > marks[0] ? 0 : -1;
}
