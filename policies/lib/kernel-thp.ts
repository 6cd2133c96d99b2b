// What the composed kernel (kernel.ts TieringKernel: numa-tiering, tpp, autonuma, mglru, colloid-tpp,
// nomad, neomem) does when pages change under it without its own migrate call: a `--with`
// mechanism moved one (thp-range's whole-range moves, PolicyHooks.onMigrated), or a 4 KiB-mapped
// 2 MiB range was collapsed into one huge page (khugepaged or thp-range's MADV_COLLAPSE,
// PolicyHooks.onCollapsed). Without these the LRU/MGLRU lists keep moved pages on their old node
// (that node's reclaim would treat them as its own; the new node's never sees them) and keep the
// retired 4 KiB ids while the new huge page is on no list.
//
// - A moved page: as the kernel's own migrations here (hint-fault promotion, demotion in reclaim),
//   the page leaves its old node's lists and joins the new node's as a migrated folio:
//   mm/migrate.c migrate_folio_move → folio_migrate_flags copies PG_active and PG_referenced to the
//   new folio, which goes back on the LRU (folio_add_lru → lru_gen_add_folio under MGLRU: the
//   youngest generation if active, else the second youngest for anon, "migrated pages" in its
//   comment). Reclaimer.add with ADD_MIGRATED and the old activity does exactly that.
// - A collapse (mm/khugepaged.c collapse_huge_page, also run by madvise_collapse): the 512 old
//   4 KiB folios are isolated and freed (their ids leave the lists and lose PG_referenced), and the
//   new THP is put on the LRU with folio_add_lru_vma like any new page — but outside a fault
//   (khugepaged or the madvise caller), so lru_gen_in_fault() is false and MGLRU does not make it
//   active: inactive list head (classic LRU), second youngest generation (MGLRU). That is the
//   placement ADD_MIGRATED with active = false gives (ADD_FAULT would mean "in a fault": MGLRU's
//   youngest generation and workingset refault checks). A new folio has no last_cpupid (-1).
// - A swap-in of a 4 KiB page of a THP swapped out whole (sim/thp.ts swappedToBase): each of the
//   THP's 512 swap entries holds its shadow, so each 4 KiB page refaults against it
//   (workingset_refault, counting folio_nr_pages = 1). The reclaimer left it on the huge id: it is
//   spread to the range's 4 KiB ids at the first of their swap-ins (inheritRangeShadow).

import type { Reclaimer } from './lru.ts';
import type { Workingset } from './workingset.ts';
import { ADD_MIGRATED } from './lru.ts';
import type { Host, ThpHost } from '../policy.ts';
import { PAGE_SPLIT } from '../policy.ts';

/** The kernel state these hooks touch (TieringKernel implements it). */
export interface KernelLists {
  readonly reclaimer: Reclaimer;
  lastCpu: Int16Array;
  /** Base (4 KiB) pages per page of the run: the 4 KiB ids a collapsed range had. */
  readonly ppf: number;
  ensure(pages: number): void;
}

/** PolicyHooks.onMigrated: another attached policy moved `page` to tier `to` (the move is done). */
export function kernelHeardMigrated(k: KernelLists, page: number, from: number, to: number): void {
  if (from === to || to < 0) return;
  k.ensure(page + 1);
  const r = k.reclaimer;
  r.add(page, to, ADD_MIGRATED, r.isActive(page));
}

/** PolicyHooks.onCollapsed: range `range` (4 KiB ids first … first + 511) is now one huge page in `tier`. */
export function kernelHeardCollapsed(k: KernelLists, range: number, first: number, tier: number): void {
  const subs = k.ppf;
  k.ensure(Math.max(range, first + subs - 1) + 1);
  const r = k.reclaimer;
  for (let q = first; q < first + subs; q++) r.remove(q);
  r.add(range, tier, ADD_MIGRATED, false);
  k.lastCpu[range] = -1;
}

/**
 * Re-list a page reclaim just demoted to `to`. Usually it joins `to`'s lists as a migrated,
 * inactive folio. With THP on, a huge page the target cannot take whole was split on the way
 * (sim/thp.ts splitAndMigrate, migrate_pages' -ENOMEM fallback): its id is frame-less now and
 * its 4 KiB pages are the folios — split_huge_page gives each tail the head's flags and
 * last_cpupid (__split_huge_page_tail), the ones that moved go on the target's LRU and the ones
 * left behind back on the source's (putback). So the huge id leaves the lists and each 4 KiB page
 * with a frame joins its own tier's, inactive (it was being reclaimed).
 */
export function relistDemoted(k: KernelLists, host: Host, page: number, to: number): void {
  const r = k.reclaimer;
  const first = (host.flags(page) & PAGE_SPLIT) !== 0 ? ((host as Partial<ThpHost>).rangeFirst?.(page) ?? -1) : -1;
  if (first < 0) {
    r.add(page, to, ADD_MIGRATED, false);
    return;
  }
  k.ensure(Math.max(page, first + k.ppf - 1) + 1);
  r.remove(page);
  const cpu = k.lastCpu[page];
  for (let q = first; q < first + k.ppf; q++) {
    const tier = host.tierOf(q);
    if (tier < 0) continue;
    r.add(q, tier, ADD_MIGRATED, false);
    k.lastCpu[q] = cpu;
  }
}

/**
 * Before a swap-in of `page` is listed (ADD_FAULT checks its shadow): if it is a 4 KiB page of a
 * range whose huge id holds a shadow (the THP was evicted whole), give the shadow to each of the
 * range's 4 KiB ids. Only reclaimers with shadow entries (TypedLru, Mglru: `ws`) have any.
 */
export function inheritRangeShadow(k: KernelLists, host: Host, page: number): void {
  const ws = (k.reclaimer as Reclaimer & { ws?: Workingset }).ws;
  if (ws === undefined) return;
  const h = host as Partial<ThpHost>;
  const range = h.rangeOf?.(page) ?? -1;
  if (range < 0 || range === page || !ws.hasShadow(range)) return;
  ws.spread(range, h.rangeFirst!(range), k.ppf);
}
