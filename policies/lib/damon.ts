// DAMON (Data Access MONitor) and DAMOS (DAMON-based Operation Schemes), the monitor and scheme
// engine of Linux's mm/damon, for policies that act on its regions. Follows torvalds/linux
// mm/damon/core.c (kdamond_fn, kdamond_merge_regions, damon_merge_regions_of,
// damon_merge_two_regions, kdamond_split_regions, damon_split_regions_of, damon_split_region_at,
// kdamond_reset_aggregated, damon_update_region_access_rate, damon_moving_sum,
// kdamond_tune_intervals, damon_get_intervals_score, damon_set_attrs,
// damon_update_monitoring_result, kdamond_apply_schemes, damon_do_apply_schemes,
// damos_skip_charged_region, damos_valid_target, damos_apply_scheme, damos_adjust_quota,
// damos_set_effective_quota, damos_quota_score, damon_feed_loop_next_input) and
// mm/damon/ops-common.c (damon_hot_score, damon_cold_score). Logic only; no code is copied. The scheme object, scores and feedback loop are in damos.ts.
//
// - Address space: `slots`, one per frame (a 4 KiB page, or a 2 MiB folio with --page-size 2m),
//   [0, n). DAMON_MIN_REGION (PAGE_SIZE) is one slot; byte sizes (quotas, goals, scores, intervals
//   score) are slots × unitBytes. With 2 MiB frames regions split on 2 MiB boundaries only
//   (the kernel can split inside a folio).
// - Regions: typed-array columns in address order (start, end, nr_accesses, nr_accesses_bp,
//   last_nr_accesses, age, sampling_addr); no object per region.
// - Sampling (prepare_access_checks / check_accesses): each sample interval, one random address
//   per region is made old; at the next interval it is checked for young. A region sampled at the
//   same address as the last check reuses its result (the `static last_addr` of paddr.c, per
//   context here). nr_accesses counts accessed samples per aggregation; nr_accesses_bp is the
//   pseudo moving sum (damon_moving_sum) used when schemes apply mid-aggregation.
// - Aggregation: merge adjacent regions whose nr_accesses differ by ≤ max_nr_accesses / 10
//   (doubling the threshold while over max_nr_regions), size-weighted averages, total size
//   capped at sz_limit = space / min_nr_regions; age += 1, or 0 when nr_accesses moved by more
//   than the threshold; then reset (last_nr_accesses = nr_accesses) and split every region into
//   2 (3 if the count did not change and is under max/3) random sub-regions (10–90 %) while the
//   count is ≤ max_nr_regions / 2. `last_nr_regions` is a function static shared by all kdamonds
//   in the kernel; it is per context here.
// - Intervals auto-tuning (intervals_goal, v6.15+): every `aggrs` aggregations, the observed
//   access ratio against access_bp moves the sampling interval through the feedback loop
//   (reductions limited to 50 %), within [min_sample_us, max_sample_us]; the aggregation
//   interval keeps its sample count. As in damon_set_attrs, each change restarts every scheme's
//   apply interval.
// - Schemes: access pattern (size, nr_accesses, age), apply interval, action applied through the
//   ops (the policy), quotas: size quota `sz` and time quota `ms` per `reset_interval` charge
//   window, goals (feedback loop on the effective size quota esz), prioritisation by
//   damon_hot_score / damon_cold_score with the weights, min_score from the score histogram, charge
//   resumption after the region where the quota ran out (damos_skip_charged_region).
//   Watermarks are not modelled (the tiering setups leave them empty: always active).

import { ACTION_MIGRATE_HOT, DAMOS_MAX_SCORE, PAGE_SIZE, ULONG_MAX, coldScore, feedLoopNextInput, hotScore } from './damos.ts';
import type { Damos, DamonOps } from './damos.ts';
export * from './damos.ts';

export interface DamonAttrs {
  sampleUs: number;
  aggrUs: number;
  opsUpdateUs: number;
  minNrRegions: number;
  maxNrRegions: number;
  /** intervals_goal: access_bp, aggrs (0 = no auto-tuning), min_sample_us, max_sample_us. */
  goalAccessBp: number;
  goalAggrs: number;
  goalMinSampleUs: number;
  goalMaxSampleUs: number;
}

const COLS = 7;

/** One DAMON context (struct damon_ctx) with one target: its regions, attrs, schemes and kdamond steps. */
export class DamonContext {
  attrs: DamonAttrs;
  aggrSamples: number;
  nr = 0;
  start = new Float64Array(64);
  end = new Float64Array(64);
  nrAccesses = new Uint32Array(64);
  nrAccessesBp = new Uint32Array(64);
  lastNrAccesses = new Uint32Array(64);
  age = new Uint32Array(64);
  samplingAddr = new Float64Array(64);
  passed = 0;
  nextAggregationSis = 0;
  nextOpsUpdateSis = 0;
  nextIntervalsTuneSis = 0;
  szLimit = 1;
  readonly schemes: Damos[] = [];
  aggregations = 0;
  private lastNrRegions = 0;
  private lastAddr = -1;
  private lastAccessed = false;
  private readonly hist = new Float64Array(DAMOS_MAX_SCORE + 1);
  private readonly out = new Float64Array(2);
  private readonly cuts = new Float64Array(8);

  constructor(
    attrs: DamonAttrs,
    private readonly ops: DamonOps,
    private readonly random: () => number,
    readonly unitBytes: number,
    spaceStart: number,
    spaceEnd: number,
  ) {
    this.attrs = { ...attrs };
    this.aggrSamples = Math.floor(attrs.aggrUs / attrs.sampleUs);
    this.nr = 1; // damon_new_region over the whole target range, as mtier sets it
    this.start[0] = spaceStart;
    this.end[0] = spaceEnd;
  }

  /** damon_max_nr_accesses. */
  maxNrAccesses(): number {
    return Math.floor(this.attrs.aggrUs / this.attrs.sampleUs);
  }

  addScheme(s: Damos): void {
    this.schemes.push(s);
  }

  /** kdamond_init_ctx, sz_limit, and the first prepare_access_checks. Returns the first sleep (µs). */
  start0(): number {
    const a = this.attrs;
    this.passed = 0;
    this.nextAggregationSis = Math.floor(a.aggrUs / a.sampleUs);
    this.nextOpsUpdateSis = Math.floor(a.opsUpdateUs / a.sampleUs);
    this.nextIntervalsTuneSis = this.nextAggregationSis * a.goalAggrs;
    for (const s of this.schemes) s.nextApplySis = Math.floor((s.applyIntervalUs || a.aggrUs) / a.sampleUs);
    this.szLimit = this.regionSzLimit();
    this.prepareAccessChecks();
    return a.sampleUs;
  }

  /** One pass of kdamond_fn's loop after its sleep; returns the next sleep (µs). */
  step(): number {
    const nextAggr = this.nextAggregationSis;
    const nextOps = this.nextOpsUpdateSis;
    this.passed++;
    const maxNr = this.checkAccesses();
    const aggregate = this.passed >= nextAggr;
    if (aggregate) this.mergeRegions(Math.floor(maxNr / 10), this.szLimit);
    if (this.schemes.length) this.applySchemes();
    if (aggregate) {
      this.aggregations++;
      if (this.attrs.goalAggrs && this.passed >= this.nextIntervalsTuneSis) {
        this.nextAggregationSis = nextAggr;
        this.nextIntervalsTuneSis += this.aggrSamples * this.attrs.goalAggrs;
        this.tuneIntervals();
      }
      this.nextAggregationSis = nextAggr + Math.floor(this.attrs.aggrUs / this.attrs.sampleUs);
      this.resetAggregated();
      this.splitRegions();
    }
    if (this.passed >= nextOps) {
      this.nextOpsUpdateSis = nextOps + Math.floor(this.attrs.opsUpdateUs / this.attrs.sampleUs);
      this.szLimit = this.regionSzLimit();
    }
    this.prepareAccessChecks();
    return this.attrs.sampleUs;
  }

  /** damon_region_sz_limit, in slots. */
  regionSzLimit(): number {
    let sz = 0;
    for (let i = 0; i < this.nr; i++) sz += this.end[i] - this.start[i];
    if (this.attrs.minNrRegions) sz = Math.floor(sz / this.attrs.minNrRegions);
    return Math.max(1, sz);
  }

  prepareAccessChecks(): void {
    for (let i = 0; i < this.nr; i++) {
      const a = this.start[i] + Math.floor(this.random() * (this.end[i] - this.start[i]));
      this.samplingAddr[i] = a;
      this.ops.mkold(a);
    }
  }

  /** check_accesses; returns the largest nr_accesses. */
  checkAccesses(): number {
    let max = 0;
    for (let i = 0; i < this.nr; i++) {
      const a = this.samplingAddr[i];
      if (a !== this.lastAddr) {
        this.lastAccessed = this.ops.young(a);
        this.lastAddr = a;
      }
      this.updateAccessRate(i, this.lastAccessed);
      if (this.nrAccesses[i] > max) max = this.nrAccesses[i];
    }
    return max;
  }

  /** damon_update_region_access_rate with damon_moving_sum over a window of max_nr_accesses samples. */
  updateAccessRate(i: number, accessed: boolean): void {
    const len = this.maxNrAccesses();
    const bp = this.nrAccessesBp[i] - Math.floor((this.lastNrAccesses[i] * 10000) / len) + (accessed ? 10000 : 0);
    this.nrAccessesBp[i] = Math.max(0, bp);
    if (accessed) this.nrAccesses[i]++;
  }

  /** kdamond_merge_regions. */
  mergeRegions(threshold: number, szLimit: number): void {
    const maxThres = this.maxNrAccesses();
    let thres = threshold;
    do {
      this.mergeRegionsOf(thres, szLimit);
      thres = Math.max(1, thres * 2);
    } while (this.nr > this.attrs.maxNrRegions && thres / 2 < maxThres);
  }

  /** damon_merge_regions_of: age update and merge of similar adjacent regions, compacted in place. */
  mergeRegionsOf(thres: number, szLimit: number): void {
    let w = 0;
    for (let i = 0; i < this.nr; i++) {
      if (Math.abs(this.nrAccesses[i] - this.lastNrAccesses[i]) > thres) this.age[i] = 0;
      else this.age[i]++;
      const p = w - 1;
      if (
        p >= 0 &&
        this.end[p] === this.start[i] &&
        Math.abs(this.nrAccesses[p] - this.nrAccesses[i]) <= thres &&
        this.end[p] - this.start[p] + (this.end[i] - this.start[i]) <= szLimit
      ) {
        // damon_merge_two_regions: size-weighted nr_accesses and age, integer division.
        const szL = this.end[p] - this.start[p];
        const szR = this.end[i] - this.start[i];
        this.nrAccesses[p] = Math.floor((this.nrAccesses[p] * szL + this.nrAccesses[i] * szR) / (szL + szR));
        this.nrAccessesBp[p] = this.nrAccesses[p] * 10000;
        this.age[p] = Math.floor((this.age[p] * szL + this.age[i] * szR) / (szL + szR));
        this.end[p] = this.end[i];
      } else {
        if (w !== i) this.copyRegion(i, w);
        w++;
      }
    }
    this.nr = w;
  }

  /** kdamond_reset_aggregated. */
  resetAggregated(): void {
    for (let i = 0; i < this.nr; i++) {
      this.lastNrAccesses[i] = this.nrAccesses[i];
      this.nrAccesses[i] = 0;
    }
  }

  /** kdamond_split_regions. */
  splitRegions(): void {
    const nr = this.nr;
    if (nr > Math.floor(this.attrs.maxNrRegions / 2)) return;
    let subs = 2;
    if (this.lastNrRegions === nr && nr < Math.floor(this.attrs.maxNrRegions / 3)) subs = 3;
    this.splitRegionsOf(subs);
    this.lastNrRegions = nr;
  }

  /** damon_split_regions_of: each region into up to `subs` random pieces (the left piece 10–90 %). */
  splitRegionsOf(subs: number): void {
    // Speed trick: build the new region list in one pass (inserting one by one would shift the
    // columns once per split).
    const old = this.nr;
    this.ensure(old * subs + 1);
    const src = this.snapshotColumns(old);
    this.nr = 0;
    for (let i = 0; i < old; i++) {
      // Pieces are produced right to left: the kernel splits r at sz_sub, keeps splitting the
      // left part, and the right parts are inserted in front of the previous right part.
      const s = src[0][i];
      const e = src[1][i];
      const cuts = this.cuts;
      let nCuts = 0;
      let szRegion = e - s;
      for (let k = 0; k < subs - 1 && szRegion > 2; k++) {
        const szSub = Math.floor(((1 + Math.floor(this.random() * 9)) * szRegion) / 10);
        if (szSub === 0 || szSub >= szRegion) continue;
        cuts[nCuts++] = s + szSub;
        szRegion = szSub;
      }
      // Regions: [s, last cut) … [first cut, e)
      for (let k = nCuts; k >= 0; k--) this.pushFrom(src, i, k === nCuts ? s : cuts[k], k === 0 ? e : cuts[k - 1]);
    }
  }

  /** damon_split_region_at: region i becomes [start, start + sz) and a copy covers the rest. */
  splitAt(i: number, sz: number): void {
    this.ensure(this.nr + 1);
    const n = this.nr;
    for (const c of this.columns()) c.copyWithin(i + 2, i + 1, n);
    this.copyRegion(i, i + 1);
    this.start[i + 1] = this.start[i] + sz;
    this.end[i] = this.start[i + 1];
    this.nr++;
  }

  // ---------------------------------------------------------------- intervals auto-tuning

  /** damon_get_intervals_score: observed access events against access_bp of the maximum, in bp. */
  intervalsScore(): number {
    let max = 0;
    let events = 0;
    for (let i = 0; i < this.nr; i++) {
      const sz = (this.end[i] - this.start[i]) * this.unitBytes;
      max += sz * this.aggrSamples;
      events += sz * this.nrAccesses[i];
    }
    const target = Math.floor((max * this.attrs.goalAccessBp) / 10000) || 1;
    return Math.floor((events * 10000) / target);
  }

  /** kdamond_tune_intervals. */
  tuneIntervals(): void {
    let bp = Math.floor(feedLoopNextInput(100000000, this.intervalsScore()) / 10000);
    if (bp <= 10000) bp = 5000 + Math.floor(bp / 2);
    if (bp === 10000) return;
    const a = this.attrs;
    let sample = Math.min(a.goalMaxSampleUs, Math.floor((a.sampleUs * bp) / 10000));
    sample = Math.max(a.goalMinSampleUs, sample);
    this.setAttrs(sample, sample * this.aggrSamples);
  }

  /** damon_set_attrs for new intervals (aggr_samples unchanged), with damon_update_monitoring_results. */
  setAttrs(sampleUs: number, aggrUs: number): void {
    const old = this.attrs;
    const aggregating = this.passed < this.nextAggregationSis;
    this.nextAggregationSis = this.passed + Math.floor(aggrUs / sampleUs);
    this.nextOpsUpdateSis = this.passed + Math.floor(old.opsUpdateUs / sampleUs);
    const oldMax = Math.floor(old.aggrUs / old.sampleUs);
    const newMax = Math.floor(aggrUs / sampleUs);
    const conv = (n: number) => Math.floor((Math.floor((n * 10000) / oldMax) * newMax) / 10000);
    for (let i = 0; i < this.nr; i++) {
      if (!aggregating) {
        this.nrAccesses[i] = conv(this.nrAccesses[i]);
        this.nrAccessesBp[i] = this.nrAccesses[i] * 10000;
      } else {
        this.lastNrAccesses[i] = conv(this.lastNrAccesses[i]);
        this.nrAccessesBp[i] = this.lastNrAccesses[i] * 10000;
        this.nrAccesses[i] = 0;
      }
      this.age[i] = Math.floor((this.age[i] * old.aggrUs) / aggrUs);
    }
    this.attrs = { ...old, sampleUs, aggrUs };
    for (const s of this.schemes) s.nextApplySis = this.passed + Math.floor((s.applyIntervalUs || aggrUs) / sampleUs);
  }

  // ---------------------------------------------------------------- schemes

  /** kdamond_apply_schemes. */
  applySchemes(): void {
    let due = false;
    for (const s of this.schemes) {
      if (this.passed < s.nextApplySis) continue;
      due = true;
      this.adjustQuota(s);
    }
    if (!due) return;
    for (let i = 0; i < this.nr; ) {
      const before = this.nr;
      this.doApplySchemes(i);
      // Regions split off during the call sit right after i and are not visited again (the
      // kernel's loop already holds the next region).
      i += 1 + (this.nr - before);
    }
    for (const s of this.schemes) {
      if (this.passed < s.nextApplySis) continue;
      s.nextApplySis = this.passed + Math.floor((s.applyIntervalUs || this.attrs.aggrUs) / this.attrs.sampleUs);
    }
  }

  private doApplySchemes(r: number): void {
    for (const s of this.schemes) {
      if (this.passed < s.nextApplySis) continue;
      if (s.esz && s.chargedSz >= s.esz) continue;
      const i = this.skipChargedRegion(r, s);
      if (i < 0) continue;
      r = i;
      if (!this.validTarget(r, s)) continue;
      this.applyScheme(r, s);
    }
  }

  /** damos_skip_charged_region: −1 to skip, else the (possibly split-off) region to apply to. */
  skipChargedRegion(i: number, s: Damos): number {
    if (!s.chargeActive) return i;
    if (i === this.nr - 1) {
      s.chargeActive = false;
      s.chargeAddrFrom = 0;
      return -1;
    }
    if (s.chargeAddrFrom && this.end[i] <= s.chargeAddrFrom) return -1;
    if (s.chargeAddrFrom && this.start[i] < s.chargeAddrFrom) {
      let skip = Math.floor(s.chargeAddrFrom - this.start[i]);
      if (!skip) {
        if (this.end[i] - this.start[i] <= 1) return -1;
        skip = 1;
      }
      this.splitAt(i, skip);
      i++;
    }
    s.chargeActive = false;
    s.chargeAddrFrom = 0;
    return i;
  }

  /** __damos_valid_target: the access pattern (nr_accesses from the moving sum). */
  patternMatches(i: number, s: Damos): boolean {
    const sz = (this.end[i] - this.start[i]) * this.unitBytes;
    const nr = Math.floor(this.nrAccessesBp[i] / 10000);
    const a = this.age[i];
    return s.minSzBytes <= sz && sz <= s.maxSzBytes && s.minNrAccesses <= nr && nr <= s.maxNrAccesses && s.minAge <= a && a <= s.maxAge;
  }

  /** damos_valid_target: the pattern, and the quota's min_score when a quota is in effect. */
  validTarget(i: number, s: Damos): boolean {
    const ok = this.patternMatches(i, s);
    if (!ok || !s.esz) return ok;
    return this.score(i, s) >= s.minScore;
  }

  /** damon_pa_scheme_score: hot score for MIGRATE_HOT, cold score for MIGRATE_COLD. */
  score(i: number, s: Damos): number {
    const f = s.action === ACTION_MIGRATE_HOT ? hotScore : coldScore;
    return f(this.nrAccesses[i], this.age[i], this.maxNrAccesses(), this.attrs.aggrUs, s.weightNrAccesses, s.weightAge);
  }

  /** damos_apply_scheme. */
  applyScheme(i: number, s: Damos): void {
    let sz = (this.end[i] - this.start[i]) * this.unitBytes;
    let applied = 0;
    if (s.esz && s.chargedSz + sz > s.esz) {
      const slots = Math.floor((s.esz - s.chargedSz) / this.unitBytes);
      if (!slots) {
        this.updateStat(s, 0, 0);
        return;
      }
      this.splitAt(i, slots);
      sz = slots * this.unitBytes;
    }
    this.ops.apply(s, this.start[i], this.end[i], this.out);
    applied = this.out[0];
    s.totalChargedNs += this.out[1];
    s.chargedSz += sz;
    if (s.esz && s.chargedSz >= s.esz) {
      s.chargeActive = true;
      s.chargeAddrFrom = this.end[i] + 0.5;
    }
    this.age[i] = 0;
    this.updateStat(s, sz, applied);
  }

  private updateStat(s: Damos, tried: number, applied: number): void {
    s.nrTried++;
    s.szTried += tried;
    if (applied) s.nrApplied++;
    s.szApplied += applied;
  }

  /** damos_adjust_quota: a new charge window sets esz; min_score from the score histogram. */
  adjustQuota(s: Damos): void {
    if (!s.quotaMs && !s.quotaSzBytes && s.goalMetric < 0) return;
    const now = this.ops.nowMs();
    if (now >= s.chargedFromMs + s.resetIntervalMs) {
      if (s.esz && s.chargedSz >= s.esz) s.qtExceeds++;
      s.totalChargedSz += s.chargedSz;
      s.chargedFromMs = now;
      s.chargedSz = 0;
      this.setEffectiveQuota(s);
      s.eszSum += s.esz;
      s.windows++;
    }
    const hist = this.hist;
    hist.fill(0);
    let max = 0;
    for (let i = 0; i < this.nr; i++) {
      if (!this.patternMatches(i, s)) continue;
      const score = this.score(i, s);
      hist[score] += (this.end[i] - this.start[i]) * this.unitBytes;
      if (score > max) max = score;
    }
    let cum = 0;
    let score = max;
    for (; ; score--) {
      cum += hist[score];
      if (cum >= s.esz || !score) break;
    }
    s.minScore = score;
  }

  /** damos_set_effective_quota. */
  setEffectiveQuota(s: Damos): void {
    if (!s.quotaMs && s.goalMetric < 0) {
      s.esz = s.quotaSzBytes;
      return;
    }
    let esz = ULONG_MAX;
    if (s.goalMetric >= 0) {
      const current = this.ops.goalValue(s.goalMetric, s.goalNid);
      const score = Math.floor((current * 10000) / s.goalTarget);
      s.eszBp = feedLoopNextInput(Math.max(s.eszBp, 10000), score);
      esz = Math.floor(s.eszBp / 10000);
    }
    if (s.quotaMs) {
      const throughput = s.totalChargedNs ? Math.floor((s.totalChargedSz * 1000000) / s.totalChargedNs) : PAGE_SIZE * 1024;
      esz = Math.min(throughput * s.quotaMs, esz);
    }
    if (s.quotaSzBytes && s.quotaSzBytes < esz) esz = s.quotaSzBytes;
    s.esz = esz;
  }

  // ---------------------------------------------------------------- columns

  private columns(): Array<Float64Array | Uint32Array> {
    return [this.start, this.end, this.nrAccesses, this.nrAccessesBp, this.lastNrAccesses, this.age, this.samplingAddr];
  }

  private copyRegion(from: number, to: number): void {
    for (const c of this.columns()) c[to] = c[from];
  }

  private snapshotColumns(n: number): Array<Float64Array | Uint32Array> {
    return this.columns().map((c) => c.slice(0, n));
  }

  /** Append a region [a, b) carrying the monitoring state of source region i (damon_split_region_at copies it). */
  private pushFrom(src: Array<Float64Array | Uint32Array>, i: number, a: number, b: number): void {
    const n = this.nr++;
    const cols = this.columns();
    for (let c = 2; c < COLS; c++) cols[c][n] = src[c][i];
    this.start[n] = a;
    this.end[n] = b;
  }

  private ensure(n: number): void {
    if (n <= this.start.length) return;
    let cap = this.start.length;
    while (cap < n) cap *= 2;
    const grow = <T extends Float64Array | Uint32Array>(c: T): T => {
      const g = new (c.constructor as new (len: number) => T)(cap);
      g.set(c);
      return g;
    };
    this.start = grow(this.start);
    this.end = grow(this.end);
    this.nrAccesses = grow(this.nrAccesses);
    this.nrAccessesBp = grow(this.nrAccessesBp);
    this.lastNrAccesses = grow(this.lastNrAccesses);
    this.age = grow(this.age);
    this.samplingAddr = grow(this.samplingAddr);
  }
}
