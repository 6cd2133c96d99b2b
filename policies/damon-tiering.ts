// damon-tiering: DAMON-based memory tiering (Linux ≥ 6.11 for DAMOS_MIGRATE_HOT/COLD, v6.16 for the
// self-tuned setup): two kdamonds, one per node, each monitoring that node's physical address
// space (DAMON_OPS_PADDR) and applying one DAMOS scheme. Follows samples/damon/mtier.c
// (damon_sample_mtier_build_ctx, preset `mtier`, the default), SK hynix HMSDK tools/gen_migpol.py
// (preset `hmsdk`), and for the schemes' semantics mm/damon/paddr.c (damon_pa_prepare_access_checks,
// __damon_pa_check_access, damon_pa_migrate, damos_pa_filter_out, damon_pa_scheme_score),
// mm/damon/ops-common.c (damos_folio_filter_match: the young filter, damon_hot_score /
// damon_cold_score), mm/damon/core.c (damos_get_node_mem_bp) and damo's scripts/mem_tier.sh.
// The monitor and scheme engine are policies/lib/damon.ts.
//
// - Physical address space: the engine's frames have no addresses, so each node's frames are
//   slots 0 … capacity − 1 handed out by a LIFO free list (first touch takes the lowest free
//   slot, a migration frees the old slot and takes the new node's most recently freed one, like
//   the buddy allocator's per-CPU lists) [estimate: the layout of a real node is not modelled].
// - Promotion context (node 1): regions over node 1's slots; scheme MIGRATE_HOT to node 0 for
//   regions with nr_accesses ≥ 1, any age; young filter allows only young pages.
// - Demotion context (node 0): MIGRATE_COLD to node 1 for regions with nr_accesses == 0; young
//   filter rejects young pages.
// - Access check: the page in the sampled slot is made old (test-and-clear of its accessed bit,
//   charged as a PTE scan); one sample interval later its accessed bit is read (charged as a PTE
//   scan, not cleared: damon_folio_young only tests). A free slot is never accessed.
// - Quotas: mtier 200 MiB per 1 s window, apply interval 1 s, weights nr_accesses 100, age 100
//   (size 0), goals: promotion node-0 used 99.70 % (DAMOS_QUOTA_NODE_MEM_USED_BP 9970), demotion
//   node-0 free 0.50 % (NODE_MEM_FREE_BP 50), tuned by damon_feed_loop_next_input each window.
//   hmsdk: time quotas 2 s (promote) / 1 s (demote) and 50 GiB per 20 s window, age-only weights,
//   no goals, demotion of regions idle ≥ 30 s (15 aggregations of 2 s).
// - Migration: asynchronous from kdamond (migrate_pages MIGRATE_ASYNC, GFP_NOWAIT target: a full
//   node fails the page): kernel CPU and bandwidth, no stall of the application. The whole region
//   is charged to the quota, migrated or not (damos_apply_scheme charges sz).
// - Allocation: node 0 first, falling back to node 1 (the default local policy); no reclaim
//   (kswapd's watermarks are not modelled: the demotion goal keeps node 0's free space). Tiers
//   beyond the second are not monitored (mtier supports two tiers).
// - Kept as the kernel does them: the goal-tuned quota starts at 1 byte and at most doubles per
//   window, so the first page moves in the 12th window; each interval auto-tuning restarts the
//   schemes' apply intervals (damon_set_attrs → damos_set_next_apply_sis), so a scheme whose apply
//   interval exceeds `aggrs` aggregations does not apply while the intervals keep changing.
// - Costs: PTE scans by the engine; kdamond's per-region loop regionCheckNs and per-frame walk of
//   a scheme walkPageNs [estimate]; the time quota measures apply time as walked frames ×
//   walkPageNs + migrations × migrateNs [estimate].

import { definePolicy, FAULT_FIRST_TOUCH, FAULT_SWAP_IN, PAGE_ACCESSED } from './policy.ts';
import type { Host, ParamSpec, ParamValues, PolicyHooks } from './policy.ts';
import { DamonContext, Damos, ACTION_MIGRATE_COLD, ACTION_MIGRATE_HOT, GOAL_NODE_MEM_FREE_BP, GOAL_NODE_MEM_USED_BP } from './lib/damon.ts';
import type { DamonAttrs, DamonOps } from './lib/damon.ts';
import { grow } from './lib/grow.ts';
import { MAX_EVENT_NS, MAX_MIB, MAX_SIM_MS } from '../sim/config.ts';

/** Longest interval in µs a parameter may name (MAX_SIM_MS). */
const MAX_US = MAX_SIM_MS * 1e3;

const TIMER_PROMOTE = 1;
const TIMER_DEMOTE = 2;
const UINT_MAX = 0xffffffff;
const MIB = 1024 * 1024;

/** Per-scheme values of a preset (kernel names in the docs of the parameters). */
interface SchemePreset {
  minNrAccesses: number;
  maxNrAccesses: number;
  minAgeAggrs: number;
  applyIntervalUs: number;
  quotaMs: number;
  quotaMiB: number;
  quotaResetMs: number;
  weightNrAccesses: number;
  weightAge: number;
  goalBp: number;
}

export const DAMON_TIERING_PRESETS = {
  /** samples/damon/mtier.c (v6.16). */
  mtier: {
    attrs: { sampleUs: 5000, aggrUs: 100000, opsUpdateUs: 60e6, minNrRegions: 10, maxNrRegions: 1000, goalAccessBp: 400, goalAggrs: 3, goalMinSampleUs: 5000, goalMaxSampleUs: 10e6 },
    promote: { minNrAccesses: 1, maxNrAccesses: UINT_MAX, minAgeAggrs: 0, applyIntervalUs: 1e6, quotaMs: 0, quotaMiB: 200, quotaResetMs: 1000, weightNrAccesses: 100, weightAge: 100, goalBp: 9970 },
    demote: { minNrAccesses: 0, maxNrAccesses: 0, minAgeAggrs: 0, applyIntervalUs: 1e6, quotaMs: 0, quotaMiB: 200, quotaResetMs: 1000, weightNrAccesses: 100, weightAge: 100, goalBp: 50 },
  },
  /**
   * skhynix/hmsdk tools/gen_migpol.py: --monitoring_intervals 100ms 2s 20s, nr_regions 100–10000;
   * promote: access rate 5 %–100 % (1–20 of 20 samples), quotas "2s 50G 20s 0 0 1%"; demote: access
   * rate 0 %, age ≥ 30 s (15 aggregations), quotas "1s 50G 20s 0 0 1%" (weights size 0, access 0,
   * age 1 % = 10 permil); apply interval = aggregation interval; no quota goals.
   */
  hmsdk: {
    attrs: { sampleUs: 100000, aggrUs: 2e6, opsUpdateUs: 20e6, minNrRegions: 100, maxNrRegions: 10000, goalAccessBp: 0, goalAggrs: 0, goalMinSampleUs: 0, goalMaxSampleUs: 0 },
    promote: { minNrAccesses: 1, maxNrAccesses: 20, minAgeAggrs: 0, applyIntervalUs: 0, quotaMs: 2000, quotaMiB: 51200, quotaResetMs: 20000, weightNrAccesses: 0, weightAge: 10, goalBp: 0 },
    demote: { minNrAccesses: 0, maxNrAccesses: 0, minAgeAggrs: 15, applyIntervalUs: 0, quotaMs: 1000, quotaMiB: 51200, quotaResetMs: 20000, weightNrAccesses: 0, weightAge: 10, goalBp: 0 },
  },
} as const;

/** A numeric parameter that overrides the preset's value when ≥ 0, up to `max`. */
function fromPreset(doc: string, max: number, integer = true): { default: number; min: number; max: number; integer: boolean; doc: string } {
  return { default: -1, min: -1, max, integer, doc: `${doc} (−1 = the preset's)` };
}

const PARAMS = {
  preset: { default: 'mtier', choices: ['mtier', 'hmsdk'], doc: 'Published setup: mtier = samples/damon/mtier.c (v6.16, self-tuned quotas) [code]; hmsdk = SK hynix HMSDK tools/gen_migpol.py (fixed thresholds, time quotas) [code].' },
  sampleIntervalUs: fromPreset('sample_interval in µs: mtier 5000, hmsdk 100000 [code]', MAX_US),
  aggrIntervalUs: fromPreset('aggr_interval in µs: mtier 100000, hmsdk 2000000 [code]', MAX_US),
  opsUpdateIntervalUs: fromPreset('ops_update_interval in µs (recomputes the region size limit): mtier 60 s, hmsdk 20 s [code]', MAX_US),
  minNrRegions: fromPreset('min_nr_regions: mtier 10, hmsdk 100 [code]', 1e6),
  maxNrRegions: fromPreset('max_nr_regions: mtier 1000, hmsdk 10000 [code]', 1e6),
  intervalsGoalAccessBp: fromPreset('intervals_goal.access_bp, the aimed share of sampled accesses in bp: mtier 400, hmsdk off [code]', 10000),
  intervalsGoalAggrs: fromPreset('intervals_goal.aggrs, aggregations between interval tunings (0 = no auto-tuning): mtier 3, hmsdk 0 [code]', 1e6),
  intervalsMinSampleUs: fromPreset('intervals_goal.min_sample_us: mtier 5000 [code]', MAX_US),
  intervalsMaxSampleUs: fromPreset('intervals_goal.max_sample_us: mtier 10000000 [code]', MAX_US),
  promoteMinNrAccesses: fromPreset('Promotion scheme access_pattern.min_nr_accesses: 1 in both [code]', 1e6),
  promoteApplyIntervalUs: fromPreset('Promotion apply_interval_us (0 = the aggregation interval): mtier 1000000, hmsdk 0 [code]', MAX_US),
  promoteQuotaMs: fromPreset('Promotion quota.ms, time quota per window (0 = none): mtier 0, hmsdk 2000 [code]', MAX_SIM_MS),
  promoteQuotaMiB: fromPreset('Promotion quota.sz in MiB per window: mtier 200, hmsdk 51200 [code]', MAX_MIB, false),
  promoteQuotaResetMs: fromPreset('Promotion quota.reset_interval (charge window) in ms: mtier 1000, hmsdk 20000 [code]', MAX_SIM_MS),
  promoteWeightNrAccesses: fromPreset('Promotion quota.weight_nr_accesses: mtier 100, hmsdk 0 [code]', 1e6),
  promoteWeightAge: fromPreset('Promotion quota.weight_age: mtier 100, hmsdk 10 [code]', 1e6),
  promoteGoalNode0UsedBp: fromPreset('Promotion quota goal DAMOS_QUOTA_NODE_MEM_USED_BP of node 0 (0 = no goal): mtier 9970, hmsdk none [code]', 10000),
  demoteMaxNrAccesses: fromPreset('Demotion scheme access_pattern.max_nr_accesses: 0 in both [code]', 1e6),
  demoteMinAgeAggrs: fromPreset('Demotion access_pattern.min_age_region in aggregation intervals: mtier 0, hmsdk 15 (30 s) [code]', 1e6),
  demoteApplyIntervalUs: fromPreset('Demotion apply_interval_us (0 = the aggregation interval): mtier 1000000, hmsdk 0 [code]', MAX_US),
  demoteQuotaMs: fromPreset('Demotion quota.ms (0 = none): mtier 0, hmsdk 1000 [code]', MAX_SIM_MS),
  demoteQuotaMiB: fromPreset('Demotion quota.sz in MiB per window: mtier 200, hmsdk 51200 [code]', MAX_MIB, false),
  demoteQuotaResetMs: fromPreset('Demotion quota.reset_interval in ms: mtier 1000, hmsdk 20000 [code]', MAX_SIM_MS),
  demoteWeightNrAccesses: fromPreset('Demotion quota.weight_nr_accesses: mtier 100, hmsdk 0 [code]', 1e6),
  demoteWeightAge: fromPreset('Demotion quota.weight_age: mtier 100, hmsdk 10 [code]', 1e6),
  demoteGoalNode0FreeBp: fromPreset('Demotion quota goal DAMOS_QUOTA_NODE_MEM_FREE_BP of node 0 (0 = no goal): mtier 50, hmsdk none [code]', 10000),
  youngFilter: { default: true, doc: 'DAMOS_FILTER_TYPE_YOUNG: promotion allows only young pages, demotion rejects them (both setups) [code].' },
  regionCheckNs: { default: 100, min: 0, max: MAX_EVENT_NS, doc: 'kdamond CPU per region per sample interval besides the PTE scans (random address, rmap walk, bookkeeping), in ns [estimate, 50–500].' },
  walkPageNs: { default: 20, min: 0, max: MAX_EVENT_NS, doc: 'kdamond CPU per frame a scheme walks (damon_get_folio, isolation), in ns [estimate, 10–100].' },
  migrateNs: { default: 3400, min: 0, max: MAX_EVENT_NS, doc: 'Time kdamond counts per migrated page for the time quota (ms) throughput, in ns; default = the engine\'s default 4 KiB migration cost [estimate].' },
} satisfies Record<string, ParamSpec>;

type Params = ParamValues<typeof PARAMS>;

function pick(v: number, preset: number): number {
  return v >= 0 ? v : preset;
}

/** The run's attrs and schemes: the preset with the parameters that override it. */
export function resolveDamonTiering(p: Params): { attrs: DamonAttrs; promote: SchemePreset; demote: SchemePreset } {
  const pre = DAMON_TIERING_PRESETS[p.preset as keyof typeof DAMON_TIERING_PRESETS];
  if (!pre) throw new Error(`damon-tiering: unknown preset "${p.preset}"; valid: ${Object.keys(DAMON_TIERING_PRESETS).join(', ')}`);
  const a = pre.attrs;
  const attrs: DamonAttrs = {
    sampleUs: pick(p.sampleIntervalUs, a.sampleUs),
    aggrUs: pick(p.aggrIntervalUs, a.aggrUs),
    opsUpdateUs: pick(p.opsUpdateIntervalUs, a.opsUpdateUs),
    minNrRegions: pick(p.minNrRegions, a.minNrRegions),
    maxNrRegions: pick(p.maxNrRegions, a.maxNrRegions),
    goalAccessBp: pick(p.intervalsGoalAccessBp, a.goalAccessBp),
    goalAggrs: pick(p.intervalsGoalAggrs, a.goalAggrs),
    goalMinSampleUs: pick(p.intervalsMinSampleUs, a.goalMinSampleUs),
    goalMaxSampleUs: pick(p.intervalsMaxSampleUs, a.goalMaxSampleUs),
  };
  if (attrs.goalAggrs && !attrs.goalAccessBp) attrs.goalAggrs = 0;
  if (attrs.goalAggrs) {
    attrs.goalMinSampleUs ||= attrs.sampleUs;
    attrs.goalMaxSampleUs ||= attrs.sampleUs;
  }
  if (!(attrs.sampleUs > 0 && attrs.aggrUs >= attrs.sampleUs)) throw new Error('damon-tiering: need 0 < sampleIntervalUs ≤ aggrIntervalUs (damon_set_attrs)');
  if (attrs.minNrRegions < 3 || attrs.minNrRegions > attrs.maxNrRegions) throw new Error('damon-tiering: need 3 ≤ minNrRegions ≤ maxNrRegions (damon_set_attrs)');
  const promote: SchemePreset = {
    ...pre.promote,
    minNrAccesses: pick(p.promoteMinNrAccesses, pre.promote.minNrAccesses),
    applyIntervalUs: pick(p.promoteApplyIntervalUs, pre.promote.applyIntervalUs),
    quotaMs: pick(p.promoteQuotaMs, pre.promote.quotaMs),
    quotaMiB: pick(p.promoteQuotaMiB, pre.promote.quotaMiB),
    quotaResetMs: pick(p.promoteQuotaResetMs, pre.promote.quotaResetMs),
    weightNrAccesses: pick(p.promoteWeightNrAccesses, pre.promote.weightNrAccesses),
    weightAge: pick(p.promoteWeightAge, pre.promote.weightAge),
    goalBp: pick(p.promoteGoalNode0UsedBp, pre.promote.goalBp),
  };
  const demote: SchemePreset = {
    ...pre.demote,
    maxNrAccesses: pick(p.demoteMaxNrAccesses, pre.demote.maxNrAccesses),
    minAgeAggrs: pick(p.demoteMinAgeAggrs, pre.demote.minAgeAggrs),
    applyIntervalUs: pick(p.demoteApplyIntervalUs, pre.demote.applyIntervalUs),
    quotaMs: pick(p.demoteQuotaMs, pre.demote.quotaMs),
    quotaMiB: pick(p.demoteQuotaMiB, pre.demote.quotaMiB),
    quotaResetMs: pick(p.demoteQuotaResetMs, pre.demote.quotaResetMs),
    weightNrAccesses: pick(p.demoteWeightNrAccesses, pre.demote.weightNrAccesses),
    weightAge: pick(p.demoteWeightAge, pre.demote.weightAge),
    goalBp: pick(p.demoteGoalNode0FreeBp, pre.demote.goalBp),
  };
  return { attrs, promote, demote };
}

/** A node's frames as a physical address space: slot → page, and a LIFO free list. */
class NodeFrames {
  readonly slotPage: Int32Array;
  private readonly free: Int32Array;
  private top: number;

  constructor(readonly capacity: number) {
    this.slotPage = new Int32Array(capacity).fill(-1);
    this.free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.free[i] = capacity - 1 - i; // lowest slot on top
    this.top = capacity;
  }

  take(page: number): number {
    if (this.top === 0) return -1;
    const s = this.free[--this.top];
    this.slotPage[s] = page;
    return s;
  }

  release(slot: number): void {
    this.slotPage[slot] = -1;
    this.free[this.top++] = slot;
  }
}

/** The policy: two DAMON contexts over the two nodes' frames, and the paddr ops they act through. */
export class DamonTiering {
  readonly promoteCtx: DamonContext;
  readonly demoteCtx: DamonContext;
  readonly nodes: NodeFrames[];
  pageSlot = new Int32Array(1024).fill(-1);
  private readonly c: Record<string, number> = {};
  private readonly reported = new Float64Array(6);

  constructor(
    readonly p: Params,
    private readonly host: Host,
  ) {
    const { attrs, promote, demote } = resolveDamonTiering(p);
    this.nodes = [new NodeFrames(Math.floor(host.capacity(0))), new NodeFrames(host.tiers > 1 ? Math.floor(host.capacity(1)) : 0)];
    const random = () => host.random();
    this.promoteCtx = new DamonContext(attrs, this.ops(1), random, host.pageBytes, 0, this.nodes[1].capacity);
    this.demoteCtx = new DamonContext(attrs, this.ops(0), random, host.pageBytes, 0, this.nodes[0].capacity);
    this.promoteCtx.addScheme(this.scheme(ACTION_MIGRATE_HOT, promote, 0, GOAL_NODE_MEM_USED_BP));
    this.demoteCtx.addScheme(this.scheme(ACTION_MIGRATE_COLD, demote, 1, GOAL_NODE_MEM_FREE_BP));
    for (const name of ['promotedBytes', 'demotedBytes', 'aggregations', 'regionSamples', 'kdamondSamples', 'pteChecks', 'kdamondWorkNs', 'promoteQuotaBytesSum', 'promoteQuotaWindows', 'promoteQuotaExceeds', 'demoteQuotaBytesSum', 'demoteQuotaWindows', 'demoteQuotaExceeds', 'youngFiltered'])
      this.c[name] = host.counter(name);
  }

  private scheme(action: number, pre: SchemePreset, targetNid: number, goalMetric: number): Damos {
    const s = new Damos(action);
    s.minNrAccesses = pre.minNrAccesses;
    s.maxNrAccesses = pre.maxNrAccesses;
    s.minAge = pre.minAgeAggrs;
    s.applyIntervalUs = pre.applyIntervalUs;
    s.youngFilter = this.p.youngFilter ? (action === ACTION_MIGRATE_HOT ? 1 : -1) : 0;
    s.targetNid = targetNid;
    s.quotaMs = pre.quotaMs;
    s.quotaSzBytes = pre.quotaMiB * MIB;
    s.resetIntervalMs = pre.quotaResetMs;
    s.weightNrAccesses = pre.weightNrAccesses;
    s.weightAge = pre.weightAge;
    if (pre.goalBp > 0) {
      s.goalMetric = goalMetric;
      s.goalTarget = pre.goalBp;
      s.goalNid = 0;
    }
    return s;
  }

  /** The paddr ops of the context monitoring node `nid`. */
  private ops(nid: number): DamonOps {
    const host = this.host;
    return {
      young: (slot) => {
        const page = this.pageAt(nid, slot);
        if (page < 0) return false;
        host.chargePteScans(1);
        host.count(this.c.pteChecks);
        return (host.flags(page) & PAGE_ACCESSED) !== 0;
      },
      mkold: (slot) => {
        const page = this.pageAt(nid, slot);
        if (page >= 0) host.testAndClearAccessed(page);
      },
      apply: (s, start, end, out) => this.migrateRange(nid, s, start, end, out),
      goalValue: (metric, node) => {
        const cap = host.capacity(node);
        const free = host.free(node);
        return Math.floor(((metric === GOAL_NODE_MEM_USED_BP ? cap - free : free) * 10000) / cap);
      },
      nowMs: () => host.now() / 1e6,
    };
  }

  /** The page in a slot of node `nid`, or −1; a page that left the node behind our back frees the slot. */
  pageAt(nid: number, slot: number): number {
    const frames = this.nodes[nid];
    const page = frames.slotPage[slot];
    if (page < 0) return -1;
    if (this.host.tierOf(page) !== nid) {
      frames.release(slot);
      this.pageSlot[page] = -1;
      return -1;
    }
    return page;
  }

  /** damon_pa_migrate over [start, end) with the young filter; asynchronous migrations to the scheme's node. */
  migrateRange(nid: number, s: Damos, start: number, end: number, out: Float64Array): void {
    const host = this.host;
    let applied = 0;
    let moved = 0;
    for (let slot = start; slot < end; slot++) {
      const page = this.pageAt(nid, slot);
      if (page < 0) continue;
      if (s.youngFilter !== 0) {
        host.chargePteScans(1);
        host.count(this.c.pteChecks);
        const young = (host.flags(page) & PAGE_ACCESSED) !== 0;
        if (young) host.testAndClearAccessed(page); // a matched young filter makes the folio old
        if (young !== s.youngFilter > 0) {
          host.count(this.c.youngFiltered);
          continue;
        }
      }
      if (!host.migrate(page, s.targetNid, true)) continue;
      this.nodes[nid].release(slot);
      this.pageSlot[page] = this.nodes[s.targetNid].take(page);
      applied += host.pageBytes;
      moved++;
    }
    const walkNs = (end - start) * this.p.walkPageNs;
    host.chargeKernelNs(walkNs);
    host.count(this.c.kdamondWorkNs, walkNs);
    host.count(s.action === ACTION_MIGRATE_HOT ? this.c.promotedBytes : this.c.demotedBytes, applied);
    out[0] = applied;
    out[1] = walkNs + moved * this.p.migrateNs;
  }

  start(): void {
    if (this.host.tiers < 2) return;
    this.host.after(this.promoteCtx.start0() * 1000, TIMER_PROMOTE);
    this.host.after(this.demoteCtx.start0() * 1000, TIMER_DEMOTE);
  }

  hooks(): PolicyHooks {
    return {
      place: () => 0,
      onFault: (page, kind) => {
        if (kind === FAULT_FIRST_TOUCH || kind === FAULT_SWAP_IN) this.placed(page);
      },
      onTimer: (id) => this.kdamond(id),
    };
  }

  /** A page got a frame: it takes a slot in its node. */
  placed(page: number): void {
    if (page >= this.pageSlot.length) this.pageSlot = grow(this.pageSlot, page + 1, -1);
    const tier = this.host.tierOf(page);
    if (tier < 0 || tier > 1 || this.pageSlot[page] >= 0) return;
    this.pageSlot[page] = this.nodes[tier].take(page);
  }

  /** One kdamond iteration of a context, then sleep for its (possibly tuned) sample interval. */
  kdamond(id: number): void {
    const ctx = id === TIMER_PROMOTE ? this.promoteCtx : this.demoteCtx;
    const aggregations = ctx.aggregations;
    const sleepUs = ctx.step();
    const host = this.host;
    const workNs = ctx.nr * this.p.regionCheckNs;
    host.chargeKernelNs(workNs);
    host.count(this.c.kdamondWorkNs, workNs);
    host.count(this.c.kdamondSamples);
    host.count(this.c.regionSamples, ctx.nr);
    host.count(this.c.aggregations, ctx.aggregations - aggregations);
    this.reportQuota(ctx.schemes[0], id === TIMER_PROMOTE ? 0 : 3, id === TIMER_PROMOTE ? 'promote' : 'demote');
    host.after(sleepUs * 1000, id);
  }

  /** Counters are additive: report a scheme's quota totals (Σ esz, windows, qt_exceeds) as increments. */
  private reportQuota(s: Damos, at: number, prefix: 'promote' | 'demote'): void {
    const r = this.reported;
    const c = this.c;
    this.host.count(c[`${prefix}QuotaBytesSum`], s.eszSum - r[at]);
    this.host.count(c[`${prefix}QuotaWindows`], s.windows - r[at + 1]);
    this.host.count(c[`${prefix}QuotaExceeds`], s.qtExceeds - r[at + 2]);
    r[at] = s.eszSum;
    r[at + 1] = s.windows;
    r[at + 2] = s.qtExceeds;
  }
}

export default definePolicy({
  name: 'damon-tiering',
  summary: 'DAMON-based tiering: per-node kdamonds with adaptive regions over physical frames, DAMOS migrate_hot/migrate_cold with quotas, young filter and goal-tuned quotas (mtier), or the SK hynix HMSDK preset.',
  source: 'Linux v6.16 samples/damon/mtier.c; mm/damon/core.c (kdamond_fn, damos_adjust_quota, damon_feed_loop_next_input), paddr.c, ops-common.c; skhynix/hmsdk tools/gen_migpol.py',
  params: PARAMS,
  create(params, host) {
    const d = new DamonTiering(params, host);
    d.start();
    return d.hooks();
  },
});
