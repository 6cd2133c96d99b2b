// pebs: the plain sampling-based tiering policy that HeMem, Memtis and their successors refine —
// hardware samples memory events (Intel PEBS), a daemon counts samples per page, promotes pages
// whose count crosses a threshold and demotes the coldest fast-tier pages to make room. No single
// original: it is the common core of HeMem (SOSP'21 §4, github.com/cuhk-mass/hemem src/pebs.c) and
// of the PEBS tiering prototypes surveyed there, with HeMem's events and periods; use `hemem` or
// `memtis` for the published systems.
//
// - Sampling: loads served by DRAM, loads served by a slower tier, and stores, one sample every
//   samplePeriod events (storePeriod for stores), drained from the engine's ring buffer.
// - Counters: one saturating 16-bit sample count per page, and the cooling clock it was last
//   brought up to.
// - Hot threshold: a slow-tier page whose count reaches hotThreshold joins the promotion
//   candidates (a FIFO list).
// - Cooling by sample count, as HeMem does (src/pebs.c pebs_scan_thread: `if
//   (page->accesses[j] > PEBS_COOLING_THRESHOLD) global_clock++`, and each page's counts are
//   halved lazily, `accesses >>= global_clock − page->local_clock`, when the page is next looked
//   at). Hotness and cooling are then on the same scale, samples, whatever the sample period: at a
//   small period samples come fast and so do coolings. (A time-based cooling with an absolute
//   sample-count threshold, as this policy had, made every DRAM page look hot at periods 1 and
//   100, so nothing was promoted.) A candidate that cooled below the threshold is moved back to
//   the cold list when the daemon reaches it.
// - Fast-tier order: fast-tier pages sit on a list ordered by their last sample (head = sampled
//   most recently), so the tail is the coldest page by sampling.
// - Migration daemon, every migratePeriodMs: promote candidates, oldest first, up to
//   migrateBudgetMiB per period; when the fast tier has no free frame, first demote the fast-tier
//   tail if its (cooled) count is below the threshold; if the tail is hot (all of DRAM is hot), stop.
//   Asynchronous migrations (kernel CPU and bandwidth, no application stall).
// - Allocation: fast tier first (the engine falls back to slower tiers).
// - Works with 4 KiB or 2 MiB pages (`--page-size 2m`); the threshold counts samples per page, so
//   huge pages reach it sooner.

import { definePolicy, EVENT_LOAD_LOCAL, EVENT_LOAD_REMOTE, EVENT_STORE, FAULT_HINT } from './policy.ts';
import type { Host, PolicyHooks } from './policy.ts';
import { PageLists, NO_PAGE } from './lib/page-lists.ts';
import { grow, initialPages } from './lib/grow.ts';
import { demoteToSlower } from './lib/demote.ts';
import { MAX_COUNT, MAX_EVENT_NS, MAX_MIB, MAX_SIM_MS } from '../sim/config.ts';

export const L_FAST = 0;
export const L_SLOW_HOT = 1;
export const L_SLOW_COLD = 2;

const TIMER_MIGRATE = 2;
const COUNT_MAX = 0xffff;

export interface PebsParams {
  samplePeriod: number;
  storePeriod: number;
  hotThreshold: number;
  coolingThreshold: number;
  migratePeriodMs: number;
  migrateBudgetMiB: number;
  listOpNs: number;
}

export class Pebs {
  readonly lists: PageLists;
  count: Uint16Array;
  /** Cooling clock each page's count was last brought up to (page->local_clock). */
  localClock: Uint32Array;
  /** The global cooling clock (global_clock): advanced when a sampled count passes coolingThreshold. */
  globalClock = 0;
  private readonly budgetBytes: number;
  private readonly cCandidates: number;
  private readonly cCoolings: number;
  private readonly cDemotedForRoom: number;
  private readonly cAllFastHot: number;
  private ops = 0;

  constructor(
    readonly p: PebsParams,
    private readonly host: Host,
  ) {
    // Per-page columns sized once for the pages the run expects (lib/grow.ts initialPages).
    const n = initialPages(host);
    this.lists = new PageLists(3, n);
    this.count = new Uint16Array(n);
    this.localClock = new Uint32Array(n);
    this.budgetBytes = p.migrateBudgetMiB * 1024 * 1024;
    this.cCandidates = host.counter('becameHot');
    this.cCoolings = host.counter('coolings');
    this.cDemotedForRoom = host.counter('demotedForRoom');
    this.cAllFastHot = host.counter('stopsAllDramHot');
  }

  start(): void {
    const h = this.host;
    h.sample(EVENT_LOAD_LOCAL, this.p.samplePeriod);
    h.sample(EVENT_LOAD_REMOTE, this.p.samplePeriod);
    h.sample(EVENT_STORE, this.p.storePeriod || this.p.samplePeriod);
    h.every(this.p.migratePeriodMs * 1e6, TIMER_MIGRATE);
  }

  hooks(): PolicyHooks {
    return {
      place: () => 0,
      onFault: (page, kind) => this.onFault(page, kind),
      onSample: (page) => this.onSample(page),
      onTimer: () => this.migrateRound(),
    };
  }

  onFault(page: number, kind: number): void {
    if (kind === FAULT_HINT) return;
    if (page >= this.count.length) {
      this.count = grow(this.count, page + 1);
      this.localClock = grow(this.localClock, page + 1);
      this.lists.ensure(page + 1);
    }
    this.lists.remove(page);
    this.count[page] = 0;
    this.localClock[page] = this.globalClock;
    this.lists.pushHead(this.host.tierOf(page) === 0 ? L_FAST : L_SLOW_COLD, page);
  }

  /** Apply the halvings the global clock advanced by since the page was last looked at. */
  catchUp(page: number): number {
    const d = this.globalClock - this.localClock[page];
    if (d > 0) {
      this.count[page] = d >= 16 ? 0 : this.count[page] >>> d;
      this.localClock[page] = this.globalClock;
    }
    return this.count[page];
  }

  onSample(page: number): void {
    if (page >= this.count.length) return;
    const l = this.lists.listOf[page];
    if (l < 0) return;
    this.catchUp(page);
    const c = this.count[page] < COUNT_MAX ? ++this.count[page] : COUNT_MAX;
    if (l === L_FAST) this.lists.moveHead(L_FAST, page);
    else if (l === L_SLOW_COLD && c >= this.p.hotThreshold) {
      this.lists.moveHead(L_SLOW_HOT, page);
      this.host.count(this.cCandidates);
    }
    if (c > this.p.coolingThreshold) {
      this.globalClock++;
      this.host.count(this.cCoolings);
    }
  }

  migrateRound(): void {
    const host = this.host;
    const lists = this.lists;
    let migrated = 0;
    while (migrated < this.budgetBytes) {
      const p = lists.tail[L_SLOW_HOT];
      if (p === NO_PAGE) break;
      if (this.catchUp(p) < this.p.hotThreshold) {
        lists.moveHead(L_SLOW_COLD, p); // cooled off since it became a candidate
        this.ops++;
        continue;
      }
      if (host.free(0) <= 0) {
        const v = lists.tail[L_FAST];
        if (v === NO_PAGE || this.catchUp(v) >= this.p.hotThreshold) {
          host.count(this.cAllFastHot);
          break;
        }
        if (!demoteToSlower(host, v)) break;
        lists.moveHead(L_SLOW_COLD, v);
        host.count(this.cDemotedForRoom);
        this.ops++;
      }
      if (!host.migrate(p, 0, true)) break;
      lists.moveHead(L_FAST, p);
      migrated += host.pageBytes;
      this.ops++;
    }
    if (this.ops > 0) {
      host.chargeKernelNs(this.ops * this.p.listOpNs);
      this.ops = 0;
    }
  }
}

export default definePolicy({
  name: 'pebs',
  summary: 'Plain PEBS sampling: per-page sample counts, hot threshold, halving when a count passes the cooling threshold (HeMem\'s lazy cooling clock), promote hot slow pages and demote the least recently sampled fast pages within a budget.',
  source: 'Common core of PEBS tiering (HeMem SOSP\'21 §4, github.com/cuhk-mass/hemem src/pebs.c events and periods); not a single published system',
  params: {
    samplePeriod: { default: 10007, min: 1, max: MAX_COUNT, integer: true, doc: 'Load events per sample (DRAM and slow-tier loads); 10007 is the prime HeMem\'s pebs.h lists as its alternative SAMPLE_PERIOD [code].' },
    storePeriod: { default: 0, min: 0, max: MAX_COUNT, integer: true, doc: 'Store events per sample (0 = samplePeriod).' },
    hotThreshold: { default: 4, min: 1, max: 1e6, integer: true, doc: 'Samples (since the last halvings) that make a slow-tier page a promotion candidate [estimate; HeMem artifact uses 4].' },
    coolingThreshold: { default: 10, min: 1, max: 1e6, integer: true, doc: 'A page\'s sample count above this advances the cooling clock, halving every count (lazily); HeMem\'s PEBS_COOLING_THRESHOLD, 10 with its hot threshold 4 (artifact edb0d3c) [code].' },
    migratePeriodMs: { default: 100, min: 1e-3, max: MAX_SIM_MS, doc: 'Period of the migration daemon, in ms [estimate].' },
    migrateBudgetMiB: { default: 1024, min: 0, max: MAX_MIB, doc: 'Promotions per migration period, in MiB [estimate].' },
    listOpNs: { default: 50, min: 0, max: MAX_EVENT_NS, doc: 'CPU time per page examined or moved by the daemons, in ns [estimate].' },
  },
  create(params, host) {
    const p = new Pebs(params as PebsParams, host);
    p.start();
    return p.hooks();
  },
});
