// The pages a synthetic workload actually touches, for sizing tiers by machine.ratio.
//
// A workload declares `pages`, but random sampling does not touch them all: uniform over 64 Mi
// pages with 20 M accesses touches n(1 − (1 − 1/n)^k) ≈ 17 M of them, and tiers sized from the
// declared 64 Mi made "1:4" really 1:1 of what was used. Traces are sized from the pages they
// touch (the pre-pass); so are workloads: the generator is deterministic (seeded), so a counting
// pass runs it once, on a source of its own, and marks each page in a bitmap.
//
// Speed: one bit per declared page (64 Mi pages: 8 MiB), one bitmap per stretch of the address
// space the phases cover; no Map, no object per access. Phases with `init` touch every page of
// their range by construction: their range is marked at once, and a phase whose whole range is
// already marked is not generated at all (so the default hot-set workload costs nothing). What
// remains costs what generating costs (uniform ~10–20 M accesses/s); a count that generated 1 Mi
// accesses or more is cached in results/.trace-index/ keyed by (spec, seed) when the run's
// trace.indexCache is on.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AccessBatch } from './batch.ts';
import { createBatch } from './batch.ts';

/** Distinct pages touched, in 4 KiB and in 2 MiB pages. */
export interface Footprint {
  pages4k: number;
  pages2m: number;
}

/** A count and what it cost: the accesses generated to make it. */
export interface Counted extends Footprint {
  generated: number;
}

/** Counts that generated fewer accesses than this are not worth a cache file (cheaper than the file). */
const CACHE_MIN_GENERATED = 1 << 20;

/** What the counting pass needs of a generator (a SyntheticSource). */
export interface Replayable {
  readonly cpus: number;
  phaseRanges(): Array<{ offset: number; pages: number; sparse: boolean; init: boolean }>;
  replayPhase(cpu: number, pi: number, batch: AccessBatch, visit: (b: AccessBatch) => void): void;
}

/** 4 KiB pages per 2 MiB page. */
const PER_2M = 512;
const CACHE_VERSION = 1;

/** One bitmap over workload pages [first, end) of one layout; first and end multiples of `align`. */
interface Stretch {
  sparse: boolean;
  first: number;
  end: number;
  bits: Uint32Array;
}

/**
 * Count the pages `gen` touches. `align` is the generator's PAGE_ALIGN (a page of 2^j ≤ align
 * 4 KiB pages groups workload pages by floor(k / 2^j)); `pageOf` maps an address back to its
 * workload page. `gen` is consumed: its generators are run from the start.
 */
export function countFootprint(gen: Replayable, align: number, pageOf: (hi: number, lo: number, sparse: boolean) => number): Counted {
  const phases = gen.phaseRanges();
  const stretches = stretchesOf(phases, align);
  const find = (sparse: boolean, k: number) => stretches.find((s) => s.sparse === sparse && k >= s.first && k < s.end)!;
  // Init passes: every page of the phase's range is written once (each thread its share).
  for (const p of phases) if (p.init) setRange(find(p.sparse, p.offset), p.offset, p.offset + p.pages);
  const batch = createBatch();
  let generated = 0;
  phases.forEach((p, pi) => {
    const st = find(p.sparse, p.offset);
    if (countRange(st, p.offset, p.offset + p.pages) === p.pages) return; // nothing new can come of it
    const bits = st.bits;
    const first = st.first;
    const size = st.end - st.first;
    const sparse = p.sparse;
    for (let cpu = 0; cpu < gen.cpus; cpu++) {
      gen.replayPhase(cpu, pi, batch, (b) => {
        generated += b.count;
        const { addrHi, addrLo } = b;
        for (let i = 0; i < b.count; i++) {
          const k = pageOf(addrHi[i], addrLo[i], sparse) - first;
          // A page outside its phase's stretch would be a mapping bug: typed arrays drop such writes silently.
          if (!(k >= 0 && k < size)) throw new Error(`footprint pass: address 0x${addrHi[i].toString(16)}_${addrLo[i].toString(16).padStart(8, '0')} maps to page ${k + first}, outside its phase's pages [${first}, ${st.end})`);
          bits[k >>> 5] |= 1 << (k & 31);
        }
      });
    }
  });
  let pages4k = 0;
  let pages2m = 0;
  for (const s of stretches) {
    for (let w = 0; w < s.bits.length; w++) pages4k += popcount(s.bits[w]);
    // Stretches start at multiples of align (≥ 512), so a 2 MiB page is 16 whole words of one stretch.
    for (let w = 0; w < s.bits.length; w += PER_2M / 32) {
      let any = 0;
      for (let k = w; k < w + PER_2M / 32; k++) any |= s.bits[k];
      if (any !== 0) pages2m++;
    }
  }
  return { pages4k, pages2m, generated };
}

/** The union of the phases' page ranges per layout, widened to multiples of `align`, one bitmap each. */
function stretchesOf(phases: ReturnType<Replayable['phaseRanges']>, align: number): Stretch[] {
  const out: Stretch[] = [];
  for (const sparse of [false, true]) {
    const ranges = phases
      .filter((p) => p.sparse === sparse)
      .map((p) => [Math.floor(p.offset / align) * align, Math.ceil((p.offset + p.pages) / align) * align])
      .sort((a, b) => a[0] - b[0]);
    const merged: number[][] = [];
    for (const [a, b] of ranges) {
      const last = merged[merged.length - 1];
      if (last && a <= last[1]) last[1] = Math.max(last[1], b);
      else merged.push([a, b]);
    }
    for (const [first, end] of merged) out.push({ sparse, first, end, bits: new Uint32Array((end - first) / 32) });
  }
  return out;
}

function setRange(s: Stretch, from: number, to: number): void {
  for (let k = from - s.first; k < to - s.first; k++) s.bits[k >>> 5] |= 1 << (k & 31);
}

function countRange(s: Stretch, from: number, to: number): number {
  let n = 0;
  for (let k = from - s.first; k < to - s.first; k++) n += (s.bits[k >>> 5] >>> (k & 31)) & 1;
  return n;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/**
 * The footprint of (spec, seed): from the cache in `cacheDir` when there, else counted (and
 * cached, written whole through a rename, when the count generated at least 1 Mi accesses). A
 * cache file that does not parse or does not match is counted again.
 */
export function cachedFootprint(spec: string, seed: number, cacheDir: string | undefined, count: () => Counted): Footprint {
  if (!cacheDir) return count();
  const key = createHash('sha256').update(JSON.stringify([spec, seed, CACHE_VERSION])).digest('hex').slice(0, 24);
  const file = join(cacheDir, `workload-${key}.json`);
  try {
    const c = JSON.parse(readFileSync(file, 'utf8'));
    if (c.version === CACHE_VERSION && c.spec === spec && c.seed === seed && Number.isInteger(c.pages4k) && Number.isInteger(c.pages2m) && c.pages4k >= c.pages2m && c.pages2m >= 1) {
      return { pages4k: c.pages4k, pages2m: c.pages2m };
    }
  } catch {
    // not cached yet, or unreadable: count
  }
  const fp = count();
  if (fp.generated < CACHE_MIN_GENERATED) return fp;
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(tmp, JSON.stringify({ version: CACHE_VERSION, spec, seed, pages4k: fp.pages4k, pages2m: fp.pages2m }));
    renameSync(tmp, file);
  } catch {
    rmSync(tmp, { force: true }); // a read-only checkout still runs, without the cache
  }
  return fp;
}
