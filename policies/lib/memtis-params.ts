// Memtis's parameters and the constants of its kernel (htmm_sampler.c, htmm_migrater.c) that the
// policy (policies/memtis.ts) and its variants share. Re-exported by policies/memtis.ts.

const BASE_PAGE_BYTES = 4096;
const MB = 1024 * 1024;

/** htmm_sampler.c pebs_period_list: load sample periods, primes from 199 to 19997. */
export const PEBS_PERIOD_LIST = [
  199, 293, 401, 499, 599, 701, 797, 907, 997, 1201, 1399, 1601, 1801, 1999, 2503, 3001, 3499, 4001, 4507, 4999, 6007, 7001, 7993, 9001, 10007, 12007, 13999, 16001, 17989, 19997,
] as const;

/** The values of memtis.ts's parameter specs, as the policy receives them. */
export interface MemtisParams {
  coolingPeriodSamples: number;
  adaptationPeriodSamples: number;
  coolingAllocGiB: number;
  migrationPeriodMs: number;
  demoteWatermarkPct: number;
  demoteWatermarkMinMB: number;
  demoteWatermarkMaxMB: number;
  promoteWatermarkPct: number;
  promoteWatermarkMinMB: number;
  promoteWatermarkMaxMB: number;
  minHotThreshold: number;
  warm: boolean;
  skipFirstCooling: boolean;
  adaptiveSampling: boolean;
  loadPeriodIndex: number;
  storePeriod: number;
  cpuQuotaPct: number;
  quotaCheckMs: number;
  listOpNs: number;
  split: boolean;
  splitPeriod: number;
  gammaTenths: number;
  maxSplitsPerRun: number;
  modelDramLatencyNs: number;
  modelSlowLatencyNs: number;
}

/** 4 KiB pages per MiB: the kernel's watermark limits are in base pages (MIN_WATERMARK_LOWER_LIMIT = 128 · 100 = 50 MiB). */
const BASE_PER_MIB = MB / BASE_PAGE_BYTES;

/**
 * A Memtis watermark in 4 KiB pages (htmm_migrater.c): v = maxBasePages · pct / 100 (integer
 * division); v below lowerMiB gives belowMiB, above upperMiB gives aboveMiB, else v. Demotion:
 * (2, 50, 1000, 50, 1000); promotion: (3, 100, 1500, 50, 1000), as the code has it.
 */
export function memtisWatermark(maxBasePages: number, pct: number, lowerMiB: number, upperMiB: number, belowMiB: number, aboveMiB: number): number {
  const v = Math.floor((maxBasePages * pct) / 100);
  if (v < lowerMiB * BASE_PER_MIB) return belowMiB * BASE_PER_MIB;
  if (v > upperMiB * BASE_PER_MIB) return aboveMiB * BASE_PER_MIB;
  return v;
}
