// thp-range: translation-aware migration, a `--with` mechanism (issue 17 item 4; README
// "Translation-aware migration"). When the main policy migrates one 4 KiB page of a 2 MiB range that
// transparent huge pages map with 4 KiB pages (fallen back at fault, or split), move the rest of the
// range with it when the range is hot enough (promotion) or cold (demotion), and collapse it back
// into one 2 MiB page there, so that the range keeps one 2 MiB TLB entry instead of 512 4 KiB ones.
// Needs 2 MiB pages (`--page-size 2m`); collapsing needs `thp.enabled`. Inert in 4 KiB runs.
//
// What it follows (no kernel or paper has exactly this rule; each piece has a base):
// - Whole-range moves: Linux migrates a PMD-mapped THP as one folio (mm/migrate.c migrate_pages →
//   migrate_pages_batch; NUMA balancing promotes the whole 2 MiB at one hint fault,
//   migrate_misplaced_folio), and reclaim demotes a THP whole when its one PMD young bit is clear
//   (mm/rmap.c folio_referenced). For a range mapped with 4 KiB pages the kernel moves only the
//   4 KiB page asked for; this mechanism restores folio-grain moves for such ranges.
// - Hotness of a range = its access coverage: how many of its 512 4 KiB pages were accessed in the
//   last scan period, measured by clearing and reading their accessed bits every scanPeriodMs
//   (HawkEye, Panwar et al. ASPLOS'19: "access-coverage", base pages accessed per 2 MiB region in a
//   sampling interval [paper, secondary]). Charged as PTE scans (512 per range per period). The
//   scan clears accessed bits that an LRU-based main policy also reads (its reclaim then sees those
//   pages as unreferenced); with a sampling policy (memtis, hemem, pebs) nothing else reads them.
// - Promotion: when the policy promotes a 4 KiB page of a range whose coverage ≥ promoteMinYoung
//   (K), every other page of the range in a slower tier moves to the same tier, if that tier keeps
//   reservePct of its capacity free afterwards (migrate_balanced_pgdat's "free above the high
//   watermark plus the folio's pages", with the watermark a parameter here). K defaults to 256 =
//   HPAGE_PMD_NR / 2, the young-page bar khugepaged sets for a range with swapped-out PTEs
//   (mm/khugepaged.c hpage_collapse_scan_pmd, SCAN_LACK_REFERENCED_PAGE); Ingens (OSDI'16) promotes
//   a region to a huge page at 90 % utilization (461 of 512) [secondary]. [estimate, 1–512]
// - Demotion: when the policy demotes a 4 KiB page of a range whose coverage ≤ demoteMaxYoung
//   (default 0: no page of it accessed in the last period, as a PMD-mapped THP is cold when its
//   young bit is clear), every other page of the range in a faster tier follows.
// - Collapse (collapse = true): after a whole-range move, the range is collapsed in its new tier by
//   MADV_COLLAPSE (mm/khugepaged.c madvise_collapse, Linux 6.1: khugepaged's collapse on request),
//   in a timer at the same simulated time (not inside the policy's migrate call); it fails without
//   a free 2 MiB block there (compaction is not modelled). Without it khugepaged collapses the range
//   later (thp.scanSleepMs: 8 ranges per 10 s by default).
// - The sibling moves run in the policy's context: inside a fault they stall the faulting CPU (a
//   THP promoted at a hint fault stalls it for 2 MiB too), in a daemon they are kernel time; one
//   range's moves share one TLB flush round (tlb.batchedFlush).
// - Not modelled: the main policy is not told of the sibling moves nor of collapses (as with
//   khugepaged: its records of the range's 4 KiB ids go stale; host calls on retired ids fail).

import { definePolicy, asThpHost, PAGE_BASE, PAGE_SPLIT } from './policy.ts';
import type { Host, PolicyHooks, ThpHost } from './policy.ts';
import { grow } from './lib/grow.ts';

const SUBS = 512;
const UNMEASURED = 0xffff;
const TIMER_SCAN = 1;
const TIMER_COLLAPSE = 2;

export interface ThpRangeParams {
  promoteMinYoung: number;
  demoteMaxYoung: number;
  scanPeriodMs: number;
  reservePct: number;
  collapse: boolean;
}

export class ThpRange {
  /** Per range (its huge page id): pages accessed in the last scan period, UNMEASURED before the first. */
  coverage = new Uint16Array(0);
  private queued = new Uint8Array(0);
  private queue: number[] = [];
  private readonly ids = new Int32Array(SUBS);
  private readonly young = new Int32Array(SUBS);
  private readonly unit: number;
  private readonly c: Record<'scanned' | 'promotions' | 'demotions' | 'pagesMoved' | 'tooFewYoung' | 'unmeasured' | 'noRoom' | 'collapses' | 'collapseFailed', number>;

  constructor(
    readonly host: ThpHost,
    readonly p: ThpRangeParams,
  ) {
    this.unit = 4096 / host.pageBytes;
    const c = (n: string) => host.counter(n);
    this.c = {
      scanned: c('rangesScanned'),
      promotions: c('rangePromotions'),
      demotions: c('rangeDemotions'),
      pagesMoved: c('rangePagesMoved'),
      tooFewYoung: c('rangeTooFewYoung'),
      unmeasured: c('rangeUnmeasured'),
      noRoom: c('rangeNoRoom'),
      collapses: c('rangeCollapses'),
      collapseFailed: c('rangeCollapseFailed'),
    };
    if (host.pageBytes === 4096) host.warn('thp-range does nothing in a run with 4 KiB pages: it acts on 2 MiB ranges mapped with 4 KiB pages (--page-size 2m)');
    else host.every(p.scanPeriodMs * 1e6, TIMER_SCAN);
  }

  hooks(): PolicyHooks {
    return {
      onMigrated: (page, from, to) => this.onMigrated(page, from, to),
      onTimer: (id) => (id === TIMER_SCAN ? this.scan() : this.collapseQueued()),
    };
  }

  /** Coverage scan: test and clear the accessed bits of every 4 KiB-mapped range's 512 pages. */
  scan(): void {
    const host = this.host;
    const n = host.pageCount();
    if (n > this.coverage.length) this.coverage = grow(this.coverage, n, UNMEASURED);
    let ranges = 0;
    for (let p = 0; p < n; p++) {
      if ((host.flags(p) & (PAGE_SPLIT | PAGE_BASE)) !== PAGE_SPLIT) continue;
      const first = host.rangeFirst(p);
      if (first < 0) continue;
      for (let k = 0; k < SUBS; k++) this.ids[k] = first + k;
      this.coverage[p] = host.testAndClearAccessedList(this.ids, 0, SUBS, -1, this.young);
      ranges++;
    }
    host.count(this.c.scanned, ranges);
  }

  /** The main policy moved `page` from tier `from` to `to`. */
  onMigrated(page: number, from: number, to: number): void {
    if (from < 0 || from === to) return;
    const host = this.host;
    const range = host.rangeOf(page);
    if (range < 0) return;
    const cov = range < this.coverage.length ? this.coverage[range] : UNMEASURED;
    if (to < from) {
      if (cov === UNMEASURED) return host.count(this.c.unmeasured);
      if (cov < this.p.promoteMinYoung) return host.count(this.c.tooFewYoung);
      this.moveRange(range, page, to, true);
    } else if (this.p.demoteMaxYoung >= 0 && cov !== UNMEASURED && cov <= this.p.demoteMaxYoung) {
      this.moveRange(range, page, to, false);
    }
  }

  /** Move the range's other pages that are in a slower (promote) or faster tier than `to` to `to`. */
  private moveRange(range: number, page: number, to: number, promote: boolean): void {
    const host = this.host;
    const first = host.rangeFirst(range);
    let want = 0;
    for (let q = first; q < first + SUBS; q++) {
      const t = host.tierOf(q);
      if (q !== page && t >= 0 && (promote ? t > to : t < to)) want++;
    }
    // Room: the tier keeps reservePct of its capacity free after the move (migrate_balanced_pgdat).
    if (host.free(to) - want * this.unit < (host.capacity(to) * this.p.reservePct) / 100) return host.count(this.c.noRoom);
    let moved = 0;
    for (let q = first; q < first + SUBS; q++) {
      const t = host.tierOf(q);
      if (q !== page && t >= 0 && (promote ? t > to : t < to) && host.migrate(q, to)) moved++;
    }
    host.count(promote ? this.c.promotions : this.c.demotions);
    host.count(this.c.pagesMoved, moved);
    if (!this.p.collapse) return;
    if (range >= this.queued.length) this.queued = grow(this.queued, host.pageCount());
    if (this.queued[range]) return;
    this.queued[range] = 1;
    this.queue.push(range);
    if (this.queue.length === 1) host.after(0, TIMER_COLLAPSE);
  }

  /** MADV_COLLAPSE of the ranges moved whole since the last call. */
  collapseQueued(): void {
    const host = this.host;
    for (const range of this.queue) {
      this.queued[range] = 0;
      if (host.rangeOf(range) !== range) continue; // collapsed already (khugepaged)
      host.count(host.collapseRange(range) ? this.c.collapses : this.c.collapseFailed);
    }
    this.queue.length = 0;
  }
}

export default definePolicy({
  name: 'thp-range',
  summary: 'Translation-aware migration (--with): when the policy moves a 4 KiB page of a 4 KiB-mapped 2 MiB range, move the whole range if hot (promotion) or cold (demotion), and collapse it there.',
  source: 'Linux mm/migrate.c (whole-folio THP migration), mm/khugepaged.c hpage_collapse_scan_pmd / madvise_collapse; HawkEye (ASPLOS\'19) access coverage; Ingens (OSDI\'16)',
  params: {
    promoteMinYoung: { default: 256, min: 1, max: 512, integer: true, doc: 'K: a promotion moves the whole range when at least K of its 512 4 KiB pages were accessed in the last scan period (HPAGE_PMD_NR / 2, khugepaged\'s bar for ranges with swapped PTEs; Ingens: 461). [estimate, 1–512]' },
    demoteMaxYoung: { default: 0, min: -1, max: 511, integer: true, doc: 'A demotion moves the whole range when at most this many of its pages were accessed in the last scan period (0: none, as a cold PMD-mapped THP); -1 = never.' },
    scanPeriodMs: { default: 1000, min: 1, max: 600000, doc: 'Period of the access-coverage scan (test-and-clear of every 4 KiB-mapped range\'s accessed bits). [estimate, 100–30000]' },
    reservePct: { default: 2, min: 0, max: 50, doc: '% of the target tier that must stay free after a whole-range move (stands for migrate_balanced_pgdat\'s high watermark). [estimate, 0.5–5]' },
    collapse: { default: true, doc: 'After a whole-range move, collapse the range into a 2 MiB page there (MADV_COLLAPSE; needs thp.enabled and a free 2 MiB block).' },
  },
  create(p, host: Host) {
    return new ThpRange(asThpHost(host, 'thp-range'), p).hooks();
  },
});
