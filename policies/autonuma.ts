// autonuma: classic automatic NUMA balancing (kernel.numa_balancing = 1, NUMA_BALANCING_NORMAL)
// without memory tiering or demotion — what a default Linux does on a machine whose CXL memory is
// a CPU-less NUMA node. Follows kernel/sched/fair.c (task_numa_work, task_numa_fault,
// should_numa_migrate_memory, update_task_scan_period), mm/memory.c do_numa_page,
// mm/migrate.c numamigrate_isolate_folio / migrate_balanced_pgdat. Machinery: policies/lib.
//
// - Allocation on node 0 while it is above its low watermark, then the next node (zonelist).
// - Scanner marks every present page PROT_NONE (both tiers), same delay/period/size rules.
// - Hint fault: last_cpupid exchanged; a page on the slow node with no valid last_cpupid is not
//   migrated (the first fault only records the CPU); from the second fault it moves to node 0
//   (every CPU is on node 0, so the two-stage filter and group checks all agree).
// - Migration only if node 0 keeps free > high + 1 after it (migrate_balanced_pgdat); otherwise it
//   fails (no kswapd wake outside tiering mode) and the failure slows the scanner down.
// - Scan period adapts from local/remote and private/shared fault ratios.
// - Reclaim only when every node is below low (kswapd) or full (direct): classic LRU, evicting
//   to swap; with demotionEnabled (/sys/kernel/mm/numa/demotion_enabled, off by default as in
//   sysfs: Dave Hansen's "migrate pages in lieu of discard", v5.15, commits 26aa2d199d6f and
//   20b51af15e01) the pages reclaim picks move to the next node instead (mm/vmscan.c
//   demote_page_list; in the kernel can_demote also makes anon reclaimable without swap, which
//   tiersim, whose swap never fills, does not need). The TPP cover letter's kernel had this and
//   no promotion besides mode 1 (README "TPP's cache case").

import { definePolicy } from './policy.ts';
import { createKernel, SCAN_PARAMS, WATERMARK_PARAMS } from './lib/kernel.ts';
import { NUMA_BALANCING_NORMAL } from './lib/numa-balancing.ts';
import { senpaiOptions } from './lib/senpai.ts';

export default definePolicy({
  name: 'autonuma',
  summary: 'Classic Linux NUMA balancing (mode 1): promote remote pages on their second hint fault while node 0 has room; demotion in reclaim only with demotionEnabled (off, as the sysfs default).',
  source: 'Linux v6.6 kernel/sched/fair.c task_numa_work, should_numa_migrate_memory (NUMA_BALANCING_NORMAL); mm/migrate.c migrate_balanced_pgdat',
  params: {
    ...SCAN_PARAMS,
    ...WATERMARK_PARAMS,
    demotionEnabled: {
      default: false,
      doc: '/sys/kernel/mm/numa/demotion_enabled (v5.15+, Dave Hansen\'s "migrate pages in lieu of discard"; sysfs default false): reclaim on a node demotes the pages it would evict to the next slower node (mm/vmscan.c can_demote; tiersim always has swap, so it changes where reclaimed pages go, not which are reclaimable). Promotion stays mode 1\'s: no kswapd wake, node 0 must keep high + 1 free [code].',
    },
  },
  create(p, host) {
    return createKernel(host, {
      numaMode: NUMA_BALANCING_NORMAL,
      demotionEnabled: p.demotionEnabled,
      scan: p,
      hotThresholdMs: 1000,
      promoteRateLimitMBps: 65536,
      minFreeKbytes: p.minFreeKbytes,
      kswapdPageNs: p.kswapdPageNs,
      watermarkScaleFactor: p.watermarkScaleFactor,
      swappiness: p.swappiness,
      reclaimEarlyPct: p.reclaimEarlyPct,
      senpai: senpaiOptions(p),
      reclaimer: 'lru',
    });
  },
});
