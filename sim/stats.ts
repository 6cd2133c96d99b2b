// Engine counters and the latency histogram. Counters live in one Float64Array indexed by
// module constants so that a snapshot is a single copy and a difference is a loop; the warm-up and
// every time-series epoch are snapshot differences.

import { bisectLeft, cumsum } from 'd3-array';

export const C_ACCESSES = 0;
export const C_READS = 1;
export const C_WRITES = 2;
export const C_LATENCY_SUM_NS = 3;
export const C_FIRST_TOUCH_FAULTS = 4;
export const C_HINT_FAULTS = 5;
export const C_PROMOTED = 6;
export const C_DEMOTED = 7;
export const C_MIGRATED_BYTES = 8;
export const C_SAMPLES = 9;
export const C_SAMPLES_LOST = 10;
export const C_KERNEL_CPU_NS = 11;
export const C_PTE_SCANS = 12;
export const C_STALL_NS = 13;
export const C_EVICTED = 14;
export const C_SWAP_INS = 15;
/** Per tier t: accesses at C_TIER_BASE + 3t, bytes read at +1, bytes written at +2 (accesses and migration copies). */
export const C_TIER_BASE = 16;
export const TIER_STRIDE = 3;

/**
 * Per tier t, after the tier block (loaded-latency.ts): cache lines that arrived (the workload's
 * and the antagonist's: CHA TOR inserts), their summed latency (TOR occupancy, ns), antagonist bytes.
 */
export const LOAD_ARRIVALS = 0;
export const LOAD_OCCUPANCY_NS = 1;
export const LOAD_ANTAGONIST_BYTES = 2;
export const LOAD_STRIDE = 3;

export function loadBase(tiers: number, tier: number): number {
  return C_TIER_BASE + TIER_STRIDE * tiers + LOAD_STRIDE * tier;
}

/**
 * Address-translation counters (sim/tlb.ts; zero unless tlb.enabled), after the load block: at
 * tlbCounterBase(tiers) + T_*, named TLB_COUNTER_NAMES in the summary and time series.
 */
export const TLB_COUNTER_NAMES = ['tlbL1Misses', 'tlbL2Misses', 'tlbWalkNs', 'tlbWalkReads', 'tlbPscMisses', 'tlbShootdowns', 'tlbShootdownIpis', 'tlbEntriesLost', 'tlbShootdownNs', 'tlbWalkMemReads'] as const;
export const TC_L1_MISSES = 0;
export const TC_L2_MISSES = 1;
export const TC_WALK_NS = 2;
export const TC_WALK_READS = 3;
export const TC_PSC_MISSES = 4;
export const TC_SHOOTDOWNS = 5;
export const TC_IPIS = 6;
export const TC_ENTRIES_LOST = 7;
export const TC_SHOOTDOWN_NS = 8;
export const TC_WALK_MEM_READS = 9;

export function tlbCounterBase(tiers: number): number {
  return C_TIER_BASE + (TIER_STRIDE + LOAD_STRIDE) * tiers;
}

/** Transparent-huge-page counters (sim/thp.ts; zero unless thp.enabled), after the TLB ones. */
export const THP_COUNTER_NAMES = ['thpFaultHuge', 'thpFaultFallback', 'thpMigrationSplits', 'thpCollapses', 'thpCollapseAllocFailed', 'khugepagedPtesScanned'] as const;
export const HC_FAULT_HUGE = 0;
export const HC_FAULT_FALLBACK = 1;
export const HC_MIGRATION_SPLITS = 2;
export const HC_COLLAPSES = 3;
export const HC_COLLAPSE_FAILED = 4;
export const HC_SCANNED = 5;

export function thpCounterBase(tiers: number): number {
  return tlbCounterBase(tiers) + TLB_COUNTER_NAMES.length;
}

/**
 * Who paid for page migrations, after the THP block: ns of migration work done synchronously in an
 * application thread (a promotion in its hint fault, direct reclaim, a pin's move) and done in a
 * kernel thread (kswapd, kdamond, migration daemons: asynchronous). Summary columns only with
 * stats.whoPaid (other runs keep their columns).
 */
export const MIGRATION_PAYER_NAMES = ['migrationAppNs', 'migrationKernelNs'] as const;
export const MP_APP = 0;
export const MP_KERNEL = 1;

export function migrationPayerBase(tiers: number): number {
  return thpCounterBase(tiers) + THP_COUNTER_NAMES.length;
}

export function counterCount(tiers: number): number {
  return migrationPayerBase(tiers) + MIGRATION_PAYER_NAMES.length;
}

// Latency histogram: 1 ns bins below 4096 ns, then 32 bins per octave up to 2^42 ns: exact where
// memory latencies fall, within ~2 % above, in constant memory.
const LINEAR_BINS = 4096;
const BINS_PER_OCTAVE = 32;
const OCTAVES = 30;
export const HIST_BINS = LINEAR_BINS + BINS_PER_OCTAVE * OCTAVES;

export function latencyBin(ns: number): number {
  if (ns < LINEAR_BINS) return ns > 0 ? ns | 0 : 0;
  const b = LINEAR_BINS + Math.floor(Math.log2(ns / LINEAR_BINS) * BINS_PER_OCTAVE);
  return b < HIST_BINS ? b : HIST_BINS - 1;
}

/** Lower edge of a bin in ns. */
export function binLowerNs(bin: number): number {
  if (bin < LINEAR_BINS) return bin;
  return LINEAR_BINS * 2 ** ((bin - LINEAR_BINS) / BINS_PER_OCTAVE);
}

/**
 * The q-quantile of a histogram of counts (q in (0, 1]). Returns the lower edge of the bin that
 * holds the ⌈q·n⌉-th smallest value: exact for integer latencies below 4096 ns.
 */
export function histogramQuantile(hist: Float64Array, q: number): number {
  const cdf = Float64Array.from(cumsum(hist));
  const n = cdf[cdf.length - 1];
  if (n === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * n));
  return binLowerNs(bisectLeft(cdf, rank));
}
