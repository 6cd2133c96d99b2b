// Per-node free-page watermarks as Linux computes them (mm/page_alloc.c calculate_min_free_kbytes,
// __setup_per_zone_wmarks), one node per tier, every node treated as one ZONE_NORMAL zone.
//
// - min_free_kbytes = clamp(int_sqrt(16 · lowmem_kB), 128, 262144), lowmem = every node's pages.
// - WMARK_MIN of a node = pages_min · node_pages / lowmem_pages (its share of min_free_kbytes).
// - tmp = max(min / 4, node_pages · watermark_scale_factor / 10000); low = min + tmp,
//   high = low + tmp, promo = high + tmp (WMARK_PROMO, used by kswapd in memory-tiering mode).
// - TPP's demotion watermark (lkml RFC "Decouple reclaim and allocation for toptier nodes"):
//   min + node_pages · demote_scale_factor / 10000 [secondary: the RFC's vm.rst text and the TPP
//   paper §5.1 say "distance between watermarks"; the exact base is not in the upstream tree].
//
// Not modelled: ZONE_MOVABLE's separate min rule (CXL memory onlined as movable gets
// clamp(managed / 1024, 32, 128) pages and no share of min_free_kbytes), lowmem_reserve,
// watermark_boost_factor, and khugepaged raising min_free_kbytes when THP is enabled.

export interface Watermarks {
  /** min_free_kbytes in effect (computed or given). */
  minFreeKbytes: number;
  min: Float64Array;
  low: Float64Array;
  high: Float64Array;
  promo: Float64Array;
}

/** int_sqrt(16 · lowmem_kbytes) clamped to [128, 262144] kB (calculate_min_free_kbytes, v5.7+). */
export function defaultMinFreeKbytes(lowmemKbytes: number): number {
  const v = Math.floor(Math.sqrt(lowmemKbytes * 16));
  return Math.min(262144, Math.max(128, v));
}

/**
 * Watermarks in pages for nodes of `nodePages` pages each, pages of `pageBytes`.
 * minFreeKbytes ≤ 0 means "as the kernel computes it at boot".
 */
export function computeWatermarks(nodePages: ArrayLike<number>, pageBytes: number, minFreeKbytes: number, watermarkScaleFactor: number): Watermarks {
  const n = nodePages.length;
  let lowmemPages = 0;
  for (let i = 0; i < n; i++) lowmemPages += nodePages[i];
  const kbPerPage = pageBytes / 1024;
  const mfk = minFreeKbytes > 0 ? minFreeKbytes : defaultMinFreeKbytes(lowmemPages * kbPerPage);
  // pages_min = min_free_kbytes >> (PAGE_SHIFT − 10)
  const pagesMin = Math.floor(mfk / kbPerPage);
  const w: Watermarks = { minFreeKbytes: mfk, min: new Float64Array(n), low: new Float64Array(n), high: new Float64Array(n), promo: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const managed = nodePages[i];
    const min = lowmemPages > 0 ? Math.floor((pagesMin * managed) / lowmemPages) : 0;
    const tmp = Math.max(Math.floor(min / 4), Math.floor((managed * watermarkScaleFactor) / 10000));
    w.min[i] = min;
    w.low[i] = min + tmp;
    w.high[i] = min + 2 * tmp;
    w.promo[i] = min + 3 * tmp;
  }
  return w;
}

/** TPP's WMARK_DEMOTE for a node: min + node_pages · demote_scale_factor / 10000. */
export function demoteWatermark(minPages: number, nodePages: number, demoteScaleFactor: number): number {
  return minPages + Math.floor((nodePages * demoteScaleFactor) / 10000);
}
