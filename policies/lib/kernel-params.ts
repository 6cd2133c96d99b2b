// The parameters every NUMA-balancing tiering policy shares (numa-tiering, tpp, mglru, autonuma,
// colloid-tpp, nomad, neomem): their specs with kernel names, units, defaults and sources; the
// options the kernel composition (kernel.ts) takes, and those a memory-tiering policy takes
// straight from its parameters. Re-exported by kernel.ts.

import type { ScanParams } from './numa-balancing.ts';
import type { ColloidTiering } from './colloid.ts';
import { NUMA_BALANCING_MEMORY_TIERING } from './numa-balancing.ts';
import { MAX_MIB, MAX_SIM_MS } from '../../sim/config.ts';
import { SENPAI_PARAMS, senpaiOptions } from './senpai.ts';
import type { SenpaiOptions } from './senpai.ts';

/** How a policy file configures the kernel composition (kernel.ts TieringKernel). */
export interface KernelOptions {
  /** 0 off, 1 NUMA_BALANCING_NORMAL, 2 NUMA_BALANCING_MEMORY_TIERING. */
  numaMode: number;
  demotionEnabled: boolean;
  scan: ScanParams;
  hotThresholdMs: number;
  promoteRateLimitMBps: number;
  minFreeKbytes: number;
  watermarkScaleFactor: number;
  reclaimer: 'lru' | 'mglru';
  mglruMinTtlMs?: number;
  /** MGLRU with page types: a swap device with room (default true); false = anon only where it can be demoted. */
  mglruSwap?: boolean;
  tpp?: { demoteScaleFactor: number; promoteActiveOnly: boolean; kswapdRetryMs: number; fileOnSlowTier?: boolean };
  /** vm.swappiness for the anon/file balance when the run has page types (typed-lru.ts); default 60. */
  swappiness?: number;
  /** Early reclaim at this % of all memory (early-reclaim.ts); 0 or unset = off. */
  reclaimEarlyPct?: number;
  /** Senpai/TMO proactive reclaim (senpai.ts); unset = off. */
  senpai?: SenpaiOptions;
  /** Colloid (numa_balancing mode 6, lib/colloid.ts): hint faults on top-tier pages too, promotion gate, hot local pages moved away. */
  colloid?: ColloidTiering;
  /**
   * Nomad (policies/nomad.ts): asynchronous promotion. A hint fault that decided to promote hands
   * the page to this hook instead of checking room and migrating it in the faulting task; the
   * hook's owner moves it later and calls asyncPromoted().
   */
  asyncPromote?: (page: number) => void;
  /** Nomad: reclaim on a node frees shadow copies first (reclaim_shadow_page); returns pages freed. */
  reclaimShadows?: (tier: number, pages: number) => number;
  /** NeoMem: kswapd balances to the promo watermark (memory-tiering mode) with the NUMA scanner off. */
  kswapdToPromo?: boolean;
  /** kswapd's own time per LRU page scanned, beyond the cost model's PTE test and migration [estimate]. */
  kswapdPageNs: number;
}

/** Values of SCAN_PARAMS, WATERMARK_PARAMS and TIERING_PARAMS, as a tiering policy receives them. */
export type TieringParamValues = ScanParams & {
  minFreeKbytes: number;
  watermarkScaleFactor: number;
  hotThresholdMs: number;
  promoteRateLimitMBps: number;
  demotionEnabled: boolean;
  swappiness?: number;
  reclaimEarlyPct?: number;
  kswapdPageNs: number;
  senpai?: boolean;
};

/** The kernel options every memory-tiering policy takes straight from its parameters (mode 2). */
export function tieringOptions(p: TieringParamValues): Omit<KernelOptions, 'reclaimer'> {
  return {
    numaMode: NUMA_BALANCING_MEMORY_TIERING,
    demotionEnabled: p.demotionEnabled,
    scan: p,
    hotThresholdMs: p.hotThresholdMs,
    promoteRateLimitMBps: p.promoteRateLimitMBps,
    minFreeKbytes: p.minFreeKbytes,
    watermarkScaleFactor: p.watermarkScaleFactor,
    swappiness: p.swappiness,
    reclaimEarlyPct: p.reclaimEarlyPct,
    kswapdPageNs: p.kswapdPageNs,
    senpai: senpaiOptions(p as Parameters<typeof senpaiOptions>[0]),
  };
}

/** Parameter specs shared by the NUMA-balancing policies (names, units, kernel defaults). */
export const SCAN_PARAMS = {
  scanDelayMs: { default: 1000, min: 0, max: MAX_SIM_MS, doc: 'kernel.numa_balancing_scan_delay_ms: delay before the first scan pass of a task (kernel default 1000).' },
  scanPeriodMinMs: { default: 1000, min: 1, max: MAX_SIM_MS, doc: 'kernel.numa_balancing_scan_period_min_ms: minimum time to scan the whole address space (kernel default 1000).' },
  scanPeriodMaxMs: { default: 60000, min: 1, max: MAX_SIM_MS, doc: 'kernel.numa_balancing_scan_period_max_ms: maximum time to scan the whole address space; also the hot-threshold adjustment period (kernel default 60000).' },
  scanSizeMB: { default: 256, min: 1, max: MAX_MIB, doc: 'kernel.numa_balancing_scan_size_mb: address space marked per scan pass (kernel default 256).' },
} as const;

export const WATERMARK_PARAMS = {
  minFreeKbytes: { default: 0, min: 0, max: 2 ** 30, doc: 'vm.min_free_kbytes; 0 = as the kernel computes it at boot, clamp(√(16 · memory_kB), 128, 262144).' },
  watermarkScaleFactor: { default: 10, min: 1, max: 3000, doc: 'vm.watermark_scale_factor in 1/10000 of a node: distance between the min/low/high/promo watermarks (kernel default 10 = 0.1 %).' },
  reclaimEarlyPct: { default: 0, min: 0, max: 100, doc: 'Reclaim early: once the frames in use across all tiers exceed this % of all memory, evict cold pages (to zswap or swap) until 1 % below it, instead of waiting for the watermarks (policies/lib/early-reclaim.ts); 0 = off.' },
  swappiness: { default: 60, min: 0, max: 200, doc: 'vm.swappiness (mm/vmscan.c get_scan_count): anon vs file reclaim pressure, 0–200 (kernel default 60); used only when the run declares page types (policies/lib/typed-lru.ts).' },
  ...SENPAI_PARAMS,
  kswapdPageNs: { default: 500, min: 0, max: 1e6, doc: 'ns of kswapd time per LRU page it scans (isolate, rmap walk, put back or hand to demotion), on top of the PTE test and the migration the cost model charges; kswapd is a thread, so this sets how long its batches take, not a stall [estimate, 200–2000].' },
} as const;

export const TIERING_PARAMS = {
  hotThresholdMs: { default: 1000, min: 1, max: MAX_SIM_MS, doc: 'kernel.numa_balancing_hot_threshold_ms: hint-fault latency below which a slow-tier page is hot (kernel default 1000).' },
  promoteRateLimitMBps: { default: 65536, min: 0, max: MAX_MIB, doc: 'kernel.numa_balancing_promote_rate_limit_MBps: promotion candidates allowed per 1 s window, in MB/s (kernel default 65536).' },
  demotionEnabled: { default: true, doc: '/sys/kernel/mm/numa/demotion_enabled: reclaim demotes to the next tier instead of swapping (kernel default false; a tiering setup turns it on).' },
} as const;
