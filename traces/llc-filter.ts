// Last-level cache filter in front of memory (issue 3 "LLC filter"): a set-associative,
// write-back, write-allocate cache with true LRU replacement. Only misses and dirty write-backs
// reach the engine; a hit's compute gap and hit latency fold into the gap of the next record that
// does reach it, so simulated time still counts them.
//
// Model choices (see traces/FORMAT.md "LLC filter"):
// - Lines are tagged by (vm, line address); set index = line address mod sets (any set count).
// - A store miss reaches memory as a write (hardware fetches the line with an RFO read; we keep the
//   store so the engine sets the page's dirty bit, as the CPU's page walk does on the first store).
// - Evicting a dirty line emits a write of that line (gap 0) before the miss that evicted it.
// - One cache shared by all CPUs; with several CPUs, their records meet it in the order the engine
//   pulls batches (per-CPU batches of up to 8192), an approximation of the true interleaving.
// - Dirty lines still cached at the end are not written back.
//
// Speed tricks (marked below): ways of a set are kept in MRU → LRU order, so a hit on the MRU way
// (most hits) costs one compare and no reordering; a repeat of the previous access's line skips
// the lookup entirely. All state lives in typed arrays.

import type { AccessBatch, AccessSource } from './batch.ts';
import { OP_WRITE, createBatch } from './batch.ts';
import { ConfigError } from '../sim/config.ts';

export interface LlcOptions {
  sizeBytes: number;
  ways: number;
  lineBytes: number;
  hitLatencyNs: number;
}

export interface LlcStats {
  accesses: number;
  hits: number;
  misses: number;
  writebacks: number;
}

/** A bad llc.* setting: a config error (exit status 2 in the CLIs). */
export class LlcError extends ConfigError {
  override name = 'LlcError';
}

export class LlcCache {
  readonly sets: number;
  readonly ways: number;
  readonly lineShift: number;
  /** Per slot (set · ways + rank, rank 0 = MRU): line address low/high 32 bits, vm, valid|dirty. */
  readonly tagLo: Uint32Array;
  readonly tagHi: Uint32Array;
  readonly tagVm: Uint16Array;
  readonly state: Uint8Array;
  readonly pow2: boolean;
  // Stats, as doubles so they never wrap.
  accesses = 0;
  hits = 0;
  misses = 0;
  writebacks = 0;
  /** Address of the line evicted dirty by the last `access` (valid when it returned 2). */
  evictHi = 0;
  evictLo = 0;
  evictVm = 0;
  // Speed trick: the line of the previous access, which is MRU in its set.
  lastLo = -1;
  lastHi = -1;
  lastVm = -1;

  constructor(opts: LlcOptions) {
    const { sizeBytes, ways, lineBytes } = opts;
    if (!(lineBytes >= 8 && (lineBytes & (lineBytes - 1)) === 0)) throw new LlcError(`llc.lineBytes must be a power of two ≥ 8, found ${lineBytes}`);
    if (!(Number.isInteger(ways) && ways >= 1 && ways <= 64)) throw new LlcError(`llc.ways must be a whole number in [1, 64], found ${ways}`);
    const sets = Math.floor(sizeBytes / (ways * lineBytes));
    if (sets < 1) throw new LlcError(`llc.sizeMiB is too small: ${sizeBytes} bytes hold less than one set of ${ways} ways × ${lineBytes} B lines`);
    this.sets = sets;
    this.ways = ways;
    this.lineShift = Math.log2(lineBytes);
    this.pow2 = (sets & (sets - 1)) === 0;
    const slots = sets * ways;
    this.tagLo = new Uint32Array(slots);
    this.tagHi = new Uint32Array(slots);
    this.tagVm = new Uint16Array(slots);
    this.state = new Uint8Array(slots);
  }

  /**
   * One access. Returns 0 = hit, 1 = miss (clean or empty victim), 2 = miss that evicted a dirty
   * line (its address in evictHi/evictLo/evictVm).
   */
  access(vm: number, hi: number, lo: number, isWrite: boolean): number {
    const shift = this.lineShift;
    const lineLo = ((lo >>> shift) | (hi << (32 - shift))) >>> 0;
    const lineHi = hi >>> shift;
    this.accesses++;
    if (lineLo === this.lastLo && lineHi === this.lastHi && vm === this.lastVm) {
      // Speed trick: same line as the previous access, already MRU.
      this.hits++;
      if (isWrite) this.state[this.lastSlot] = 3;
      return 0;
    }
    const ways = this.ways;
    const set = this.pow2 ? lineLo & (this.sets - 1) : lineLo % this.sets;
    const base = set * ways;
    const tagLo = this.tagLo;
    const tagHi = this.tagHi;
    const tagVm = this.tagVm;
    const state = this.state;
    this.lastLo = lineLo;
    this.lastHi = lineHi;
    this.lastVm = vm;
    this.lastSlot = base;
    let w = 0;
    for (; w < ways; w++) {
      const s = base + w;
      if (tagLo[s] === lineLo && state[s] !== 0 && tagHi[s] === lineHi && tagVm[s] === vm) break;
    }
    if (w < ways) {
      this.hits++;
      let st = state[base + w];
      if (isWrite) st = 3;
      // Move to MRU: shift the more recent ways down by one.
      for (let k = base + w; k > base; k--) {
        tagLo[k] = tagLo[k - 1];
        tagHi[k] = tagHi[k - 1];
        tagVm[k] = tagVm[k - 1];
        state[k] = state[k - 1];
      }
      tagLo[base] = lineLo;
      tagHi[base] = lineHi;
      tagVm[base] = vm;
      state[base] = st;
      return 0;
    }
    this.misses++;
    // Victim: the LRU way (the last one); empty ways are always at the end.
    const victim = base + ways - 1;
    let result = 1;
    if (state[victim] === 3) {
      result = 2;
      this.writebacks++;
      this.evictVm = tagVm[victim];
      // Line address back to a byte address.
      this.evictLo = (tagLo[victim] << shift) >>> 0;
      this.evictHi = ((tagHi[victim] << shift) | (tagLo[victim] >>> (32 - shift))) >>> 0;
    }
    for (let k = victim; k > base; k--) {
      tagLo[k] = tagLo[k - 1];
      tagHi[k] = tagHi[k - 1];
      tagVm[k] = tagVm[k - 1];
      state[k] = state[k - 1];
    }
    tagLo[base] = lineLo;
    tagHi[base] = lineHi;
    tagVm[base] = vm;
    state[base] = isWrite ? 3 : 1;
    return result;
  }
  lastSlot = 0;

  stats(): LlcStats {
    return { accesses: this.accesses, hits: this.hits, misses: this.misses, writebacks: this.writebacks };
  }
}

/**
 * An AccessSource that passes another source's records through an LlcCache and hands on only
 * misses and write-backs. Bounded memory: one input batch per CPU.
 */
export class LlcFilterSource implements AccessSource {
  readonly name: string;
  readonly cpus: number;
  readonly vms: number;
  readonly cache: LlcCache;
  private readonly hitNs: number;
  private readonly inBatches: AccessBatch[];
  private readonly inPos: Int32Array;
  private readonly inEnd: Uint8Array;
  /** Per CPU: gap and hit time carried to the next record that reaches memory. */
  private readonly pendingNs: Float64Array;

  constructor(
    private readonly inner: AccessSource,
    opts: LlcOptions,
  ) {
    this.name = inner.name;
    this.cpus = inner.cpus;
    this.vms = inner.vms;
    this.cache = new LlcCache(opts);
    this.hitNs = opts.hitLatencyNs;
    this.inBatches = Array.from({ length: inner.cpus }, () => createBatch());
    this.inPos = new Int32Array(inner.cpus);
    this.inEnd = new Uint8Array(inner.cpus);
    this.pendingNs = new Float64Array(inner.cpus);
  }

  footprintPages(pageBytes: number): number | undefined {
    // Every page reaches memory at least once (its first access is a compulsory miss).
    return this.inner.footprintPages(pageBytes);
  }

  async read(cpu: number, out: AccessBatch): Promise<number> {
    const inb = this.inBatches[cpu];
    let n = 0;
    // Leave room for a write-back and a miss from one input record.
    const limit = out.capacity - 2;
    while (n <= limit) {
      if (this.inPos[cpu] >= inb.count) {
        if (this.inEnd[cpu]) break;
        const r = this.inner.read(cpu, inb);
        const got = typeof r === 'number' ? r : await r;
        inb.count = got;
        this.inPos[cpu] = 0;
        if (got === 0) {
          this.inEnd[cpu] = 1;
          break;
        }
      }
      n = this.filter(cpu, inb, out, n, limit);
    }
    out.count = n;
    return n;
  }

  /**
   * The per-access loop: LlcCache.access inlined over locals (speed trick: no call and no property
   * loads per access; the logic is the same, and the tests check both paths on one worked example).
   */
  private filter(cpu: number, inb: AccessBatch, out: AccessBatch, n: number, limit: number): number {
    const cache = this.cache;
    const hitNs = this.hitNs;
    const { tagLo, tagHi, tagVm, state, ways, sets, pow2 } = cache;
    const shift = cache.lineShift;
    const up = 32 - shift;
    const setMask = sets - 1;
    let lastLo = cache.lastLo;
    let lastHi = cache.lastHi;
    let lastVm = cache.lastVm;
    let lastSlot = cache.lastSlot;
    let hits = 0;
    let misses = 0;
    let writebacks = 0;
    let pending = this.pendingNs[cpu];
    let i = this.inPos[cpu];
    const start = i;
    const end = inb.count;
    const { addrHi, addrLo, op, vm, gapNs, content } = inb;
    const oHi = out.addrHi;
    const oLo = out.addrLo;
    const oOp = out.op;
    const oCpu = out.cpu;
    const oVm = out.vm;
    const oGap = out.gapNs;
    const oContent = out.content;
    while (i < end && n <= limit) {
      const hi = addrHi[i];
      const lo = addrLo[i];
      const v = vm[i];
      const isWrite = op[i] === OP_WRITE;
      const lineLo = ((lo >>> shift) | (hi << up)) >>> 0;
      const lineHi = hi >>> shift;
      if (lineLo === lastLo && lineHi === lastHi && v === lastVm) {
        // Same line as the previous access: a hit on the MRU way.
        hits++;
        if (isWrite) state[lastSlot] = 3;
        pending += gapNs[i] + hitNs;
        i++;
        continue;
      }
      const base = (pow2 ? lineLo & setMask : lineLo % sets) * ways;
      lastLo = lineLo;
      lastHi = lineHi;
      lastVm = v;
      lastSlot = base;
      let w = 0;
      for (; w < ways; w++) {
        const sl = base + w;
        if (tagLo[sl] === lineLo && state[sl] !== 0 && tagHi[sl] === lineHi && tagVm[sl] === v) break;
      }
      if (w < ways) {
        hits++;
        let st = state[base + w];
        if (isWrite) st = 3;
        for (let k = base + w; k > base; k--) {
          tagLo[k] = tagLo[k - 1];
          tagHi[k] = tagHi[k - 1];
          tagVm[k] = tagVm[k - 1];
          state[k] = state[k - 1];
        }
        tagLo[base] = lineLo;
        tagHi[base] = lineHi;
        tagVm[base] = v;
        state[base] = st;
        pending += gapNs[i] + hitNs;
        i++;
        continue;
      }
      misses++;
      const victim = base + ways - 1;
      if (state[victim] === 3) {
        // Dirty victim: its write-back reaches memory first.
        writebacks++;
        oHi[n] = ((tagHi[victim] << shift) | (tagLo[victim] >>> up)) >>> 0;
        oLo[n] = (tagLo[victim] << shift) >>> 0;
        oOp[n] = OP_WRITE;
        oCpu[n] = cpu;
        oVm[n] = tagVm[victim];
        oGap[n] = 0;
        oContent[n] = 0;
        n++;
      }
      for (let k = victim; k > base; k--) {
        tagLo[k] = tagLo[k - 1];
        tagHi[k] = tagHi[k - 1];
        tagVm[k] = tagVm[k - 1];
        state[k] = state[k - 1];
      }
      tagLo[base] = lineLo;
      tagHi[base] = lineHi;
      tagVm[base] = v;
      state[base] = isWrite ? 3 : 1;
      oHi[n] = hi;
      oLo[n] = lo;
      oOp[n] = op[i];
      oCpu[n] = cpu;
      oVm[n] = v;
      oGap[n] = pending + gapNs[i];
      oContent[n] = content[i];
      pending = 0;
      n++;
      i++;
    }
    cache.lastLo = lastLo;
    cache.lastHi = lastHi;
    cache.lastVm = lastVm;
    cache.lastSlot = lastSlot;
    cache.accesses += i - start;
    cache.hits += hits;
    cache.misses += misses;
    cache.writebacks += writebacks;
    this.inPos[cpu] = i;
    this.pendingNs[cpu] = pending;
    return n;
  }

  stats(): LlcStats {
    return this.cache.stats();
  }

  close(): void | Promise<void> {
    return this.inner.close?.();
  }
}
