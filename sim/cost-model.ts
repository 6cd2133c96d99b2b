// The cost model: every latency, fault, copy, shootdown, scan and sample cost the engine charges,
// as one typed object built from the config, plus the table that says, for each number, its unit,
// where it comes from and — for each [estimate] — a plausible range (low … high), which the
// sensitivity analysis and the fidelity work move across.
//
// The values are the config's (`cost.*`, `cpu.mlp`, `machine.*` keys): this file adds no number of
// its own to a run, it only gathers them. Sources: ../shared/FACTS.md §1, §3, §5, §8 and the
// README's "Machines" and "Costs". Tags: [code] read in source, [secondary] a third-party figure,
// [estimate] no published figure (a reasoned guess, exposed as a parameter).

import type { Config } from './config.ts';
import type { Tier, TierKind } from './machine.ts';

export type CostTag = 'code' | 'secondary' | 'estimate' | 'model';

/** What one config key of the cost model means: unit, provenance and, for estimates, a range. */
export interface CostSpec {
  unit: string;
  tag: CostTag;
  source: string;
  /** Plausible range (required for [estimate] and [secondary] figures that come as ranges). */
  low?: number;
  high?: number;
}

/** Every cost key the engine reads, by config key. A test checks the schema's cost.* keys are all here. */
export const COST_SPECS: Record<string, CostSpec> = {
  'cost.firstTouchFaultNs': { unit: 'ns', tag: 'estimate', source: 'minor page fault with allocation, before zeroing; no published figure (FACTS §5 lists none)', low: 500, high: 2000 },
  'cost.zeroGBps': { unit: 'GB/s', tag: 'estimate', source: 'clear_page bandwidth of one core', low: 5, high: 20 },
  'cost.hintFaultNs': { unit: 'ns', tag: 'estimate', source: 'FACTS §1 and §5: NUMA hint fault without migration 1–3 µs', low: 1000, high: 3000 },
  'cost.pteScanNs': { unit: 'ns per PTE', tag: 'estimate', source: 'FACTS §1: PTE scan 10–50 ns per PTE', low: 10, high: 50 },
  'cost.sampleNs': { unit: 'ns per sample', tag: 'estimate', source: 'FACTS §3: per PEBS sample a few hundred ns to ~1 µs', low: 200, high: 1000 },
  'cost.migrationFixedNs': { unit: 'ns per page', tag: 'estimate', source: 'FACTS §5: 4 KiB migration 2–10 µs end to end, less the copy (0.3–0.5 µs) and the shootdown (1–3 µs)', low: 1000, high: 6000 },
  'cost.migrationCopyGBps': { unit: 'GB/s', tag: 'estimate', source: 'FACTS §5: 4 KiB copy 0.3–0.5 µs (8–14 GB/s), 2 MiB at 10–20 GB/s', low: 8, high: 20 },
  'cost.tlbShootdownNs': { unit: 'ns per migration', tag: 'secondary', source: 'FACTS §5: TLB shootdown IPI round 1–3 µs, ≈ 1 µs + 200 ns per receiving core', low: 1000, high: 3000 },
  'cost.tlbShootdownPerCpuNs': { unit: 'ns per other CPU', tag: 'secondary', source: 'FACTS §5: ≈ 200 ns per receiving core', low: 100, high: 300 },
  'cost.splitHugePageNs': { unit: 'ns per split', tag: 'estimate', source: 'split_huge_page: freeze 512 struct pages, fill a PTE table, flush the TLB; no published figure', low: 5000, high: 50000 },
  'cost.swapInNs': { unit: 'ns', tag: 'estimate', source: 'major fault from swap: NVMe 4 KiB read ≈ 10–100 µs', low: 10000, high: 100000 },
  'cost.swapOutNs': { unit: 'ns of kernel CPU', tag: 'estimate', source: 'write-back of a dirty page on eviction (the I/O itself is asynchronous)', low: 2000, high: 10000 },
  'cost.cowBreakNs': { unit: 'ns', tag: 'estimate', source: 'FACTS §5 parts: write-protect fault 1–3 µs + 4 KiB copy 0.3–0.5 µs', low: 1300, high: 3500 },
  'cost.pageShareNs': { unit: 'ns of kernel CPU', tag: 'estimate', source: 'full compare of 4 KiB, remap read-only, TLB flush (ESX §4.1)', low: 1000, high: 3000 },
  'cost.touchSampleNs': { unit: 'ns', tag: 'estimate', source: 'minor fault on a page invalidated for active-memory sampling (ESX §5.3)', low: 500, high: 2000 },
  'cost.guestPageOutNs': { unit: 'ns of the VM\'s CPU', tag: 'estimate', source: 'guest writes one page to its virtual disk', low: 2000, high: 10000 },
  'cpu.mlp': { unit: 'accesses in flight', tag: 'estimate', source: 'memory-level parallelism: an access stalls its CPU for latency / mlp', low: 1, high: 4 },
  'machine.queueFactor': { unit: '1', tag: 'estimate', source: 'loaded latency = idle · (1 + q·u/(1 − u)), the M/M/1 shape (README "Machines")', low: 0.25, high: 1 },
  'machine.maxUtilization': { unit: '1', tag: 'model', source: 'cap of bandwidth use u in the loaded-latency curve (keeps it finite)' },
  'machine.bandwidthWindowUs': { unit: 'µs', tag: 'model', source: 'window over which bandwidth use is measured for the next window\'s latency' },
  'machine.lineBytes': { unit: 'bytes per access', tag: 'model', source: 'one cache line moved per memory access' },
};

/** Ranges of tier figures by topology kind (FACTS §5 and §8); the preset names its own sources. */
const TIER_RANGES: Record<TierKind, { latencyNs: [number, number]; gbps: [number, number] }> = {
  local: { latencyNs: [80, 140], gbps: [100, 307] },
  'cxl-direct': { latencyNs: [140, 410], gbps: [32, 64] },
  'cxl-switch': { latencyNs: [220, 300], gbps: [16, 64] },
  'remote-socket': { latencyNs: [120, 160], gbps: [40, 80] },
  pmem: { latencyNs: [300, 800], gbps: [10, 40] },
};

/** One number of the cost model with its provenance: what the sensitivity analysis moves. */
export interface CostEntry extends CostSpec {
  key: string;
  value: number;
}

/** Per-tier access costs. */
export interface TierCost {
  readLatencyNs: number;
  writeLatencyNs: number;
  /** Bytes per ns the device moves at saturation: the mean of its read and write peaks (they share it). */
  peakBytesPerNs: number;
}

/** The costs one run charges, in the units their names say. */
export interface CostModel {
  /** First-touch fault of one page of the run: fixed cost plus zeroing the page. */
  firstTouchNs: number;
  hintFaultNs: number;
  swapInNs: number;
  swapOutNs: number;
  pteScanNs: number;
  sampleNs: number;
  /** Migration of one page of the run / of one 4 KiB base page: fixed + copy + TLB shootdown to the other CPUs. */
  migrationNs: number;
  migrationBaseNs: number;
  splitHugePageNs: number;
  cowBreakNs: number;
  pageShareNs: number;
  touchSampleNs: number;
  guestPageOutNs: number;
  /** Memory-level parallelism: an access advances its CPU by latency / mlp. */
  mlp: number;
  tiers: TierCost[];
  /** Loaded-latency curve (see loaded-latency.ts). */
  queueFactor: number;
  maxUtilization: number;
  windowNs: number;
  lineBytes: number;
}

/** A config value, or the spec default for keys a hand-built config may lack (VM costs, split cost). */
function num(config: Config, key: string, fallback: number): number {
  const v = config[key];
  return typeof v === 'number' ? v : fallback;
}

/** The run's cost model. Formulas keep the engine's historical operation order (outputs stay byte-identical). */
export function buildCostModel(config: Config, tiers: readonly Tier[], pageBytes: number, cpus: number): CostModel {
  // With the translation model on (sim/tlb.ts) the shootdown is charged per migration from the
  // CPUs that receive it; otherwise every migration pays an IPI round to all other CPUs.
  const tlbModel = config['tlb.enabled'] === true;
  const migrationNs = (bytes: number) =>
    tlbModel
      ? (config['cost.migrationFixedNs'] as number) + bytes / (config['cost.migrationCopyGBps'] as number)
      : (config['cost.migrationFixedNs'] as number) +
        bytes / (config['cost.migrationCopyGBps'] as number) +
        (config['cost.tlbShootdownNs'] as number) +
        (config['cost.tlbShootdownPerCpuNs'] as number) * Math.max(0, cpus - 1);
  return {
    firstTouchNs: (config['cost.firstTouchFaultNs'] as number) + pageBytes / (config['cost.zeroGBps'] as number),
    hintFaultNs: config['cost.hintFaultNs'] as number,
    swapInNs: config['cost.swapInNs'] as number,
    swapOutNs: config['cost.swapOutNs'] as number,
    pteScanNs: config['cost.pteScanNs'] as number,
    sampleNs: config['cost.sampleNs'] as number,
    migrationNs: migrationNs(pageBytes),
    migrationBaseNs: migrationNs(4096),
    splitHugePageNs: num(config, 'cost.splitHugePageNs', 20000),
    cowBreakNs: num(config, 'cost.cowBreakNs', 2500),
    pageShareNs: num(config, 'cost.pageShareNs', 1500),
    touchSampleNs: num(config, 'cost.touchSampleNs', 1000),
    guestPageOutNs: num(config, 'cost.guestPageOutNs', 5000),
    mlp: config['cpu.mlp'] as number,
    tiers: tiers.map((t) => ({ readLatencyNs: t.readLatencyNs, writeLatencyNs: t.writeLatencyNs, peakBytesPerNs: (t.readGBps + t.writeGBps) / 2 })),
    queueFactor: config['machine.queueFactor'] as number,
    maxUtilization: config['machine.maxUtilization'] as number,
    windowNs: (config['machine.bandwidthWindowUs'] as number) * 1e3,
    lineBytes: config['machine.lineBytes'] as number,
  };
}

/**
 * Every number of the cost model of a run, with its value, unit, source and range: the engine's
 * cost keys, then each tier's latencies and bandwidths (ranged by the tier's topology kind).
 */
export function costEntries(config: Config, tiers: readonly Tier[]): CostEntry[] {
  const out: CostEntry[] = [];
  for (const [key, spec] of Object.entries(COST_SPECS)) {
    const value = config[key];
    if (typeof value === 'number') out.push({ key, value, ...spec });
  }
  tiers.forEach((t, i) => {
    const r = TIER_RANGES[t.kind];
    const latTag: CostTag = t.kind === 'local' || t.kind === 'cxl-direct' || t.kind === 'cxl-switch' || t.kind === 'remote-socket' ? 'secondary' : 'estimate';
    const from = `machine preset tier ${t.name} (${t.kind}); FACTS §5/§8 range for ${t.kind}`;
    const lat = (field: 'readLatencyNs' | 'writeLatencyNs', tag: CostTag) => out.push({ key: `machine.tiers.${i}.${field}`, value: t[field], unit: 'ns', tag, source: from, low: r.latencyNs[0], high: r.latencyNs[1] });
    lat('readLatencyNs', latTag);
    lat('writeLatencyNs', t.kind === 'pmem' ? 'estimate' : latTag);
    for (const field of ['readGBps', 'writeGBps'] as const) out.push({ key: `machine.tiers.${i}.${field}`, value: t[field], unit: 'GB/s', tag: 'estimate', source: from, low: r.gbps[0], high: r.gbps[1] });
  });
  return out;
}
