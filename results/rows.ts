// Rows for summary.csv and timeseries.csv. Column names are camelCase and stable; their order is
// fixed (identity, engine metrics, per-tier columns, then policy.* counters) so that sweeps can
// concatenate rows. Wall-clock figures never appear here: same config and seed ⇒ identical bytes.

import type { Config } from '../sim/config.ts';
import type { Tier } from '../sim/machine.ts';
import type { EngineResult } from '../sim/engine.ts';
import * as S from '../sim/stats.ts';
import { VS_NAMES, VS_STRIDE, VS_GUEST_RESIDENT, VS_MAPPED, VS_TOUCHED } from '../sim/engine.ts';
import type { VmEpochRow } from '../sim/engine.ts';
import { GC_NAMES, GC_STRIDE } from '../sim/vm-model.ts';
import type { TraceRunStats } from '../traces/source.ts';

export type Row = Record<string, string | number>;

/** Round to 6 significant decimals: stable text and no spurious digits. */
export function r6(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(6)) : 0;
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);

/** `footprintPages`: the pages (of the run's size) the tiers were sized from, when they were. */
export function summaryRow(config: Config, tiers: Tier[], res: EngineResult, trace?: TraceRunStats, footprintPages?: number): Row {
  const c = res.counters;
  const accesses = c[S.C_ACCESSES];
  const simNs = res.simTimeNs;
  const row: Row = {
    policy: config.policy as string,
    workload: ((config.trace as string | null) ?? (config.workload as string)),
    machine: config['machine.preset'] as string,
    seed: config.seed as number,
    pageSizeKiB: config.pageSizeKiB as number,
    accesses,
    reads: c[S.C_READS],
    writes: c[S.C_WRITES],
    pages: res.pages,
    // The touched footprint that sized the tiers by machine.ratio (a trace's pre-pass, a workload's counting pass).
    footprintPages: footprintPages ?? '',
    touchedBytes: res.touchedSubpages * 4096,
    // Internal fragmentation of huge pages: share of resident page bytes never touched (0 for 4 KiB pages).
    hugePageWaste: r6(res.pages > 0 ? 1 - (res.touchedSubpages * 4096) / (res.pages * (config.pageSizeKiB as number) * 1024) : 0),
    simTimeNs: Math.round(simNs),
    slowdown: r6(ratio(simNs, res.idealTimeNs)),
    localShare: r6(ratio(c[S.C_TIER_BASE], accesses)),
    avgLatencyNs: r6(ratio(c[S.C_LATENCY_SUM_NS], accesses)),
    p99LatencyNs: r6(S.histogramQuantile(res.histogram, 0.99)),
    firstTouchFaults: c[S.C_FIRST_TOUCH_FAULTS],
    hintFaults: c[S.C_HINT_FAULTS],
    promotedPages: c[S.C_PROMOTED],
    demotedPages: c[S.C_DEMOTED],
    migratedBytes: c[S.C_MIGRATED_BYTES],
    evictedPages: c[S.C_EVICTED],
    swapIns: c[S.C_SWAP_INS],
    samples: c[S.C_SAMPLES],
    samplesLost: c[S.C_SAMPLES_LOST],
    pteScans: c[S.C_PTE_SCANS],
    kernelCpuNs: Math.round(c[S.C_KERNEL_CPU_NS]),
    stallNs: Math.round(c[S.C_STALL_NS]),
    // Trace input: LLC filter hit ratio (empty when the filter is off) and malformed records skipped (--skip-bad).
    llcHitRatio: trace?.llc ? r6(ratio(trace.llc.hits, trace.llc.accesses)) : '',
    badRecordsSkipped: trace?.badRecords ?? 0,
  };
  tiers.forEach((t, i) => {
    const base = S.C_TIER_BASE + S.TIER_STRIDE * i;
    row[`tier${i}Share`] = r6(ratio(c[base], accesses));
    row[`tier${i}Pages`] = res.usedFrames[i];
    row[`tier${i}CapacityPages`] = t.capacityFrames;
    row[`tier${i}GBps`] = r6(ratio(c[base + 1] + c[base + 2], simNs));
  });
  if (loadColumnsOn(config, tiers.length)) loadColumns(row, c, tiers.length, simNs);
  if (res.vm) vmSummaryColumns(row, config, res);
  if (res.pins) for (const [name, v] of res.pins) row[name] = v;
  if (config['tlb.enabled'] === true) tlbColumns(row, c, tiers.length);
  if (config['thp.enabled'] === true) thpColumns(row, c, tiers.length);
  if (config['stats.whoPaid'] === true) {
    const b = S.migrationPayerBase(tiers.length);
    S.MIGRATION_PAYER_NAMES.forEach((name, i) => {
      row[name] = Math.round(c[b + i]);
    });
  }
  res.policyCounterNames.forEach((name, i) => {
    row[`policy.${name}`] = res.policyCounters[i];
  });
  return row;
}

/** Address-translation counters (sim/tlb.ts), only in runs with tlb.enabled (other runs keep their columns). */
function tlbColumns(row: Row, c: Float64Array, tiers: number): void {
  const b = S.tlbCounterBase(tiers);
  S.TLB_COUNTER_NAMES.forEach((name, i) => {
    row[name] = r6(c[b + i]);
  });
}

/** Transparent-huge-page counters (sim/thp.ts), only in runs with thp.enabled. */
function thpColumns(row: Row, c: Float64Array, tiers: number): void {
  const b = S.thpCounterBase(tiers);
  S.THP_COUNTER_NAMES.forEach((name, i) => {
    row[name] = r6(c[b + i]);
  });
}

/** `config`: the run's, to add the loaded-latency, TLB and THP columns when those models are on (absent: never). */
export function timeseriesRows(tiers: Tier[], res: EngineResult, config?: Config): Row[] {
  let prevEndMs = 0;
  const loadOn = config !== undefined && loadColumnsOn(config, tiers.length);
  const tlb = config?.['tlb.enabled'] === true;
  const thp = config?.['thp.enabled'] === true;
  return res.epochs.map((e) => {
    const c = e.counters;
    const accesses = c[S.C_ACCESSES];
    const spanNs = (e.endMs - prevEndMs) * 1e6;
    prevEndMs = e.endMs;
    const row: Row = {
      epoch: e.epoch,
      endMs: r6(e.endMs),
      accesses,
      localShare: r6(ratio(c[S.C_TIER_BASE], accesses)),
      avgLatencyNs: r6(ratio(c[S.C_LATENCY_SUM_NS], accesses)),
      firstTouchFaults: c[S.C_FIRST_TOUCH_FAULTS],
      hintFaults: c[S.C_HINT_FAULTS],
      promotedPages: c[S.C_PROMOTED],
      demotedPages: c[S.C_DEMOTED],
      migratedBytes: c[S.C_MIGRATED_BYTES],
      evictedPages: c[S.C_EVICTED],
      swapIns: c[S.C_SWAP_INS],
      samples: c[S.C_SAMPLES],
      kernelCpuNs: Math.round(c[S.C_KERNEL_CPU_NS]),
    };
    if (tlb) tlbColumns(row, c, tiers.length);
    if (thp) thpColumns(row, c, tiers.length);
    tiers.forEach((_, i) => {
      const base = S.C_TIER_BASE + S.TIER_STRIDE * i;
      row[`tier${i}Pages`] = e.usedFrames[i];
      row[`tier${i}ReadGBps`] = r6(ratio(c[base + 1], spanNs));
      row[`tier${i}WriteGBps`] = r6(ratio(c[base + 2], spanNs));
    });
    if (loadOn) loadColumns(row, c, tiers.length, spanNs);
    res.policyCounterNames.forEach((name, i) => {
      row[`policy.${name}`] = i < e.policyCounters.length ? e.policyCounters[i] : 0;
    });
    return row;
  });
}

/** The loaded-latency model is on: the curve model, or an antagonist or queue limit on some tier (then the per-tier load columns are reported). */
export function loadColumnsOn(config: Config, tiers: number): boolean {
  if (config['machine.loadModel'] === 'curve') return true;
  for (let i = 0; i < tiers; i++) {
    if (((config[`machine.tiers.${i}.antagonistGBps`] as number) ?? 0) > 0 || ((config[`machine.tiers.${i}.queueDepth`] as number) ?? 0) > 0) return true;
  }
  return false;
}

/** Per tier: loaded latency (occupancy / arrivals, as Colloid reads the CHA counters), mean lines in flight (occupancy / time) and antagonist bandwidth. */
function loadColumns(row: Row, c: Float64Array, tiers: number, spanNs: number): void {
  for (let i = 0; i < tiers; i++) {
    const lb = S.loadBase(tiers, i);
    row[`tier${i}LoadedLatencyNs`] = r6(ratio(c[lb + S.LOAD_OCCUPANCY_NS], c[lb + S.LOAD_ARRIVALS]));
    row[`tier${i}InFlight`] = r6(ratio(c[lb + S.LOAD_OCCUPANCY_NS], spanNs));
    row[`tier${i}AntagonistGBps`] = r6(ratio(c[lb + S.LOAD_ANTAGONIST_BYTES], spanNs));
  }
}

/** Free-memory states of the ESX host (§6.3), by the index Host.setMemState records. */
export const MEM_STATES = ['high', 'soft', 'hard', 'low'];

/** VM model columns of the summary: host sharing totals, then per VM its end state and slowdown. */
function vmSummaryColumns(row: Row, config: Config, res: EngineResult): void {
  const vm = res.vm!;
  const f = vm.final;
  row.with = (config.with as string | undefined) ?? '';
  row.vms = vm.count;
  row.sharedPages = f.sharedPages;
  row.framesSaved = f.framesSaved;
  row.memState = MEM_STATES[f.memState] ?? f.memState;
  for (let v = 0; v < vm.count; v++) {
    const s = v * VS_STRIDE;
    row[`vm${v}MemPages`] = vm.spec.memPages[v];
    for (let k = 0; k < VS_STRIDE; k++) row[`vm${v}${cap(VS_NAMES[k])}`] = r6(f.stats[s + k]);
    // Guest page cache (vms workloads with a file set only, so other runs keep their columns).
    if (f.cache) for (let k = 0; k < GC_STRIDE; k++) row[`vm${v}${cap(GC_NAMES[k])}`] = f.cache[v * GC_STRIDE + k];
    row[`vm${v}TimeNs`] = Math.round(f.timeNs[v]);
    row[`vm${v}Slowdown`] = r6(ratio(f.timeNs[v], f.idealNs[v]));
  }
}

const cap = (name: string) => name[0].toUpperCase() + name.slice(1);

/** vm-timeseries.csv: one row per epoch and VM (levels at the epoch's end; page-out/in counts cumulative). */
export function vmTimeseriesRows(res: EngineResult): Row[] {
  if (!res.vm) return [];
  const vm = res.vm;
  const rows: Row[] = [];
  vm.epochs.forEach((e: VmEpochRow, epoch) => {
    for (let v = 0; v < vm.count; v++) {
      const s = v * VS_STRIDE;
      const row: Row = { epoch, endMs: r6(e.endMs), vm: v, memPages: vm.spec.memPages[v], shares: r6(vm.spec.shares[v]) };
      for (let k = 0; k < VS_STRIDE; k++) row[VS_NAMES[k]] = r6(e.stats[s + k]);
      if (e.cache) for (let k = 0; k < GC_STRIDE; k++) row[GC_NAMES[k]] = e.cache[v * GC_STRIDE + k];
      row.guestPagedPages = e.stats[s + VS_TOUCHED] - e.stats[s + VS_GUEST_RESIDENT];
      row.hostPagedPages = e.stats[s + VS_GUEST_RESIDENT] - e.stats[s + VS_MAPPED];
      row.timeNs = Math.round(e.timeNs[v]);
      row.slowdown = r6(ratio(e.timeNs[v], e.idealNs[v]));
      row.memState = MEM_STATES[e.memState] ?? e.memState;
      row.hostSharedPages = e.sharedPages;
      row.hostFramesSaved = e.framesSaved;
      rows.push(row);
    }
  });
  return rows;
}
