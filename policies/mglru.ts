// mglru: the multi-gen LRU (CONFIG_LRU_GEN, v6.1+) as the reclaim policy of every node, on a tiered
// machine demoting from the oldest generation and promoting through memory-tiering NUMA balancing.
// Follows mm/vmscan.c (lru_gen_*, inc_max_seq, walk_mm, lru_gen_look_around, evict_folios),
// include/linux/mmzone.h (MIN_NR_GENS, MAX_NR_GENS, lru_gen_from_seq), Documentation/mm/
// multigen_lru.rst and admin-guide/mm/multigen_lru.rst. Machinery: policies/lib/mglru.ts.
//
// - Generations per node: 2–4, a page's stored as (seq % 4) + 1, each with a birth time; faulted
//   pages join max_seq, migrated ones max_seq − 1.
// - Aging when eviction finds only two generations (or three, badly balanced): page-table walk
//   in address order clearing accessed bits, young pages to max_seq; PMDs with no young PTEs last
//   time are skipped through the bloom filter (2 × 2^15 bits, k = 2); then max_seq++.
// - Eviction from the oldest generation in batches of 64: young pages move to max_seq with rmap
//   look-around over up to 64 neighbouring PTEs; the rest are demoted to the next tier (evicted to
//   swap on the last tier or when demotion fails).
// - minTtlMs (min_ttl_ms): generations younger than this are never evicted (reclaim stops and
//   counts it; the kernel would OOM-kill).
// - Promotion: NUMA balancing mode 2 as in numa-tiering (scanner, hot threshold, rate limit,
//   free-space bypass, kswapd wake on a full node 0); numaTiering = false turns it off.
// - With page types declared (pages.regions or a typed workload): anon and file generations per
//   node, swappiness (and `swap`) choosing the type with the refault controller, tiers of page
//   cache reached by read()/write() (refs counted by the engine, FdHost), sort_folio protecting
//   tiers that refault more than tier 0, shadow entries and lru_gen_refault (lib/mglru.ts). Without
//   types every page is anon and none of that applies (the runs are as before).

import { definePolicy } from './policy.ts';
import { createKernel, tieringOptions, SCAN_PARAMS, TIERING_PARAMS, WATERMARK_PARAMS } from './lib/kernel.ts';
import { NUMA_BALANCING_DISABLED, NUMA_BALANCING_MEMORY_TIERING } from './lib/numa-balancing.ts';
import { MAX_SIM_MS } from '../sim/config.ts';

export default definePolicy({
  name: 'mglru',
  summary: 'Multi-gen LRU reclaim (aging walk + bloom filter + look-around) demoting to the next tier; promotion by NUMA balancing mode 2.',
  source: 'Linux v6.6 mm/vmscan.c CONFIG_LRU_GEN (inc_max_seq, walk_mm, lru_gen_look_around, isolate_folios, sort_folio, evict_folios), mm/workingset.c (lru_gen_eviction, lru_gen_refault); Documentation/mm/multigen_lru.rst',
  params: {
    minTtlMs: { default: 0, min: 0, max: MAX_SIM_MS, doc: '/sys/kernel/mm/lru_gen/min_ttl_ms: never evict the working set of the last N ms (kernel default 0 = off).' },
    numaTiering: { default: true, doc: 'Promote through NUMA balancing in memory-tiering mode (kernel.numa_balancing = 2); false = no promotion.' },
    swap: { default: true, doc: 'With page types: a swap device with room. false = no swap, so anon pages are reclaimed only from nodes that can demote, and swappiness counts as 0 elsewhere (get_swappiness).' },
    ...SCAN_PARAMS,
    ...TIERING_PARAMS,
    ...WATERMARK_PARAMS,
  },
  create(p, host) {
    return createKernel(host, {
      ...tieringOptions(p),
      // Promotion through NUMA balancing mode 2 only when asked (numaTiering); reclaim always demotes.
      numaMode: p.numaTiering ? NUMA_BALANCING_MEMORY_TIERING : NUMA_BALANCING_DISABLED,
      reclaimer: 'mglru',
      mglruMinTtlMs: p.minTtlMs,
      mglruSwap: p.swap,
    });
  },
});
