// Machine model: tiers ordered fastest first, each with capacity, idle latencies, bandwidths and its
// place in the topology. Presets name their sources (../shared/FACTS.md §5); a number with no
// published source is marked [estimate] and can be overridden with --set machine.tiers.N.<field>.

import type { Config, Schema, KeySpec } from './config.ts';
import { ConfigError, MAX_GBPS, MAX_GIB, parseNumber } from './config.ts';
import { LOAD_TIER_FIELDS } from './loaded-latency.ts';
import { regionsFromConfig } from './page-types.ts';

export const TIER_KINDS = ['local', 'cxl-direct', 'cxl-switch', 'remote-socket', 'pmem'] as const;
export type TierKind = (typeof TIER_KINDS)[number];
/**
 * How a tier's memory is onlined (Documentation/admin-guide/mm/memory-hotplug.rst, "online_movable"):
 * normal (ZONE_NORMAL: any page) or movable (ZONE_MOVABLE: movable pages only, so no long-term
 * pinned page may live there; mm/page_alloc.c, mm/gup.c folio_is_longterm_pinnable). CXL memory is
 * usually onlined movable so that it can be offlined again. sim/pins.ts enforces it.
 */
export const TIER_ZONES = ['normal', 'movable'] as const;
export type TierZone = (typeof TIER_ZONES)[number];

export interface TierSpec {
  name: string;
  kind: TierKind;
  readLatencyNs: number;
  writeLatencyNs: number;
  readGBps: number;
  writeGBps: number;
  /** Fixed capacity; null = sized from the workload footprint by machine.ratio. */
  capacityGiB: number | null;
  /** Zone the tier is onlined as; unset in a preset = normal (today's results). */
  zone?: TierZone;
}

export interface MachinePreset {
  name: string;
  summary: string;
  sources: string;
  tiers: TierSpec[];
}

// DDR5 bandwidth: 8 channels × DDR5-4800 × 8 B = 307 GB/s peak; sustained ≈ 70 % of that. [estimate]
const DDR5_GBPS = 215;
// CXL type-3 on PCIe 5.0 ×16: 64 GB/s raw per direction (FACTS §5) [estimate]; ≈ 80 % after protocol overhead.
const CXL_X16_GBPS = 51;

export const MACHINE_PRESETS: readonly MachinePreset[] = [
  {
    name: 'ddr5-cxl',
    summary: 'DDR5 local DRAM + one direct-attached CXL type-3 expander (PCIe 5.0 ×16).',
    sources: 'local 100 ns: Hot Chips 34 CXL tutorial 80–140 ns [secondary]; CXL 180 ns = local + 80 ns, Pond ASPLOS\'23 +70–90 ns [secondary]; bandwidths [estimate]',
    tiers: [
      { name: 'dram', kind: 'local', readLatencyNs: 100, writeLatencyNs: 100, readGBps: DDR5_GBPS, writeGBps: DDR5_GBPS, capacityGiB: null },
      { name: 'cxl', kind: 'cxl-direct', readLatencyNs: 180, writeLatencyNs: 180, readGBps: CXL_X16_GBPS, writeGBps: CXL_X16_GBPS, capacityGiB: null },
    ],
  },
  {
    name: 'cxl-switch',
    summary: 'Local DRAM + CXL memory behind a CXL switch (extra hop, retimers).',
    sources: '~90 ns local vs ~220–240 ns through a switch (FACTS §5) [secondary, rough]; bandwidths [estimate]',
    tiers: [
      { name: 'dram', kind: 'local', readLatencyNs: 90, writeLatencyNs: 90, readGBps: DDR5_GBPS, writeGBps: DDR5_GBPS, capacityGiB: null },
      { name: 'cxl-sw', kind: 'cxl-switch', readLatencyNs: 230, writeLatencyNs: 230, readGBps: CXL_X16_GBPS, writeGBps: CXL_X16_GBPS, capacityGiB: null },
    ],
  },
  {
    name: 'ddr5-cxl-3tier',
    summary: 'Three tiers: local DRAM, a direct-attached CXL expander, and a pooled CXL device behind a switch.',
    sources: 'as ddr5-cxl and cxl-switch (FACTS §5) [secondary]; bandwidths [estimate]',
    tiers: [
      { name: 'dram', kind: 'local', readLatencyNs: 100, writeLatencyNs: 100, readGBps: DDR5_GBPS, writeGBps: DDR5_GBPS, capacityGiB: null },
      { name: 'cxl', kind: 'cxl-direct', readLatencyNs: 180, writeLatencyNs: 180, readGBps: CXL_X16_GBPS, writeGBps: CXL_X16_GBPS, capacityGiB: null },
      { name: 'cxl-sw', kind: 'cxl-switch', readLatencyNs: 240, writeLatencyNs: 240, readGBps: CXL_X16_GBPS / 2, writeGBps: CXL_X16_GBPS / 2, capacityGiB: null },
    ],
  },
  {
    name: 'two-socket',
    summary: 'Two-socket NUMA server: local DRAM and the other socket\'s DRAM.',
    sources: 'local ~90 ns, remote socket ~140 ns (FACTS §5) [secondary]; inter-socket link ≈ 60 GB/s [estimate]',
    tiers: [
      { name: 'node0', kind: 'local', readLatencyNs: 90, writeLatencyNs: 90, readGBps: DDR5_GBPS, writeGBps: DDR5_GBPS, capacityGiB: null },
      { name: 'node1', kind: 'remote-socket', readLatencyNs: 140, writeLatencyNs: 140, readGBps: 60, writeGBps: 60, capacityGiB: null },
    ],
  },
  {
    name: 'dram-optane',
    summary: 'DRAM + Intel Optane persistent memory (the machine of HeMem-era papers).',
    sources: 'DRAM 80 ns (Memtis htmm.h model) [code]; Optane ~350 ns load (FACTS §5) [secondary]; write latency and bandwidths (6 DIMMs: ≈ 39 GB/s read, 13 GB/s write) [estimate]',
    tiers: [
      { name: 'dram', kind: 'local', readLatencyNs: 80, writeLatencyNs: 80, readGBps: 100, writeGBps: 100, capacityGiB: null },
      { name: 'pmem', kind: 'pmem', readLatencyNs: 350, writeLatencyNs: 500, readGBps: 39, writeGBps: 13, capacityGiB: null },
    ],
  },
];

export const TIER_FIELDS: Record<keyof TierSpec, KeySpec> = {
  name: { default: '', doc: 'Tier name used in output columns.', type: 'string' },
  kind: { default: 'local', doc: 'Topology: ' + TIER_KINDS.join(', ') + '.', type: 'string', choices: TIER_KINDS },
  readLatencyNs: { default: 100, doc: 'Idle load-to-use latency.', type: 'number', min: 0, max: 1e6 },
  writeLatencyNs: { default: 100, doc: 'Idle write latency.', type: 'number', min: 0, max: 1e6 },
  readGBps: { default: 100, doc: 'Peak read bandwidth.', type: 'number', min: 1e-6, max: MAX_GBPS },
  writeGBps: { default: 100, doc: 'Peak write bandwidth.', type: 'number', min: 1e-6, max: MAX_GBPS },
  capacityGiB: { default: null, doc: 'Capacity; unset = sized from the footprint by machine.ratio.', type: 'number', nullable: true, min: 0, max: MAX_GIB },
  zone: { default: 'normal', doc: 'Onlined as normal (any page) or movable (ZONE_MOVABLE: no long-term pinned page; a pin migrates the page out first, memory-hotplug.rst online_movable).', type: 'string', choices: TIER_ZONES },
};

export function findPreset(name: string): MachinePreset {
  const p = MACHINE_PRESETS.find((m) => m.name === name);
  if (!p) throw new ConfigError(`unknown machine preset "${name}". Valid presets: ${MACHINE_PRESETS.map((m) => m.name).join(', ')}`);
  return p;
}

/** Config keys for the tiers of a preset: machine.tiers.<i>.<field>. */
export function tierSchema(preset: MachinePreset): Schema {
  const out: Schema = {};
  preset.tiers.forEach((tier, i) => {
    for (const [field, spec] of Object.entries(TIER_FIELDS)) {
      out[`machine.tiers.${i}.${field}`] = { ...spec, default: tier[field as keyof TierSpec] ?? spec.default };
    }
    // Loaded-latency keys (queue depth, antagonist): defaults leave the run unchanged.
    for (const [field, spec] of Object.entries(LOAD_TIER_FIELDS)) out[`machine.tiers.${i}.${field}`] = spec;
  });
  return out;
}

/** A tier as the engine sees it: capacity resolved to frames. */
export interface Tier extends TierSpec {
  capacityFrames: number;
}

/**
 * Resolve tier capacities. Explicit capacityGiB wins; otherwise machine.ratio shares out the
 * footprint (the slowest tier also gets machine.headroomPct of it so it can absorb demotions).
 */
export function resolveTiers(config: Config, footprintPages: number | undefined): Tier[] {
  const pageBytes = (config.pageSizeKiB as number) * 1024;
  const count = countTiers(config);
  const specs: TierSpec[] = [];
  for (let i = 0; i < count; i++) {
    const get = (f: keyof TierSpec) => config[`machine.tiers.${i}.${f}`];
    specs.push({
      name: get('name') as string,
      kind: get('kind') as TierKind,
      readLatencyNs: get('readLatencyNs') as number,
      writeLatencyNs: get('writeLatencyNs') as number,
      readGBps: get('readGBps') as number,
      writeGBps: get('writeGBps') as number,
      capacityGiB: get('capacityGiB') as number | null,
      zone: (get('zone') as TierZone | undefined) ?? 'normal',
    });
  }
  const ratio = parseRatio(config['machine.ratio'] as string, count);
  const ratioSum = ratio.reduce((a, b) => a + b, 0);
  const tiers: Tier[] = specs.map((spec, i) => {
    let frames: number;
    if (spec.capacityGiB !== null) {
      frames = Math.floor((spec.capacityGiB * 1024 ** 3) / pageBytes);
    } else {
      if (footprintPages === undefined) {
        throw new ConfigError(
          `machine.tiers.${i}.capacityGiB is unset and the footprint is not known before the run, so machine.ratio cannot size it; ` +
            `give capacities with --local-gib / --cxl-gib or --set machine.tiers.${i}.capacityGiB=…`,
        );
      }
      frames = Math.floor((footprintPages * ratio[i]) / ratioSum);
      if (i === count - 1) frames += Math.ceil((footprintPages * (config['machine.headroomPct'] as number)) / 100);
    }
    if (frames <= 0) {
      const what = spec.capacityGiB !== null ? `${spec.capacityGiB} GiB` : `its machine.ratio share of a ${footprintPages}-page footprint`;
      throw new ConfigError(`tier ${i} (${spec.name}) has no capacity: ${what} is less than one ${pageBytes / 1024} KiB page`);
    }
    return { ...spec, capacityFrames: frames };
  });
  if (footprintPages !== undefined) {
    const total = tiers.reduce((a, t) => a + t.capacityFrames, 0);
    // Page cache (file-backed pages of the run's typed regions) can be dropped and read again from
    // its file, so a run may touch more of it than memory holds (a cache application streaming its
    // data set). Only the pages that cannot be dropped must fit: refused only if the footprint less
    // every declared file-backed page (an upper bound on those touched) is still over capacity.
    // Looked up only when the whole footprint does not fit, so other runs never build the map.
    const droppable = footprintPages > total ? (regionsFromConfig(config)?.fileBackedPages(pageBytes) ?? 0) : 0;
    if (footprintPages - droppable > total) {
      throw new ConfigError(
        `the workload's footprint (${footprintPages} pages of ${pageBytes / 1024} KiB) fits nowhere: the tiers hold ${total} pages in all ` +
          `(${tiers.map((t) => `${t.name} ${t.capacityFrames}`).join(', ')})` +
          (droppable > 0 ? `, and at most ${droppable} of its pages are file-backed (can be dropped)` : ''),
      );
    }
  }
  return tiers;
}

export function countTiers(config: Config): number {
  let n = 0;
  while (`machine.tiers.${n}.name` in config) n++;
  return n;
}

export function parseRatio(text: string, tiers: number): number[] {
  const parts = text.split(':').map((s) => parseNumber(s));
  if (parts.length !== tiers || parts.some((x) => !Number.isFinite(x) || x < 0) || parts.every((x) => x === 0)) {
    throw new ConfigError(`machine.ratio: expected ${tiers} non-negative numbers separated by ":" (one per tier, fastest first, e.g. ${Array(tiers).fill(1).join(':')}), found "${text}"`);
  }
  return parts;
}
