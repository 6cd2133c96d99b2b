// Address translation (issue 17 item 1; README "Address translation"): a data TLB per CPU, the page
// walk on a miss, and shootdowns when a mapping changes. Off unless tlb.enabled (then every access
// asks the TLB; with it off the engine's outputs are byte-identical to a run without this file).
//
// - Per CPU an L1 and an L2 dTLB, each a set of set-associative LRU arrays; an array holds the page
//   sizes in its mask (Intel: separate L1 arrays per size, one STLB for 4 KiB and 2 MiB; AMD Zen 4:
//   one fully associative L1 for every size, an L2 for 4 KiB and 2 MiB). Sizes per CPU model below,
//   with sources; a size no vendor document gives is marked [estimate]. Tags are the entry's
//   virtual page number (in its own page size) × 4 + size class; the set is vpn mod sets.
// - L1 hit: free (inside the load-to-use latency). L1 miss, L2 hit: tlb.l2HitNs, entry refilled
//   into L1. L2 miss: a page walk. x86-64 4-level paging: PML4 → PDPT → PD → PT. The walk reads
//   the leaf entry (PTE for 4 KiB, PDE for 2 MiB, PDPTE for 1 GiB) and every upper level the
//   paging-structure caches do not hold: a PDE cache (keyed by the 2 MiB region, skips PML4, PDPT
//   and PD) and a PDPTE cache (keyed by the 1 GiB region); the PML4 entry is always assumed cached
//   (one entry covers 512 GiB). Intel SDM vol. 3 §4.10.3 "Paging-Structure Caches" [doc]; their
//   sizes are undocumented [estimate].
// - Each read of the walk costs its memory: the page-table pages live in tier tlb.pageTableTier
//   (page tables are memory too: on CXL a walk pays CXL latency, at the tier's current loaded
//   latency) unless its 64-byte line (8 entries) is in the CPU's data caches: a per-CPU LRU of
//   tlb.ptCacheLines page-table lines [estimate] stands for the share of L2 and LLC they keep, and a
//   hit costs tlb.walkCacheHitNs. So a walk over neighbouring pages mostly hits and a random walk
//   over a large footprint goes to memory. Walk reads to memory add to the page-table tier's
//   bandwidth use.
// - Shootdown (Linux arch/x86/mm/tlb.c flush_tlb_mm_range → flush_tlb_multi) on migration, unmap
//   (evict), huge-page split, khugepaged collapse (one range flush, sim/thp.ts) and Nomad's shadow
//   remap (sim/shadow-ops.ts): every CPU's entry for the page is invalidated (entries lost; the
//   holder refills it with a walk on its next access). The initiator pays an IPI round,
//   cost.tlbShootdownNs + cost.tlbShootdownPerCpuNs per receiving CPU, and each receiver pays
//   tlb.shootdownReceiveNs on its clock. Receivers: `holders` = the other CPUs that held the entry
//   (the model; what a precise or broadcast invalidation achieves), `mm` = every other CPU
//   running the address space (Linux x86 sends the IPI to mm_cpumask whether or not the CPU holds
//   the entry). With no receiver the flush is local (invlpg), inside the migration's fixed cost.
//   Shootdowns at one simulated time from one context (a policy callback's list, a fault) are one
//   migrate_pages() batch of ≤ 512 pages: one IPI round to the union of their receivers
//   (tlb.batchedFlush; mm/migrate.c migrate_pages_batch, try_to_unmap_flush).
// - Not modelled: instruction TLB, PCID/ASID switches, nested (2D) walks of VMs (tlb.enabled with
//   the VM model is an error), page-table pages' own capacity, the paging-structure caches'
//   invalidation on shootdown (a migration changes only the leaf entry), 1 GiB pages (the run's
//   pages are 4 KiB or 2 MiB; the 1 GiB arrays are there for the CPU models' completeness).
//
// Speed: per access one call when on; the arrays are Float64Array tags (vpn × 4 + class is exact
// below 2^53), LRU order is the position inside the set (move to front on hit: sets hold 4–24 ways,
// the fully associative 72-entry L1 of Zen 4 is the longest scan); nothing is allocated per access.

import type { Config, Schema } from './config.ts';
import { ConfigError, MAX_EVENT_NS } from './config.ts';
import type { Core } from './core.ts';
import { SimError } from './core.ts';
import { grow } from './columns.ts';
import { K_BASE } from './memory.ts';
import { C_STALL_NS, C_TIER_BASE, TIER_STRIDE, TC_WALK_MEM_READS, TC_ENTRIES_LOST, TC_IPIS, TC_L1_MISSES, TC_L2_MISSES, TC_PSC_MISSES, TC_SHOOTDOWNS, TC_SHOOTDOWN_NS, TC_WALK_NS, TC_WALK_READS, tlbCounterBase } from './stats.ts';

/** Page-size classes: 4 KiB, 2 MiB, 1 GiB. */
export const CLS_4K = 0;
export const CLS_2M = 1;
export const CLS_1G = 2;

/** One TLB array: entries, ways (entries = fully associative) and the size classes it holds (bit per class). */
export interface TlbArraySpec {
  entries: number;
  ways: number;
  sizes: number;
}

export interface TlbCpuModel {
  name: string;
  summary: string;
  sources: string;
  l1: TlbArraySpec[];
  l2: TlbArraySpec[];
}

const B4K = 1 << CLS_4K;
const B2M = 1 << CLS_2M;
const B1G = 1 << CLS_1G;

export const TLB_CPU_MODELS: readonly TlbCpuModel[] = [
  {
    name: 'golden-cove',
    summary: 'Intel Golden Cove (Sapphire Rapids Xeon, the first CXL 1.1 server part).',
    sources:
      'L1 dTLB (loads) 4 KiB: 96 entries, 6-way (64 → 96 over Willow Cove: Intel Architecture Day 2021 [secondary]); 2 MiB: 32 entries, 4-way and 1 GiB: 8 entries, fully associative (Intel optimization manual, Golden Cove TLB table [secondary]); STLB 2048 entries, 16-way, shared by 4 KiB and 2 MiB [secondary]; STLB 1 GiB: 16 entries, 4-way [estimate]',
    l1: [
      { entries: 96, ways: 6, sizes: B4K },
      { entries: 32, ways: 4, sizes: B2M },
      { entries: 8, ways: 8, sizes: B1G },
    ],
    l2: [
      { entries: 2048, ways: 16, sizes: B4K | B2M },
      { entries: 16, ways: 4, sizes: B1G },
    ],
  },
  {
    name: 'zen4',
    summary: 'AMD Zen 4 (EPYC 9004 Genoa, CXL 1.1).',
    sources:
      'L1 dTLB 72 entries, fully associative, every page size; L2 dTLB 3072 entries for 4 KiB and 2 MiB, 1 GiB pages smashed into 2 MiB entries there (AMD Software Optimization Guide for Family 19h, Zen 4 [secondary]); L2 associativity 12-way [estimate: as Zen 2/3]',
    l1: [{ entries: 72, ways: 72, sizes: B4K | B2M | B1G }],
    l2: [{ entries: 3072, ways: 12, sizes: B4K | B2M | B1G }],
  },
  {
    name: 'skylake-sp',
    summary: 'Intel Skylake-SP / Cascade Lake Xeon (the Optane PMem servers).',
    sources:
      'L1 dTLB 4 KiB: 64 entries, 4-way; 2 MiB: 32 entries, 4-way; 1 GiB: 4 entries, fully associative; STLB 1536 entries, 12-way, 4 KiB and 2 MiB; 1 GiB: 16 entries, 4-way (Intel 64 and IA-32 Architectures Optimization Reference Manual, Skylake TLB parameters table [doc])',
    l1: [
      { entries: 64, ways: 4, sizes: B4K },
      { entries: 32, ways: 4, sizes: B2M },
      { entries: 4, ways: 4, sizes: B1G },
    ],
    l2: [
      { entries: 1536, ways: 12, sizes: B4K | B2M },
      { entries: 16, ways: 4, sizes: B1G },
    ],
  },
];

/** CPU model of each machine preset when tlb.cpu = auto (presets not listed: golden-cove). */
const PRESET_CPU: Record<string, string> = { 'dram-optane': 'skylake-sp' };

const nnum = (doc: string, extra: Partial<Schema[string]> = {}): Schema[string] => ({ default: null, doc, type: 'number', nullable: true, integer: true, min: 1, max: 65536, ...extra });

/** Config keys of the translation model (README "Address translation"). */
export const TLB_SCHEMA: Schema = {
  'tlb.enabled': { default: false, doc: 'Model address translation: per-CPU L1/L2 dTLB, page walks whose reads cost the page-table tier\'s latency, shootdowns (README "Address translation"). Off: translation is free, as before.', type: 'boolean' },
  'tlb.cpu': { default: 'auto', doc: `TLB geometry: ${TLB_CPU_MODELS.map((m) => m.name).join(', ')}, or auto (by machine.preset: dram-optane → skylake-sp, others → golden-cove).`, type: 'string', choices: ['auto', ...TLB_CPU_MODELS.map((m) => m.name)] },
  'tlb.l1Entries4KiB': nnum('Override: entries of the L1 dTLB array that holds 4 KiB pages (unset = the CPU model\'s).'),
  'tlb.l1Ways4KiB': nnum('Override: ways of that array (entries / ways sets; ways = entries is fully associative).'),
  'tlb.l1Entries2MiB': nnum('Override: entries of the L1 dTLB array that holds 2 MiB pages.'),
  'tlb.l1Ways2MiB': nnum('Override: ways of that array.'),
  'tlb.l2Entries': nnum('Override: entries of the L2 dTLB array that holds 4 KiB pages (and 2 MiB ones where the CPU shares it).'),
  'tlb.l2Ways': nnum('Override: ways of that array.'),
  'tlb.l2HitNs': { default: 2.5, doc: 'Extra latency of an L1 dTLB miss that hits the L2 (≈ 7–9 cycles at 3 GHz; Skylake STLB hit ≈ 7 cycles [secondary]). [estimate, 1–4 ns]', type: 'number', min: 0, max: 1000 },
  'tlb.pdeCacheEntries': { default: 32, doc: 'Paging-structure cache of PD entries (2 MiB regions), per CPU, fully associative LRU; 0 = none (Intel SDM §4.10.3 names it, no size published). [estimate, 16–64]', type: 'number', integer: true, min: 0, max: 4096 },
  'tlb.pdpteCacheEntries': { default: 4, doc: 'Paging-structure cache of PDPT entries (1 GiB regions), per CPU, fully associative LRU; 0 = none. [estimate, 2–16]', type: 'number', integer: true, min: 0, max: 4096 },
  'tlb.pageTableTier': { default: 0, doc: 'Tier (0 = fastest) that holds the page-table pages: a walk read that goes to memory costs this tier\'s loaded read latency. Linux allocates page tables unmovable on the faulting CPU\'s node (DRAM) unless CXL is onlined as a normal zone.', type: 'number', integer: true, min: 0, max: 3 },
  'tlb.ptCacheLines': { default: 8192, doc: 'Page-table cache lines (64 B: 8 PTEs, PDEs or PDPTEs) a CPU\'s data caches hold for its walks, 16-way LRU: a walk read that finds its line costs tlb.walkCacheHitNs, else the page-table tier\'s latency; 0 = every walk read goes to memory. Default 512 KiB: the part of L2 and the LLC slice page-table lines keep beside data. [estimate, 1024–65536]', type: 'number', integer: true, min: 0, max: 2 ** 18 },
  'tlb.walkCacheHitNs': { default: 5, doc: 'A page-walk read whose line is in the data caches (≈ an L2 hit, 15 cycles at 3 GHz). [estimate, 1.5–15 ns]', type: 'number', min: 0, max: 1000 },
  'tlb.shootdownTargets': { default: 'holders', doc: 'Which CPUs receive a shootdown IPI: holders (the other CPUs holding the entry) or mm (every other CPU of the address space, as Linux x86 flush_tlb_multi over mm_cpumask).', type: 'string', choices: ['holders', 'mm'] },
  'tlb.batchedFlush': { default: true, doc: 'Shootdowns at the same simulated time from the same context form one migrate_pages() batch (≤ 512 pages) with one IPI round to the union of receivers (Linux ≥ 6.4, "migrate_pages: batch flushing TLB": flush IPIs −99 %, FACTS §8); false = one round per page.', type: 'boolean' },
  'tlb.shootdownReceiveNs': { default: 500, doc: 'Time a receiving CPU loses to a shootdown IPI (interrupt entry, invlpg, ack). [estimate, 200–2000 ns]', type: 'number', min: 0, max: MAX_EVENT_NS },
};

/** The CPU model a config selects. */
export function tlbCpuModel(config: Config): TlbCpuModel {
  let name = (config['tlb.cpu'] as string | undefined) ?? 'auto';
  if (name === 'auto') name = PRESET_CPU[config['machine.preset'] as string] ?? 'golden-cove';
  const m = TLB_CPU_MODELS.find((x) => x.name === name);
  if (!m) throw new ConfigError(`tlb.cpu: unknown CPU model "${name}"; valid: ${TLB_CPU_MODELS.map((x) => x.name).join(', ')}`);
  return m;
}

/** The L1 and L2 arrays of a config: the CPU model's, with the tlb.* overrides applied. */
export function tlbGeometry(config: Config): { l1: TlbArraySpec[]; l2: TlbArraySpec[] } {
  const m = tlbCpuModel(config);
  const l1 = m.l1.map((a) => ({ ...a }));
  const l2 = m.l2.map((a) => ({ ...a }));
  const override = (arrays: TlbArraySpec[], cls: number, eKey: string, wKey: string) => {
    const a = arrays.find((x) => (x.sizes >> cls) & 1);
    if (!a) return;
    const e = config[eKey] as number | null | undefined;
    const w = config[wKey] as number | null | undefined;
    if (e != null) a.entries = e;
    if (w != null) a.ways = w;
    else if (e != null && a.ways > a.entries) a.ways = a.entries;
  };
  override(l1, CLS_4K, 'tlb.l1Entries4KiB', 'tlb.l1Ways4KiB');
  override(l1, CLS_2M, 'tlb.l1Entries2MiB', 'tlb.l1Ways2MiB');
  override(l2, CLS_4K, 'tlb.l2Entries', 'tlb.l2Ways');
  for (const a of [...l1, ...l2]) {
    if (a.ways > a.entries || a.entries % a.ways !== 0) {
      throw new ConfigError(`tlb: an array of ${a.entries} entries cannot be ${a.ways}-way (ways must divide entries)`);
    }
  }
  return { l1, l2 };
}

/**
 * Set-associative LRU arrays, one per CPU, in one Float64Array of tags (-1 = empty): CPU c's set s
 * is tags[(c·sets + s)·ways …], most recently used first.
 */
export class TlbArray {
  readonly sets: number;
  readonly ways: number;
  readonly sizes: number;
  readonly tags: Float64Array;

  constructor(spec: TlbArraySpec, cpus: number) {
    this.ways = spec.ways;
    this.sets = spec.entries / spec.ways;
    this.sizes = spec.sizes;
    this.tags = new Float64Array(cpus * spec.entries).fill(-1);
  }

  /** Look tag up in CPU c's set for vpn; a hit moves it to the front. */
  lookup(c: number, vpn: number, tag: number): boolean {
    const ways = this.ways;
    const tags = this.tags;
    const base = (c * this.sets + (vpn % this.sets)) * ways;
    for (let w = 0; w < ways; w++) {
      if (tags[base + w] === tag) {
        for (let j = w; j > 0; j--) tags[base + j] = tags[base + j - 1];
        tags[base] = tag;
        return true;
      }
    }
    return false;
  }

  /** Insert tag at the front of CPU c's set for vpn (not present), evicting the least recently used. */
  insert(c: number, vpn: number, tag: number): void {
    const tags = this.tags;
    const base = (c * this.sets + (vpn % this.sets)) * this.ways;
    for (let j = this.ways - 1; j > 0; j--) tags[base + j] = tags[base + j - 1];
    tags[base] = tag;
  }

  /** Remove tag from CPU c's set for vpn; true if it was there. */
  remove(c: number, vpn: number, tag: number): boolean {
    const ways = this.ways;
    const tags = this.tags;
    const base = (c * this.sets + (vpn % this.sets)) * ways;
    for (let w = 0; w < ways; w++) {
      if (tags[base + w] === tag) {
        for (let j = w; j < ways - 1; j++) tags[base + j] = tags[base + j + 1];
        tags[base + ways - 1] = -1;
        return true;
      }
    }
    return false;
  }
}

/** What one translation did (for the engine's counters), reset by each translate(). */
export const T_HIT = 0;
export const T_L2_HIT = 1;
export const T_WALK = 2;

/**
 * The per-CPU translation hardware, independent of the engine (tests drive it directly): translate
 * a virtual address given as a 4 KiB vpn and a size class, invalidate a page's entries.
 */
export class TlbHardware {
  readonly cpus: number;
  /** Per size class, the L1 and the L2 array that holds it (null = none). */
  readonly l1: Array<TlbArray | null>;
  readonly l2: Array<TlbArray | null>;
  readonly pde: TlbArray | null;
  readonly pdpte: TlbArray | null;
  readonly l2HitNs: number;
  /** Page-table cache lines held in the data caches, per CPU (null = none: every walk read goes to memory). */
  readonly ptLines: TlbArray | null;
  /** Results of the last translate(): what happened, walk reads, those that went to memory, and paging-structure cache misses. */
  outcome = T_HIT;
  walkReads = 0;
  walkMemReads = 0;
  pscMisses = 0;
  /** Of the last invalidate(): CPUs that held an entry, and entries removed. */
  holders = 0;
  entriesLost = 0;

  constructor(geometry: { l1: TlbArraySpec[]; l2: TlbArraySpec[] }, cpus: number, opts: { l2HitNs: number; pdeEntries: number; pdpteEntries: number; ptCacheLines?: number }) {
    this.cpus = cpus;
    const pick = (specs: TlbArraySpec[]) => {
      const arrays = specs.map((s) => new TlbArray(s, cpus));
      return [CLS_4K, CLS_2M, CLS_1G].map((cls) => arrays.find((a) => (a.sizes >> cls) & 1) ?? null);
    };
    this.l1 = pick(geometry.l1);
    this.l2 = pick(geometry.l2);
    this.pde = opts.pdeEntries > 0 ? new TlbArray({ entries: opts.pdeEntries, ways: opts.pdeEntries, sizes: 0 }, cpus) : null;
    this.pdpte = opts.pdpteEntries > 0 ? new TlbArray({ entries: opts.pdpteEntries, ways: opts.pdpteEntries, sizes: 0 }, cpus) : null;
    this.l2HitNs = opts.l2HitNs;
    const lines = opts.ptCacheLines ?? 0;
    this.ptLines = lines > 0 ? new TlbArray({ entries: lines, ways: lines % 16 === 0 ? 16 : lines, sizes: 0 }, cpus) : null;
  }

  /**
   * One walk read of the entry at `level` (0 PTE, 1 PDE, 2 PDPTE) for 4 KiB vpn v: its 64-byte line
   * holds 8 entries (8 pages, 16 MiB, 8 GiB of address space). A line in the cache costs hitNs,
   * else memNs (and the line is cached).
   */
  private read(c: number, v: number, level: number, memNs: number, hitNs: number): number {
    this.walkReads++;
    const pt = this.ptLines;
    if (pt !== null) {
      const key = Math.floor(v / (level === 0 ? 8 : level === 1 ? 4096 : 2097152));
      const tag = key * 4 + level;
      if (pt.lookup(c, key, tag)) return hitNs;
      pt.insert(c, key, tag);
    }
    this.walkMemReads++;
    return memNs;
  }

  /**
   * CPU c translates the page of 4 KiB vpn `vpn4k` mapped with size class cls. Returns the latency
   * the translation adds beyond an L1 hit, each walk read costing memNs from memory or hitNs from
   * the data caches; sets outcome, walkReads, walkMemReads and pscMisses.
   */
  translate(c: number, vpn4k: number, cls: number, memNs: number, hitNs = memNs): number {
    const vpn = cls === CLS_4K ? vpn4k : Math.floor(vpn4k / (cls === CLS_2M ? 512 : 262144));
    const tag = vpn * 4 + cls;
    const l1 = this.l1[cls];
    if (l1 !== null && l1.lookup(c, vpn, tag)) {
      this.outcome = T_HIT;
      return 0;
    }
    const l2 = this.l2[cls];
    if (l2 !== null && l2.lookup(c, vpn, tag)) {
      if (l1 !== null) l1.insert(c, vpn, tag);
      this.outcome = T_L2_HIT;
      return this.l2HitNs;
    }
    // Page walk, top down: each upper level its paging-structure cache misses, then the leaf.
    this.walkReads = 0;
    this.walkMemReads = 0;
    let ns = this.l2HitNs;
    let psc = 0;
    if (cls === CLS_4K) {
      const r2m = Math.floor(vpn4k / 512);
      if (this.pde === null || !this.pde.lookup(c, r2m, r2m)) {
        psc++;
        if (this.pde !== null) this.pde.insert(c, r2m, r2m);
        const r1g = Math.floor(vpn4k / 262144);
        if (this.pdpte === null || !this.pdpte.lookup(c, r1g, r1g)) {
          psc++;
          if (this.pdpte !== null) this.pdpte.insert(c, r1g, r1g);
          ns += this.read(c, vpn4k, 2, memNs, hitNs);
        }
        ns += this.read(c, vpn4k, 1, memNs, hitNs);
      }
    } else if (cls === CLS_2M) {
      const r1g = Math.floor(vpn4k / 262144);
      if (this.pdpte === null || !this.pdpte.lookup(c, r1g, r1g)) {
        psc++;
        if (this.pdpte !== null) this.pdpte.insert(c, r1g, r1g);
        ns += this.read(c, vpn4k, 2, memNs, hitNs);
      }
    }
    ns += this.read(c, vpn4k, cls, memNs, hitNs);
    if (l2 !== null) l2.insert(c, vpn, tag);
    if (l1 !== null) l1.insert(c, vpn, tag);
    this.outcome = T_WALK;
    this.pscMisses = psc;
    return ns;
  }

  /**
   * Invalidate the entry of a page (4 KiB vpn, size class) on every CPU, in L1 and L2. heldBy[c]
   * becomes 1 if CPU c held it; sets holders (how many did) and entriesLost (entries removed).
   */
  invalidate(vpn4k: number, cls: number, heldBy: Uint8Array): void {
    const vpn = cls === CLS_4K ? vpn4k : Math.floor(vpn4k / (cls === CLS_2M ? 512 : 262144));
    const tag = vpn * 4 + cls;
    const l1 = this.l1[cls];
    const l2 = this.l2[cls];
    let holders = 0;
    let lost = 0;
    for (let c = 0; c < this.cpus; c++) {
      let n = 0;
      if (l1 !== null && l1.remove(c, vpn, tag)) n++;
      if (l2 !== null && l2.remove(c, vpn, tag)) n++;
      heldBy[c] = n > 0 ? 1 : 0;
      if (n > 0) holders++;
      lost += n;
    }
    this.holders = holders;
    this.entriesLost = lost;
  }
}

/**
 * The engine's side of translation: page ids to virtual page numbers and size classes, the walk's
 * cost from the page-table tier's current latency, counters, and shootdowns that charge the
 * initiator and the receiving CPUs. Built by the Engine for every run; `on` says whether it does
 * anything (when off no method is called on the access path).
 */
export class Tlb {
  readonly on: boolean;
  readonly hw: TlbHardware | null = null;
  /** Loop.active of the engine (a CPU whose stream ended receives no IPI); set by the Engine. */
  active: Uint8Array | null = null;
  /** Per page id: its 4 KiB virtual page number, -1 until first asked. */
  private vpnOf = new Float64Array(0);
  private readonly heldBy: Uint8Array;
  private readonly heldAny: Uint8Array;
  /** The current flush round (tlb.batchedFlush): its time, context CPU, pages, whether it sent IPIs, and who received one. */
  private readonly batched: boolean;
  private roundNs = -1;
  private roundCpu = -2;
  private roundPages = 0;
  private roundIpi = false;
  private readonly inRound: Uint8Array;
  private readonly base: number;
  private readonly ptTier: number;
  private readonly cacheHitNs: number;
  private readonly receiveNs: number;
  private readonly toAll: boolean;
  private readonly ipiBaseNs: number;
  private readonly ipiPerCpuNs: number;

  constructor(private readonly core: Core) {
    const config = core.config;
    this.on = config['tlb.enabled'] === true;
    this.heldBy = new Uint8Array(core.cpus);
    this.heldAny = new Uint8Array(core.cpus);
    this.inRound = new Uint8Array(core.cpus);
    this.batched = config['tlb.batchedFlush'] !== false;
    this.base = tlbCounterBase(core.tiers);
    this.ptTier = (config['tlb.pageTableTier'] as number | undefined) ?? 0;
    this.cacheHitNs = (config['tlb.walkCacheHitNs'] as number | undefined) ?? 5;
    this.receiveNs = (config['tlb.shootdownReceiveNs'] as number | undefined) ?? 500;
    this.toAll = config['tlb.shootdownTargets'] === 'mm';
    this.ipiBaseNs = config['cost.tlbShootdownNs'] as number;
    this.ipiPerCpuNs = config['cost.tlbShootdownPerCpuNs'] as number;
    if (!this.on) return;
    if (core.vm.on) throw new SimError('tlb.enabled with virtual machines: nested (two-dimensional) page walks are not modelled');
    if (core.subBits !== 0 && core.subBits !== 9) throw new SimError(`tlb.enabled needs 4 KiB or 2 MiB pages, found ${core.pageBytes / 1024} KiB`);
    if (this.ptTier >= core.tiers) throw new ConfigError(`tlb.pageTableTier is ${this.ptTier} but the machine has ${core.tiers} tiers (0 … ${core.tiers - 1})`);
    this.hw = new TlbHardware(tlbGeometry(config), core.cpus, {
      l2HitNs: config['tlb.l2HitNs'] as number,
      pdeEntries: config['tlb.pdeCacheEntries'] as number,
      pdpteEntries: config['tlb.pdpteCacheEntries'] as number,
      ptCacheLines: config['tlb.ptCacheLines'] as number,
    });
  }

  /** 4 KiB vpn of a page (cached per page id). */
  private vpn4k(page: number): number {
    if (page < this.vpnOf.length) {
      const v = this.vpnOf[page];
      if (v >= 0) return v;
    } else {
      this.vpnOf = grow(this.vpnOf, Math.max(page + 1, this.core.memory.pages), -1);
    }
    const ids = this.core.ids;
    let v = ids.vpnHi(page) * 4294967296 + ids.vpnLo(page);
    if (this.classOf(page) === CLS_2M) v *= 512;
    this.vpnOf[page] = v;
    return v;
  }

  /** Size class of a page: 4 KiB for 4 KiB runs and sub-pages of split huge pages, else 2 MiB. */
  private classOf(page: number): number {
    return this.core.subBits === 0 || this.core.memory.flags[page] & K_BASE ? CLS_4K : CLS_2M;
  }

  /** CPU c accesses `page`: the latency translation adds (0 on an L1 hit), counted. */
  translatePage(c: number, page: number): number {
    const core = this.core;
    const hw = this.hw!;
    const memNs = core.load.latNs[this.ptTier << 1];
    const ns = hw.translate(c, this.vpn4k(page), this.classOf(page), memNs, this.cacheHitNs);
    const o = hw.outcome;
    if (o === T_HIT) return 0;
    const counters = core.counters;
    const b = this.base;
    counters[b + TC_L1_MISSES]++;
    if (o === T_WALK) {
      const mem = hw.walkMemReads;
      counters[b + TC_L2_MISSES]++;
      counters[b + TC_WALK_READS] += hw.walkReads;
      counters[b + TC_WALK_MEM_READS] += mem;
      counters[b + TC_PSC_MISSES] += hw.pscMisses;
      counters[b + TC_WALK_NS] += ns - hw.l2HitNs;
      // Walk reads that go to memory use the page-table tier's bandwidth.
      const bytes = mem * core.cost.lineBytes;
      core.load.windowBytes[this.ptTier] += bytes;
      counters[C_TIER_BASE + TIER_STRIDE * this.ptTier + 1] += bytes;
    }
    return ns;
  }

  /**
   * The mapping of `page` changes (migration, unmap, split): invalidate its entries on every CPU.
   * Receivers (see tlb.shootdownTargets) lose tlb.shootdownReceiveNs of their clock; returns the
   * initiator's cost (an IPI round, 0 when no other CPU receives one), which the caller charges.
   */
  shootdown(page: number): number {
    return this.shootdownRange(page, 1);
  }

  /**
   * shootdown() for pages first … first + count − 1 at once (a range flush: khugepaged's collapse
   * of 512 4 KiB mappings): one IPI round to the union of the receivers.
   */
  shootdownRange(first: number, count: number): number {
    if (!this.on) return 0;
    const core = this.core;
    const hw = this.hw!;
    const held = this.heldAny;
    held.fill(0);
    let lost = 0;
    for (let p = first; p < first + count; p++) {
      hw.invalidate(this.vpn4k(p), this.classOf(p), this.heldBy);
      lost += hw.entriesLost;
      for (let k = 0; k < core.cpus; k++) held[k] |= this.heldBy[k];
    }
    const counters = core.counters;
    const b = this.base;
    counters[b + TC_ENTRIES_LOST] += lost;
    const self = core.ctxCpu;
    // Batched flush (tlb.batchedFlush): shootdowns at the same simulated time from the same context
    // (one policy callback, one fault) are one migrate_pages() batch of up to 512 pages, whose
    // flush is one IPI round to the union of the receivers (mm/migrate.c migrate_pages_batch →
    // try_to_unmap_flush). A CPU already in the round costs nothing more.
    const round = this.batched && this.roundCpu === self && this.roundNs === core.nowNs && this.roundPages + count <= 512;
    if (!round) {
      this.roundNs = core.nowNs;
      this.roundCpu = self;
      this.roundPages = 0;
      this.roundIpi = false;
      this.inRound.fill(0);
    }
    this.roundPages += count;
    const active = this.active;
    let receivers = 0;
    for (let k = 0; k < core.cpus; k++) {
      if (k === self || (active !== null && !active[k]) || this.inRound[k] !== 0) continue;
      if (!this.toAll && held[k] === 0) continue;
      this.inRound[k] = 1;
      receivers++;
      core.clockNs[k] += this.receiveNs;
      counters[C_STALL_NS] += this.receiveNs;
    }
    if (receivers === 0) return 0;
    const ns = (this.roundIpi ? 0 : this.ipiBaseNs) + this.ipiPerCpuNs * receivers;
    if (!this.roundIpi) counters[b + TC_SHOOTDOWNS]++;
    this.roundIpi = true;
    counters[b + TC_IPIS] += receivers;
    counters[b + TC_SHOOTDOWN_NS] += ns + this.receiveNs * receivers;
    return ns;
  }

  bytes(): number {
    const hw = this.hw;
    if (hw === null) return 0;
    let n = this.vpnOf.byteLength;
    const seen = new Set<TlbArray>();
    for (const a of [...hw.l1, ...hw.l2, hw.pde, hw.pdpte]) if (a !== null && !seen.has(a)) (seen.add(a), (n += a.tags.byteLength));
    return n;
  }
}
