// tpp: Transparent Page Placement (Maruf et al., "TPP: Transparent Page Placement for
// CXL-Enabled Tiered-Memory", ASPLOS'23 §5; lkml RFC cover.1637778851.git.hasanalmaruf@fb.com)
// on top of upstream memory tiering (numa-tiering: NUMA balancing mode 2 + demotion), as the
// paper's artifact ran it. Machinery: policies/lib (kernel.ts holds the TPP switches).
//
// - Everything numa-tiering does (scanner, hint faults, hot threshold, rate limit, kswapd wake on a
//   full node 0, demotion in reclaim).
// - Decoupled demotion watermark (§5.1, RFC "Decouple reclaim and allocation for toptier
//   nodes"): an allocation or promotion that leaves node 0 below WMARK_DEMOTE = min +
//   node · demoteScaleFactor/10000 wakes kswapd, which demotes until free exceeds it; allocation
//   itself still only needs the low watermark.
// - Promote only active pages (§5.3, RFC "only promote pages in the active LRU"; the patch's
//   do_numa_page check "Only migrate pages that are active on non-toptier node": a hint fault on
//   a non-toptier page that is not PageActive counts the fault, calls mark_page_accessed and
//   leaves the page, before numa_migrate_prep, so it neither stamps the access time nor counts a
//   candidate): the first such fault sets PG_referenced, the second activates (the gate tested
//   PageActive before that call, so this fault leaves the page too), and the page promotes from
//   its third hint fault — a third scan pass — at the earliest. Pages reach a slow node's lists inactive
//   (new anon pages; demoted ones, whose PG_referenced reclaim has cleared), and only TPP's hint
//   faults or reclaim on the slow node activate them, so the gate filters pages not touched again
//   within a scan pass.
// - kswapd, after MAX_RECLAIM_RETRIES failed runs, is tried again after kswapdRetryMs (10 s).
// - Page-type-aware allocation (§5.4; file cache/tmpfs on CXL, anon local): with page types
//   declared (sim/page-types.ts), pages other than anon try the slow tiers first (fileOnSlowTier,
//   on as in the paper); traces without types are all anon and allocate locally first.

import { definePolicy } from './policy.ts';
import { createKernel, tieringOptions, SCAN_PARAMS, TIERING_PARAMS, WATERMARK_PARAMS } from './lib/kernel.ts';
import { MAX_SIM_MS } from '../sim/config.ts';

export default definePolicy({
  name: 'tpp',
  summary: 'TPP (ASPLOS\'23): memory tiering + decoupled demotion watermark (2 %) + promote only active-LRU pages.',
  source: 'Maruf et al. ASPLOS\'23 §5.1–5.3; lkml RFC cover.1637778851.git.hasanalmaruf@fb.com; upstream mode-2 NUMA balancing as numa-tiering',
  params: {
    ...SCAN_PARAMS,
    ...TIERING_PARAMS,
    ...WATERMARK_PARAMS,
    demoteScaleFactor: { default: 200, min: 0, max: 10000, doc: 'vm.demote_scale_factor (TPP RFC) in 1/10000 of node 0: WMARK_DEMOTE = min + node · factor/10000; kswapd demotes until free exceeds it (TPP default 200 = 2 %) [secondary].' },
    promoteActiveOnly: { default: true, doc: 'TPP: promote a slow-tier page only if it is on the active LRU; an inactive one is marked accessed instead.' },
    fileOnSlowTier: { default: true, doc: 'TPP §5.4 page-type-aware allocation: page cache, mapped files and tmpfs/shmem are allocated on the slow tiers first, anon locally (needs page types; no effect on untyped runs).' },
    kswapdRetryMs: { default: 10000, min: 0, max: MAX_SIM_MS, doc: 'TPP: after MAX_RECLAIM_RETRIES failed kswapd runs, wake it again after this long (TPP: 10 s) [paper].' },
  },
  create(p, host) {
    return createKernel(host, {
      ...tieringOptions(p),
      reclaimer: 'lru',
      tpp: { demoteScaleFactor: p.demoteScaleFactor, promoteActiveOnly: p.promoteActiveOnly, kswapdRetryMs: p.kswapdRetryMs, fileOnSlowTier: p.fileOnSlowTier },
    });
  },
});
