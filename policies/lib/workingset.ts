// Refault detection: shadow entries, refault distance, and MGLRU's per-tier refault controller.
// Sources (torvalds/linux v6.6; the classic path is unchanged through v6.16):
// - mm/workingset.c `workingset_eviction`, `workingset_test_recent`, `workingset_refault`,
//   `workingset_activation`, `workingset_age_nonresident`: the classic LRU's shadow entries.
// - mm/workingset.c `lru_gen_eviction`, `lru_gen_test_recent`, `lru_gen_refault`;
//   mm/vmscan.c `read_ctrl_pos`, `reset_ctrl_pos`, `positive_ctrl_err`, `get_tier_idx`,
//   `get_type_to_scan`, `isolate_folios`; include/linux/mmzone.h (MAX_NR_TIERS, the tier comment);
//   include/linux/mm_inline.h `lru_tier_from_refs`, `folio_lru_refs`.
//
// - Nonresident age per node (lruvec->nonresident_age): advanced by one per page evicted and per
//   page activated. An evicted page leaves a shadow entry holding the age at eviction and whether
//   it was in the working set (PG_workingset, i.e. it had been active).
// - Refault: distance = age now − age at eviction (pages evicted or activated since). The page is
//   activated at once iff distance ≤ the workingset size: active file, plus inactive file for an
//   anon refault, plus (when swap has room) active anon, plus inactive anon for a file refault.
//   An activated refault advances the age too; if it was in the working set before eviction it is
//   a "restore" and its IO is charged to its type's reclaim cost (lru_note_cost_refault).
// - MGLRU tiers: a page accessed N times through file descriptors sits in tier order_base_2(N)
//   (N = 0, 1 → 0; 2 → 1; 3–4 → 2; 5+ → 3; MAX_NR_TIERS = 4). Per node, type and tier the kernel
//   counts pages evicted, refaulted and protected (moved to the next generation instead of evicted);
//   with NR_HIST_GENS = 1 the counts fold into running averages (avg = (avg + count) / 2) whenever
//   min_seq of that type advances. A refault counts only if the page was evicted under the same
//   min_seq (lru_gen_test_recent).
// - Controller (positive_ctrl_err): the process variable pv is "ok" (positive error) when it has
//   under MIN_LRU_BATCH refaults or refaulted_pv · (total_sp + 64) · gain_sp ≤ (refaulted_sp + 1) ·
//   total_pv · gain_pv. get_tier_idx compares tiers 1..3 (gain 2) with tier 0 (gain 1) and returns
//   the last tier before the first that refaults too much: tiers above it are protected. The anon vs
//   file choice compares the two types' tier 0 with gains swappiness and 200 − swappiness.
// Not modelled: memcg ids and bucket_order in the shadow (one lruvec per node, 53-bit ages never
// wrap), and the refs bits a refault restores on the folio (the caller owns per-page access counts).

import { grow } from './grow.ts';
import type { ScanCost } from './scan-balance.ts';
import { MAX_SWAPPINESS } from './scan-balance.ts';

/** include/linux/mmzone.h MAX_NR_TIERS. */
export const MAX_NR_TIERS = 4;
/** mm/vmscan.c MIN_LRU_BATCH = BITS_PER_LONG: the refault count below which a tier is trusted. */
export const MIN_LRU_BATCH = 64;
export const LRU_GEN_ANON = 0;
export const LRU_GEN_FILE = 1;

/** Bits of a shadow entry. */
const SH_PRESENT = 1;
const SH_WORKINGSET = 2;
const SH_FILE = 4;

/** Result bits of `Workingset.refault`. */
export const REFAULT_NONE = 0;
/** The page refaulted with a shadow entry (counted as a refault). */
export const REFAULT_SEEN = 1;
/** Within the working set: add it to the active list (workingset_refault → folio_set_active). */
export const REFAULT_ACTIVATE = 2;
/** It had been active before eviction (PG_workingset restored; IO charged to its type). */
export const REFAULT_RESTORE = 4;

/** include/linux/log2.h order_base_2: ⌈log2 n⌉, with order_base_2(0) = order_base_2(1) = 0. */
export function orderBase2(n: number): number {
  return n > 1 ? 32 - Math.clz32(n - 1) : 0;
}

/** The MGLRU tier of a page accessed `fdAccesses` times through file descriptors. */
export function tierFromAccesses(fdAccesses: number): number {
  const t = orderBase2(fdAccesses);
  return t < MAX_NR_TIERS ? t : MAX_NR_TIERS - 1;
}

/** LRU sizes of one node, the inputs of workingset_test_recent. */
export interface LruSizes {
  activeFile: number;
  inactiveFile: number;
  activeAnon: number;
  inactiveAnon: number;
}

/** Shadow entries and nonresident ages of the classic LRU (one lruvec per node). */
export class Workingset {
  /** lruvec->nonresident_age per node. */
  readonly age: Float64Array;
  /** Age (classic) or min_seq (MGLRU) at eviction, per page id. */
  shadowAge = new Float64Array(1024);
  /** SH_* bits per page id; 0 = no shadow. */
  shadowFlags = new Uint8Array(1024);
  /** Node (tier index) the page was evicted from. */
  shadowNode = new Uint8Array(1024);
  /** MGLRU refs at eviction (folio_lru_refs, 0 … 4; the token's low bits plus its workingset bit). */
  shadowTier = new Uint8Array(1024);
  /** WORKINGSET_REFAULT / _ACTIVATE / _RESTORE counters, [anon, file]. */
  readonly refaults = new Float64Array(2);
  readonly activations = new Float64Array(2);
  readonly restores = new Float64Array(2);

  constructor(nodes: number) {
    this.age = new Float64Array(nodes);
  }

  ensure(pages: number): void {
    if (pages <= this.shadowFlags.length) return;
    this.shadowAge = grow(this.shadowAge, pages);
    this.shadowFlags = grow(this.shadowFlags, pages);
    this.shadowNode = grow(this.shadowNode, pages);
    this.shadowTier = grow(this.shadowTier, pages);
  }

  hasShadow(page: number): boolean {
    return page < this.shadowFlags.length && this.shadowFlags[page] !== 0;
  }

  /** workingset_age_nonresident. */
  ageNonresident(node: number, pages: number): void {
    this.age[node] += pages;
  }

  /** workingset_activation: a page promoted to the active list ages the nonresident clock. */
  activation(node: number, pages = 1): void {
    this.age[node] += pages;
  }

  /** workingset_eviction: leave a shadow entry, then age the node by the evicted page. */
  evict(page: number, node: number, file: boolean, workingset: boolean): void {
    this.ensure(page + 1);
    this.shadowAge[page] = this.age[node];
    this.shadowNode[page] = node;
    this.shadowFlags[page] = SH_PRESENT | (workingset ? SH_WORKINGSET : 0) | (file ? SH_FILE : 0);
    this.age[node] += 1;
  }

  /**
   * A THP evicted whole leaves its shadow in every one of its swap entries (mm/swap_state.c
   * __delete_from_swap_cache stores it per entry), and it comes back 4 KiB at a time: copy `from`'s
   * shadow to pages first … first + n − 1 (each refaults against it once) and drop `from`'s.
   */
  spread(from: number, first: number, n: number): void {
    if (!this.hasShadow(from)) return;
    this.ensure(first + n);
    this.shadowAge.fill(this.shadowAge[from], first, first + n);
    this.shadowFlags.fill(this.shadowFlags[from], first, first + n);
    this.shadowNode.fill(this.shadowNode[from], first, first + n);
    this.shadowTier.fill(this.shadowTier[from], first, first + n);
    this.forget(from);
  }

  /** Drop a shadow entry (the page was freed, or its file truncated). */
  forget(page: number): void {
    if (page < this.shadowFlags.length) this.shadowFlags[page] = 0;
  }

  /** Refault distance of a page with a shadow entry: pages evicted or activated since. */
  distance(page: number): number {
    return this.age[this.shadowNode[page]] - this.shadowAge[page];
  }

  /** workingset_test_recent: would the page have stayed resident with all memory for the workingset? */
  testRecent(page: number, sizes: LruSizes, swapHasRoom: boolean): boolean {
    const file = (this.shadowFlags[page] & SH_FILE) !== 0;
    let workingsetSize = sizes.activeFile;
    if (!file) workingsetSize += sizes.inactiveFile;
    if (swapHasRoom) {
      workingsetSize += sizes.activeAnon;
      if (file) workingsetSize += sizes.inactiveAnon;
    }
    return this.distance(page) <= workingsetSize;
  }

  /**
   * workingset_refault: the page faults back in; `sizes` are the LRU sizes of the node it was
   * evicted from. Consumes the shadow entry. Returns REFAULT_* bits. A restore charges the page's
   * IO to `cost` (lru_note_cost_refault) with `lruSizePages` the node's four LRUs.
   */
  refault(page: number, sizes: LruSizes, swapHasRoom: boolean, cost?: ScanCost, lruSizePages = 0): number {
    if (!this.hasShadow(page)) return REFAULT_NONE;
    const flags = this.shadowFlags[page];
    const type = (flags & SH_FILE) !== 0 ? 1 : 0;
    const node = this.shadowNode[page];
    this.refaults[type]++;
    const recent = this.testRecent(page, sizes, swapHasRoom);
    this.shadowFlags[page] = 0;
    if (!recent) return REFAULT_SEEN;
    this.age[node] += 1;
    this.activations[type]++;
    if ((flags & SH_WORKINGSET) === 0) return REFAULT_SEEN | REFAULT_ACTIVATE;
    this.restores[type]++;
    cost?.noteRefault(type === 1, 1, lruSizePages);
    return REFAULT_SEEN | REFAULT_ACTIVATE | REFAULT_RESTORE;
  }

  /**
   * lru_gen_eviction: the shadow holds min_seq of the page's type and its refs (token = min_seq and
   * max(refs − 1, 0), workingset = refs ≠ 0, so lru_gen_refault reads back refs exactly).
   */
  evictGen(page: number, node: number, file: boolean, refs: number, minSeq: number): void {
    this.ensure(page + 1);
    this.shadowAge[page] = minSeq;
    this.shadowNode[page] = node;
    this.shadowTier[page] = refs;
    this.shadowFlags[page] = SH_PRESENT | (file ? SH_FILE : 0) | (refs > 0 ? SH_WORKINGSET : 0);
  }

  /**
   * lru_gen_refault: returns the refs the page had at eviction (its tier is lru_tier_from_refs), or
   * −1 when the shadow is missing or stale (evicted under an older min_seq than `minSeqNow` of its
   * type: lru_gen_test_recent). Consumes the shadow; counts a refault, and an activation if recent.
   */
  refaultGen(page: number, minSeqNow: number): number {
    if (!this.hasShadow(page)) return -1;
    const type = (this.shadowFlags[page] & SH_FILE) !== 0 ? 1 : 0;
    this.shadowFlags[page] = 0;
    this.refaults[type]++;
    if (this.shadowAge[page] !== minSeqNow) return -1;
    this.activations[type]++;
    return this.shadowTier[page];
  }

  /** Node a shadowed page was evicted from. */
  nodeOf(page: number): number {
    return this.shadowNode[page];
  }

  isFile(page: number): boolean {
    return (this.shadowFlags[page] & SH_FILE) !== 0;
  }
}

/** struct ctrl_pos: one side of the controller's comparison. */
export interface CtrlPos {
  refaulted: number;
  total: number;
  gain: number;
}

/** positive_ctrl_err: pv refaults too little to matter, or no more (gain-weighted) than sp. */
export function positiveCtrlErr(sp: CtrlPos, pv: CtrlPos): boolean {
  return (
    pv.refaulted < MIN_LRU_BATCH ||
    pv.refaulted * (sp.total + MIN_LRU_BATCH) * sp.gain <= (sp.refaulted + 1) * pv.total * pv.gain
  );
}

/**
 * Per-node, per-type, per-tier refault statistics of MGLRU (lrugen->evicted / refaulted / protected
 * with NR_HIST_GENS = 1, and avg_refaulted / avg_total), and the controller that reads them.
 * Index: ((node · 2) + type) · 4 + tier.
 */
export class TierCtrl {
  readonly evicted: Float64Array;
  readonly refaulted: Float64Array;
  /** Pages of this tier protected by sort_folio (kernel: protected[tier − 1]). */
  readonly protectedPages: Float64Array;
  readonly avgRefaulted: Float64Array;
  readonly avgTotal: Float64Array;
  /** Scratch positions, reused so the controller allocates nothing. */
  private readonly sp: CtrlPos = { refaulted: 0, total: 0, gain: 0 };
  private readonly pv: CtrlPos = { refaulted: 0, total: 0, gain: 0 };
  /** Last tier index chosen by chooseType (tiers above it are protected). */
  tierIdx = 0;

  constructor(nodes: number) {
    const n = nodes * 2 * MAX_NR_TIERS;
    this.evicted = new Float64Array(n);
    this.refaulted = new Float64Array(n);
    this.protectedPages = new Float64Array(n);
    this.avgRefaulted = new Float64Array(n);
    this.avgTotal = new Float64Array(n);
  }

  private static idx(node: number, type: number, tier: number): number {
    return (node * 2 + type) * MAX_NR_TIERS + tier;
  }

  noteEvicted(node: number, type: number, tier: number, pages = 1): void {
    this.evicted[TierCtrl.idx(node, type, tier)] += pages;
  }

  noteRefaulted(node: number, type: number, tier: number, pages = 1): void {
    this.refaulted[TierCtrl.idx(node, type, tier)] += pages;
  }

  /** sort_folio protected a tier ≥ 1 page (moved it to the next generation). */
  noteProtected(node: number, type: number, tier: number, pages = 1): void {
    this.protectedPages[TierCtrl.idx(node, type, tier)] += pages;
  }

  /** read_ctrl_pos into `pos`. */
  readCtrlPos(node: number, type: number, tier: number, gain: number, pos: CtrlPos): CtrlPos {
    const i = TierCtrl.idx(node, type, tier);
    pos.refaulted = this.avgRefaulted[i] + this.refaulted[i];
    pos.total = this.avgTotal[i] + this.evicted[i];
    if (tier > 0) pos.total += this.protectedPages[i];
    pos.gain = gain;
    return pos;
  }

  /** reset_ctrl_pos(carryover = true), called when min_seq of `type` advances: halve into averages. */
  carryOver(node: number, type: number): void {
    for (let tier = 0; tier < MAX_NR_TIERS; tier++) {
      const i = TierCtrl.idx(node, type, tier);
      this.avgRefaulted[i] = Math.floor((this.avgRefaulted[i] + this.refaulted[i]) / 2);
      let sum = this.avgTotal[i] + this.evicted[i];
      if (tier > 0) sum += this.protectedPages[i];
      this.avgTotal[i] = Math.floor(sum / 2);
      this.refaulted[i] = 0;
      this.evicted[i] = 0;
      this.protectedPages[i] = 0;
    }
  }

  /**
   * get_tier_idx: compare tiers 1..3 (gain 2, a margin for fluctuation) with tier 0 (gain 1);
   * return the last tier before the first one that refaults more. Pages in higher tiers are
   * protected from eviction.
   */
  getTierIdx(node: number, type: number): number {
    this.readCtrlPos(node, type, 0, 1, this.sp);
    let tier = 1;
    for (; tier < MAX_NR_TIERS; tier++) {
      this.readCtrlPos(node, type, tier, 2, this.pv);
      if (!positiveCtrlErr(this.sp, this.pv)) break;
    }
    return tier - 1;
  }

  /**
   * get_type_to_scan: anon tier 0 (gain swappiness) against file tier 0 (gain 200 − swappiness)
   * picks the type (1 = file when file refaults no more than anon); then the chosen type's tiers
   * are compared with the other type's tier 0 to set `tierIdx`.
   */
  getTypeToScan(node: number, swappiness: number): number {
    const gainAnon = swappiness;
    const gainFile = MAX_SWAPPINESS - swappiness;
    this.readCtrlPos(node, LRU_GEN_ANON, 0, gainAnon, this.sp);
    this.readCtrlPos(node, LRU_GEN_FILE, 0, gainFile, this.pv);
    const type = positiveCtrlErr(this.sp, this.pv) ? LRU_GEN_FILE : LRU_GEN_ANON;
    const other = 1 - type;
    this.readCtrlPos(node, other, 0, other === LRU_GEN_ANON ? gainAnon : gainFile, this.sp);
    let tier = 1;
    for (; tier < MAX_NR_TIERS; tier++) {
      this.readCtrlPos(node, type, tier, type === LRU_GEN_ANON ? gainAnon : gainFile, this.pv);
      if (!positiveCtrlErr(this.sp, this.pv)) break;
    }
    this.tierIdx = tier - 1;
    return type;
  }

  /**
   * isolate_folios' choice of type: swappiness 0 → file; anon's oldest generation older than
   * file's → anon; swappiness 1 → file; 200 → anon; else the controller. `tierIdx` is set for the
   * chosen type (get_tier_idx when a shortcut chose it).
   */
  chooseType(node: number, swappiness: number, minSeqAnon: number, minSeqFile: number): number {
    let type: number;
    if (swappiness === 0) type = LRU_GEN_FILE;
    else if (minSeqAnon < minSeqFile) type = LRU_GEN_ANON;
    else if (swappiness === 1) type = LRU_GEN_FILE;
    else if (swappiness === MAX_SWAPPINESS) type = LRU_GEN_ANON;
    else return this.getTypeToScan(node, swappiness);
    this.tierIdx = this.getTierIdx(node, type);
    return type;
  }
}
