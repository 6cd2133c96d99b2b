// Automatic NUMA balancing: the task's PTE scanner and the promotion controls of memory-tiering
// mode, after kernel/sched/fair.c (task_numa_work, task_scan_min/max, task_nr_scan_windows,
// update_task_scan_period, task_numa_fault, should_numa_migrate_memory,
// numa_promotion_adjust_threshold, numa_promotion_rate_limit, numa_hint_fault_latency) and
// mm/mprotect.c change_pte_range (prot_numa). Only the logic is followed; no code is copied.
//
// - Scanner: first pass after numa_balancing_scan_delay_ms, then every numa_scan_period ms; each
//   pass covers scan_size_mb of address space from where the last stopped, in ranges: a range
//   that marked nothing does not count against scan_size (only against 8× that, "virtpages").
//   At the end of the address space the offset resets and numa_scan_seq increments.
// - Marking skips PTEs already PROT_NONE (their stamp stays) and, in pure tiering mode, pages on
//   the top tier; a slow-tier page marked in tiering mode is stamped with the scan time. The
//   marking itself is one bulk host call per range (Host.armHintFaults), charged per page marked.
// - Scan period: starts at task_scan_start = task_scan_min; task_scan_min = max(1000 / (2560 /
//   scan_size_mb), scan_period_min / windows), task_scan_max = max(min, scan_period_max /
//   windows), windows = ⌈RSS / scan_size⌉. Once per scan sequence, at the first recorded fault,
//   update_task_scan_period moves it by slots of period/10 from the private/shared and
//   local/remote fault ratios (threshold 7 of 10), or doubles it when nothing was recorded
//   locally or a migration failed.
// - Fault statistics are not recorded for faults on slow-tier memory in tiering mode.
// - Consequence in memory-tiering mode (checked against kernel/sched/fair.c task_numa_fault,
//   update_task_scan_period and mm/memory.c numa_migrate_check, v6.x): the only faults recorded
//   are promotions; TNF_FAULT_LOCAL is set from the folio's node before the move, so they count
//   remote, and their last_cpupid is the access-time field's "unset" (-1), so they count private.
//   local + shared = 0 at every placement: the period doubles each scan sequence, from
//   task_scan_min up to task_scan_max, and never shortens (with 4 windows: 250 ms → 15 s, reached
//   about 64 s after the first scan). A run much shorter than that measures a transient.
// - Promotion controls (per target node): hot threshold auto-adjustment every scan_period_max in
//   steps of 2·hot_threshold/16 within [step, 2·hot_threshold], and the candidate rate limit per
//   1 s window.
//
// One scanner per run: every trace thread is a thread of one process (one mm), the scan state and
// the fault statistics are the process's. Address space = touched pages in address order (holes
// inside a VMA are not counted against scan_size).

import type { Host } from '../policy.ts';
import { grow } from './grow.ts';
import type { AddressOrder } from './address-order.ts';

export const NUMA_BALANCING_DISABLED = 0;
export const NUMA_BALANCING_NORMAL = 1;
export const NUMA_BALANCING_MEMORY_TIERING = 2;

/** MAX_SCAN_WINDOW: never scan more than 2560 MB/s of PTEs. */
const MAX_SCAN_WINDOW_MB = 2560;
const NUMA_PERIOD_SLOTS = 10;
const NUMA_PERIOD_THRESHOLD = 7;
/** NUMA_MIGRATION_ADJUST_STEPS */
const ADJUST_STEPS = 16;

export interface ScanParams {
  scanDelayMs: number;
  scanPeriodMinMs: number;
  scanPeriodMaxMs: number;
  scanSizeMB: number;
}

/**
 * The memory-tiering promotion controls of one target node (pgdat->nbp_*), in ms of simulated time
 * (jiffies_to_msecs with HZ = 1000). Candidates are counted in pages (PGPROMOTE_CANDIDATE).
 */
export class PromotionControl {
  /** pgdat->nbp_threshold: 0 = use the default (hot_threshold_ms). */
  thresholdMs = 0;
  thStartMs = 0;
  thNrCand = 0;
  rlStartMs = 0;
  rlNrCand = 0;
  /** PGPROMOTE_CANDIDATE: pages that passed the latency test, promoted or not. */
  nrCand = 0;

  /**
   * numa_promotion_adjust_threshold: at most once per scan_period_max, compare the candidates since
   * the last adjustment with rate_limit · period; more than 110 % lowers the threshold one step,
   * under 90 % raises it one step. Returns true if it adjusted.
   */
  adjustThreshold(nowMs: number, rateLimitPages: number, refThMs: number, periodMaxMs: number): boolean {
    if (!(nowMs - this.thStartMs > periodMaxMs)) return false;
    this.thStartMs = nowMs;
    const refCand = (rateLimitPages * periodMaxMs) / 1000;
    const diff = this.nrCand - this.thNrCand;
    const unit = Math.floor((refThMs * 2) / ADJUST_STEPS);
    let th = this.thresholdMs || refThMs;
    if (diff > (refCand * 11) / 10) th = Math.max(th - unit, unit);
    else if (diff < (refCand * 9) / 10) th = Math.min(th + unit, refThMs * 2);
    this.thNrCand = this.nrCand;
    this.thresholdMs = th;
    return true;
  }

  /** Threshold in force (ms). */
  threshold(refThMs: number): number {
    return this.thresholdMs || refThMs;
  }

  /**
   * numa_promotion_rate_limit: count nr candidate pages; a new 1 s window starts when more than
   * 1000 ms passed since the last start, with the count (this candidate included) as its base.
   * Limited when candidates since the base reach rate_limit.
   */
  rateLimited(nowMs: number, rateLimitPages: number, nr: number): boolean {
    this.nrCand += nr;
    if (nowMs - this.rlStartMs > 1000) {
      this.rlStartMs = nowMs;
      this.rlNrCand = this.nrCand;
    }
    return this.nrCand - this.rlNrCand >= rateLimitPages;
  }
}

/** task_numa_work's scanner plus the task's scan-period state and fault statistics. */
export class NumaScanner {
  /** numa_scan_period (ms). */
  periodMs: number;
  /** mm->numa_scan_seq and the task's copy (last placement). */
  seq = 0;
  placementSeq = 0;
  /** numa_faults_locality: remote, local, failed migrations (pages), since the last period update. */
  readonly locality = new Float64Array(3);
  /** Private / shared faults since the last placement (fault_types[1] / [0]). */
  faultsPrivate = 0;
  faultsShared = 0;
  /** Resume address: next page to scan is the first at or after it. */
  private offVm = 0;
  private offHi = 0;
  private offLo = 0;
  private readonly scanPages: number;
  private started = false;
  /** Pages armed by the last range (scratch of work()). */
  private armed = new Int32Array(64);
  passes = 0;
  /** The last update_task_scan_period took the "scan slower" (doubling) branch, which also pushes mm->numa_next_scan out. */
  lastUpdateDoubled = false;

  constructor(
    private readonly host: Host,
    private readonly p: ScanParams,
    readonly mode: number,
    readonly addr: AddressOrder,
  ) {
    this.scanPages = Math.max(1, Math.floor((p.scanSizeMB * 1048576) / host.pageBytes));
    this.periodMs = p.scanDelayMs;
  }

  /** task_nr_scan_windows: ⌈RSS / scan size⌉, at least 1. */
  windows(): number {
    let rss = 0;
    for (let t = 0; t < this.host.tiers; t++) rss += this.host.used(t);
    if (rss <= 0) rss = this.scanPages;
    return Math.ceil(rss / this.scanPages);
  }

  /** task_scan_min (ms). */
  scanMinMs(): number {
    const windowsFloor = this.p.scanSizeMB < MAX_SCAN_WINDOW_MB ? Math.floor(MAX_SCAN_WINDOW_MB / this.p.scanSizeMB) : 1;
    const floor = Math.floor(1000 / windowsFloor);
    const scan = Math.floor(this.p.scanPeriodMinMs / this.windows());
    return Math.max(floor, scan);
  }

  /** task_scan_max (ms), without numa_group sharing. */
  scanMaxMs(): number {
    return Math.max(this.scanMinMs(), Math.floor(this.p.scanPeriodMaxMs / this.windows()));
  }

  /** Delay before the first pass (numa_balancing_scan_delay_ms). */
  firstDelayMs(): number {
    return this.p.scanDelayMs;
  }

  /**
   * One task_numa_work pass: change_prot_numa over ranges of address space, through the host's
   * bulk arming (Host.armHintFaults: present pages not already PROT_NONE, and in pure tiering mode
   * only pages below the top tier). Pages armed in tiering mode get `stampMs[page] = nowMs`
   * (folio_xchg_access_time) when `stampMs` is given. Returns the pages marked; the caller
   * schedules the next pass after periodMs.
   */
  work(stampMs: Float64Array | null, nowMs: number): number {
    if (!this.started) {
      // First pass: the tick found node_stamp == 0 and set numa_scan_period = task_scan_start.
      this.started = true;
      this.periodMs = this.scanMinMs();
    }
    const a = this.addr;
    a.sync();
    let i = a.lowerBound(this.offVm, this.offHi, this.offLo);
    let pages = this.scanPages;
    let virtpages = pages * 8;
    let marked = 0;
    const ord = a.order;
    const minTier = this.mode === NUMA_BALANCING_MEMORY_TIERING ? 1 : 0;
    while (i < a.n && pages > 0 && virtpages > 0) {
      // change_prot_numa over the next `pages` pages of address space.
      const end = Math.min(a.n, i + pages);
      const len = end - i;
      this.armed = grow(this.armed, len);
      const updates = this.host.armHintFaults(ord, i, end, minTier, this.armed);
      if (stampMs !== null) for (let k = 0; k < updates; k++) stampMs[this.armed[k]] = nowMs;
      i = end;
      marked += updates;
      if (updates > 0) pages -= len;
      virtpages -= len;
    }
    if (i >= a.n) {
      // reset_ptenuma_scan: back to the start, next sequence.
      this.offVm = 0;
      this.offHi = 0;
      this.offLo = 0;
      this.seq++;
      this.passes++;
    } else {
      const p = ord[i];
      this.offVm = a.vm[p];
      this.offHi = a.hi[p];
      this.offLo = a.lo[p];
    }
    return marked;
  }

  /**
   * task_numa_fault for a recorded fault (the caller has already dropped faults that tiering mode
   * does not record). Runs the once-per-sequence placement (update_task_scan_period) first, as the
   * kernel does, then adds this fault to the statistics. Returns true if the period was updated.
   */
  recordFault(priv: boolean, local: boolean, failed: boolean, pages = 1): boolean {
    let updated = false;
    if (this.placementSeq !== this.seq) {
      this.placementSeq = this.seq;
      this.updatePeriod();
      updated = true;
    }
    if (failed) this.locality[2] += pages;
    this.locality[local ? 1 : 0] += pages;
    if (priv) this.faultsPrivate += pages;
    else this.faultsShared += pages;
    return updated;
  }

  /** update_task_scan_period with the faults since the last placement. */
  updatePeriod(): void {
    this.lastUpdateDoubled = false;
    const remote = this.locality[0];
    const local = this.locality[1];
    const shared = this.faultsShared;
    const priv = this.faultsPrivate;
    this.faultsShared = 0;
    this.faultsPrivate = 0;
    if (local + shared === 0 || this.locality[2] > 0) {
      // No recorded local/shared faults, or migrations failed: scan slower (the kernel does not
      // clear numa_faults_locality on this path).
      this.periodMs = Math.min(this.scanMaxMs(), this.periodMs * 2);
      this.lastUpdateDoubled = true;
      return;
    }
    const slot = Math.ceil(this.periodMs / NUMA_PERIOD_SLOTS);
    const lr = Math.floor((local * NUMA_PERIOD_SLOTS) / (local + remote));
    const ps = Math.floor((priv * NUMA_PERIOD_SLOTS) / (priv + shared));
    let diff: number;
    if (ps >= NUMA_PERIOD_THRESHOLD) diff = Math.max(1, ps - NUMA_PERIOD_THRESHOLD) * slot;
    else if (lr >= NUMA_PERIOD_THRESHOLD) diff = Math.max(1, lr - NUMA_PERIOD_THRESHOLD) * slot;
    else diff = -(NUMA_PERIOD_THRESHOLD - Math.max(lr, ps)) * slot;
    this.periodMs = Math.min(this.scanMaxMs(), Math.max(this.scanMinMs(), this.periodMs + diff));
    this.locality.fill(0);
  }

}
