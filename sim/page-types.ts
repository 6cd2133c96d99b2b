// Page types (DESIGN.md "Page types"): what kind of memory each page is, in one typed-array column.
//
// - Types: anon (private anonymous, swap-backed), shmem (shared memory / tmpfs, swap-backed, on the
//   anon LRU), file (a file mapped with mmap: page cache reached through page tables), cache (page
//   cache reached only through read()/write(): never mapped, so no PTE, no accessed bit of a user
//   mapping and no NUMA hint fault; task_numa_work in kernel/sched/fair.c skips what has no VMA).
//   Clean/dirty is the page's dirty bit (PAGE_DIRTY), which the engine already keeps.
// - Where a type comes from: a region map of (vm, 4 KiB page range) → type, looked up once per page
//   at its first touch (a binary search over a handful of ranges: never on the per-access path).
//   Regions come from the synthetic workload's `type=` phases (traces/synthetic.ts) and from the
//   `pages.regions` key: `type:start-end;…` in 4 KiB page numbers (hex with 0x, or decimal), an
//   optional `vm/` prefix on start, or `@file` with a /proc/PID/maps-style listing.
// - Off by default: with no region map every page stays anon (type 0) and nothing is looked up, so
//   runs without types are unchanged.

import { readFileSync } from 'node:fs';
import type { Config, Schema } from './config.ts';
import { workloadRegions } from '../traces/synthetic.ts';
import { csvTypeRanges } from '../traces/csv-types.ts';
import { CSV_PAGE_TYPES } from '../traces/csv-trace.ts';
import { ConfigError } from './config.ts';
import { grow } from './columns.ts';

export const PT_ANON = 0;
export const PT_SHMEM = 1;
export const PT_FILE = 2;
export const PT_CACHE = 3;
export const PAGE_TYPE_NAMES = ['anon', 'shmem', 'file', 'cache'] as const;
export type PageTypeName = (typeof PAGE_TYPE_NAMES)[number];

/** Is the type on the file LRU (page cache, mapped or not)? shmem is swap-backed: anon LRU (shmem_mapping). */
export function isFileType(t: number): boolean {
  return t === PT_FILE || t === PT_CACHE;
}

/**
 * Flag bit beside the type: a read-only file mapping (no VM_WRITE). task_numa_work skips such VMAs
 * (shared libraries, executables), so their pages are never hint-faulted. Region type name `file-ro`.
 */
export const PT_READ_ONLY = 4;

/** Type of a region name: anon, shmem, file, cache, or file-ro (PT_FILE | PT_READ_ONLY). */
export function pageTypeOf(name: string, where: string): number {
  if (name === 'file-ro') return PT_FILE | PT_READ_ONLY;
  const i = (PAGE_TYPE_NAMES as readonly string[]).indexOf(name);
  if (i < 0) throw new ConfigError(`${where}: unknown page type "${name}"; valid: ${PAGE_TYPE_NAMES.join(', ')}, file-ro`);
  return i;
}

export const PAGE_TYPE_SCHEMA: Schema = {
  'pages.regions': {
    default: null,
    nullable: true,
    type: 'string',
    doc: 'Page types by address range, for traces: "type:start-end;…" (types anon, shmem, file, file-ro (a read-only file mapping: never NUMA-scanned), cache; start/end in 4 KiB page numbers, hex with 0x, end exclusive; "vm/start" for a VM other than 0), or "@path" of a /proc/PID/maps listing (file-backed mappings → file, or file-ro without write permission; shared anonymous / /dev/shm / SYSV → shmem; the rest anon). Pages outside every range are anon. Synthetic workloads declare types with the phase parameter type=.',
  },
};

/** Sorted, non-overlapping (vm, [start, end)) → type ranges over 4 KiB page numbers. */
export class RegionMap {
  /** Keys vm · 2^40 + page (exact in a double: vm < 2^12, page < 2^40 … 2^52). */
  private readonly starts: Float64Array;
  private readonly ends: Float64Array;
  private readonly types: Uint8Array;

  constructor(ranges: ReadonlyArray<{ vm: number; start: number; end: number; type: number }>) {
    const all = ranges.filter((r) => r.end > r.start).map((r) => ({ s: key(r.vm, r.start), e: key(r.vm, r.end), t: r.type }));
    all.sort((a, b) => a.s - b.s || a.e - b.e);
    // Overlapping ranges of one type merge (two workload phases over the same file); of two types
    // they are an error (a page has one type).
    const sorted: typeof all = [];
    for (const r of all) {
      const last = sorted[sorted.length - 1];
      if (last && r.s < last.e) {
        if (r.t !== last.t) throw new ConfigError(`page regions overlap with different types (${PAGE_TYPE_NAMES[last.t & 3]} and ${PAGE_TYPE_NAMES[r.t & 3]}) at page 0x${(r.s % 2 ** 40).toString(16)}`);
        if (r.e > last.e) last.e = r.e;
      } else sorted.push({ ...r });
    }
    this.starts = Float64Array.from(sorted, (r) => r.s);
    this.ends = Float64Array.from(sorted, (r) => r.e);
    this.types = Uint8Array.from(sorted, (r) => r.t);
  }

  get size(): number {
    return this.types.length;
  }

  /**
   * Pages of `pageBytes` whose type is file-backed (file, file-ro, cache): the pages reclaim can drop
   * and re-read from their file. A page takes the type of its first 4 KiB page (faults.ts assigns
   * it so), so a range [s, e) holds ceil(e/u) − ceil(s/u) such pages of u 4 KiB pages each.
   */
  fileBackedPages(pageBytes: number): number {
    const u = Math.max(1, Math.round(pageBytes / 4096));
    let n = 0;
    for (let i = 0; i < this.types.length; i++) {
      // Keys are vm · 2^40 + page and u ≤ 2^40 is a power of two, so the VM part divides out.
      if (isFileType(this.types[i] & 3)) n += Math.ceil(this.ends[i] / u) - Math.ceil(this.starts[i] / u);
    }
    return n;
  }

  /** Type of 4 KiB page `page4k` of `vm` (anon outside every range). */
  lookup(vm: number, page4k: number): number {
    const k = key(vm, page4k);
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] <= k) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi >= 0 && k < this.ends[hi] ? this.types[hi] : PT_ANON;
  }
}

function key(vm: number, page: number): number {
  return vm * 2 ** 40 + page;
}

/** Parse `pages.regions`: "type:start-end;…" or "@path" of a maps listing. */
export function parseRegions(spec: string): RegionMap {
  if (spec.startsWith('@')) return parseMaps(readFileSync(spec.slice(1), 'utf8'), spec.slice(1));
  const ranges: Array<{ vm: number; start: number; end: number; type: number }> = [];
  for (const part of spec.split(';')) {
    const p = part.trim();
    if (p === '') continue;
    const m = /^([a-z-]+):(?:(\d+)\/)?(0x[0-9a-fA-F]+|\d+)-(0x[0-9a-fA-F]+|\d+)$/.exec(p);
    if (!m) throw new ConfigError(`pages.regions: expected type:start-end (4 KiB page numbers), found "${p}"`);
    const type = pageTypeOf(m[1], 'pages.regions');
    const vm = m[2] ? Number(m[2]) : 0;
    const start = Number(m[3]);
    const end = Number(m[4]);
    if (!(vm < 4096) || !(start >= 0 && end > start && end <= 2 ** 52)) throw new ConfigError(`pages.regions: bad range "${p}" (vm < 4096, 0 ≤ start < end ≤ 2^52)`);
    ranges.push({ vm, start, end, type });
  }
  return new RegionMap(ranges);
}

/**
 * A /proc/PID/maps listing (`start-end perms offset dev inode path`, byte addresses in hex): a
 * mapping with an inode is a mapped file (shared ones under /dev/shm or SYSV are shmem), a shared
 * mapping without one is shmem, everything else anon.
 */
export function parseMaps(text: string, where: string): RegionMap {
  const ranges: Array<{ vm: number; start: number; end: number; type: number }> = [];
  text.split('\n').forEach((line, i) => {
    const l = line.trim();
    if (l === '') return;
    const m = /^([0-9a-fA-F]+)-([0-9a-fA-F]+)\s+([-rwxsp]{4})\s+[0-9a-fA-F]+\s+\S+\s+(\d+)\s*(.*)$/.exec(l);
    if (!m) throw new ConfigError(`${where}:${i + 1}: not a /proc/PID/maps line: "${l}"`);
    const start = Math.floor(parseInt(m[1], 16) / 4096);
    const end = Math.ceil(parseInt(m[2], 16) / 4096);
    const shared = m[3][3] === 's';
    const inode = Number(m[4]);
    const path = m[5];
    let type = PT_ANON;
    if (/^\/dev\/shm\/|^\/SYSV|^\/memfd:/.test(path) || (shared && inode === 0)) type = PT_SHMEM;
    else if (inode !== 0) type = m[3][1] === 'w' ? PT_FILE : PT_FILE | PT_READ_ONLY;
    if (type !== PT_ANON) ranges.push({ vm: 0, start, end, type });
  });
  return new RegionMap(ranges);
}

/** The per-page type column; assigned at first touch from the region map. */
export class PageTypes {
  /** PT_* per page id. */
  type = new Uint8Array(1024);
  private regions: RegionMap | null = null;

  /** Any typed region: types are looked up at first touch (speed trick: off costs one branch per fault). */
  get on(): boolean {
    return this.regions !== null;
  }

  setRegions(map: RegionMap | null): void {
    this.regions = map && map.size > 0 ? map : null;
  }

  /** First touch of `page` = (vm, 4 KiB page number): record its type. */
  assign(page: number, vm: number, page4k: number): number {
    if (page >= this.type.length) this.type = grow(this.type, page + 1);
    const t = this.regions ? this.regions.lookup(vm, page4k) : PT_ANON;
    this.type[page] = t;
    return t;
  }

  /** PT_* of the page (without the read-only flag). */
  of(page: number): number {
    return page < this.type.length ? this.type[page] & 3 : PT_ANON;
  }

  /** NUMA balancing never marks the page: unmapped page cache (no PTE) or a read-only file mapping. */
  skipsNumaScan(page: number): boolean {
    if (page >= this.type.length) return false;
    const t = this.type[page];
    return t === PT_CACHE || (t & PT_READ_ONLY) !== 0;
  }
}

/**
 * The run's region map: `pages.regions` if set, else the synthetic workload's typed phases (when the
 * run has no trace) or a CSV trace's type column (traces/csv-types.ts); null when every page is anon.
 */
export function regionsFromConfig(config: Config): RegionMap | null {
  const spec = config['pages.regions'];
  if (typeof spec === 'string' && spec !== '') return parseRegions(spec);
  const trace = config.trace;
  const format = config['trace.format'] ?? 'auto';
  if (typeof trace === 'string' && trace !== '' && (format === 'auto' || format === 'csv')) {
    let ranges: ReturnType<typeof csvTypeRanges> = null;
    try {
      ranges = csvTypeRanges(trace, config['trace.skipBad'] === true);
    } catch (err) {
      // A file that cannot be read is the reader's to report; a bad type is an error of its own.
      if ((err as NodeJS.ErrnoException).code === undefined) throw err;
    }
    if (ranges !== null) {
      const typed = ranges.map((r) => ({ vm: r.vm, start: r.start, end: r.end, type: pageTypeOf(CSV_PAGE_TYPES[r.type], trace) }));
      return typed.length > 0 ? new RegionMap(typed) : null;
    }
  }
  if ((trace === null || trace === undefined) && typeof config.workload === 'string') {
    const ranges = workloadRegions(config.workload);
    return ranges.length > 0 ? new RegionMap(ranges) : null;
  }
  return null;
}

/**
 * Extra lines of `npm run sim`'s table when a run has page types, a storage device or zswap (none
 * of them is a summary column, so runs without them print and write what they did before):
 * resident pages per tier and type, the device's reads and writes, the zswap pool, and (with a
 * device or zswap) the PSI memory stall total `psiMemNs` (sim/psi.ts) when given.
 */
export function formatTypeReport(
  tiers: number,
  counts: Float64Array,
  typesOn: boolean,
  storage: Float64Array | null,
  zswap: Float64Array | null,
  pageBytes: number,
  psiMemNs?: number,
): string {
  const int = (x: number) => Math.round(x).toLocaleString('en-US');
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  const lines: Array<[string, string]> = [];
  if (typesOn) {
    for (let t = 0; t < tiers; t++) {
      lines.push([`tier ${t} types`, PAGE_TYPE_NAMES.map((n, k) => `${int(counts[t * 4 + k])} ${n}`).join(', ')]);
    }
  }
  if (storage) {
    // storage.ts ST_*: reads, readBytes, readWaitNs, writes, writeBytes, pageCacheMisses.
    lines.push(['storage', `${int(storage[0])} reads (${int(storage[5])} page-cache misses, ${(storage[2] / 1e6).toFixed(3)} ms waited), ${int(storage[3])} writes`]);
  }
  if (zswap) {
    // swap.ts ZS_*: stores, sameFilled, loads, rejected, writtenBack, poolBytes, storedPages, loadNs, savedBytes.
    // swap.ts ZS_DATA_PAGES = 9: compressed entries held (the rest of storedPages are same-filled).
    lines.push(['zswap', `${int(zswap[0])} stored (${int(zswap[1])} same-filled), ${int(zswap[2])} loaded, ${int(zswap[3])} rejected, ${int(zswap[4])} written back to swap`]);
    lines.push(['zswap pool', `${mib(zswap[5])} holding ${int(zswap[6])} pages${zswap[5] > 0 ? ` (compression ratio ${((zswap[9] * pageBytes) / zswap[5]).toFixed(2)})` : ''}, ${mib(zswap[8])} saved`]);
  }
  if ((storage || zswap) && psiMemNs !== undefined) {
    lines.push(['memory stall', `${(psiMemNs / 1e6).toFixed(3)} ms (PSI some: swap-ins, refaults, reclaim in the task)`]);
  }
  const w = 14;
  return lines.map(([k, v]) => `${k.padEnd(w)}  ${v}\n`).join('');
}
