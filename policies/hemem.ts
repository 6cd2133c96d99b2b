// hemem: HeMem (Raybuck et al., "HeMem: Scalable Tiered Memory Management for Big Data
// Applications and Real NVM", SOSP'21 §3–4), a user-space tiered-memory manager that learns page
// hotness from PEBS samples and moves 2 MiB pages between DRAM and the slow tier (NVM in the paper,
// CXL here). Follows github.com/cuhk-mass/hemem src/pebs.c (pebs_scan_thread, pebs_policy_thread,
// partial_cool_peek_and_move, pebs_allocate_page) and src/pebs.h (HOT_READ_THRESHOLD,
// HOT_WRITE_THRESHOLD, PEBS_COOLING_THRESHOLD, SAMPLE_PERIOD, PEBS_KSWAPD_MIGRATE_RATE,
// COOLING_PAGES) at two commits, selectable with `--set policy.hemem.preset=sosp21|artifact`:
// aaa78a9 "SOSP submission" (sosp21, the default) and edb0d3c "artifact" (FACTS.md §3).
//
// Run it with 2 MiB pages, as HeMem manages memory: `--page-size 2m` (config pageSizeKiB=2048; the
// page size is a run-wide key). With 4 KiB pages it still works, counting samples per 4 KiB page.
//
// - Sampling: three PEBS events, one sample every SAMPLE_PERIOD events each: loads served by DRAM
//   (MEM_LOAD_L3_MISS_RETIRED.LOCAL_DRAM), loads served by the slow tier (…LOCAL_PMM; CXL here),
//   all stores (MEM_INST_RETIRED.ALL_STORES). Per page: one counter per event.
// - Hotness: hot when writes ≥ HOT_WRITE_THRESHOLD or DRAM + slow-tier reads ≥ HOT_READ_THRESHOLD;
//   a sample that crosses the line moves the page between its tier's hot and cold lists at once
//   (the original posts a request on the hot/cold ring that the policy thread applies in its next
//   loop; with the sosp21 1 s loop this is earlier by up to a loop).
// - Cooling: when a sampled counter exceeds PEBS_COOLING_THRESHOLD the global clock advances;
//   each page's counters are halved lazily, `count >>= global_clock − page_clock`, the next time
//   the page is looked at (a sample, the policy thread). Deliberate difference: the original
//   shifts only the sampled event's counter and after the hot check; here all three counters are
//   shifted before the increment, the intent stated in the paper (§4.2, "halves all counts").
// - Lists: FIFO hot, cold lists per tier (index links in typed arrays); DRAM's free list is the
//   tier's free frames. Allocation goes to DRAM first, then the slow tier (pebs_allocate_page);
//   a new page starts cold.
// - Policy thread, every policyIntervalMs (sosp21: 1 s; artifact: a continuous loop, modelled as
//   1 ms [estimate]): take the oldest page of the slow tier's hot list; if it has cooled, move it
//   to the cold list; else promote it, into a free DRAM frame if any, else first demote the oldest
//   DRAM cold page to the slow tier; if DRAM has no cold page (all DRAM is hot) put the page back
//   and stop the round. At most PEBS_KSWAPD_MIGRATE_RATE (10 GiB) promoted per round. No watermark
//   demotion. Migrations are asynchronous (HeMem copies with DMA / copy threads while the page is
//   write-protected): kernel CPU and bandwidth, no stall of the application's CPUs.
// - Cooling walk (partial_cool_peek_and_move): after the clock advances, each policy round walks
//   up to COOLING_PAGES pages of each hot list and moves pages whose halved counts fell below the
//   thresholds to the cold list, so that DRAM pages of a hot set that moved away become demotable.
//   FACTS gives this walk for the artifact only; it is used with both presets [estimate for sosp21].
// - Cost: each sample costs cost.sampleNs (engine); list operations of the policy thread cost
//   listOpNs each [estimate]; migrations cost the engine's migration cost.

import { definePolicy, EVENT_LOAD_LOCAL, EVENT_LOAD_REMOTE, EVENT_STORE, FAULT_HINT } from './policy.ts';
import type { Host, PolicyHooks } from './policy.ts';
import { PageLists, NO_PAGE } from './lib/page-lists.ts';
import { grow, initialPages } from './lib/grow.ts';
import { demoteToSlower } from './lib/demote.ts';
import { MAX_COUNT, MAX_EVENT_NS, MAX_MIB, MAX_SIM_MS } from '../sim/config.ts';

/** Lists: tier class (0 = DRAM, 1 = slow tier) × (hot, cold). */
export const L_DRAM_HOT = 0;
export const L_DRAM_COLD = 1;
export const L_SLOW_HOT = 2;
export const L_SLOW_COLD = 3;

const TIMER_POLICY = 1;

/** The two published parameter sets (FACTS.md §3). */
export const HEMEM_PRESETS = {
  /** aaa78a9 "SOSP submission". */
  sosp21: { hotReadThreshold: 8, hotWriteThreshold: 8, coolingThreshold: 18, samplePeriod: 5003, policyIntervalMs: 1000 },
  /** edb0d3c "artifact"; its policy thread loops continuously, modelled as a 1 ms period [estimate]. */
  artifact: { hotReadThreshold: 4, hotWriteThreshold: 4, coolingThreshold: 10, samplePeriod: 19997, policyIntervalMs: 1 },
} as const;

export interface HememParams {
  preset: string;
  hotReadThreshold: number;
  hotWriteThreshold: number;
  coolingThreshold: number;
  samplePeriod: number;
  policyIntervalMs: number;
  migrateBudgetMiB: number;
  coolingPages: number;
  listOpNs: number;
}

/** Parameters with 0 = "the preset's value" resolved. */
export function resolveHememParams(p: HememParams): HememParams {
  const preset = HEMEM_PRESETS[p.preset as keyof typeof HEMEM_PRESETS];
  if (!preset) throw new Error(`hemem: unknown preset "${p.preset}"; valid: ${Object.keys(HEMEM_PRESETS).join(', ')}`);
  return {
    ...p,
    hotReadThreshold: p.hotReadThreshold || preset.hotReadThreshold,
    hotWriteThreshold: p.hotWriteThreshold || preset.hotWriteThreshold,
    coolingThreshold: p.coolingThreshold || preset.coolingThreshold,
    samplePeriod: p.samplePeriod || preset.samplePeriod,
    policyIntervalMs: p.policyIntervalMs || preset.policyIntervalMs,
  };
}

/** HeMem's state and threads; exported so that tests can inspect counters and lists. */
export class Hemem {
  readonly p: HememParams;
  readonly lists: PageLists;
  /** Sample counters per page: [3·page + event], event = EVENT_LOAD_LOCAL (DRAM read), EVENT_LOAD_REMOTE (slow read), EVENT_STORE. */
  acc: Uint32Array;
  /** Global clock value the page's counters were last brought up to (page->local_clock). */
  localClock: Uint32Array;
  /** 1 if the page is on a hot list. */
  hot: Uint8Array;
  /** The global cooling clock (global_clock). */
  globalClock = 0;
  /** need_cool_dram / need_cool_nvm, and the walk cursor per hot list (-1 = walk not started). */
  readonly needCool = new Uint8Array(2);
  readonly coolCursor = new Int32Array(2).fill(NO_PAGE);
  readonly coolWalking = new Uint8Array(2);

  private readonly cCoolings: number;
  private readonly cBecameHot: number;
  private readonly cCooledOff: number;
  private readonly cDemotedForRoom: number;
  private readonly cAllDramHot: number;
  private readonly budgetBytes: number;
  protected ops = 0;

  constructor(
    params: HememParams,
    protected readonly host: Host,
  ) {
    this.p = resolveHememParams(params);
    // Per-page columns sized once for the pages the run expects (lib/grow.ts initialPages).
    const n = initialPages(host);
    this.lists = new PageLists(4, n);
    this.acc = new Uint32Array(3 * n);
    this.localClock = new Uint32Array(n);
    this.hot = new Uint8Array(n);
    this.budgetBytes = this.p.migrateBudgetMiB * 1024 * 1024;
    this.cCoolings = host.counter('coolings');
    this.cBecameHot = host.counter('becameHot');
    this.cCooledOff = host.counter('cooledOffHotList');
    this.cDemotedForRoom = host.counter('demotedForRoom');
    this.cAllDramHot = host.counter('stopsAllDramHot');
  }

  start(): void {
    const period = this.p.samplePeriod;
    this.host.sample(EVENT_LOAD_LOCAL, period);
    this.host.sample(EVENT_LOAD_REMOTE, period);
    this.host.sample(EVENT_STORE, period);
    this.host.every(this.p.policyIntervalMs * 1e6, TIMER_POLICY);
  }

  hooks(): PolicyHooks {
    return {
      place: () => 0, // DRAM first; the engine falls back to the slow tier when DRAM is full
      onFault: (page, kind) => this.onFault(page, kind),
      onSample: (page, event) => this.onSample(page, event),
      onTimer: () => this.policyRound(),
    };
  }

  private ensure(page: number): void {
    if (page < this.hot.length) return;
    this.acc = grow(this.acc, 3 * (page + 1));
    this.localClock = grow(this.localClock, page + 1);
    this.hot = grow(this.hot, page + 1);
    this.lists.ensure(page + 1);
  }

  /** First touch (or swap-in): the page starts cold on its tier's cold list with zero counts. */
  onFault(page: number, kind: number): void {
    if (kind === FAULT_HINT) return;
    this.ensure(page);
    this.unlink(page);
    this.acc[3 * page] = this.acc[3 * page + 1] = this.acc[3 * page + 2] = 0;
    this.localClock[page] = this.globalClock;
    this.hot[page] = 0;
    this.lists.pushHead(this.host.tierOf(page) === 0 ? L_DRAM_COLD : L_SLOW_COLD, page);
  }

  /** Apply the halvings the global clock has advanced by since the page was last looked at. */
  catchUp(page: number): void {
    const d = this.globalClock - this.localClock[page];
    if (d <= 0) return;
    const b = 3 * page;
    if (d >= 32) {
      this.acc[b] = this.acc[b + 1] = this.acc[b + 2] = 0;
    } else {
      this.acc[b] >>>= d;
      this.acc[b + 1] >>>= d;
      this.acc[b + 2] >>>= d;
    }
    this.localClock[page] = this.globalClock;
  }

  isHot(page: number): boolean {
    const b = 3 * page;
    return this.acc[b + 2] >= this.p.hotWriteThreshold || this.acc[b] + this.acc[b + 1] >= this.p.hotReadThreshold;
  }

  onSample(page: number, event: number): void {
    if (page >= this.hot.length || this.lists.listOf[page] < 0) return; // not (yet) a page of ours
    this.catchUp(page);
    const i = 3 * page + event;
    this.acc[i]++;
    const hot = this.isHot(page);
    if (hot !== (this.hot[page] === 1)) {
      const slow = this.lists.listOf[page] >= L_SLOW_HOT;
      this.unlink(page);
      this.hot[page] = hot ? 1 : 0;
      this.lists.pushHead(slow ? (hot ? L_SLOW_HOT : L_SLOW_COLD) : hot ? L_DRAM_HOT : L_DRAM_COLD, page);
      if (hot) this.host.count(this.cBecameHot);
    }
    if (this.acc[i] > this.p.coolingThreshold) {
      this.globalClock++;
      this.needCool[0] = this.needCool[1] = 1;
      this.host.count(this.cCoolings);
    }
  }

  /** Take the page off its list, keeping the cooling walks' cursors valid. */
  protected unlink(page: number): void {
    const l = this.lists.listOf[page];
    if (l < 0) return;
    if (l === L_DRAM_HOT || l === L_SLOW_HOT) {
      const w = l === L_DRAM_HOT ? 0 : 1;
      if (this.coolCursor[w] === page) this.coolCursor[w] = this.lists.next[page];
    }
    this.lists.remove(page);
    this.ops++;
  }

  protected enqueue(list: number, page: number): void {
    this.lists.pushHead(list, page);
    this.ops++;
  }

  /** Oldest page of a FIFO list, taken off it; -1 if empty. */
  private dequeue(list: number): number {
    const page = this.lists.tail[list];
    if (page !== NO_PAGE) this.unlink(page);
    return page;
  }

  /** pebs_policy_thread, one loop. */
  policyRound(): void {
    const host = this.host;
    let migrated = 0;
    promote: while (migrated < this.budgetBytes) {
      const p = this.dequeue(L_SLOW_HOT);
      if (p === NO_PAGE) break; // nothing in the slow tier is hot
      this.catchUp(p);
      if (!this.isHot(p)) {
        this.hot[p] = 0;
        this.enqueue(L_SLOW_COLD, p);
        continue;
      }
      for (let tries = 0; tries < 2; tries++) {
        if (host.free(0) > 0 && host.migrate(p, 0, true)) {
          this.enqueue(L_DRAM_HOT, p);
          migrated += host.pageBytes;
          continue promote;
        }
        // No free DRAM frame: demote the oldest cold DRAM page to make room.
        const cp = this.dequeue(L_DRAM_COLD);
        if (cp === NO_PAGE) {
          // All of DRAM is hot: put the page back and end the round.
          this.enqueue(L_SLOW_HOT, p);
          host.count(this.cAllDramHot);
          break promote;
        }
        if (!demoteToSlower(this.host, cp)) {
          this.lists.pushTail(L_DRAM_COLD, cp);
          this.enqueue(L_SLOW_HOT, p);
          break promote;
        }
        this.enqueue(L_SLOW_COLD, cp);
        host.count(this.cDemotedForRoom);
      }
      this.enqueue(L_SLOW_HOT, p); // DRAM still full after a demotion (capacity 0?): give up this round
      break;
    }
    this.coolWalk(0);
    this.coolWalk(1);
    if (this.ops > 0) {
      host.chargeKernelNs(this.ops * this.p.listOpNs);
      this.ops = 0;
    }
  }

  /** partial_cool_peek_and_move: walk up to coolingPages of hot list w (0 DRAM, 1 slow) after the clock advanced. */
  protected coolWalk(w: number): void {
    if (!this.needCool[w]) return;
    const hotList = w === 0 ? L_DRAM_HOT : L_SLOW_HOT;
    const coldList = w === 0 ? L_DRAM_COLD : L_SLOW_COLD;
    if (!this.coolWalking[w]) {
      this.coolWalking[w] = 1;
      this.coolCursor[w] = this.lists.head[hotList];
    }
    const lists = this.lists;
    for (let i = 0; i < this.p.coolingPages && this.coolCursor[w] !== NO_PAGE; i++) {
      const page = this.coolCursor[w];
      this.coolCursor[w] = lists.next[page]; // toward older pages; pages enqueued meanwhile are ahead of the walk
      this.catchUp(page);
      this.ops++;
      if (!this.isHot(page)) {
        this.unlink(page);
        this.hot[page] = 0;
        this.enqueue(coldList, page);
        this.host.count(this.cCooledOff);
      }
    }
    if (this.coolCursor[w] === NO_PAGE) {
      this.coolWalking[w] = 0;
      this.needCool[w] = 0;
    }
  }
}

export default definePolicy({
  name: 'hemem',
  summary: 'HeMem (SOSP\'21): PEBS samples per 2 MiB page, hot/cold FIFO lists per tier, lazy cooling clock, promote hot slow pages demoting cold DRAM pages. Run with --page-size 2m.',
  source: 'Raybuck et al. SOSP\'21 §3–4; github.com/cuhk-mass/hemem src/pebs.c pebs_scan_thread / pebs_policy_thread / partial_cool_peek_and_move, src/pebs.h; commits aaa78a9 (sosp21) and edb0d3c (artifact)',
  params: {
    preset: { default: 'sosp21', choices: ['sosp21', 'artifact'], doc: 'Published parameter set: sosp21 = commit aaa78a9 "SOSP submission" (read/write thresholds 8/8, cooling threshold 18, sample period 5003, policy loop 1 s); artifact = commit edb0d3c (4/4, 10, 19997, continuous loop) [code].' },
    hotReadThreshold: { default: 0, min: 0, max: 1e6, integer: true, doc: 'HOT_READ_THRESHOLD: a page is hot when its DRAM + slow-tier read samples reach this (0 = the preset\'s: 8 sosp21, 4 artifact) [code].' },
    hotWriteThreshold: { default: 0, min: 0, max: 1e6, integer: true, doc: 'HOT_WRITE_THRESHOLD: a page is hot when its store samples reach this (0 = the preset\'s: 8 sosp21, 4 artifact) [code].' },
    coolingThreshold: { default: 0, min: 0, max: 1e6, integer: true, doc: 'PEBS_COOLING_THRESHOLD: a counter above this advances the global cooling clock (0 = the preset\'s: 18 sosp21, 10 artifact) [code].' },
    samplePeriod: { default: 0, min: 0, max: MAX_COUNT, integer: true, doc: 'SAMPLE_PERIOD in events per sample, the same for all three events (0 = the preset\'s: 5003 sosp21, 19997 artifact) [code].' },
    policyIntervalMs: { default: 0, min: 0, max: MAX_SIM_MS, doc: 'Policy thread period in ms (0 = the preset\'s: 1000 sosp21 [code via FACTS §3]; artifact loops continuously, modelled as 1 ms [estimate]).' },
    migrateBudgetMiB: { default: 10240, min: 0, max: MAX_MIB, doc: 'PEBS_KSWAPD_MIGRATE_RATE: bytes promoted per policy round, in MiB (10 GiB in both sets) [code].' },
    coolingPages: { default: 8192, min: 1, max: MAX_COUNT, integer: true, doc: 'COOLING_PAGES: hot-list pages examined per policy round by the cooling walk after the clock advances [code, artifact].' },
    listOpNs: { default: 50, min: 0, max: MAX_EVENT_NS, doc: 'CPU time per list operation or page examined by the policy thread, in ns [estimate].' },
  },
  create(params, host) {
    const h = new Hemem(params as HememParams, host);
    h.start();
    return h.hooks();
  },
});
