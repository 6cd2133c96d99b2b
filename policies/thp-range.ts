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
//   pages as unreferenced); with a sampling policy (memtis, hemem, pebs) only khugepaged reads them
//   (a range needs one young page to collapse).
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
//   MADV_COLLAPSE (mm/khugepaged.c madvise_collapse, Linux 6.1: khugepaged's collapse on request);
//   it fails without a free 2 MiB block there (compaction is not modelled). Without it khugepaged
//   collapses the range later (thp.scanSleepMs: 8 ranges per 10 s by default).
// - When: the policy's migration is only noted (PolicyHooks.onMigrated, inside its Host call); the
//   range's other pages move in this mechanism's timer at the same simulated time, asynchronously
//   (kernel time and bandwidth, as a migration daemon's; a kernel would stall a task that promotes
//   a PMD-mapped THP at a hint fault for the 2 MiB copy, a difference this mechanism keeps out of
//   the faulting task). One range's moves share one TLB flush round (tlb.batchedFlush).
// - The main policy hears of the moves through its onMigrated hook and of collapses through
//   onCollapsed, if it has them (memtis has both, and so do the kernel policies built on
//   policies/lib/kernel.ts, through lib/kernel-thp.ts; a policy without them warns).

import { definePolicy, asThpHost, PAGE_BASE, PAGE_SPLIT } from './policy.ts';
import type { Host, PolicyHooks, ThpHost } from './policy.ts';
import { grow } from './lib/grow.ts';

const SUBS = 512;
const UNMEASURED = 0xffff;
const TIMER_SCAN = 1;
const TIMER_MOVE = 2;

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
  /** Ranges waiting for their whole-range move (flag per range id), and the queue: range, target tier, promote (1/0). */
  private queued = new Uint8Array(0);
  private readonly queue: number[] = [];
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
      onTimer: (id) => (id === TIMER_SCAN ? this.scan() : this.moveQueued()),
      // A collapsed range's coverage is stale if it is ever split again.
      onCollapsed: (range) => void (range < this.coverage.length && (this.coverage[range] = UNMEASURED)),
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

  /**
   * The main policy moved `page` from tier `from` to `to`: decide from the range's coverage, and
   * queue the whole-range move for this mechanism's timer at the same simulated time (so that it
   * runs outside the policy's Host call, as work of its own: kernel time, not the faulting task's).
   */
  onMigrated(page: number, from: number, to: number): void {
    const host = this.host;
    // Only a 4 KiB page of a range (a huge page that migrate_pages split on the way is not).
    if (from < 0 || from === to || (host.flags(page) & PAGE_BASE) === 0) return;
    const range = host.rangeOf(page);
    if (range < 0) return;
    const cov = range < this.coverage.length ? this.coverage[range] : UNMEASURED;
    const promote = to < from;
    if (promote) {
      if (cov === UNMEASURED) return host.count(this.c.unmeasured);
      if (cov < this.p.promoteMinYoung) return host.count(this.c.tooFewYoung);
    } else if (this.p.demoteMaxYoung < 0 || cov === UNMEASURED || cov > this.p.demoteMaxYoung) return;
    if (range >= this.queued.length) this.queued = grow(this.queued, host.pageCount());
    if (this.queued[range]) return; // one move per range per batch: the first decides
    this.queued[range] = 1;
    this.queue.push(range, to, promote ? 1 : 0);
    if (this.queue.length === 3) host.after(0, TIMER_MOVE);
  }

  /** The queued whole-range moves, then MADV_COLLAPSE of each range moved (collapse = true). */
  moveQueued(): void {
    const host = this.host;
    const q = this.queue;
    for (let i = 0; i < q.length; i += 3) {
      const range = q[i];
      this.queued[range] = 0;
      if (host.rangeOf(range) === range && this.moveRange(range, q[i + 1], q[i + 2] === 1) && this.p.collapse) {
        host.count(host.collapseRange(range) ? this.c.collapses : this.c.collapseFailed);
      }
    }
    q.length = 0;
  }

  /**
   * Move every page of the range in a slower tier than `to` (promotion: `to` is where the policy's
   * page went) or a faster one (demotion) to `to`, if `to` keeps reservePct free. False if no room.
   */
  private moveRange(range: number, to: number, promote: boolean): boolean {
    const host = this.host;
    const first = host.rangeFirst(range);
    let want = 0;
    for (let q = first; q < first + SUBS; q++) {
      const t = host.tierOf(q);
      if (t >= 0 && (promote ? t > to : t < to)) want++;
    }
    // Room: the tier keeps reservePct of its capacity free after the move (migrate_balanced_pgdat).
    if (host.free(to) - want * this.unit < (host.capacity(to) * this.p.reservePct) / 100) {
      host.count(this.c.noRoom);
      return false;
    }
    let moved = 0;
    for (let q = first; q < first + SUBS; q++) {
      const t = host.tierOf(q);
      if (t >= 0 && (promote ? t > to : t < to) && host.migrate(q, to, true)) moved++;
    }
    host.count(promote ? this.c.promotions : this.c.demotions);
    host.count(this.c.pagesMoved, moved);
    return true;
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
