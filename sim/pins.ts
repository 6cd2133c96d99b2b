// Long-term pinned pages and ZONE_MOVABLE tiers: memory a device holds (RDMA memory regions, GPU
// and DMA buffers, vfio: long-term GUP pins), which page migration and reclaim cannot take away.
// (mlock is not a pin: an mlock'd page is unevictable but can migrate and may live in ZONE_MOVABLE.)
//
// What the kernel does, and what is modelled:
// - A tier is onlined normal or movable (machine.tiers.N.zone; Documentation/admin-guide/mm/
//   memory-hotplug.rst "online_movable"). ZONE_MOVABLE takes movable pages only: no long-term pin
//   may live there (mm/gup.c folio_is_longterm_pinnable is false for a folio in ZONE_MOVABLE).
// - Pinned ranges are address ranges (pin.ranges, or pin.mapsFile in /proc/PID/maps form). A page
//   of a range is pinned at its first touch: the driver registers the buffer with
//   pin_user_pages(FOLL_LONGTERM), which faults the page in and pins it.
// - A pin on a page in a movable tier migrates it first (mm/gup.c check_and_migrate_movable_folios
//   → migrate_longterm_unpinnable_folios, migration_target_control {nid NUMA_NO_NODE, gfp GFP_USER
//   without __GFP_MOVABLE}, MIGRATE_SYNC, MR_LONGTERM_PIN): to a normal tier, nearest first (the
//   page's node's zonelist: faster tiers nearest first, then slower). With no room anywhere the
//   faulting task reclaims once (the policy's onPressure on the nearest normal tier, as direct
//   reclaim) and retries; if that fails, the pin fails (the kernel returns -ENOMEM and the driver's
//   registration fails): counted pin.failed, and the page stays, unpinned, where it was.
//   The migration is synchronous in the pinning task (it stalls it) and counts in migratedBytes,
//   tier bandwidth and kernel CPU, but not as a promotion or demotion (it is not tiering; the
//   kernel counts it in pgmigrate_success only).
// - A pinned page never moves again: migrate() refuses it (migrate_folio_move fails on the extra
//   pin references: folio_expected_refcount), evict() refuses it (reclaim cannot unmap a
//   maybe-DMA-pinned folio), splitPage() refuses it
//   (can_split_folio counts the pins). Each refusal is counted per reason (pin.*).
//
// State: one byte per page id (pinned or not) in a typed array, grown with the page columns;
// per tier the pages pinned there. Nothing on the per-access path: a first touch checks the ranges
// (binary search) only when the run has some.

import { readFileSync } from 'node:fs';
import type { Core } from './core.ts';
import { SimError } from './core.ts';
import type { Config, Schema } from './config.ts';
import { ConfigError } from './config.ts';
import { grow } from './columns.ts';
import { K_BASE, K_SPLIT } from './memory.ts';
import { workloadPinRanges } from '../traces/synthetic.ts';

export const PIN_SCHEMA: Schema = {
  'pin.ranges': {
    default: '',
    type: 'string',
    doc:
      'Long-term pinned address ranges (RDMA/GPU/DMA buffers, vfio), comma-separated: start-end (end exclusive) or start+size, bytes in hex (0x…) or decimal with an optional K/M/G/T suffix (binary). Pages overlapping a range are pinned at first touch (pin_user_pages FOLL_LONGTERM).',
  },
  'pin.mapsFile': { default: null, nullable: true, type: 'string', doc: 'A /proc/PID/maps-style file (start-end perms offset dev inode path); its lines are pinned ranges (see pin.mapsMatch).' },
  'pin.mapsMatch': { default: '', type: 'string', doc: 'Only lines of pin.mapsFile whose path column contains this text are pinned (empty: every line), e.g. uverbs or nvidia.' },
};

/** Counters, in the order of their summary columns (pin.<name>). */
export const PIN_COUNTER_NAMES = [
  'pinned', // pages pinned
  'migratedOut', // pages a pin migrated out of a movable tier first
  'failed', // pins that failed: no room in any normal tier
  'migrateRefusedPinned', // migrate() of a pinned page
  'migrateRefusedNoRoom', // migrate() to a full tier
  'evictRefusedPinned', // evict() of a pinned page
  'splitRefusedPinned', // splitPage() of a pinned huge page
  'boundaryMoves', // setUnmovableLimit calls that moved a tier's normal/movable boundary
] as const;
export const PIN_PINNED = 0;
export const PIN_MIGRATED_OUT = 1;
export const PIN_FAILED = 2;
export const PIN_REFUSED_PINNED = 3;
export const PIN_REFUSED_NO_ROOM = 4;
export const PIN_EVICT_REFUSED = 5;
export const PIN_SPLIT_REFUSED = 6;
export const PIN_BOUNDARY_MOVES = 7;

const SUFFIX: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };
/** Addresses up to 2^64: page numbers stay exact in a double (2^52 with 4 KiB pages). */
const MAX_ADDRESS = 2 ** 64;

function parseAddress(text: string, what: string): number {
  const t = text.trim().toLowerCase();
  let v: number;
  if (/^0x[0-9a-f]+$/.test(t)) v = Number(BigInt(t));
  else {
    const m = /^([0-9]+(?:\.[0-9]+)?)([kmgt]?)i?b?$/.exec(t);
    if (!m) throw new ConfigError(`${what}: "${text}" is not an address or size (hex 0x…, or decimal with an optional K/M/G/T suffix)`);
    v = Number(m[1]) * SUFFIX[m[2]];
  }
  if (!Number.isFinite(v) || v < 0 || v > MAX_ADDRESS) throw new ConfigError(`${what}: "${text}" is outside 0 … 2^64`);
  return v;
}

/** Byte ranges [start, end) of pin.ranges: "a-b" or "a+size", comma-separated. */
export function parsePinRanges(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const part of text.split(',')) {
    const p = part.trim();
    if (p === '') continue;
    const plus = p.indexOf('+');
    const dash = p.indexOf('-');
    let start: number;
    let end: number;
    if (plus > 0) {
      start = parseAddress(p.slice(0, plus), 'pin.ranges');
      end = start + parseAddress(p.slice(plus + 1), 'pin.ranges');
    } else if (dash > 0) {
      start = parseAddress(p.slice(0, dash), 'pin.ranges');
      end = parseAddress(p.slice(dash + 1), 'pin.ranges');
    } else {
      throw new ConfigError(`pin.ranges: "${p}" is not start-end or start+size`);
    }
    if (!(end > start) || end > MAX_ADDRESS) throw new ConfigError(`pin.ranges: "${p}" is empty or ends past 2^64 (need start < end)`);
    out.push([start, end]);
  }
  return out;
}

/** Byte ranges of a /proc/PID/maps-style text whose path contains `match` ('' = every line). */
export function parseMaps(text: string, match: string, file = 'pin.mapsFile'): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const cols = line.split(/\s+/);
    const m = /^([0-9a-fA-F]+)-([0-9a-fA-F]+)$/.exec(cols[0]);
    if (!m) throw new ConfigError(`${file} line ${i + 1}: expected "start-end perms offset dev inode path" with hex start-end, found "${line.slice(0, 80)}"`);
    const path = cols.slice(5).join(' ');
    if (match !== '' && !path.includes(match)) continue;
    const start = Number(BigInt('0x' + m[1]));
    const end = Number(BigInt('0x' + m[2]));
    if (!(end > start)) throw new ConfigError(`${file} line ${i + 1}: empty range ${cols[0]}`);
    out.push([start, end]);
  }
  return out;
}

/** Pinned byte ranges of a config (pin.ranges, pin.mapsFile, and a synthetic workload's pin=1 phases), unsorted. */
export function pinRangesOf(config: Config): Array<[number, number]> {
  const ranges = parsePinRanges((config['pin.ranges'] as string | undefined) ?? '');
  const trace = config.trace;
  if ((trace === null || trace === undefined) && typeof config.workload === 'string') ranges.push(...workloadPinRanges(config.workload));
  const file = config['pin.mapsFile'] as string | null | undefined;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError(`pin.mapsFile: cannot read ${file}: ${(e as Error).message}`);
    }
    ranges.push(...parseMaps(text, (config['pin.mapsMatch'] as string | undefined) ?? '', file));
  }
  return ranges;
}

/** Byte ranges as sorted, merged [first, end) ranges of pages of `unitBytes` (a page overlapping a range counts whole). */
function mergeRanges(bytes: Array<[number, number]>, unitBytes: number): Array<[number, number]> {
  const pages = bytes.map(([s, e]) => [Math.floor(s / unitBytes), Math.ceil(e / unitBytes)] as [number, number]).sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const r of pages) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

export class Pins {
  /** The run has pinned ranges (the only case in which first touches look them up). */
  readonly on: boolean;
  /** Any tier onlined movable, or pinned ranges: the summary gets the pin.* columns. */
  report: boolean;
  /** Per tier: 1 if onlined movable (ZONE_MOVABLE). */
  readonly movable: Uint8Array;
  /** Per page id: 1 if long-term pinned. */
  pinned = new Uint8Array(0);
  /** Per tier: pinned pages there (in frames: a pinned base page of a split huge page counts its share). */
  readonly pinnedFrames: Float64Array;
  /**
   * Per tier: frames that may hold pinned pages, the size of its ZONE_NORMAL part (a movable tier:
   * 0; a normal tier: its capacity, unless a policy moved the boundary with setUnmovableLimit).
   */
  readonly limit: Float64Array;
  readonly counters = new Float64Array(PIN_COUNTER_NAMES.length);
  /** Pinned ranges in pages of the run, sorted, merged: [firstPage, endPage) pairs. */
  private readonly first: Float64Array;
  private readonly end: Float64Array;
  /** The same ranges in 4 KiB pages, for the 4 KiB sub-pages of huge pages mapped with base pages. */
  private readonly first4k: Float64Array;
  private readonly end4k: Float64Array;

  constructor(private readonly core: Core) {
    const n = core.tiers;
    this.movable = Uint8Array.from(core.tierSpecs, (t) => (t.zone === 'movable' ? 1 : 0));
    this.pinnedFrames = new Float64Array(n);
    this.limit = Float64Array.from(core.tierSpecs, (t) => (t.zone === 'movable' ? 0 : t.capacityFrames));
    const bytes = pinRangesOf(core.config);
    const pageBytes = core.pageBytes;
    // A page overlapping a range is pinned whole (a huge page is pinned as one folio).
    const merged = mergeRanges(bytes, pageBytes);
    this.first = Float64Array.from(merged, (r) => r[0]);
    this.end = Float64Array.from(merged, (r) => r[1]);
    const merged4k = mergeRanges(bytes, 4096);
    this.first4k = Float64Array.from(merged4k, (r) => r[0]);
    this.end4k = Float64Array.from(merged4k, (r) => r[1]);
    this.on = merged.length > 0;
    this.report = this.on || this.movable.some((x) => x === 1);
    // Page tables are unmovable kernel allocations (GFP_PGTABLE_USER has no __GFP_MOVABLE): they
    // cannot live in a tier onlined movable (sim/tlb.ts puts them in tlb.pageTableTier).
    const ptTier = core.config['tlb.pageTableTier'] as number | undefined;
    if (core.config['tlb.enabled'] === true && ptTier !== undefined && ptTier < n && this.movable[ptTier]) {
      throw new SimError(`tlb.pageTableTier ${ptTier} is onlined movable (machine.tiers.${ptTier}.zone=movable): page tables are unmovable kernel pages and cannot live in ZONE_MOVABLE; put them in a normal tier`);
    }
    if (this.on && this.movable.every((x) => x === 1)) {
      throw new SimError('pinned ranges are set but every tier is onlined movable: no page could ever be pinned (set machine.tiers.0.zone=normal)');
    }
  }

  isPinned(page: number): boolean {
    return page < this.pinned.length && this.pinned[page] === 1;
  }

  /** Is the page in a pinned range? Binary search over the merged ranges (a 4 KiB sub-page's vpn is in 4 KiB pages). */
  inRange(page: number): boolean {
    const ids = this.core.ids;
    const vpn = ids.vpnHi(page) * 2 ** 32 + ids.vpnLo(page);
    const base = (this.core.memory.flags[page] & K_BASE) !== 0;
    const first = base ? this.first4k : this.first;
    const end = base ? this.end4k : this.end;
    let lo = 0;
    let hi = first.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (first[mid] <= vpn) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && vpn < end[lo - 1];
  }

  /**
   * First touch of a page just placed in `tier` by CPU c: pin it if it is in a pinned range,
   * migrating it first when it is not in a normal zone with pinnable room. Returns the stall of the
   * pinning task.
   */
  firstTouch(page: number, tier: number, c: number): number {
    const m = this.core.memory;
    if (m.frame[page] < 0 && m.flags[page] & K_SPLIT) {
      // A huge page that fell back to 4 KiB pages (sim/thp.ts): the pin takes each sub-page in a range.
      const firstSub = this.core.huge.splitBase[page];
      let stall = 0;
      for (let k = 0; k < this.core.subPages; k++) if (this.inRange(firstSub + k)) stall += this.pinPage(firstSub + k, m.tierOf(firstSub + k), c);
      return stall;
    }
    return this.inRange(page) ? this.pinPage(page, tier, c) : 0;
  }

  /** Pin one mapped page of a pinned range, in `tier` now (see firstTouch). */
  private pinPage(page: number, tier: number, c: number): number {
    const core = this.core;
    const m = core.memory;
    const unit = m.unitOf(page);
    let stall = 0;
    let at = tier;
    if (this.needsMove(at, unit)) {
      let to = this.pinnableWithRoom(at, unit);
      const hooks = core.policies.hooks;
      const target = to < 0 ? this.nearestPinnable(at, unit) : -1;
      if (target >= 0 && hooks.onPressure) {
        // Allocating the target is a GFP_USER allocation: it reclaims directly, in the pinning task.
        // (Only when a tier could take the pin once a frame is free: reclaim frees frames, not pinnable room.)
        core.ctxCpu = c;
        hooks.onPressure(target, unit);
        core.ctxCpu = -1;
        const reclaimNs = core.takePendingStall();
        stall += reclaimNs;
        core.psi.memStall(c, reclaimNs); // direct reclaim in the task: a memory stall (sim/psi.ts)
        if (m.frame[page] < 0) {
          // Reclaim took the page itself: the pin fails (the driver would retry the registration).
          this.counters[PIN_FAILED]++;
          return stall;
        }
        at = m.tierOf(page);
        to = this.needsMove(at, unit) ? this.pinnableWithRoom(at, unit) : -2;
      }
      if (to === -1) {
        this.counters[PIN_FAILED]++;
        return stall;
      }
      const thp = core.huge.thp;
      if (to >= 0 && to !== at && thp !== null && thp.needsSplit(page, to)) {
        // No free 2 MiB block there (sim/thp.ts): migrate_pages splits the huge page and moves its
        // 4 KiB pages; the pin takes those in the range. The split runs in the pinning task.
        core.ctxCpu = c;
        const firstSub = core.huge.split(page);
        core.ctxCpu = -1;
        stall += core.takePendingStall();
        if (firstSub < 0) {
          this.counters[PIN_FAILED]++;
          return stall;
        }
        for (let k = 0; k < core.subPages; k++) if (this.inRange(firstSub + k)) stall += this.pinPage(firstSub + k, at, c);
        return stall;
      }
      if (to >= 0) {
        stall += core.ops.moveForPin(page, to);
        this.counters[PIN_MIGRATED_OUT]++;
        at = to;
      }
    }
    if (page >= this.pinned.length) this.pinned = grow(this.pinned, Math.max(page + 1, m.state.length));
    this.pinned[page] = 1;
    this.pinnedFrames[at] += unit;
    this.counters[PIN_PINNED]++;
    return stall;
  }

  /**
   * Must a page in tier t move before it is pinned? Yes in a movable tier, in a tier whose normal
   * part is full of pins, and in a tier with a movable part at all: a movable allocation takes
   * ZONE_MOVABLE first (the zonelist goes from the highest zone down), so the pin moves it to the
   * node's ZONE_NORMAL (a copy within the tier).
   */
  private needsMove(t: number, unit: number): boolean {
    return this.movable[t] === 1 || this.pinnedFrames[t] + unit > this.limit[t] || this.limit[t] < this.core.memory.capacityFrames[t];
  }

  /**
   * A tier the page in tier `at` can be pinned in, nearest first (faster tiers, then `at` and
   * slower: a node's zonelist by distance): a normal part with pinnable room and a free frame (its
   * own tier: the copy within the tier reuses the page's frame count). -1 if none.
   */
  pinnableWithRoom(at: number, unit: number): number {
    const m = this.core.memory;
    for (let t = at - 1; t >= 0; t--) if (this.pinnable(t, unit) && m.usedFrames[t] + unit <= m.capacityFrames[t]) return t;
    for (let t = at; t < m.tiers; t++) if (this.pinnable(t, unit) && (t === at || m.usedFrames[t] + unit <= m.capacityFrames[t])) return t;
    return -1;
  }

  private pinnable(t: number, unit: number): boolean {
    return this.movable[t] === 0 && this.pinnedFrames[t] + unit <= this.limit[t];
  }

  /** The nearest tier whose normal part could take the pin once reclaim frees a frame (for direct reclaim); -1 if none. */
  private nearestPinnable(at: number, unit: number): number {
    for (let t = at - 1; t >= 0; t--) if (this.pinnable(t, unit)) return t;
    for (let t = at; t < this.movable.length; t++) if (this.pinnable(t, unit)) return t;
    return -1;
  }

  /**
   * PinHost.setUnmovableLimit: move a tier's normal/movable boundary (memory blocks offlined and
   * onlined as the other zone, memory-hotplug.rst). Clamped to [frames pinned there, capacity]: a
   * block holding a pinned page cannot be offlined (offline_pages fails on an unmovable page). A
   * movable tier stays 0. Offlining migrates the block's used pages away: charged as kernel CPU of
   * |change| × (the tier's used share) migrations [design estimate: the expected occupied frames
   * of the blocks moved]. Returns the limit set.
   */
  setLimit(tier: number, frames: number): number {
    const core = this.core;
    const m = core.memory;
    if (this.movable[tier]) return 0;
    const cap = m.capacityFrames[tier];
    const next = Math.min(cap, Math.max(this.pinnedFrames[tier], Math.floor(frames)));
    const delta = Math.abs(next - this.limit[tier]);
    if (delta === 0) return next;
    this.limit[tier] = next;
    this.report = true;
    this.counters[PIN_BOUNDARY_MOVES]++;
    core.ops.chargeKernelNs(delta * (m.usedFrames[tier] / cap) * core.cost.migrationNs);
    return next;
  }

  /** Summary columns: the counters, then pinned pages per tier (at the end of the run). */
  columns(counters: Float64Array): Array<[string, number]> {
    const out: Array<[string, number]> = PIN_COUNTER_NAMES.map((name, i) => [`pin.${name}`, counters[i]]);
    this.core.tierSpecs.forEach((_, t) => out.push([`pin.tier${t}PinnedPages`, this.pinnedFrames[t]], [`pin.tier${t}UnmovableLimitPages`, this.limit[t]]));
    return out;
  }
}
