// Faults and allocation: what an access to a page with no frame or an armed trap costs, in the
// faulting CPU's context (DESIGN.md "Flow of one access").
//
// - Page types (page-types.ts, off by default): a page's type is looked up at its first touch,
//   before placement. With a storage device (storage.ts, off by default) a swap-in or a page-cache
//   miss (first touch or refault of a file or cache page) pays a device read instead of the flat
//   cost.swapInNs. A swap-in zswap holds (swap.ts) pays the fixed cost and decompression instead.
// - First touch or swap-in: the page is placed through the policy's place() (falling back to a
//   slower, then a faster tier with room; direct reclaim through onPressure when every tier is
//   full), then onFault(FAULT_FIRST_TOUCH | FAULT_SWAP_IN). The fault cost and anything the hooks do
//   synchronously stall the CPU.
// - Traps, in order: active-memory sample (a minor fault), copy-on-write break on a write (a
//   private copy, or the frame itself for its last mapper, as Linux do_wp_page), hint fault
//   (onFault(FAULT_HINT)).
// - Watermarks: onPressure(tier, pages) when a tier's free frames fall below its low watermark,
//   re-armed once they are back above high.

import type { Core } from './core.ts';
import { SimError } from './core.ts';
import { FAULT_FIRST_TOUCH, FAULT_HINT, FAULT_SWAP_IN } from './host.ts';
import { S_COW, S_HINT, S_TOUCH, K_BASE, K_GUEST_PAGED, K_SWAPPED, K_SWAP_COPY } from './memory.ts';
import { VS_COW_BREAKS, VS_STRIDE } from './vm-model.ts';
import { PT_ANON, isFileType } from './page-types.ts';
import { ST_PAGE_CACHE_MISSES } from './storage.ts';
import { C_FIRST_TOUCH_FAULTS, C_HINT_FAULTS, C_KERNEL_CPU_NS, C_SWAP_INS } from './stats.ts';

export class Faults {
  private readonly lowFrames: Float64Array;
  private readonly highFrames: Float64Array;
  private readonly pressureArmed: Uint8Array;
  /** The last first-touch fault's fixed cost and zeroing, ns (the access loop's slowFirstTouchNs). */
  firstTouchNs = 0;
  /** Any watermark set (speed trick: checkPressure runs after every fault; without watermarks it has nothing to check). */
  private watermarks = false;
  /**
   * The stall of the faulting CPU (ns) that allocate() and trap() leave here for the caller. Speed
   * trick: a double returned from a call V8 does not inline is boxed, a heap allocation per fault
   * (~70 MB per run of the bench's core workload, bench/alloc.ts).
   */
  readonly stallNs = new Float64Array(1);

  constructor(private readonly core: Core) {
    const n = core.tiers;
    this.lowFrames = new Float64Array(n).fill(-1);
    this.highFrames = new Float64Array(n);
    this.pressureArmed = new Uint8Array(n).fill(1);
  }

  /**
   * First touch or swap-in of CPU c's page: place it through the policy's rule. Leaves the stall of
   * the faulting CPU (fault cost plus any direct reclaim and synchronous migration in the hooks) in
   * stallNs[0].
   */
  allocate(page: number, c: number, swapIn: boolean, sub = 0): void {
    const core = this.core;
    const m = core.memory;
    const hooks = core.policies.hooks;
    // The page's type is known before placement, so that place() can put page cache elsewhere (TPP).
    const types = core.types;
    let ptype = PT_ANON;
    if (types.on) {
      const ids = core.ids;
      // A 4 KiB page of a huge range (sim/thp.ts) has a 4 KiB vpn already.
      const scale = m.flags[page] & K_BASE ? 1 : core.subPages;
      ptype = swapIn ? types.of(page) : types.assign(page, ids.vm(page), (ids.vpnHi(page) * 2 ** 32 + ids.vpnLo(page)) * scale);
    }
    // A swap-in that zswap holds frees its pool entry first (its frames return to the tier).
    const fromZswap = swapIn && core.zswap.on && core.zswap.has(page);
    const compressed = fromZswap && core.zswap.load(page, m.capacityFrames);
    // Transparent huge pages (thp.enabled, sim/thp.ts); `sub` is the faulting 4 KiB page of the range.
    // A huge page swapped out whole comes back 4 KiB at a time (Linux 6.6 swaps in order-0 folios).
    const thp = core.huge.thp;
    if (swapIn && thp !== null && !fromZswap && !(m.flags[page] & K_BASE)) page = thp.swappedToBase(page) + sub;
    const want = hooks.place ? hooks.place(page, c) : 0;
    let unit = m.unitOf(page);
    // A huge first touch with no free 2 MiB block (or 2 MiB of room) in the tier placement picked
    // falls back to a 4 KiB fault, which needs 4 KiB of room, in that tier if it has it.
    const hugeAt = thp !== null && unit === 1 ? thp.hugeTier(want) : -1;
    const thpFallback = thp !== null && unit === 1 && hugeAt < 0;
    const need = thpFallback ? m.baseUnit : unit;
    let tier = hugeAt >= 0 ? hugeAt : m.tierWithRoom(want, need);
    // A 4 KiB first touch in a 2 MiB run (a range that fell back, sim/thp.ts) zeroes 4 KiB.
    let cost = swapIn ? core.cost.swapInNs : unit === 1 || thp === null ? core.cost.firstTouchNs : thp.baseFirstTouchNs;
    this.firstTouchNs = swapIn ? 0 : cost;
    let stall = cost;
    const storage = core.storage;
    if (fromZswap) {
      // zswap_load: no IO; the fault's fixed cost plus decompression (none for a same-filled page).
      cost = storage.majorFaultNs + (compressed ? core.zswap.decompressNs : 0);
      stall = cost;
    } else if (storage.on && (swapIn || isFileType(ptype))) {
      // A major fault: a swap-in, or a page-cache miss (first touch or refault of a file page) that
      // reads the page from the device; the CPU waits for the read (storage.ts).
      cost = storage.majorFaultNs;
      if (isFileType(ptype)) storage.stats[ST_PAGE_CACHE_MISSES]++;
      stall = cost + storage.read(core.nowNs, m.flags[page] & K_BASE ? 4096 : core.pageBytes);
    }
    // PSI (psi.ts): a swap-in or refault is a memory stall; a first touch (even a page-cache miss) is
    // not. A device read (swap, not zswap; a page-cache miss) is an IO stall.
    if (swapIn) core.psi.memStall(c, stall);
    if (!fromZswap && (swapIn || (storage.on && isFileType(ptype)))) core.psi.ioStall(c, stall);
    if (tier < 0 && hooks.onPressure) {
      // Every tier is full: direct reclaim in the faulting CPU's context, then retry once.
      core.ctxCpu = c;
      hooks.onPressure(want, 1);
      core.ctxCpu = -1;
      const reclaimNs = core.takePendingStall();
      stall += reclaimNs;
      core.psi.memStall(c, reclaimNs); // direct reclaim in the task: a memory stall
      tier = m.tierWithRoom(want, need);
    }
    if (tier < 0) {
      throw new SimError(
        `out of memory at ${(core.nowNs / 1e6).toFixed(3)} ms: page ${page} needs a frame but every tier is full ` +
          `(${core.tierSpecs.map((t, i) => `${t.name} ${m.usedFrames[i]}/${t.capacityFrames}`).join(', ')}) ` +
          `and policy ${core.config.policy} reclaimed nothing; give the machine more capacity`,
      );
    }
    if (thpFallback && m.usedFrames[tier] + 1 > m.capacityFrames[tier]) {
      // Less than 2 MiB of room: only the faulting 4 KiB page is mapped (do_anonymous_page); the
      // range's other pages fault on their own when touched (sim/thp.ts fallbackOnePage).
      page = thp.fallbackOnePage(page) + sub;
      unit = m.baseUnit;
      // It zeroes 4 KiB, not 2 MiB (a page-cache miss's cost is the device's, unchanged).
      if (cost === core.cost.firstTouchNs) {
        stall -= cost - thp.baseFirstTouchNs;
        cost = thp.baseFirstTouchNs;
      }
      this.firstTouchNs = thp.baseFirstTouchNs;
    }
    m.map(page, m.allocFrame(tier));
    const guestPaged = m.flags[page] & K_GUEST_PAGED;
    // A swap-in from the device keeps its slot's copy (the swap cache; page-ops.ts evict); a zswap
    // load drops the pool entry and dirties the folio (zswap_load), so no copy is left.
    m.flags[page] &= fromZswap ? ~(K_SWAPPED | K_GUEST_PAGED | K_SWAP_COPY) : ~(K_SWAPPED | K_GUEST_PAGED);
    m.usedFrames[tier] += unit;
    m.mappedPages++;
    // Transparent huge pages (thp.enabled): a huge page without a free 2 MiB block falls back to 4 KiB pages.
    const fallbackFirst = thp !== null ? thp.placed(page, tier, thpFallback) : -1;
    // Long-term pins (sim/pins.ts): a page of a pinned range is pinned at its first touch (a huge
    // page that fell back to 4 KiB pages just now: its sub-pages in the range).
    if (!swapIn && core.pins.on) stall += core.pins.firstTouch(page, tier, c);
    if (core.vm.on) stall += core.vm.pageIn(page, c, swapIn, guestPaged !== 0);
    core.counters[swapIn ? C_SWAP_INS : C_FIRST_TOUCH_FAULTS]++;
    core.counters[C_KERNEL_CPU_NS] += cost;
    if (hooks.onFault) {
      core.ctxCpu = c;
      const kind = swapIn ? FAULT_SWAP_IN : FAULT_FIRST_TOUCH;
      if (fallbackFirst < 0) hooks.onFault(page, kind, c);
      else {
        // A THP fault that fell back (sim/thp.ts): the range's 4 KiB pages are what got mapped, each
        // a new folio the kernel puts on its LRU (folio_add_lru_vma in do_anonymous_page); the huge
        // id is frame-less now. Each is announced (in address order) so that LRUs and samplers list
        // it; only the fault itself is charged, as the fallback's mapping is (see thp.ts).
        const subs = core.subPages;
        for (let k = 0; k < subs; k++) if (m.frame[fallbackFirst + k] >= 0) hooks.onFault(fallbackFirst + k, kind, c);
      }
      core.ctxCpu = -1;
      // What the policy does in an allocating fault (reclaim: direct, or over a memory limit) stalls on memory.
      const reclaimNs = core.takePendingStall();
      stall += reclaimNs;
      core.psi.memStall(c, reclaimNs);
    }
    this.checkPressure();
    this.stallNs[0] = stall;
  }

  /** A trapped access (bits armed before it): active-memory sample, COW break, hint fault, in that order. Leaves the stall in stallNs[0]. */
  trap(page: number, c: number, due: number): void {
    const core = this.core;
    const state = core.memory.state;
    let stall = 0;
    if (due & S_TOUCH && core.ops.fdAccess(page)) {
      // A read()/write() of a page-cache page whose accesses a reclaimer counts (FdHost): free.
    } else if (due & S_TOUCH) {
      state[page] &= ~S_TOUCH;
      core.counters[C_KERNEL_CPU_NS] += core.cost.touchSampleNs;
      stall += core.cost.touchSampleNs;
    }
    if (due & S_COW) {
      this.breakCow(page, c);
      stall += this.stallNs[0];
    }
    if (due & S_HINT) {
      state[page] &= ~S_HINT;
      this.hintFault(page, c);
      stall += this.stallNs[0];
    }
    this.stallNs[0] = stall;
  }

  /** Leaves its stall in stallNs[0]. */
  private hintFault(page: number, c: number): void {
    const core = this.core;
    core.counters[C_HINT_FAULTS]++;
    core.counters[C_KERNEL_CPU_NS] += core.cost.hintFaultNs;
    let stall = core.cost.hintFaultNs;
    const hooks = core.policies.hooks;
    if (hooks.onFault) {
      core.ctxCpu = c;
      hooks.onFault(page, FAULT_HINT, c);
      core.ctxCpu = -1;
      stall += core.takePendingStall();
      this.checkPressure();
    }
    this.stallNs[0] = stall;
  }

  /** A write to a copy-on-write page: a private copy, or the frame itself if no one else maps it any more. Leaves its stall in stallNs[0]. */
  private breakCow(page: number, c: number): void {
    const core = this.core;
    const m = core.memory;
    m.state[page] &= ~S_COW;
    const out = this.stallNs;
    const f = m.frame[page];
    if (f < 0) {
      out[0] = 0;
      return;
    }
    if (m.frameRefs[f] <= 1) {
      // Last mapper: the write-protect fault reuses the frame (as Linux do_wp_page). A Nomad shadow
      // copy is stale once the page is written: the fault frees it (release_shadow_page).
      if (m.shadow !== null && m.dropShadow(page) >= 0) {
        m.shadowWriteBreaks++;
        if (m.shadowBreakCounter >= 0) core.policies.counterValues[m.shadowBreakCounter]++;
      }
      core.counters[C_KERNEL_CPU_NS] += core.cost.hintFaultNs;
      out[0] = core.cost.hintFaultNs;
      return;
    }
    let stall = core.cost.cowBreakNs;
    const want = m.frameTier[f];
    let tier = m.tierWithRoom(want);
    const hooks = core.policies.hooks;
    if (tier < 0 && hooks.onPressure) {
      core.ctxCpu = c;
      hooks.onPressure(want, 1);
      core.ctxCpu = -1;
      const reclaimNs = core.takePendingStall();
      stall += reclaimNs;
      core.psi.memStall(c, reclaimNs); // direct reclaim in the task: a memory stall, as in allocate
      tier = m.tierWithRoom(want);
    }
    if (tier < 0) {
      throw new SimError(`out of memory at ${(core.nowNs / 1e6).toFixed(3)} ms: a write to shared page ${page} needs a private frame but every tier is full and no policy reclaimed one`);
    }
    if (m.frame[page] < 0) {
      out[0] = stall; // reclaim may have evicted the page itself
      return;
    }
    m.sharedLeave(page);
    m.unmap(page);
    m.map(page, m.allocFrame(tier));
    m.usedFrames[tier]++;
    core.counters[C_KERNEL_CPU_NS] += core.cost.cowBreakNs;
    if (core.vm.on) core.vm.stats[core.ids.vm(page) * VS_STRIDE + VS_COW_BREAKS]++;
    this.checkPressure();
    out[0] = stall;
  }

  /** Host.setWatermarks. */
  setWatermarks(tier: number, lowFrames: number, highFrames: number): void {
    if (!(lowFrames <= highFrames)) throw new SimError(`setWatermarks(tier ${tier}): low ${lowFrames} must be ≤ high ${highFrames}`);
    this.lowFrames[tier] = lowFrames;
    this.highFrames[tier] = highFrames;
    this.pressureArmed[tier] = 1;
    this.watermarks = true;
  }

  /** Deliver pressure callbacks for tiers below their low watermark (engine context only). */
  checkPressure(): void {
    if (!this.watermarks) return;
    const m = this.core.memory;
    const hooks = this.core.policies.hooks;
    for (let t = 0; t < m.tiers; t++) {
      const free = m.capacityFrames[t] - m.usedFrames[t];
      if (this.pressureArmed[t]) {
        if (free < this.lowFrames[t] && hooks.onPressure) {
          this.pressureArmed[t] = 0;
          hooks.onPressure(t, this.highFrames[t] - free);
        }
      } else if (free >= this.highFrames[t]) {
        this.pressureArmed[t] = 1;
      }
    }
  }
}
