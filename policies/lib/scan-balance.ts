// Anon vs file reclaim balance of the classic (active/inactive) LRU, as the kernel computes it.
// Sources (torvalds/linux, v6.6–v6.16, same arithmetic throughout):
// - mm/vmscan.c `get_scan_count`: how many pages of each of the four evictable LRUs (inactive anon,
//   active anon, inactive file, active file) one shrink pass at a given priority scans.
// - mm/vmscan.c `prepare_scan_control`: `cache_trim_mode` (plenty of inactive file that is not
//   thrashing → file only) and `file_is_tiny` (file + free ≤ high watermark → anon only).
// - mm/swap.c `lru_note_cost` (`lru_note_cost_unlock_irq` since v6.15) and `lru_note_cost_refault`:
//   the decayed IO cost of each type that weighs the balance.
//
// - Balance modes: no swap → SCAN_FILE; priority 0 with swappiness > 0 → SCAN_EQUAL;
//   file_is_tiny → SCAN_ANON; cache_trim_mode → SCAN_FILE; otherwise SCAN_FRACT.
// - SCAN_FRACT: total = anon_cost + file_cost; anon' = total + anon_cost, file' = total + file_cost
//   (so each type gets at least a third of the pressure before swappiness), total' = anon' + file';
//   ap = swappiness · (total' + 1) / (anon' + 1), fp = (200 − swappiness) · (total' + 1) / (file' + 1)
//   (integer divisions); scan[lru] = (size >> priority) · fraction[type] / (ap + fp).
// - Cost: each event adds nr_io · SWAP_CLUSTER_MAX + nr_rotated to its type; when anon_cost +
//   file_cost exceeds a quarter of all four LRU sizes, both halve. A refault of a page that was
//   in the working set notes its size as IO (nr_io = pages, nr_rotated = 0).
// Not modelled: memcg protection (memory.min/low) and the offlined-memcg rounding (one lruvec per
// node here), so the division is always the floor of the online case.

/** mm/vmscan.c SWAP_CLUSTER_MAX: the reclaim batch, and the IO weight in lru_note_cost. */
export const SWAP_CLUSTER_MAX = 32;
/** include/linux/swap.h MAX_SWAPPINESS (vm.swappiness range 0–200, default 60). */
export const MAX_SWAPPINESS = 200;
export const DEFAULT_SWAPPINESS = 60;
/** mm/vmscan.c DEF_PRIORITY: the first pass scans size >> 12, each harder pass one bit more. */
export const DEF_PRIORITY = 12;

export const SCAN_EQUAL = 0;
export const SCAN_FRACT = 1;
export const SCAN_ANON = 2;
export const SCAN_FILE = 3;

/** Index of each evictable LRU in size and result arrays (enum lru_list order). */
export const LRU_INACTIVE_ANON = 0;
export const LRU_ACTIVE_ANON = 1;
export const LRU_INACTIVE_FILE = 2;
export const LRU_ACTIVE_FILE = 3;

/** Decayed reclaim cost per type of one lruvec (struct lruvec anon_cost / file_cost). */
export class ScanCost {
  anonCost = 0;
  fileCost = 0;

  /**
   * lru_note_cost: record `nrIo` pages of IO (swap-out/in, writeback, refault) and `nrRotated`
   * pages rotated back instead of reclaimed, for the file or anon type; `lruSizePages` is the sum of
   * the four LRU sizes of this lruvec at the time, which sets the decay point.
   */
  note(file: boolean, nrIo: number, nrRotated: number, lruSizePages: number): void {
    const cost = nrIo * SWAP_CLUSTER_MAX + nrRotated;
    if (cost === 0) return;
    if (file) this.fileCost += cost;
    else this.anonCost += cost;
    // Floating average: halve both once they outgrow a quarter of the LRUs (integer division, as
    // the kernel's unsigned longs).
    if (this.fileCost + this.anonCost > Math.floor(lruSizePages / 4)) {
      this.fileCost = Math.floor(this.fileCost / 2);
      this.anonCost = Math.floor(this.anonCost / 2);
    }
  }

  /** lru_note_cost_refault: a refaulting working-set folio of `pages` pages costs its size in IO. */
  noteRefault(file: boolean, pages: number, lruSizePages: number): void {
    this.note(file, pages, 0, lruSizePages);
  }
}

/** What one shrink pass knows when it balances (the fields of struct scan_control it reads). */
export interface ScanInput {
  /** Pages on each evictable LRU, indexed by LRU_* constants. */
  sizes: ArrayLike<number>;
  /** DEF_PRIORITY (12) down to 0; the pass scans size >> priority. */
  priority: number;
  /** vm.swappiness, 0–200. */
  swappiness: number;
  /** may_swap && can_reclaim_anon_pages: swap space free, or demotion possible. */
  canReclaimAnon: boolean;
  fileIsTiny: boolean;
  cacheTrimMode: boolean;
  anonCost: number;
  fileCost: number;
}

/** get_scan_count's choice of balance for this pass (SCAN_* constant). */
export function scanBalanceMode(inp: ScanInput): number {
  if (!inp.canReclaimAnon) return SCAN_FILE;
  if (inp.priority === 0 && inp.swappiness !== 0) return SCAN_EQUAL;
  if (inp.fileIsTiny) return SCAN_ANON;
  if (inp.cacheTrimMode) return SCAN_FILE;
  return SCAN_FRACT;
}

/**
 * get_scan_count: fill `out[lru]` with the number of pages to scan on each of the four LRUs and
 * return the balance mode. `fraction` (optional, length 2) receives [ap, fp] in SCAN_FRACT mode.
 */
export function getScanCount(inp: ScanInput, out: Float64Array, fraction?: Float64Array): number {
  const mode = scanBalanceMode(inp);
  let ap = 0;
  let fp = 0;
  if (mode === SCAN_FRACT) {
    const sum = inp.anonCost + inp.fileCost;
    const anonCost = sum + inp.anonCost;
    const fileCost = sum + inp.fileCost;
    const total = anonCost + fileCost;
    // Exact in doubles: total' / anon' ≤ 3, so ap, fp ≤ 600 and every product stays far below 2^53.
    ap = Math.floor((inp.swappiness * (total + 1)) / (anonCost + 1));
    fp = Math.floor(((MAX_SWAPPINESS - inp.swappiness) * (total + 1)) / (fileCost + 1));
    if (fraction) {
      fraction[0] = ap;
      fraction[1] = fp;
    }
  }
  const denominator = ap + fp;
  for (let lru = 0; lru < 4; lru++) {
    const file = lru >= LRU_INACTIVE_FILE;
    // size >> priority, with sizes possibly above 2^31: divide instead of shifting.
    let scan = Math.floor(inp.sizes[lru] / 2 ** inp.priority);
    if (mode === SCAN_FRACT) {
      // The denominator is ≥ 200: total' ≥ anon', file', so ap ≥ swappiness and fp ≥ 200 − swappiness.
      scan = denominator > 0 ? Math.floor((scan * (file ? fp : ap)) / denominator) : 0;
    } else if (mode === SCAN_FILE || mode === SCAN_ANON) {
      if ((mode === SCAN_FILE) !== file) scan = 0;
    }
    out[lru] = scan;
  }
  return mode;
}

/**
 * prepare_scan_control: cache_trim_mode — there is inactive file at this priority and the file
 * LRU is not being deactivated (its inactive list is not low and no file refaults since the last
 * pass), so reclaim takes only cache.
 */
export function cacheTrimMode(inactiveFilePages: number, priority: number, deactivateFile: boolean): boolean {
  return Math.floor(inactiveFilePages / 2 ** priority) > 0 && !deactivateFile;
}

/**
 * prepare_scan_control: file_is_tiny — file pages plus free pages fit under the node's high
 * watermark (the "cache trap": a tiny thrashing file LRU would look infinitely cheap), and there is
 * inactive anon at this priority that is not being deactivated, so reclaim takes anon only.
 */
export function fileIsTiny(
  filePages: number,
  freePages: number,
  highWmarkPages: number,
  inactiveAnonPages: number,
  priority: number,
  deactivateAnon: boolean,
): boolean {
  return (
    filePages + freePages <= highWmarkPages &&
    !deactivateAnon &&
    Math.floor(inactiveAnonPages / 2 ** priority) > 0
  );
}
