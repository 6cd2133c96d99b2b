// The per-access path (DESIGN.md "Flow of one access"): a batch loop over access codes, per-page
// state in typed-array columns indexed by page id, no call, copy or allocation per access.
//
// Per access: the compute gap elapses (an event due inside it stops the turn there, gap consumed);
// the page's state byte is read; an access to a page with no frame or an armed trap leaves the
// fast path for slow() (first touch, swap-in, split redirect, traps: faults.ts); the accessed and
// dirty bits are set; the tier's current loaded latency is charged (latency / mlp, plus stalls).
//
// Speed tricks (measured on the core workload, 20 M zipf accesses over 4 Mi pages; see README
// "Benchmarks"):
// - Pages are pre-translated dense ids (id-stream.ts): no hashing here. The one state byte per
//   page holds everything an ordinary access needs (tier copy included).
// - Statistics a batch adds up without rounding are tallied per (tier, read/write) in a small
//   Int32Array and added to the counters, the bandwidth window and the latency histogram once per
//   window and per turn; sums whose float rounding depends on order (latency sum, clocks) are kept
//   in locals in access order, so outputs stay byte-identical to a per-access count.
// - Address translation (tlb.enabled, sim/tlb.ts) is one call per access when on; when off, one
//   predicted branch on a local and no call.
// - Module constants and arrays are copied into locals: V8 loads an imported binding through its
//   module cell at every use, and a property through its object.

import type { Core } from './core.ts';
import type { IdBatch } from './id-stream.ts';
import { S_ACCESSED, S_COW_SHIFT, S_NO_FRAME, S_SLOW, S_TIER_SHIFT, S_TRAP_ANY, K_SPLIT, K_SWAPPED } from './memory.ts';
import { EVENT_LOAD_LOCAL, EVENT_LOAD_REMOTE, EVENT_STORE } from './host.ts';
import { C_ACCESSES, C_LATENCY_SUM_NS, C_READS, C_STALL_NS, C_TIER_BASE, C_WRITES, TIER_STRIDE, latencyBin } from './stats.ts';

const NO_CONTENT = new Uint32Array(0);
/**
 * Records whose page state the loop loads ahead in one pass. Measured on the core workload (4 Mi
 * pages, state column 4 MiB): 256 ≈ 2.5× the accesses/s of no prefetch; 64 helps less, 1024 and
 * more evict what was loaded before it is used.
 */
const PREFETCH = 256;

export class AccessLoop {
  /** Per CPU: its current batch (null once its stream ended), position in it, and the record whose gap was already taken (-1 = none). */
  readonly batch: Array<IdBatch | null>;
  readonly pos: Float64Array;
  readonly gapTakenAt: Float64Array;
  readonly active: Uint8Array;
  /** Per CPU: records up to which the page state was already loaded ahead (see run()). */
  readonly prefetchedTo: Float64Array;
  /** Keeps the prefetch loads alive (a load whose value is unused may be dropped by the compiler). */
  private prefetchSink = 0;
  /** The CPU whose turn ran last. */
  lastCpu = 0;
  /** Accesses of the fast path per (tier, write) since the last flush, and of those the ones whose latency went to the histogram directly (stalled). */
  private readonly tally: Int32Array;
  private readonly stalled: Int32Array;
  /** Results of slow(): the page the access went to (after a split redirect) and the first-touch fault cost to add to the clock. */
  private slowPage = 0;
  private slowFirstTouchNs = 0;
  /**
   * slow()'s clock argument and stall result, passed through a Float64Array. Speed trick: a double
   * passed to or returned from a call that is not inlined is boxed (a heap allocation per call).
   */
  private readonly slowIo = new Float64Array(2);

  constructor(private readonly core: Core) {
    const n = core.cpus;
    this.batch = new Array<IdBatch | null>(n).fill(null);
    this.pos = new Float64Array(n);
    this.gapTakenAt = new Float64Array(n).fill(-1);
    this.active = new Uint8Array(n).fill(1);
    this.prefetchedTo = new Float64Array(n);
    this.tally = new Int32Array(2 * core.tiers);
    this.stalled = new Int32Array(2 * core.tiers);
  }

  /**
   * Run CPU c's accesses until its clock passes limitNs, its batch ends, or `budget` accesses are
   * done. Then, as long as no event is due by the smallest clock, go on with the turn the event loop
   * would start next: the CPU with the smallest clock, up to the next CPU's clock plus
   * run.cpuQuantumNs (speed trick: with 8 VMs and 20 µs gaps a turn is one access, and returning to
   * the event loop cost ~12 % of the access on the old engine). Returns accesses done.
   */
  run(c: number, limitNs: number, budget: number): number {
    const core = this.core;
    const mem = core.memory;
    const load = core.load;
    const sampler = core.sampler;
    const counters = core.counters;
    const hist = core.histogram;
    const clocks = core.clockNs;
    const ideals = core.idealNs;
    const events = core.events;
    const latNs = load.latNs;
    const latMlpNs = load.latMlpNs;
    const idealMlpNs = load.idealMlpNs;
    const invMlp = load.invMlp;
    const windowNs = load.windowNs;
    const countdown = sampler.countdown;
    const tally = this.tally;
    const stalledTally = this.stalled;
    const active = this.active;
    const cpus = core.cpus;
    const quantumNs = core.config['run.cpuQuantumNs'] as number;
    const hooks = core.policies.hooks;
    const oracle = hooks.onAccessOracle !== undefined;
    const idShift = 1 + core.subBits;
    const subMask = (1 << core.subBits) - 1;
    const huge = core.huge.on;
    // Address translation (sim/tlb.ts): off unless tlb.enabled; a loop-invariant local, so the
    // branch per access is always predicted and a run without it computes exactly as before.
    const tlb = core.tlb;
    const tlbOn = tlb.on;
    const kS_FAST_MASK = S_SLOW;
    const kS_COW_SHIFT = S_COW_SHIFT;
    const kS_TIER_SHIFT = S_TIER_SHIFT;
    const kS_ACCESSED = S_ACCESSED;
    const kS_NO_FRAME = S_NO_FRAME;
    const kEVENT_STORE = EVENT_STORE;
    const kEVENT_LOAD_LOCAL = EVENT_LOAD_LOCAL;
    const kEVENT_LOAD_REMOTE = EVENT_LOAD_REMOTE;
    let done = 0;
    for (;;) {
      const b = this.batch[c]!;
      const code = b.code;
      const gaps = b.gapNs;
      const content = b.content ?? NO_CONTENT;
      let contentOn = b.content !== null ? core.vm.contentOn : 0;
      let vmContent = core.vm.pageContent;
      let state = mem.state;
      let remap = core.ids.remap;
      let samplingOn = sampler.on;
      let windowEnd = load.windowStartNs + windowNs;
      let clock = clocks[c];
      let ideal = ideals[c];
      let latSum = counters[C_LATENCY_SUM_NS];
      const skipGap = this.gapTakenAt[c];
      let prefetched = this.prefetchedTo[c];
      let i = this.pos[c];
      const start = i;
      const end = Math.min(b.end, i + (budget - done));
      while (i < end) {
        const gap = gaps[i];
        if (gap > 0 && i !== skipGap) {
          // The gap elapses first; an event due inside it stops the turn here (gap consumed), so
          // that the event is handled before this access happens.
          clock += gap;
          ideal += gap;
          if (clock > limitNs) {
            this.gapTakenAt[c] = i;
            break;
          }
        }
        if (clock >= windowEnd) {
          this.flush();
          load.roll(clock);
          windowEnd = clock + windowNs;
        }
        if (i >= prefetched) {
          // Speed trick: load the page state of the next PREFETCH records first, in a loop of
          // independent loads, so that their cache misses overlap; the access loop then finds
          // them in L1. See PREFETCH.
          const to = Math.min(b.end, i + PREFETCH);
          let t = 0;
          if (remap === null) for (let j = i; j < to; j++) t |= state[code[j] >>> idShift];
          else for (let j = i; j < to; j++) t |= remap[code[j] >>> idShift];
          this.prefetchSink |= t;
          prefetched = to;
        }
        const x = code[i];
        const w = x & 1;
        const sid = x >>> idShift;
        let page = remap === null ? sid : remap[sid];
        let s = page >= 0 ? state[page] : kS_NO_FRAME;
        let stall = 0;
        if ((s & (kS_FAST_MASK | (w << kS_COW_SHIFT))) !== 0 || page < 0) {
          this.slowIo[0] = clock;
          this.slow(c, sid, page, w, (x >>> 1) & subMask);
          stall = this.slowIo[1];
          page = this.slowPage;
          const ft = this.slowFirstTouchNs;
          if (ft !== 0) {
            clock += ft;
            ideal += ft;
          }
          state = mem.state;
          vmContent = core.vm.pageContent;
          contentOn = b.content !== null ? core.vm.contentOn : 0;
          remap = core.ids.remap;
          s = state[page];
          samplingOn = sampler.on;
          if (events.size > 0) {
            const t = events.peekTimeNs();
            if (t < limitNs) limitNs = t;
          }
          counters[C_STALL_NS] += stall;
        }
        state[page] = s | kS_ACCESSED | (w << 1); // S_DIRTY = 2
        if ((w & contentOn) !== 0) {
          // VM model only: the content this write leaves in the page (0 = unknown: keep).
          const v = content[i];
          if (v !== 0) vmContent[page] = v;
        }
        const k = ((s >>> kS_TIER_SHIFT) << 1) | w;
        tally[k]++;
        if (samplingOn) {
          const event = w === 1 ? kEVENT_STORE : k < 2 ? kEVENT_LOAD_LOCAL : kEVENT_LOAD_REMOTE;
          if (countdown[event] > 0 && --countdown[event] === 0) sampler.take(page, event, (x >>> 1) & subMask);
        }
        if (oracle) {
          core.nowNs = clock;
          hooks.onAccessOracle!(page, w === 1);
        }
        const lat = latNs[k];
        // Translation latency (an L1 dTLB hit adds none): overlaps other misses like the access
        // itself (divided by mlp); a stall does not.
        const xlat = tlbOn ? tlb.translatePage(c, page) : 0;
        if (stall === 0 && xlat === 0) {
          latSum += lat;
          clock += latMlpNs[k];
        } else {
          const latency = lat + xlat + stall;
          latSum += latency;
          hist[latencyBin(latency)]++;
          stalledTally[k]++;
          clock += (lat + xlat) * invMlp + stall;
        }
        ideal += idealMlpNs[w];
        i++;
        if (clock > limitNs) break;
      }
      this.flush();
      counters[C_LATENCY_SUM_NS] = latSum;
      counters[C_ACCESSES] += i - start;
      if (huge && i > start) core.huge.markSubpages(code, start, i, core.ids.streamPagesSeen);
      core.nowNs = clock;
      this.pos[c] = i;
      this.prefetchedTo[c] = prefetched;
      clocks[c] = clock;
      ideals[c] = ideal;
      done += i - start;
      if (i >= b.end || done >= budget) break;
      // The turn the event loop would start next: the same smallest-clock scan and limit.
      let next = -1;
      let min = Infinity;
      let second = Infinity;
      for (let k = 0; k < cpus; k++) {
        if (!active[k]) continue;
        const t = clocks[k];
        if (t < min) {
          second = min;
          min = t;
          next = k;
        } else if (t < second) second = t;
      }
      const nextEvent = events.peekTimeNs();
      if (next < 0 || nextEvent <= min) break;
      c = next;
      limitNs = second + quantumNs;
      if (nextEvent < limitNs) limitNs = nextEvent;
    }
    this.lastCpu = c;
    return done;
  }

  /**
   * An access that leaves the fast path: a page not touched yet, with no frame (swapped out, or a
   * split huge page: the access goes to its sub-page), or with a trap armed before this access
   * began (not one a policy arms while handling this access's own first-touch fault). Reads the
   * access's clock from slowIo[0] and leaves its stall in slowIo[1]; slowPage and slowFirstTouchNs
   * say where the access went and what its allocation fault
   * adds to the clock (the all-local baseline pays it too).
   */
  private slow(c: number, sid: number, page: number, w: number, sub: number): void {
    let clock = this.slowIo[0];
    const core = this.core;
    const m = core.memory;
    if (page < 0 || page >= m.pages) page = core.ids.touch(sid);
    // Speed trick: a split page has no frame (an engine invariant, invariants.ts), so the flag byte
    // (a cache miss of its own on a hint fault to a random page) is read only when the state byte,
    // already loaded, says "no frame".
    if (m.state[page] & S_NO_FRAME && m.flags[page] & K_SPLIT) page = core.huge.splitBase[page] + sub;
    const armedBefore = m.state[page] & (S_TRAP_ANY | (w << S_COW_SHIFT));
    let stall = 0;
    let firstTouchNs = 0;
    if (m.state[page] & S_NO_FRAME) {
      core.nowNs = clock;
      if (m.flags[page] & K_SWAPPED) {
        core.faults.allocate(page, c, true, sub);
        stall += core.faults.stallNs[0];
      } else {
        // The first-touch fault stalls the CPU (it is in simTimeNs) but is not memory-access
        // latency. Reclaim done inside the fault (direct reclaim, synchronous migration) is a stall.
        core.faults.allocate(page, c, false, sub);
        const t = core.faults.stallNs[0];
        firstTouchNs = core.faults.firstTouchNs; // cost.firstTouchNs, or 4 KiB's in a THP range (sim/thp.ts)
        clock += firstTouchNs;
        stall += t - firstTouchNs;
      }
      // A huge page placed as 4 KiB pages (thp.enabled, no free 2 MiB block): go to the sub-page.
      if (m.state[page] & S_NO_FRAME && m.flags[page] & K_SPLIT) page = core.huge.splitBase[page] + sub;
    }
    const due = m.state[page] & armedBefore;
    if (due !== 0) {
      core.nowNs = clock;
      core.faults.trap(page, c, due);
      stall += core.faults.stallNs[0];
      // The fault may have split the huge page (the access goes to its sub-page), migrated the
      // page, or even evicted it: then it comes back in first. Split first: a split page has no
      // frame but must not be swapped in itself.
      if (m.state[page] & S_NO_FRAME && m.flags[page] & K_SPLIT) page = core.huge.splitBase[page] + sub;
      if (m.state[page] & S_NO_FRAME) {
        core.faults.allocate(page, c, true, sub);
        stall += core.faults.stallNs[0];
      }
    }
    this.slowPage = page;
    this.slowFirstTouchNs = firstTouchNs;
    this.slowIo[1] = stall;
  }

  /** Add the tallies to the counters, the bandwidth window and the latency histogram (at the latencies they were charged). */
  private flush(): void {
    const core = this.core;
    const counters = core.counters;
    const lineBytes = core.cost.lineBytes;
    const latNs = core.load.latNs;
    const windowBytes = core.load.windowBytes;
    const hist = core.histogram;
    for (let k = 0; k < this.tally.length; k++) {
      const n = this.tally[k];
      if (n === 0) continue;
      const tier = k >> 1;
      const w = k & 1;
      const tb = C_TIER_BASE + TIER_STRIDE * tier;
      counters[tb] += n;
      counters[tb + 1 + w] += n * lineBytes;
      counters[w === 1 ? C_WRITES : C_READS] += n;
      windowBytes[tier] += n * lineBytes;
      hist[latencyBin(latNs[k])] += n - this.stalled[k];
      this.tally[k] = 0;
      this.stalled[k] = 0;
    }
  }
}
