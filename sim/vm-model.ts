// The VM model (README "Virtual machines"; FACTS §4): per-VM accounting, the guest OS model every
// VM runs, balloons, content-based sharing of frames, and the per-VM state reported in
// vm-timeseries.csv. Off the per-access path: faults, timers and host calls only (the access loop
// only stores the content a write leaves, when the model is on).
//
// - Guest OS model: a guest can hold its configured memory less its kernel's memory-sized
//   structures (vm.guestOsBytesPer4KiB) and its balloon; pages it never touched are its free list.
//   Short of room, it pages out its coldest pages (a CLOCK over its pages with the accessed bits)
//   to its virtual disk, stalling its CPUs; a page the host swapped behind its back is swapped in
//   for the guest to write out (double paging, paper §3.2, §6.3).
// - Guest page cache (the vms workload's file set, vmsGuestCacheRange; off without one): file blocks
//   are guest pages that fill the guest's free memory as it reads and writes them. A block the guest
//   does not hold is read from its virtual disk (cost.swapInNs, or the storage device when
//   storage.device is set), on first touch as after a drop. The guest's reclaim takes cache pages
//   first, in the order of a CLOCK over them (second chance for a referenced one), and anon pages
//   only when it holds no other cache page: Linux prepare_scan_control's cache_trim_mode
//   (mm/vmscan.c) reclaims "plenty of inactive file pages that aren't thrashing" before anon; the
//   model does not detect a thrashing cache (refaults), which would turn that mode off. A clean
//   cache page is dropped (no write), a dirty one written back first (cost.guestPageOutNs). No
//   periodic flusher: dirty pages are written when reclaimed (Linux's flusher would write them
//   after 30 s, dirty_expire_centisecs). A cache page the host swapped behind the guest's back lost
//   its dirty bit with the swap-out, so the guest writes it back as it would a dirty one (double
//   paging).
// - A VM over its limit (ESX max size) has the host page out one of its own pages.
// - Sharing: share() remaps a page copy-on-write onto another page's frame after comparing their
//   contents (the byte compare; contents stand for the page bytes).

import type { Core } from './core.ts';
import { SimError } from './core.ts';
import type { VmSpec } from './vm-config.ts';
import { resolveVms, guestCacheRangeOf } from './vm-config.ts';
import { VmPageLists } from './vm-pages.ts';
import { grow } from './columns.ts';
import { S_ACCESSED, S_COW, S_DIRTY, K_GUEST_PAGED, EVICT_GUEST_DROP, EVICT_GUEST_WRITE } from './memory.ts';
import { C_KERNEL_CPU_NS, C_STALL_NS } from './stats.ts';
import { vmsGuestCacheRange } from '../traces/synthetic-vms.ts';

/**
 * Per-VM state, VS_STRIDE Float64 columns per VM (reported in vm-timeseries.csv).
 * Levels: mapped (host-backed pages), touched, guestResident, balloon, balloonTarget, active.
 * Cumulative: guest page-outs / page-ins, host page-outs / page-ins, COW breaks, stall ns.
 */
export const VS_MAPPED = 0;
export const VS_TOUCHED = 1;
export const VS_GUEST_RESIDENT = 2;
export const VS_BALLOON = 3;
export const VS_BALLOON_TARGET = 4;
export const VS_ACTIVE = 5;
export const VS_GUEST_PAGE_OUTS = 6;
export const VS_GUEST_PAGE_INS = 7;
export const VS_HOST_PAGE_OUTS = 8;
export const VS_HOST_PAGE_INS = 9;
export const VS_COW_BREAKS = 10;
export const VS_STALL_NS = 11;
export const VS_STRIDE = 12;
export const VS_NAMES = [
  'allocatedPages', 'touchedPages', 'guestResidentPages', 'balloonPages', 'balloonTargetPages', 'activeEstimate',
  'guestPageOuts', 'guestPageIns', 'hostPageOuts', 'hostPageIns', 'cowBreaks', 'vmStallNs',
];

/**
 * Per-VM guest page-cache state, GC_STRIDE Float64 columns per VM, apart from VS_* so that runs
 * without a guest page cache report exactly as before. Level: cache pages the guest holds.
 * Cumulative: misses (blocks read from the virtual disk), clean pages dropped, dirty pages written back.
 */
export const GC_PAGES = 0;
export const GC_MISSES = 1;
export const GC_DROPS = 2;
export const GC_WRITEBACKS = 3;
export const GC_STRIDE = 4;
export const GC_NAMES = ['cachePages', 'cacheMisses', 'cacheDrops', 'cacheWritebacks'];

/** One epoch of the VM model: per-VM state columns (VS_*), clocks and the host's sharing and memory state. */
export interface VmEpochRow {
  endMs: number;
  stats: Float64Array;
  /** Per VM: simulated time of its CPUs and their all-local ideal time (for its slowdown). */
  timeNs: Float64Array;
  idealNs: Float64Array;
  memState: number;
  sharedPages: number;
  framesSaved: number;
  /** Guest page-cache columns (GC_*), null without a guest page cache. */
  cache: Float64Array | null;
}

export interface VmResult {
  count: number;
  spec: VmSpec;
  epochs: VmEpochRow[];
  final: VmEpochRow;
}

export class VmModel {
  /** Any VM feature in use: per-VM accounting in faults, content tracking on writes. */
  on = false;
  /** 1 when writes carry content into pageContent (a number, so the access loop can mask with it). */
  contentOn = 0;
  readonly count: number;
  readonly spec: VmSpec;
  readonly stats: Float64Array;
  /** VM of each CPU (-1 until its first fault). */
  readonly cpuVm: Int32Array;
  private readonly limitHand: Float64Array;
  /** Each guest's pages in first-touch order with a CLOCK hand: the guest OS's LRU. */
  private guestPages: VmPageLists | null = null;
  /** Guest page cache: [start, end) of 4 KiB page numbers that are file blocks (every VM), or null. */
  private readonly cacheRange: readonly [number, number] | null;
  /** Per page: 1 = a guest page-cache page (set at first touch). */
  private guestCache = new Uint8Array(0);
  /** Each guest's cache pages with their own CLOCK hand (reclaimed before guestPages). */
  private cachePages: VmPageLists | null = null;
  readonly cacheStats: Float64Array | null;
  pageContent = new Uint32Array(0);
  /** The host's free-memory state (0 high, 1 soft, 2 hard, 3 low), as the idle-tax policy records it. */
  memState = 0;
  readonly epochs: VmEpochRow[] = [];

  constructor(
    private readonly core: Core,
    sourceVms: number,
    vmPages: ((vm: number) => number | undefined) | undefined,
  ) {
    const m = core.memory;
    const hostPages = m.capacityFrames.reduce((a, b) => a + b, 0);
    this.spec = resolveVms(core.config, sourceVms, vmPages, core.pageBytes, hostPages);
    this.count = this.spec.count;
    this.stats = new Float64Array(this.count * VS_STRIDE);
    for (let v = 0; v < this.count; v++) this.stats[v * VS_STRIDE + VS_BALLOON_TARGET] = this.spec.balloonPages[v];
    this.cpuVm = new Int32Array(core.cpus).fill(-1);
    this.limitHand = new Float64Array(this.count);
    const workload = core.config.workload;
    this.cacheRange = guestCacheRangeOf(core.config) ?? (typeof workload === 'string' ? vmsGuestCacheRange(workload) : null);
    this.cacheStats = this.cacheRange !== null ? new Float64Array(this.count * GC_STRIDE) : null;
    if (((core.config['vm.count'] as number | undefined) ?? 0) > 0 || sourceVms > 1) this.enable();
  }

  /** Turn on the VM model: per-VM accounting in faults and content tracking on writes. */
  enable(): void {
    if (this.on) return;
    this.on = true;
    this.contentOn = 1;
    const m = this.core.memory;
    const ids = this.core.ids;
    this.pageContent = new Uint32Array(Math.max(1024, m.state.length));
    // Pages touched before (none in a normal run: policies attach before it starts) are counted now.
    this.guestPages = new VmPageLists(this.count);
    if (this.cacheRange !== null) {
      this.cachePages = new VmPageLists(this.count);
      this.guestCache = new Uint8Array(Math.max(1024, m.state.length));
    }
    for (let p = 0; p < m.pages; p++) {
      if (this.classifyCache(p)) {
        this.cachePages!.add(ids.vm(p), p);
        this.cacheStats![Math.min(ids.vm(p), this.count - 1) * GC_STRIDE + GC_PAGES]++;
      } else this.guestPages.add(ids.vm(p), p);
      const v = Math.min(ids.vm(p), this.count - 1) * VS_STRIDE;
      this.stats[v + VS_TOUCHED]++;
      this.stats[v + VS_GUEST_RESIDENT]++;
      if (m.frame[p] >= 0) this.stats[v + VS_MAPPED]++;
    }
  }

  /** Is the page a guest page-cache page? Decided from its address at its first touch and recorded. */
  private classifyCache(page: number): boolean {
    if (this.cacheRange === null) return false;
    const ids = this.core.ids;
    const vpn4k = (ids.vpnHi(page) * 2 ** 32 + ids.vpnLo(page)) * this.core.subPages;
    const cache = vpn4k >= this.cacheRange[0] && vpn4k < this.cacheRange[1];
    this.guestCache = grow(this.guestCache, page + 1);
    this.guestCache[page] = cache ? 1 : 0;
    return cache;
  }

  /** Is the page one of its guest's page-cache pages? */
  isGuestCache(page: number): boolean {
    return page < this.guestCache.length && this.guestCache[page] === 1;
  }

  content(page: number): number {
    return page < this.pageContent.length ? this.pageContent[page] : 0;
  }

  /**
   * Per-VM accounting of a page getting a frame (fault path, model on only). Runs the guest OS model
   * (a guest short of memory pages itself, stalling the faulting CPU: the returned ns) and enforces
   * the VM's limit by host-paging its own pages.
   */
  pageIn(page: number, c: number, swapIn: boolean, guestPaged: boolean): number {
    const core = this.core;
    const vm = core.ids.vm(page);
    if (vm >= this.count) throw new SimError(`page of vm ${vm} but the run has ${this.count} VMs (vm.count); raise vm.count or leave it 0 to follow the workload`);
    if (this.cpuVm[c] < 0) this.cpuVm[c] = vm;
    this.pageContent = grow(this.pageContent, page + 1);
    const s = this.stats;
    const v = vm * VS_STRIDE;
    s[v + VS_MAPPED]++;
    const cache = this.cacheRange !== null && (swapIn ? this.isGuestCache(page) : this.classifyCache(page));
    if (!swapIn) {
      s[v + VS_TOUCHED]++;
      s[v + VS_GUEST_RESIDENT]++;
      (cache ? this.cachePages! : this.guestPages!).add(vm, page);
    } else if (guestPaged) {
      if (!cache) s[v + VS_GUEST_PAGE_INS]++;
      s[v + VS_GUEST_RESIDENT]++;
    } else {
      s[v + VS_HOST_PAGE_INS]++;
    }
    let stall = 0;
    if (cache && (!swapIn || guestPaged)) {
      // A block the guest does not hold: read from its virtual disk into a free guest page. After a
      // drop the fault path charged the read as a guest page-in; a first touch pays it here.
      const g = vm * GC_STRIDE;
      this.cacheStats![g + GC_PAGES]++;
      this.cacheStats![g + GC_MISSES]++;
      if (!swapIn) {
        const read = core.storage.on ? core.storage.read(core.nowNs, core.pageBytes) : core.cost.swapInNs;
        core.counters[C_KERNEL_CPU_NS] += read;
        stall += read;
      }
    }
    if (s[v + VS_GUEST_RESIDENT] > this.guestCapacity(vm)) {
      // The guest is short of memory: its own direct reclaim, in the faulting CPU's context.
      core.ctxCpu = c;
      this.guestShrink(vm, page);
      core.ctxCpu = -1;
      stall += core.takePendingStall();
    }
    if (s[v + VS_MAPPED] > this.spec.limitPages[vm]) {
      // Over its limit (ESX max size): the host pages out one of the VM's own pages (the swap
      // write-back is kernel CPU, as any eviction; the VM pays when it faults the page back).
      const victim = this.limitVictim(vm, page);
      if (victim >= 0) core.ops.evict(victim);
    }
    return stall;
  }

  /** Pages the guest can hold for its workload: configured memory less its kernel's structures and its balloon. */
  guestCapacity(vm: number): number {
    return this.spec.memPages[vm] - this.spec.guestOsPages[vm] - this.stats[vm * VS_STRIDE + VS_BALLOON];
  }

  /**
   * The guest pages out its coldest pages until it fits its capacity, never `except` (the page being
   * faulted in). Costs stall the VM (the faulting CPU through the fault context). Returns pages paged out.
   */
  private guestShrink(vm: number, except: number): number {
    const core = this.core;
    const s = vm * VS_STRIDE;
    let n = 0;
    while (this.stats[s + VS_GUEST_RESIDENT] > this.guestCapacity(vm)) {
      const p = this.guestVictim(vm, except);
      if (p < 0) break;
      const cache = this.isGuestCache(p);
      if (core.memory.frame[p] >= 0) {
        if (cache) this.cacheReclaim(p);
        else this.guestPageOut(p);
      } else {
        // Host-swapped behind the guest's back: swapped in for the guest to write out.
        core.memory.flags[p] |= K_GUEST_PAGED;
        if (cache) {
          this.cacheStats![vm * GC_STRIDE + GC_PAGES]--;
          this.cacheStats![vm * GC_STRIDE + GC_WRITEBACKS]++;
        } else this.stats[s + VS_GUEST_PAGE_OUTS]++;
        this.stats[s + VS_GUEST_RESIDENT]--;
        core.counters[C_KERNEL_CPU_NS] += core.cost.swapInNs;
        this.stall(vm, core.cost.swapInNs + core.cost.guestPageOutNs);
      }
      n++;
    }
    return n;
  }

  /**
   * The guest's reclaim victim: with a page cache, the next cache page under the cache's CLOCK
   * (cache_trim_mode); else, or when the guest holds no other cache page, its CLOCK over the rest.
   * -1 if the guest holds nothing but `except`.
   */
  private guestVictim(vm: number, except: number): number {
    if (this.cachePages !== null && this.cacheStats![vm * GC_STRIDE + GC_PAGES] > 0) {
      const p = this.clockVictim(this.cachePages, vm, except);
      if (p >= 0) return p;
    }
    return this.clockVictim(this.guestPages!, vm, except);
  }

  /**
   * A CLOCK over one of the guest's lists (first-touch order; pages it paged out are skipped until
   * they come back); a page whose accessed bit is set gets a second chance (cleared as a charged PTE
   * scan). -1 if the list holds nothing but `except`.
   */
  private clockVictim(list: VmPageLists, vm: number, except: number): number {
    const flags = this.core.memory.flags;
    const n = list.count(vm);
    let referenced = -1;
    for (let steps = 0; steps < 2 * n; steps++) {
      const p = list.next(vm);
      if (p === except || flags[p] & K_GUEST_PAGED) continue;
      if (this.core.ops.testAndClearAccessed(p)) {
        referenced = p;
        continue;
      }
      return p;
    }
    return referenced;
  }

  /** A mapped page of the VM other than `except`, not referenced since the hand last passed (CLOCK over page ids). */
  private limitVictim(vm: number, except: number): number {
    const m = this.core.memory;
    const ids = this.core.ids;
    const n = m.pages;
    let hand = this.limitHand[vm];
    let fallback = -1;
    for (let steps = 0; steps < 2 * n; steps++) {
      const p = hand;
      hand = hand + 1 >= n ? 0 : hand + 1;
      if (p === except || m.frame[p] < 0 || ids.vm(p) !== vm) continue;
      if (m.state[p] & S_ACCESSED) {
        m.state[p] &= ~S_ACCESSED; // second chance (the host's own view of the bit, uncharged)
        fallback = p;
        continue;
      }
      this.limitHand[vm] = hand;
      return p;
    }
    this.limitHand[vm] = hand;
    return fallback;
  }

  /** The guest reclaims one of its cache pages: a clean one is dropped, a dirty one written back first. */
  private cacheReclaim(page: number): void {
    const core = this.core;
    const m = core.memory;
    const vm = core.ids.vm(page);
    const dirty = (m.state[page] & S_DIRTY) !== 0;
    // The guest frees the page itself: the host has nothing to swap out for it; a dirty one the
    // guest writes to its virtual disk first (one device write), a clean one is dropped with no I/O.
    m.state[page] &= ~S_DIRTY;
    core.ops.evict(page, dirty ? EVICT_GUEST_WRITE : EVICT_GUEST_DROP);
    m.flags[page] |= K_GUEST_PAGED;
    this.stats[vm * VS_STRIDE + VS_HOST_PAGE_OUTS]--; // evict counted it as host paging
    this.stats[vm * VS_STRIDE + VS_GUEST_RESIDENT]--;
    const g = vm * GC_STRIDE;
    this.cacheStats![g + GC_PAGES]--;
    this.cacheStats![g + (dirty ? GC_WRITEBACKS : GC_DROPS)]++;
    if (dirty) this.stall(vm, core.cost.guestPageOutNs);
  }

  /** Host.share: remap `page` copy-on-write onto the frame of `withPage` (see VmHost.share). */
  share(page: number, withPage: number): boolean {
    const core = this.core;
    const m = core.memory;
    if (page === withPage || page < 0 || withPage < 0 || page >= m.pages || withPage >= m.pages) return false;
    const f = m.frame[withPage];
    const g = m.frame[page];
    if (f < 0 || g < 0 || f === g) return false;
    const content = this.content(page);
    // The byte compare: contents stand for the page bytes; unknown content never matches.
    if (content === 0 || content !== this.content(withPage)) return false;
    if (m.frameRefs[f] >= 0xffff) return false; // 16-bit refcount saturated (ESX keeps an overflow table)
    m.sharedLeave(page);
    const freedTier = m.unmap(page);
    if (freedTier >= 0) m.usedFrames[freedTier]--;
    m.sharedMapped += m.frameRefs[f] === 1 ? 2 : 1;
    m.mapShared(page, f);
    m.state[page] |= S_COW;
    m.state[withPage] |= S_COW;
    core.counters[C_KERNEL_CPU_NS] += core.cost.pageShareNs;
    return true;
  }

  mapped(vm: number): number {
    return this.stats[vm * VS_STRIDE + VS_MAPPED];
  }
  guestResident(vm: number): number {
    return this.stats[vm * VS_STRIDE + VS_GUEST_RESIDENT];
  }
  balloonTarget(vm: number): number {
    return this.stats[vm * VS_STRIDE + VS_BALLOON_TARGET];
  }
  setBalloonTarget(vm: number, pages: number): void {
    this.stats[vm * VS_STRIDE + VS_BALLOON_TARGET] = Math.max(0, Math.floor(pages));
  }
  balloonSize(vm: number): number {
    return this.stats[vm * VS_STRIDE + VS_BALLOON];
  }
  setActiveEstimate(vm: number, fraction: number): void {
    this.stats[vm * VS_STRIDE + VS_ACTIVE] = fraction;
  }

  /** Simulated time of the VM's own clock (its slowest CPU), at least now. */
  now(vm: number): number {
    const core = this.core;
    let t = -1;
    for (let c = 0; c < core.cpus; c++) if (this.cpuVm[c] === vm && core.clockNs[c] > t) t = core.clockNs[c];
    return t < 0 ? core.nowNs : Math.max(t, core.nowNs);
  }

  /**
   * The balloon driver sets the balloon size. Inflating: the guest's allocator hands the balloon its
   * free pages first, then the guest reclaims for the rest (paper §3.2); what it cannot give up
   * stays out of the balloon.
   */
  setBalloonSize(vm: number, pages: number): void {
    const s = vm * VS_STRIDE;
    const max = this.spec.memPages[vm] - this.spec.guestOsPages[vm];
    this.stats[s + VS_BALLOON] = Math.max(0, Math.min(Math.floor(pages), max));
    if (this.on && this.stats[s + VS_GUEST_RESIDENT] > this.guestCapacity(vm)) {
      this.guestShrink(vm, -1);
      const fit = max - this.stats[s + VS_GUEST_RESIDENT];
      if (this.stats[s + VS_BALLOON] > fit) this.stats[s + VS_BALLOON] = Math.max(0, fit);
    }
  }

  /** The guest pages `page` out to its virtual disk (see VmHost.guestPageOut). */
  guestPageOut(page: number): boolean {
    const core = this.core;
    if (core.memory.frame[page] < 0) return false;
    const vm = core.ids.vm(page);
    core.ops.evict(page);
    core.memory.flags[page] |= K_GUEST_PAGED;
    const v = vm * VS_STRIDE;
    this.stats[v + VS_HOST_PAGE_OUTS]--; // evict counted it as host paging
    this.stats[v + VS_GUEST_PAGE_OUTS]++;
    this.stats[v + VS_GUEST_RESIDENT]--;
    this.stall(vm, core.cost.guestPageOutNs);
    return true;
  }

  /** Stall the VM's CPUs by ns (the faulting CPU through the fault context: its loop counts the stall). */
  stall(vm: number, ns: number): void {
    if (!(ns > 0)) return;
    const core = this.core;
    this.stats[vm * VS_STRIDE + VS_STALL_NS] += ns;
    for (let c = 0; c < core.cpus; c++) {
      if (this.cpuVm[c] !== vm) continue;
      if (c === core.ctxCpu) {
        core.pendingStallNs += ns;
      } else {
        core.clockNs[c] += ns;
        core.counters[C_STALL_NS] += ns;
      }
    }
  }

  /** The model's state at the end of an epoch (or of the run). */
  snapshot(endNs: number): VmEpochRow {
    const core = this.core;
    const timeNs = new Float64Array(this.count);
    const idealNs = new Float64Array(this.count);
    for (let c = 0; c < core.cpus; c++) {
      const v = this.cpuVm[c];
      if (v < 0 || v >= this.count) continue;
      if (core.clockNs[c] > timeNs[v]) timeNs[v] = core.clockNs[c];
      if (core.idealNs[c] > idealNs[v]) idealNs[v] = core.idealNs[c];
    }
    const m = core.memory;
    return { endMs: endNs / 1e6, stats: this.stats.slice(), timeNs, idealNs, memState: this.memState, sharedPages: m.sharedMapped, framesSaved: m.mappedPages - m.liveFrames, cache: this.cacheStats?.slice() ?? null };
  }

  result(endNs: number): VmResult | undefined {
    return this.on ? { count: this.count, spec: this.spec, epochs: this.epochs, final: this.snapshot(endNs) } : undefined;
  }
}
