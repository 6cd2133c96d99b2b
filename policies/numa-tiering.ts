// numa-tiering: upstream Linux memory tiering — automatic NUMA balancing in memory-tiering mode
// (kernel.numa_balancing = 2, v5.18+ with the v6.0/6.1 hot-page selection, threshold auto-tuning
// and rate limit by Huang Ying) with demotion on reclaim (demotion_enabled = 1, v5.15+).
// Follows kernel/sched/fair.c (task_numa_work, should_numa_migrate_memory,
// numa_promotion_adjust_threshold, numa_promotion_rate_limit, update_task_scan_period),
// mm/mprotect.c change_pte_range, mm/migrate.c numamigrate_isolate_folio / migrate_balanced_pgdat,
// mm/vmscan.c (kswapd, shrink_*_list, demote_folio_list), mm/page_alloc.c (watermarks),
// mm/memory-tiers.c (next_demotion_node: the next slower tier here). Machinery: policies/lib.
//
// - Allocation on the first node above its low watermark, node 0 first (no kswapd wake on the
//   fast path); watermarks min/low/high/promo from min_free_kbytes and watermark_scale_factor.
// - Scanner: first pass after scanDelayMs, then every scan period (adaptive within
//   [task_scan_min, task_scan_max] derived from scanPeriodMinMs/MaxMs and RSS / scanSizeMB);
//   marks PROT_NONE only slow-tier pages, stamping each with the scan time.
// - Hint fault on the first access after marking; latency = now − stamp.
// - Free-space bypass: node 0 free > promo + max(1 GiB, node/16) → promote, reset the threshold.
// - Else promote if latency < hot threshold and the candidate rate limit (per 1 s window) allows.
// - Threshold auto-adjustment every scanPeriodMaxMs in steps of hotThresholdMs/8 within
//   [hotThresholdMs/8, 2·hotThresholdMs], aiming at promoteRateLimitMBps worth of candidates.
// - Promotion needs node 0 free > high + 1; otherwise kswapd is woken there (it demotes until
//   free > promo) and the page stays this time.
// - Reclaim: classic active/inactive anon LRU per node; reclaimed pages are demoted to the next
//   tier (async from kswapd), or evicted to swap when no lower tier has room.

import { definePolicy } from './policy.ts';
import { createKernel, tieringOptions, SCAN_PARAMS, TIERING_PARAMS, WATERMARK_PARAMS } from './lib/kernel.ts';

export default definePolicy({
  name: 'numa-tiering',
  summary: 'Upstream Linux memory tiering: NUMA balancing mode 2 (hot threshold, rate limit, auto-tuned threshold) + demotion in reclaim.',
  source: 'Linux v6.6+ kernel/sched/fair.c should_numa_migrate_memory, numa_promotion_adjust_threshold; mm/vmscan.c demote_folio_list; mm/page_alloc.c __setup_per_zone_wmarks',
  params: { ...SCAN_PARAMS, ...TIERING_PARAMS, ...WATERMARK_PARAMS },
  create(p, host) {
    return createKernel(host, { ...tieringOptions(p), reclaimer: 'lru' });
  },
});
