// Seeded synthetic workloads, written as a compact spec:
//
//   kind:key=value,key=value[+kind:key=value…]      (phases run one after another on every thread)
//
// Kinds: uniform, zipf, hotset (GUPS-like, with an optional hot-set shift), scan. Each thread is a
// simulated CPU with its own seeded stream (seedrandom alea, seed "<seed>/workload/<thread>/<phase>").
// Pages are 4 KiB pages of the workload's address space; a run with 2 MiB pages groups 512 of them.
// Generation fills typed-array batches in a loop per phase kind: no object or closure per access.

import seedrandom from 'seedrandom';
import type { AccessBatch, AccessSource } from './batch.ts';
import { OP_READ, OP_WRITE } from './batch.ts';
import { MAX_COUNT, MAX_EVENT_NS, parseNumber } from '../sim/config.ts';
import { VMS_PARAMS, VmsWorkload, isVmsWorkload, parseVmsWorkload } from './synthetic-vms.ts';
import { cachedFootprint, countFootprint } from './synthetic-footprint.ts';
import { DB_PARAMS, DbWorkload, isDbWorkload, parseDbWorkload } from './synthetic-db.ts';
import type { Footprint } from './synthetic-footprint.ts';

export class WorkloadError extends Error {
  override name = 'WorkloadError';
}

const KIND_UNIFORM = 0;
const KIND_ZIPF = 1;
const KIND_HOTSET = 2;
const KIND_SCAN = 3;

interface ParamDoc {
  default: number | string;
  doc: string;
}

const COMMON: Record<string, ParamDoc> = {
  pages: { default: '256Ki', doc: 'Footprint in 4 KiB pages (suffixes k, M, Ki, Mi allowed).' },
  accesses: { default: '10M', doc: 'Accesses in this phase, over all threads.' },
  write: { default: 0.25, doc: 'Share of accesses that are writes.' },
  gapNs: { default: 20, doc: 'Compute time between two accesses of a thread, in ns.' },
  threads: { default: 1, doc: 'Threads (simulated CPUs); must be the same in every phase.' },
  offset: { default: 0, doc: 'First page of this phase in the address space (phases may use different regions).' },
  layout: { default: 'dense', doc: 'dense: pages are contiguous from 0x10000000; sparse: 64 Ki-page regions scattered over the 64-bit address space.' },
  type: { default: 'anon', doc: 'Page type of this phase\'s pages: anon, shmem (shared memory, swap-backed), file (a mapped file: page cache reached through page tables), file-ro (a read-only file mapping, which NUMA balancing skips) or cache (page cache reached by read()/write(), never mapped). Phases over the same pages must agree; dense layout only for types other than anon (sim/page-types.ts).' },
  pin: { default: 0, doc: '1: this phase\'s pages are long-term pinned (an RDMA, GPU or DMA buffer registered at first touch: pin_user_pages FOLL_LONGTERM, sim/pins.ts); dense layout only.' },
  init: { default: 0, doc: '1: each thread first writes its share of the pages once, in address order (a program initialising its arrays), before the random accesses; first-touch placement then follows address order.' },
};

export const WORKLOAD_KINDS: Record<string, { summary: string; params: Record<string, ParamDoc> }> = {
  uniform: { summary: 'Every page equally likely.', params: { ...COMMON } },
  zipf: {
    summary: 'Zipf(theta) popularity over pages (alias-method sampling); ranks scattered over pages by a seeded permutation.',
    params: { ...COMMON, theta: { default: 0.99, doc: 'Zipf exponent (0 = uniform; 0.99 as YCSB).' }, scatter: { default: 1, doc: '1: hot ranks scattered over the footprint; 0: rank k is page k.' } },
  },
  hotset: {
    summary: 'GUPS-like: hotShare of accesses go uniformly to a hot set of hot·pages, the rest uniformly to all pages; optionally a share of the hot set moves to cold pages part-way through.',
    params: {
      ...COMMON,
      init: { default: 1, doc: COMMON.init.doc + ' On by default: GUPS initialises its table before the updates.' },
      hot: { default: 0.1, doc: 'Hot set size as a share of pages.' },
      hotAt: { default: 0.5, doc: 'Start of the hot set as a share of pages (0.5: the middle of the table, so first-touch does not get it local by luck).' },
      hotShare: { default: 0.9, doc: 'Share of accesses to the hot set (GUPS in HeMem: 0.9).' },
      shiftAt: { default: 0, doc: 'Point of the phase, as a share of its accesses, at which the hot set shifts (0 = never).' },
      shiftFrac: { default: 0.25, doc: 'Share of the hot set that moves to previously cold pages at the shift (HeMem: a quarter).' },
      idle: {
        default: 0,
        doc: 'Share of all pages, outside the hot set and spread evenly over the rest, that only the init pass touches (written once, then never again: a tail cold for the whole run, as the 55–80 % idle memory of the TPP paper\'s production workloads); the accesses outside the hot set then go uniformly to the other non-hot pages. 0 (default): they go to all pages. In [0, 1 − hot).',
      },
    },
  },
  scan: {
    summary: 'Sequential scan over the pages, repeated: lines consecutive cache lines of each page, then the next page.',
    params: { ...COMMON, lines: { default: 64, doc: 'Cache-line accesses per page before moving on (64 = the whole 4 KiB page).' } },
  },
  db: {
    summary: 'A database with double caching: shared buffers (shmem) with clock-sweep eviction (usage count ≤ 5) over a page cache of Zipf-popular blocks, read()/write() or O_DIRECT (traces/synthetic-db.ts). A workload of its own: no other phases.',
    params: DB_PARAMS,
  },
  vms: {
    summary: 'Several VMs (vm column) with page contents: shared OS images, zero pages, private data; boot then OS reads and data reads/writes (traces/synthetic-vms.ts). A workload of its own: no other phases.',
    params: VMS_PARAMS,
  },
};

/** Page types a phase may declare (the names of sim/page-types.ts PAGE_TYPE_NAMES, in order). */
const PHASE_TYPES = ['anon', 'shmem', 'file', 'cache', 'file-ro'];
/** Region type code of each phase type (sim/page-types.ts: file-ro = PT_FILE | PT_READ_ONLY = 6). */
const PHASE_TYPE_CODES = [0, 1, 2, 3, 6];
const BASE_PAGE = 0x10000; // dense layout starts at 0x10000000 (page 0x10000), like a heap mapping
const REGION_PAGES_LOG2 = 16;
const PAGE_LOG2 = 12;
const SHARED_ALIAS_LIMIT = 1 << 27;
/** Largest address space of a phase, in 4 KiB pages (4 PiB): page numbers stay exact in the 52 bits above the page offset. */
const MAX_SPACE_PAGES = 2 ** 40;

interface Phase {
  kind: number;
  spec: string;
  pages: number;
  accesses: number;
  write: number;
  gapNs: number;
  offset: number;
  sparse: boolean;
  theta: number;
  scatter: boolean;
  init: boolean;
  hot: number;
  hotAt: number;
  hotShare: number;
  shiftAt: number;
  shiftFrac: number;
  /** Share of pages touched only by the init pass (hotset; 0 = the tail goes to all pages). */
  idle: number;
  lines: number;
  /** Page type name (anon, shmem, file, cache). */
  type: string;
  /** The phase's pages are long-term pinned (sim/pins.ts). */
  pin: boolean;
  // Zipf sampling tables (alias method), shared by all threads of the phase.
  // Always present (null when unused) so every Phase has one hidden class and fill() stays optimised.
  aliasProb: Float32Array | null;
  aliasIdx: Int32Array | null;
  perm: Int32Array | null;
}

/** Parse a workload spec; throws WorkloadError naming the bad part and the valid choices. */
export function parseWorkload(spec: string): { phases: Phase[]; threads: number } {
  if (isVmsWorkload(spec)) {
    const v = parseVmsWorkload(spec);
    return { phases: [], threads: v.count * v.threads };
  }
  if (isDbWorkload(spec)) {
    parseDbWorkload(spec);
    return { phases: [], threads: 1 };
  }
  const parts = spec.split(/\+(?=[a-z])/);
  let threads = -1;
  const phases = parts.map((part, pi) => {
    const colon = part.indexOf(':');
    const kindName = (colon < 0 ? part : part.slice(0, colon)).trim();
    const kind = Object.hasOwn(WORKLOAD_KINDS, kindName) ? WORKLOAD_KINDS[kindName] : undefined;
    if (!kind) {
      throw new WorkloadError(`workload "${spec}": unknown kind "${kindName}" in phase ${pi + 1}. Valid kinds: ${Object.keys(WORKLOAD_KINDS).join(', ')}`);
    }
    const given: Record<string, string> = {};
    if (colon >= 0 && part.slice(colon + 1).trim() !== '') {
      for (const kv of part.slice(colon + 1).split(',')) {
        const eq = kv.indexOf('=');
        if (eq <= 0) throw new WorkloadError(`workload "${spec}": expected key=value in phase ${pi + 1}, found "${kv}"`);
        const key = kv.slice(0, eq).trim();
        if (!Object.hasOwn(kind.params, key)) {
          throw new WorkloadError(`workload "${spec}": ${kindName} has no parameter "${key}". Valid: ${Object.keys(kind.params).join(', ')}`);
        }
        given[key] = kv.slice(eq + 1).trim();
      }
    }
    const val = (key: string): number => {
      const raw = given[key] ?? String(kind.params[key].default);
      const v = parseNumber(raw);
      if (!Number.isFinite(v)) throw new WorkloadError(`workload "${spec}": ${kindName}.${key} expects a number, found "${raw}"`);
      return v;
    };
    const layout = given.layout ?? 'dense';
    if (layout !== 'dense' && layout !== 'sparse') throw new WorkloadError(`workload "${spec}": layout must be dense or sparse, found "${layout}"`);
    const p: Phase = {
      kind: kindName === 'uniform' ? KIND_UNIFORM : kindName === 'zipf' ? KIND_ZIPF : kindName === 'hotset' ? KIND_HOTSET : KIND_SCAN,
      spec: part,
      pages: Math.floor(val('pages')),
      accesses: Math.floor(val('accesses')),
      write: val('write'),
      gapNs: val('gapNs'),
      offset: Math.floor(val('offset')),
      sparse: layout === 'sparse',
      theta: kind.params.theta ? val('theta') : 0,
      scatter: kind.params.scatter ? val('scatter') !== 0 : false,
      init: val('init') !== 0,
      hot: kind.params.hot ? val('hot') : 0,
      hotAt: kind.params.hotAt ? val('hotAt') : 0,
      hotShare: kind.params.hotShare ? val('hotShare') : 0,
      shiftAt: kind.params.shiftAt ? val('shiftAt') : 0,
      shiftFrac: kind.params.shiftFrac ? val('shiftFrac') : 0,
      idle: kind.params.idle ? val('idle') : 0,
      lines: kind.params.lines ? Math.floor(val('lines')) : 64,
      type: given.type ?? 'anon',
      pin: val('pin') !== 0,
      aliasProb: null,
      aliasIdx: null,
      perm: null,
    };
    const t = Math.floor(val('threads'));
    const bad = (what: string) => new WorkloadError(`workload "${spec}": phase ${pi + 1} (${kindName}) ${what}`);
    if (!(p.pages >= 1 && p.pages <= MAX_SPACE_PAGES)) throw bad(`needs pages in [1, 2^40], found ${p.pages}`);
    if (!(p.accesses >= 1 && p.accesses <= MAX_COUNT)) throw bad(`needs accesses in [1, ${MAX_COUNT}], found ${p.accesses}`);
    if (!(p.write >= 0 && p.write <= 1)) throw bad(`needs write in [0, 1], found ${p.write}`);
    if (!(p.gapNs >= 0 && p.gapNs <= MAX_EVENT_NS)) throw bad(`needs gapNs in [0, ${MAX_EVENT_NS}], found ${p.gapNs}`);
    if (!(p.offset >= 0 && p.offset + p.pages <= MAX_SPACE_PAGES)) throw bad(`needs offset ≥ 0 and offset + pages ≤ 2^40, found offset ${p.offset}`);
    if (t < 1 || t > 4096) throw bad(`needs threads in [1, 4096], found ${t}`);
    if (threads >= 0 && t !== threads) throw bad(`has ${t} threads but an earlier phase has ${threads}; every phase needs the same thread count`);
    threads = t;
    if (p.kind === KIND_ZIPF && !(p.theta >= 0 && p.theta <= 100)) throw bad(`needs theta in [0, 100], found ${p.theta}`);
    if (p.kind === KIND_ZIPF && p.pages > SHARED_ALIAS_LIMIT) throw bad(`supports at most ${SHARED_ALIAS_LIMIT} pages, found ${p.pages}`);
    if (p.kind === KIND_HOTSET) {
      if (!(p.hot > 0 && p.hot <= 1)) throw bad(`needs hot in (0, 1], found ${p.hot}`);
      if (!(p.hotShare >= 0 && p.hotShare <= 1)) throw bad(`needs hotShare in [0, 1], found ${p.hotShare}`);
      if (!(p.shiftAt >= 0 && p.shiftAt < 1)) throw bad(`needs shiftAt in [0, 1), found ${p.shiftAt}`);
      if (!(p.shiftFrac >= 0 && p.shiftFrac <= 1)) throw bad(`needs shiftFrac in [0, 1], found ${p.shiftFrac}`);
      if (!(p.hotAt >= 0 && p.hotAt < 1)) throw bad(`needs hotAt in [0, 1), found ${p.hotAt}`);
      const hotPages = Math.max(1, Math.floor(p.hot * p.pages));
      const need = Math.floor(p.hotAt * p.pages) + hotPages + (p.shiftAt > 0 ? Math.floor(p.shiftFrac * hotPages) : 0);
      if (need > p.pages) throw bad(`places a hot set of ${hotPages} pages at ${p.hotAt} (plus its shift) beyond the ${p.pages} pages; lower hotAt, hot or shiftFrac`);
      // At least one non-hot page must stay for the accesses outside the hot set.
      if (!(p.idle >= 0 && p.idle < 1 && Math.floor(p.idle * p.pages) < p.pages - hotPages)) {
        throw bad(`needs idle in [0, 1) leaving at least one page outside the hot set and the idle pages (idle < 1 − hot = ${1 - p.hot}), found ${p.idle}`);
      }
    }
    if (!PHASE_TYPES.includes(p.type)) throw bad(`needs type in ${PHASE_TYPES.join(', ')}, found "${p.type}"`);
    if (!(val('pin') === 0 || val('pin') === 1)) throw bad(`needs pin 0 or 1, found ${val('pin')}`);
    if (p.pin && p.sparse) throw bad('has pin=1, which needs layout=dense (pinned ranges are address ranges)');
    if (p.type !== 'anon' && p.sparse) throw bad(`has type ${p.type}, which needs layout=dense (typed regions are address ranges)`);
    if (p.kind === KIND_SCAN && !(p.lines >= 1 && p.lines <= 64)) throw bad(`needs lines in [1, 64], found ${p.lines}`);
    return p;
  });
  return { phases, threads };
}

/**
 * The typed regions of a workload: for each phase whose type is not anon, its dense 4 KiB page range
 * [0x10000 + offset, + pages) in VM 0, with the type's index in PHASE_TYPES (= sim/page-types.ts PT_*).
 * Empty for an all-anon workload and for vms workloads.
 */
export function workloadRegions(spec: string): Array<{ vm: number; start: number; end: number; type: number }> {
  if (isVmsWorkload(spec)) return [];
  if (isDbWorkload(spec)) return new DbWorkload(spec, 1, zipfAlias, permutation).regions();
  return parseWorkload(spec)
    .phases.filter((p) => p.type !== 'anon')
    .map((p) => ({ vm: 0, start: BASE_PAGE + p.offset, end: BASE_PAGE + p.offset + p.pages, type: PHASE_TYPE_CODES[PHASE_TYPES.indexOf(p.type)] }));
}

/**
 * The pinned ranges of a workload (phases with pin=1), in bytes: [4096 · (0x10000 + offset), + 4096 ·
 * pages) of the dense layout, for sim/pins.ts. Empty for vms workloads.
 */
export function workloadPinRanges(spec: string): Array<[number, number]> {
  if (isVmsWorkload(spec) || isDbWorkload(spec)) return [];
  return parseWorkload(spec)
    .phases.filter((p) => p.pin)
    .map((p) => [(BASE_PAGE + p.offset) * 4096, (BASE_PAGE + p.offset + p.pages) * 4096] as [number, number]);
}

/**
 * Vose's alias tables for Zipf(theta) over n ranks: one uniform draw per sample, O(1).
 * (Walker 1977; Vose, IEEE TSE 1991.)
 */
export function zipfAlias(n: number, theta: number): { prob: Float32Array; alias: Int32Array } {
  const w = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) sum += w[k] = 1 / Math.pow(k + 1, theta);
  const prob = new Float32Array(n);
  const alias = new Int32Array(n);
  const small = new Int32Array(n);
  const large = new Int32Array(n);
  let ns = 0;
  let nl = 0;
  for (let k = 0; k < n; k++) {
    w[k] = (w[k] * n) / sum;
    if (w[k] < 1) small[ns++] = k;
    else large[nl++] = k;
  }
  while (ns > 0 && nl > 0) {
    const s = small[--ns];
    const l = large[--nl];
    prob[s] = w[s];
    alias[s] = l;
    w[l] = w[l] + w[s] - 1;
    if (w[l] < 1) small[ns++] = l;
    else large[nl++] = l;
  }
  while (nl > 0) prob[large[--nl]] = 1;
  while (ns > 0) prob[small[--ns]] = 1; // rounding leftovers
  return { prob, alias };
}

export class SyntheticSource implements AccessSource {
  readonly name: string;
  readonly cpus: number;
  readonly vms: number;
  /** The multi-VM generator when the spec is a vms workload (then phases is empty). */
  private readonly vmsWorkload: VmsWorkload | null;
  /** The database generator when the spec is a db workload (then phases is empty). */
  readonly dbWorkload: DbWorkload | null;
  private readonly phases: Phase[];
  /** Per thread: current phase, accesses done in it, and its generator. */
  private readonly phaseOf: Int32Array;
  private readonly doneInPhase: Float64Array;
  private readonly rngs: Array<() => number>;
  private readonly seed: number;

  private touched: Footprint | undefined;
  private readonly footprintCacheDir: string | undefined;

  /** `footprintCacheDir`: where the touched footprint is cached (results/.trace-index in a run; none by default). */
  constructor(spec: string, seed: number, opts: { footprintCacheDir?: string } = {}) {
    this.footprintCacheDir = opts.footprintCacheDir;
    const { phases, threads } = parseWorkload(spec);
    this.vmsWorkload = isVmsWorkload(spec) ? new VmsWorkload(spec, seed) : null;
    this.dbWorkload = isDbWorkload(spec) ? new DbWorkload(spec, seed, zipfAlias, permutation) : null;
    this.vms = this.vmsWorkload?.vms ?? 1;
    this.name = spec;
    this.phases = phases;
    this.cpus = threads;
    this.seed = seed;
    this.phaseOf = new Int32Array(threads);
    this.doneInPhase = new Float64Array(threads);
    this.rngs = Array.from({ length: threads }, (_, t) => seedrandom.alea(`${seed}/workload/${t}/0`));
    phases.forEach((p, pi) => {
      if (p.kind !== KIND_ZIPF) return;
      const { prob, alias } = zipfAlias(p.pages, p.theta);
      p.aliasProb = prob;
      p.aliasIdx = alias;
      if (p.scatter) p.perm = permutation(p.pages, seedrandom.alea(`${seed}/workload/perm/${pi}`));
    });
  }

  /** 4 KiB pages of one VM's memory (vms workloads only). */
  vmPages(vm: number): number | undefined {
    return this.vmsWorkload?.vmPages(vm);
  }

  /**
   * Distinct pages of `pageBytes` (4 KiB or 2 MiB) the workload touches: a counting pass of the
   * generator (traces/synthetic-footprint.ts), made on first use and cached; tiers are sized from it.
   */
  footprintPages(pageBytes: number): number | undefined {
    if (this.vmsWorkload) return this.vmsWorkload.footprintPages(pageBytes);
    if (this.dbWorkload) return this.dbWorkload.footprintPages(pageBytes);
    if (pageBytes !== 4096 && pageBytes !== 2 << 20) return undefined;
    this.touched ??= cachedFootprint(this.name, this.seed, this.footprintCacheDir, () =>
      countFootprint(new SyntheticSource(this.name, this.seed), PAGE_ALIGN, pageIndexOf),
    );
    return pageBytes === 4096 ? this.touched.pages4k : this.touched.pages2m;
  }

  /** The phases' page ranges and kinds, for the footprint pass (traces/synthetic-footprint.ts). */
  phaseRanges(): Array<{ offset: number; pages: number; sparse: boolean; init: boolean }> {
    return this.phases.map((p) => ({ offset: p.offset, pages: p.pages, sparse: p.sparse, init: p.init }));
  }

  /**
   * Generate thread cpu's accesses of phase pi from the start, exactly as read() does (same seed,
   * same draws), handing each filled batch to `visit`. For the footprint pass, on a source of its own.
   */
  replayPhase(cpu: number, pi: number, batch: AccessBatch, visit: (b: AccessBatch) => void): void {
    const p = this.phases[pi];
    const mine = share(p.accesses, this.cpus, cpu) + (p.init ? share(p.pages, this.cpus, cpu) : 0);
    this.rngs[cpu] = seedrandom.alea(`${this.seed}/workload/${cpu}/${pi}`);
    for (let done = 0; done < mine; ) {
      const n = Math.min(batch.capacity, mine - done);
      this.fill(p, cpu, batch, 0, n, done, mine);
      batch.count = n;
      visit(batch);
      done += n;
    }
  }

  read(cpu: number, batch: AccessBatch): number {
    if (this.vmsWorkload) return this.vmsWorkload.read(cpu, batch);
    if (this.dbWorkload) return this.dbWorkload.read(cpu, batch);
    let filled = 0;
    while (filled < batch.capacity) {
      const pi = this.phaseOf[cpu];
      if (pi >= this.phases.length) break;
      const p = this.phases[pi];
      const mine = share(p.accesses, this.cpus, cpu) + (p.init ? share(p.pages, this.cpus, cpu) : 0);
      const left = mine - this.doneInPhase[cpu];
      if (left <= 0) {
        this.phaseOf[cpu] = pi + 1;
        this.doneInPhase[cpu] = 0;
        this.rngs[cpu] = seedrandom.alea(`${this.seed}/workload/${cpu}/${pi + 1}`);
        continue;
      }
      const n = Math.min(left, batch.capacity - filled);
      this.fill(p, cpu, batch, filled, n, this.doneInPhase[cpu], mine);
      this.doneInPhase[cpu] += n;
      filled += n;
    }
    batch.count = filled;
    return filled;
  }

  /** Generate n accesses of phase p for thread cpu into batch[from …]. `done` = accesses this thread already made in p. */
  private fill(p: Phase, cpu: number, b: AccessBatch, from: number, n: number, done: number, mine: number): void {
    const rng = this.rngs[cpu];
    const pages = p.pages;
    const write = p.write;
    const hotPages = Math.max(1, Math.floor(p.hot * pages));
    const hotStart = Math.floor(p.hotAt * pages);
    // The init pass: this thread's slice of the pages, written once in address order.
    const initCount = p.init ? share(pages, this.cpus, cpu) : 0;
    const initFirst = p.init ? firstOfShare(pages, this.cpus, cpu) : 0;
    const shiftAfter = p.shiftAt > 0 ? initCount + Math.floor(p.shiftAt * (mine - initCount)) : Infinity;
    const shifted = Math.floor(p.shiftFrac * hotPages);
    // idle > 0: the accesses outside the hot set go to `warm` of its `nonHot` pages, warm index j at
    // non-hot index ⌊j · nonHot / warm⌋ (spread evenly, so first touch's DRAM share holds idle and warm
    // pages in proportion); the other idlePages are touched by the init pass only. The product is
    // exact below 2^26 pages; above, rounding can only merge two warm pages, never leave the range.
    const idlePages = Math.floor(p.idle * pages);
    const nonHot = pages - hotPages;
    const warm = nonHot - idlePages;
    const prob = p.aliasProb;
    const alias = p.aliasIdx;
    const perm = p.perm;
    for (let k = 0; k < n; k++) {
      const i = from + k;
      const seq = done + k;
      let page: number;
      let line: number;
      if (seq < initCount) {
        page = initFirst + seq;
        b.op[i] = OP_WRITE;
        writeAddress(b, i, page + p.offset, 0, p.sparse);
        b.cpu[i] = cpu;
        b.vm[i] = 0;
        b.gapNs[i] = p.gapNs;
        b.content[i] = 0;
        continue;
      }
      if (p.kind === KIND_SCAN) {
        const step = cpu + seq * this.cpus; // threads interleave over the scan
        page = Math.floor(step / p.lines) % pages;
        line = step % p.lines;
      } else {
        const u = rng();
        if (p.kind === KIND_UNIFORM) {
          page = Math.floor(u * pages);
        } else if (p.kind === KIND_ZIPF) {
          // One draw: integer part picks a column, fraction decides column vs alias.
          const x = u * pages;
          const col = Math.floor(x);
          const rank = x - col < prob![col] ? col : alias![col];
          page = perm ? perm[rank] : rank;
        } else {
          // hotset: the first hotShare of the unit interval picks a hot page, the rest any page.
          if (u < p.hotShare) {
            const j = Math.floor((u / p.hotShare) * hotPages);
            // After the shift, hot pages 0 … shifted−1 are replaced by the cold pages right after the hot set.
            page = hotStart + (seq >= shiftAfter && j < shifted ? hotPages + j : j);
          } else if (idlePages === 0) {
            page = Math.floor(((u - p.hotShare) / (1 - p.hotShare)) * pages);
          } else {
            const j = Math.min(warm - 1, Math.floor(((u - p.hotShare) / (1 - p.hotShare)) * warm)); // the ratio may round to 1
            const m = Math.floor((j * nonHot) / warm);
            page = m < hotStart ? m : m + hotPages;
          }
        }
        line = (Math.imul(seq, 0x9e3779b1) >>> 26) & 63; // spread lines without another draw
      }
      if (page >= pages) page = pages - 1;
      b.op[i] = write > 0 && rng() < write ? OP_WRITE : OP_READ;
      writeAddress(b, i, page + p.offset, line, p.sparse);
      b.cpu[i] = cpu;
      b.vm[i] = 0;
      b.gapNs[i] = p.gapNs;
      b.content[i] = 0;
    }
  }
}

/** Accesses of `total` given to thread t of n (the first total % n threads get one more). */
function share(total: number, n: number, t: number): number {
  return Math.floor(total / n) + (t < total % n ? 1 : 0);
}

/** First item of thread t's share of `total` (shares are consecutive, in thread order). */
function firstOfShare(total: number, n: number, t: number): number {
  return t * Math.floor(total / n) + Math.min(t, total % n);
}

function writeAddress(b: AccessBatch, i: number, page: number, line: number, sparse: boolean): void {
  if (sparse) {
    // Region r (64 Ki pages = 256 MiB) sits at a scattered 4 GiB-aligned 64-bit address.
    const r = page >>> REGION_PAGES_LOG2;
    b.addrHi[i] = (Math.imul(r + 1, 0x9e3779b1) ^ 0x5bd1e995) >>> 0;
    b.addrLo[i] = (((page & ((1 << REGION_PAGES_LOG2) - 1)) << PAGE_LOG2) | (line << 6)) >>> 0;
  } else {
    const p = page + BASE_PAGE;
    b.addrHi[i] = Math.floor(p / 0x100000); // p · 4096 / 2^32
    b.addrLo[i] = (((p & 0xfffff) << PAGE_LOG2) | (line << 6)) >>> 0;
  }
}

/** Inverse of the region multiplier 0x9e3779b1 mod 2^32 (Newton's iteration), to undo writeAddress's scattering. */
const REGION_MUL_INV = (() => {
  let x = 0x9e3779b1;
  for (let i = 0; i < 5; i++) x = Math.imul(x, 2 - Math.imul(0x9e3779b1, x));
  return x >>> 0;
})();

/**
 * Both layouts place workload page k at an address whose 4 KiB page number is a multiple of
 * PAGE_ALIGN plus (k mod PAGE_ALIGN) (dense: BASE_PAGE + k; sparse: a 4 GiB-aligned region per
 * PAGE_ALIGN pages). So a page of 2^j ≤ PAGE_ALIGN 4 KiB pages holds workload pages
 * [m·2^j, (m + 1)·2^j) for some m: run pages are counted by grouping workload page numbers.
 */
export const PAGE_ALIGN = 1 << REGION_PAGES_LOG2;

/** The workload page number (offset + page) of an address written by writeAddress. */
export function pageIndexOf(hi: number, lo: number, sparse: boolean): number {
  if (sparse) {
    const r = (Math.imul((hi ^ 0x5bd1e995) >>> 0, REGION_MUL_INV) >>> 0) - 1;
    return r * PAGE_ALIGN + ((lo >>> PAGE_LOG2) & (PAGE_ALIGN - 1));
  }
  return hi * 0x100000 + (lo >>> PAGE_LOG2) - BASE_PAGE;
}

function permutation(n: number, rng: () => number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}
