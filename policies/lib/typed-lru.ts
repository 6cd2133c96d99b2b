// The classic LRU with page types: separate anon and file active/inactive lists per node, balanced
// as the kernel balances them (mm/vmscan.c shrink_lruvec, get_scan_count, shrink_active_list,
// shrink_inactive_list, folio_check_references, move_folios_to_lru; mm/workingset.c). Used by the
// kernel composition (kernel.ts) instead of ActiveInactiveLru when the run declares page types.
//
// - Lists per node: inactive anon, active anon, inactive file, active file (enum lru_list order).
//   anon and shmem pages are on the anon lists (swap-backed), file and cache pages on the file lists.
// - Each reclaim priority (12 … 0) asks get_scan_count (scan-balance.ts) how many pages of each
//   list to scan, from swappiness and the decayed reclaim cost of each type, and scans them in
//   SWAP_CLUSTER_MAX batches in list order until the caller's goal is met. An active list is
//   deactivated only when its type may be (its inactive list is low, or that type refaulted since
//   the last pass); cache_trim_mode takes only file while there is inactive file that does not
//   refault.
// - Inactive tail (folio_check_references): a young page, anon or file, is activated on its second
//   reference (PG_referenced), kept on the inactive list on its first (anon too since v5.9,
//   b518154e59aa); activated pages keep the mark; an old page is reclaimed
//   (demoted to the next tier, or evicted: a clean file page dropped, a dirty one written back, an
//   anon one swapped) — and leaves a shadow entry when evicted. Each batch notes its cost: pages
//   written (swap-out or write-back) as IO, pages scanned but not reclaimed as rotations.
// - Active tail: accessed bits cleared, pages deactivated and marked PG_workingset.
// - Refault (a page faulted back with a shadow entry): activated at once when its refault distance
//   is within the workingset (workingset.ts), and a restore of a working-set page charges its IO to
//   its type's cost. Activation during reclaim ages the node's nonresident clock (move_folios_to_lru).
// Not modelled: file_is_tiny (needs the node's high watermark; off), VM_EXEC file pages kept active,
// the proportional scan adjustment of shrink_lruvec once the goal is met (reclaim here stops there).

import type { Host } from '../policy.ts';
import { PAGE_DIRTY } from '../policy.ts';
import { PageLists, NO_PAGE } from './page-lists.ts';
import { grow } from './grow.ts';
import type { Reclaimer } from './lru.ts';
import { ADD_FAULT, SWAP_CLUSTER_MAX, inactiveIsLow } from './lru.ts';
import { ScanCost, getScanCount, cacheTrimMode, DEF_PRIORITY, DEFAULT_SWAPPINESS } from './scan-balance.ts';
import { Workingset, REFAULT_ACTIVATE } from './workingset.ts';
import type { LruSizes } from './workingset.ts';

/** PT_FILE and PT_CACHE of sim/page-types.ts: the types on the file LRU. */
const PT_FILE = 2;
const PT_CACHE = 3;

const INACTIVE_ANON = 0;
const ACTIVE_ANON = 1;
const INACTIVE_FILE = 2;
const ACTIVE_FILE = 3;

export interface TypedLruStats {
  scanned: number;
  /** Evictions by kind: clean file pages dropped, dirty file pages written back, anon pages swapped. */
  dropped: number;
  writtenBack: number;
  swapped: number;
  /** Refaults seen, and those activated (within the workingset). */
  refaults: number;
  refaultsActivated: number;
}

export class TypedLru implements Reclaimer {
  readonly lists: PageLists;
  readonly ws: Workingset;
  /** Decayed reclaim cost per node (lruvec->anon_cost / file_cost). */
  readonly cost: ScanCost[];
  readonly stats: TypedLruStats = { scanned: 0, dropped: 0, writtenBack: 0, swapped: 0, refaults: 0, refaultsActivated: 0 };
  /** LRU pages scanned by reclaim so far, every node (Reclaimer.scanned: kswapd measures its batches with it). */
  scanned = 0;
  private pgReferenced = new Uint8Array(1024);
  private pgWorkingset = new Uint8Array(1024);
  /** Refaults per node and type since the node's last reclaim pass ([t · 2 + file]). */
  private readonly refaulted: Float64Array;
  private readonly nr = new Float64Array(4);
  private readonly sizes: number[] = [0, 0, 0, 0];
  private readonly wsSizes: LruSizes = { activeFile: 0, inactiveFile: 0, activeAnon: 0, inactiveAnon: 0 };
  private isolateBuf = new Int32Array(SWAP_CLUSTER_MAX);
  private youngBuf = new Int32Array(SWAP_CLUSTER_MAX);

  constructor(
    private readonly host: Host,
    readonly swappiness: number = DEFAULT_SWAPPINESS,
    private readonly onScan?: (n: number) => void,
  ) {
    this.lists = new PageLists(host.tiers * 4);
    this.ws = new Workingset(host.tiers);
    this.cost = Array.from({ length: host.tiers }, () => new ScanCost());
    this.refaulted = new Float64Array(host.tiers * 2);
  }

  private isFile(page: number): boolean {
    const t = this.host.pageType(page);
    return t === PT_FILE || t === PT_CACHE;
  }

  ensure(pages: number): void {
    this.lists.ensure(pages);
    this.pgReferenced = grow(this.pgReferenced, pages);
    this.pgWorkingset = grow(this.pgWorkingset, pages);
    this.ws.ensure(pages);
  }

  add(page: number, tier: number, how: number, active: boolean): void {
    const file = this.isFile(page);
    this.lists.remove(page);
    if (how === ADD_FAULT && this.ws.hasShadow(page)) {
      // workingset_refault: judged against the LRUs of the node the page was evicted from.
      const node = this.ws.nodeOf(page);
      this.stats.refaults++;
      this.refaulted[node * 2 + (file ? 1 : 0)]++;
      const r = this.ws.refault(page, this.lruSizes(node), true, this.cost[node], this.size(node));
      if (r & REFAULT_ACTIVATE) {
        active = true;
        this.stats.refaultsActivated++;
      }
    }
    this.lists.pushHead(tier * 4 + (file ? INACTIVE_FILE : INACTIVE_ANON) + (active ? 1 : 0), page);
  }

  remove(page: number): void {
    this.lists.remove(page);
    this.pgReferenced[page] = 0;
  }

  isActive(page: number): boolean {
    const l = this.lists.listOf[page];
    return l >= 0 && (l & 1) === 1;
  }

  /** folio_mark_accessed, as ActiveInactiveLru; an activation ages the node (workingset_activation). */
  markAccessed(page: number): void {
    const l = this.lists.listOf[page];
    if (l < 0) return;
    if ((l & 1) === 0) {
      if (this.pgReferenced[page]) {
        this.pgReferenced[page] = 0;
        this.lists.moveHead(l | 1, page);
        this.ws.activation(l >> 2);
      } else this.pgReferenced[page] = 1;
    } else if (!this.pgReferenced[page]) this.pgReferenced[page] = 1;
  }

  size(tier: number): number {
    const s = this.lists.size;
    const b = tier * 4;
    return s[b] + s[b + 1] + s[b + 2] + s[b + 3];
  }

  /** Pages on one list of a node (INACTIVE_ANON … ACTIVE_FILE order), for tests and reports. */
  listSize(tier: number, lru: number): number {
    return this.lists.size[tier * 4 + lru];
  }

  /** Refaults are recorded in add() from the shadow entry (a swap-in and a page-cache refault alike). */
  refault(_tier: number): void {}

  listTier(page: number): number {
    const l = page < this.lists.listOf.length ? this.lists.listOf[page] : -1;
    return l < 0 ? -1 : l >> 2;
  }

  private lruSizes(tier: number): LruSizes {
    const s = this.lists.size;
    const b = tier * 4;
    const w = this.wsSizes;
    w.inactiveAnon = s[b + INACTIVE_ANON];
    w.activeAnon = s[b + ACTIVE_ANON];
    w.inactiveFile = s[b + INACTIVE_FILE];
    w.activeFile = s[b + ACTIVE_FILE];
    return w;
  }

  /** inactive_is_low for one type of a node (ratio ⌊√(10 · GiB)⌋, 1 below 1 GiB). */
  inactiveIsLow(tier: number, file: boolean): boolean {
    const b = tier * 4 + (file ? INACTIVE_FILE : INACTIVE_ANON);
    return inactiveIsLow(this.lists.size[b], this.lists.size[b + 1], this.host.pageBytes);
  }

  shrink(tier: number, reclaimOne: (page: number) => boolean, done: () => boolean): number {
    let reclaimed = 0;
    const b = tier * 4;
    const deactAnon = this.refaulted[tier * 2] > 0 || this.inactiveIsLow(tier, false);
    const deactFile = this.refaulted[tier * 2 + 1] > 0 || this.inactiveIsLow(tier, true);
    this.refaulted[tier * 2] = 0;
    this.refaulted[tier * 2 + 1] = 0;
    const nr = this.nr;
    const sizes = this.sizes;
    const cost = this.cost[tier];
    for (let prio = DEF_PRIORITY; prio >= 0; prio--) {
      for (let l = 0; l < 4; l++) sizes[l] = this.lists.size[b + l];
      getScanCount(
        {
          sizes,
          priority: prio,
          swappiness: this.swappiness,
          canReclaimAnon: true, // swap never fills in the simulator, and demotion may be on
          fileIsTiny: false,
          cacheTrimMode: cacheTrimMode(sizes[INACTIVE_FILE], prio, deactFile),
          anonCost: cost.anonCost,
          fileCost: cost.fileCost,
        },
        nr,
      );
      while (nr[0] > 0 || nr[1] > 0 || nr[2] > 0 || nr[3] > 0) {
        for (let l = 0; l < 4; l++) {
          if (nr[l] <= 0) continue;
          const n = Math.min(SWAP_CLUSTER_MAX, nr[l]);
          nr[l] -= n;
          const file = l >= INACTIVE_FILE;
          if (l & 1) {
            if (file ? deactFile : deactAnon) this.shrinkActive(tier, file, n);
          } else reclaimed += this.shrinkInactive(tier, file, n, reclaimOne);
        }
        if (done()) return reclaimed;
      }
      if (done()) return reclaimed;
    }
    return reclaimed;
  }

  private shrinkActive(tier: number, file: boolean, n: number): void {
    const lists = this.lists;
    const active = tier * 4 + (file ? ACTIVE_FILE : ACTIVE_ANON);
    const inactive = active - 1;
    const batch = (this.isolateBuf = grow(this.isolateBuf, n));
    let k = 0;
    for (let page = lists.tail[active]; k < n && page !== NO_PAGE; page = lists.prev[page]) batch[k++] = page;
    this.host.testAndClearAccessedList(batch, 0, k, -1, (this.youngBuf = grow(this.youngBuf, k)));
    for (let i = 0; i < k; i++) {
      lists.moveHead(inactive, batch[i]);
      this.pgWorkingset[batch[i]] = 1; // shrink_active_list: deactivated pages are the workingset
    }
    this.stats.scanned += k;
    this.scanned += k;
    this.onScan?.(k);
  }

  private shrinkInactive(tier: number, file: boolean, n: number, reclaimOne: (page: number) => boolean): number {
    const lists = this.lists;
    const inactive = tier * 4 + (file ? INACTIVE_FILE : INACTIVE_ANON);
    const active = inactive + 1;
    const host = this.host;
    const batch = (this.isolateBuf = grow(this.isolateBuf, n));
    let k = 0;
    for (; k < n; k++) {
      const page = lists.tail[inactive];
      if (page === NO_PAGE) break;
      lists.remove(page);
      batch[k] = page;
    }
    let reclaimed = 0;
    let io = 0;
    for (let i = 0; i < k; i++) {
      const page = batch[i];
      const young = host.testAndClearAccessed(page);
      const referenced = this.pgReferenced[page] !== 0;
      this.pgReferenced[page] = 0; // folio_test_clear_referenced
      if (young) {
        // folio_check_references, anon and file alike since v5.9 (b518154e59aa): a young page is
        // marked referenced (activated ones too, so that a deactivated page in use comes back at
        // once) and activated only if it was marked already; else kept for another trip.
        this.pgReferenced[page] = 1;
        if (referenced) {
          lists.pushHead(active, page); // FOLIOREF_ACTIVATE
          this.ws.activation(tier);
        } else lists.pushHead(inactive, page); // FOLIOREF_KEEP
        continue;
      }
      const dirty = (host.flags(page) & PAGE_DIRTY) !== 0;
      if (reclaimOne(page)) {
        reclaimed++;
        if (host.tierOf(page) < 0) {
          // Evicted (not demoted): a shadow entry, and IO for anything that had to be written.
          this.ws.evict(page, tier, file, this.pgWorkingset[page] !== 0);
          if (!file) {
            this.stats.swapped++;
            io++;
          } else if (dirty) {
            this.stats.writtenBack++;
            io++;
          } else this.stats.dropped++;
          this.pgWorkingset[page] = 0; // the shadow keeps it; a demoted page keeps its flag
        }
      } else lists.pushHead(inactive, page);
    }
    this.stats.scanned += k;
    this.scanned += k;
    this.onScan?.(k);
    this.cost[tier].note(file, io, k - reclaimed, this.size(tier));
    return reclaimed;
  }
}

export const PT_ANON = 0;

/** Move a TypedLru's eviction and refault statistics into the kernel's policy counters (ids in `c`). */
export function flushTypedStats(r: TypedLru, host: Host, c: Record<string, number>): void {
  const s = r.stats;
  flushEvictionCounts(s, host, c);
  host.count(c.activated, s.refaultsActivated);
  s.refaultsActivated = 0;
}

/** The eviction counts both typed reclaimers keep (this file's and MGLRU's): into the kernel's counters, then zeroed. */
export function flushEvictionCounts(s: { dropped: number; writtenBack: number; swapped: number; refaults: number }, host: Host, c: Record<string, number>): void {
  host.count(c.dropped, s.dropped);
  host.count(c.writtenBack, s.writtenBack);
  host.count(c.swapped, s.swapped);
  host.count(c.refaults, s.refaults);
  s.dropped = s.writtenBack = s.swapped = s.refaults = 0;
}

/**
 * TPP's page-type-aware allocation order (Maruf et al. §5.4: file cache and tmpfs on the CXL node
 * first, anon local): the slowest-but-one … slowest tiers first, then the top tier; the first that
 * `ok` accepts, or −1.
 */
export function slowFirst(tiers: number, ok: (t: number) => boolean): number {
  for (let t = 1; t < tiers; t++) if (ok(t)) return t;
  return ok(0) ? 0 : -1;
}
