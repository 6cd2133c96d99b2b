// The classic two-list LRU per node (mm/vmscan.c shrink_lruvec, shrink_active_list,
// shrink_inactive_list, shrink_folio_list / folio_check_references, inactive_is_low;
// mm/swap.c folio_mark_accessed). Only anonymous pages: traces carry no page-cache accesses.
//
// - New and refaulted anon pages go to the head of the inactive list (workingset protection, v5.9+).
// - Reclaim at priority p (12 … 0) scans size >> p pages of each list in rounds of
//   SWAP_CLUSTER_MAX = 32, the inactive list first and then the active one, while the inactive
//   list has budget left (shrink_lruvec, for_each_evictable_lru order); the active batch is
//   deactivated only when the inactive list is low (inactive · ⌊√(10 · size_GiB)⌋ < active, ratio
//   1 below 1 GiB) or anon refaults happened since the last pass (shrink_list, may_deactivate);
//   after each pass one more active batch is deactivated if the inactive list is low (the
//   rebalance at the end of shrink_lruvec). It stops once the caller's goal is met.
// - Active tail: the accessed bits are cleared (folio_referenced) and the page moves to the
//   inactive head whether referenced or not (only VM_EXEC file pages stay active).
// - Inactive tail (folio_check_references): a page whose PTE was young is marked PG_referenced; it
//   is activated if it was marked already, else kept on the inactive list (back at its head) for
//   another trip — anon pages too since v5.9 (b518154e59aa, "protect the workingset on anonymous
//   LRU"; before it a young anon page was activated at once). Activated pages keep the mark, so a
//   deactivated page found young once comes straight back. A page that is not young is reclaimed
//   (demoted, or evicted) whatever its mark; one that cannot be reclaimed goes back to the head.
// - folio_mark_accessed (used by TPP's hint-fault rule): inactive+unreferenced → referenced;
//   inactive+referenced → active; active+unreferenced → referenced.

import type { Host } from '../policy.ts';
import { PageLists, NO_PAGE } from './page-lists.ts';
import { grow, initialPages } from './grow.ts';

export const SWAP_CLUSTER_MAX = 32;
export const DEF_PRIORITY = 12;

/** How a page arrives on a node's LRU. */
export const ADD_FAULT = 0;
export const ADD_MIGRATED = 1;

/** What every reclaimer offers the kernel composition (classic LRU or MGLRU). */
export interface Reclaimer {
  ensure(pages: number): void;
  /** Put the page on `tier`'s lists. `active` carries the migrated folio's PG_active. */
  add(page: number, tier: number, how: number, active: boolean): void;
  remove(page: number): void;
  isActive(page: number): boolean;
  markAccessed(page: number): void;
  /**
   * Reclaim from `tier`: `reclaimOne(page)` (page already off the lists) demotes or evicts it and
   * returns true if it left the node; scanning stops when `done()` is true. Returns pages reclaimed.
   */
  shrink(tier: number, reclaimOne: (page: number) => boolean, done: () => boolean): number;
  /** Pages on `tier`'s lists. */
  size(tier: number): number;
  /** An anon page of `tier` was swapped back in (a refault). */
  refault(tier: number): void;
  /** Tier whose lists hold the page, or -1 (for invariant checks). */
  listTier(page: number): number;
  /** LRU pages scanned by reclaim so far, every node (kswapd measures its batches with it). */
  readonly scanned: number;
}

const INACTIVE = 0;
const ACTIVE = 1;

/**
 * inactive_is_low (mm/vmscan.c): an LRU type's inactive list is low when inactive · ratio < active,
 * ratio = ⌊√(10 · size in GiB)⌋ (1 below 1 GiB).
 */
export function inactiveIsLow(inactive: number, active: number, pageBytes: number): boolean {
  const gb = Math.floor(((inactive + active) * pageBytes) / 2 ** 30);
  const ratio = gb ? Math.floor(Math.sqrt(10 * gb)) : 1;
  return inactive * ratio < active;
}

export class ActiveInactiveLru implements Reclaimer {
  readonly lists: PageLists;
  private pgReferenced: Uint8Array;
  private readonly refaults: Float64Array;
  scanned = 0;

  constructor(
    private readonly host: Host,
    private readonly onScan?: (n: number) => void,
  ) {
    this.lists = new PageLists(host.tiers * 2, initialPages(host));
    this.pgReferenced = new Uint8Array(initialPages(host));
    this.refaults = new Float64Array(host.tiers);
  }

  ensure(pages: number): void {
    this.lists.ensure(pages);
    // Speed trick: called on every fault; grow() is megamorphic, so the common case returns here.
    if (pages > this.pgReferenced.length) this.pgReferenced = grow(this.pgReferenced, pages);
  }

  add(page: number, tier: number, _how: number, active: boolean): void {
    this.lists.remove(page);
    this.lists.pushHead(tier * 2 + (active ? ACTIVE : INACTIVE), page);
  }

  remove(page: number): void {
    this.lists.remove(page);
    this.pgReferenced[page] = 0;
  }

  isActive(page: number): boolean {
    const l = this.lists.listOf[page];
    return l >= 0 && (l & 1) === ACTIVE;
  }

  markAccessed(page: number): void {
    const l = this.lists.listOf[page];
    if (l < 0) return;
    if ((l & 1) === INACTIVE) {
      if (this.pgReferenced[page]) {
        this.pgReferenced[page] = 0;
        this.lists.moveHead(l | ACTIVE, page);
      } else this.pgReferenced[page] = 1;
    } else if (!this.pgReferenced[page]) this.pgReferenced[page] = 1;
  }

  size(tier: number): number {
    return this.lists.size[tier * 2] + this.lists.size[tier * 2 + 1];
  }

  refault(tier: number): void {
    this.refaults[tier]++;
  }

  listTier(page: number): number {
    const l = page < this.lists.listOf.length ? this.lists.listOf[page] : -1;
    return l < 0 ? -1 : l >> 1;
  }

  /** inactive_is_low for the anon lists of a node. */
  inactiveIsLow(tier: number): boolean {
    return inactiveIsLow(this.lists.size[tier * 2], this.lists.size[tier * 2 + 1], this.host.pageBytes);
  }

  shrink(tier: number, reclaimOne: (page: number) => boolean, done: () => boolean): number {
    let reclaimed = 0;
    const li = tier * 2;
    // Anon refaults since the last reclaim also allow deactivation (prepare_scan_control).
    const refaulted = this.refaults[tier] > 0;
    this.refaults[tier] = 0;
    for (let prio = DEF_PRIORITY; prio >= 0; prio--) {
      // One shrink_node pass: may_deactivate is decided once, before the lists are scanned.
      const deactivate = refaulted || this.inactiveIsLow(tier);
      let nrInactive = Math.floor(this.lists.size[li] / 2 ** prio);
      let nrActive = Math.floor(this.lists.size[li + 1] / 2 ** prio);
      // shrink_lruvec: rounds of SWAP_CLUSTER_MAX per list in for_each_evictable_lru order —
      // inactive anon first, then active anon — while the inactive list has scan budget left (the
      // active anon budget alone does not keep the loop going).
      while (nrInactive > 0) {
        const n = Math.min(SWAP_CLUSTER_MAX, nrInactive);
        nrInactive -= n;
        reclaimed += this.shrinkInactive(tier, n, reclaimOne);
        if (nrActive > 0) {
          const a = Math.min(SWAP_CLUSTER_MAX, nrActive);
          nrActive -= a;
          if (deactivate) this.shrinkActive(tier, a);
        }
        if (done()) return reclaimed;
      }
      // "Even if we did not try to evict anon pages at all, we want to rebalance the anon lru
      // active/inactive ratio": one batch of the active list when the inactive list is low.
      if (this.inactiveIsLow(tier)) this.shrinkActive(tier, SWAP_CLUSTER_MAX);
      if (done()) return reclaimed;
    }
    return reclaimed;
  }

  private shrinkActive(tier: number, n: number): void {
    const lists = this.lists;
    const active = tier * 2 + ACTIVE;
    const inactive = tier * 2 + INACTIVE;
    // The n oldest active pages, tail first; folio_referenced clears their young bits (one bulk
    // call, charged per page) and anon pages go inactive whether referenced or not.
    const batch = (this.isolateBuf = grow(this.isolateBuf, n));
    let done = 0;
    for (let page = lists.tail[active]; done < n && page !== NO_PAGE; page = lists.prev[page]) batch[done++] = page;
    this.host.testAndClearAccessedList(batch, 0, done, -1, (this.youngBuf = grow(this.youngBuf, done)));
    for (let k = 0; k < done; k++) lists.moveHead(inactive, batch[k]);
    this.scanned += done;
    this.onScan?.(done);
  }

  private shrinkInactive(tier: number, n: number, reclaimOne: (page: number) => boolean): number {
    const lists = this.lists;
    const inactive = tier * 2 + INACTIVE;
    const active = tier * 2 + ACTIVE;
    const host = this.host;
    // Isolate the batch first (isolate_lru_folios), then decide each (shrink_folio_list), so that
    // a page put back at the head is not scanned twice in one batch.
    const batch = this.isolateBuf;
    let k = 0;
    for (; k < n; k++) {
      const page = lists.tail[inactive];
      if (page === NO_PAGE) break;
      lists.remove(page);
      batch[k] = page;
    }
    let reclaimed = 0;
    for (let i = 0; i < k; i++) {
      const page = batch[i];
      const young = host.testAndClearAccessed(page);
      const referenced = this.pgReferenced[page] !== 0; // folio_test_clear_referenced
      if (young) {
        // folio_check_references: a young page is marked referenced (activated ones too, "so that
        // recently deactivated but used folios are quickly recovered"); it is activated only if it
        // was marked already (FOLIOREF_ACTIVATE), else kept for another trip round the inactive
        // list (FOLIOREF_KEEP). Anon pages follow the rule too since v5.9 (b518154e59aa).
        this.pgReferenced[page] = 1;
        lists.pushHead(referenced ? active : inactive, page);
        continue;
      }
      this.pgReferenced[page] = 0;
      if (reclaimOne(page)) reclaimed++;
      else lists.pushHead(inactive, page);
    }
    this.scanned += k;
    this.onScan?.(k);
    return reclaimed;
  }

  private isolateBuf = new Int32Array(SWAP_CLUSTER_MAX);
  private youngBuf = new Int32Array(SWAP_CLUSTER_MAX);
}

/** For tests: every present page is on exactly its tier's lists (swapped ones on none), and each tier's lists hold its pages; at most ~10 errors. */
export function listsMatchTiers(host: Host, reclaimer: Reclaimer): string[] {
  const errors: string[] = [];
  const perTier = new Float64Array(host.tiers);
  for (let p = 0; p < host.pageCount(); p++) {
    const t = host.tierOf(p);
    const l = reclaimer.listTier(p);
    if (l !== t) errors.push(`page ${p}: in tier ${t} but on the lists of ${l}`);
    if (t >= 0) perTier[t]++;
    if (errors.length > 10) break;
  }
  for (let t = 0; t < host.tiers; t++) {
    if (reclaimer.size(t) !== perTier[t]) errors.push(`tier ${t}: lists hold ${reclaimer.size(t)} pages, tier holds ${perTier[t]}`);
  }
  return errors;
}
