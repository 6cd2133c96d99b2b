// The page operations policies ask for through their Host, each counted and charged from the cost
// model: migrate, evict to swap, arm a hint fault, test-and-clear an accessed bit (one page at a
// time or in bulk over a list: a scanner's pass is one call), kernel CPU of the policy's own work,
// and the oracles' free move. A call that cannot be honoured returns false and changes nothing;
// a migration or eviction refused for a pinned page or a full tier is counted (sim/pins.ts).
// Work done inside a fault runs in the faulting task: it stalls that CPU (Core.pendingStallNs).

import type { Core } from './core.ts';
import { isFileType } from './page-types.ts';
import { CONTENT_ZERO_PAGE } from '../traces/synthetic-vms.ts';
import { S_ACCESSED, S_DIRTY, S_HINT, S_COW, S_TOUCH, S_NO_FRAME, S_TIER_SHIFT, K_BASE, K_SWAPPED, K_SWAP_COPY, EVICT_HOST, EVICT_GUEST_WRITE } from './memory.ts';
import { VS_HOST_PAGE_OUTS, VS_MAPPED, VS_STRIDE } from './vm-model.ts';
import { remapShadowed } from './shadow-ops.ts';
import { FD_COUNT_MAX } from './host.ts';
import { PIN_EVICT_REFUSED, PIN_REFUSED_NO_ROOM, PIN_REFUSED_PINNED } from './pins.ts';
import { C_DEMOTED, C_EVICTED, C_KERNEL_CPU_NS, C_MIGRATED_BYTES, C_PROMOTED, C_PTE_SCANS, C_TIER_BASE, TIER_STRIDE, MP_APP, MP_KERNEL, migrationPayerBase } from './stats.ts';

export class PageOps {
  /** Index of the who-paid counters (stats.ts MIGRATION_PAYER_NAMES). */
  private readonly payer: number;

  constructor(private readonly core: Core) {
    this.payer = migrationPayerBase(core.tiers);
  }

  /**
   * Host.migrate: move the page's frame to `tier` (see Host.migrate for when it stalls). Refused,
   * and counted per reason when the reason is the page's or the tier's (sim/pins.ts), for a
   * long-term pinned page and for a full tier.
   */
  migrate(page: number, tier: number, async: boolean): boolean {
    const core = this.core;
    const m = core.memory;
    const frame = m.frame[page];
    if (frame < 0 || tier < 0 || tier >= m.tiers) return false;
    if (m.shadow !== null && m.shadow[page] >= 0) {
      // Nomad page shadowing (sim/shadow-ops.ts): back onto the shadow is a remap; anywhere else drops it.
      if (m.shadowTier(page) === tier) return remapShadowed(this.core, page, tier, async);
      if (m.frameTier[frame] !== tier) m.dropShadow(page);
    }
    const from = m.frameTier[frame];
    if (from === tier) return false;
    const pins = core.pins;
    if (pins.isPinned(page)) {
      pins.counters[PIN_REFUSED_PINNED]++;
      return false;
    }
    const base = (m.flags[page] & K_BASE) !== 0;
    // Transparent huge pages (thp.enabled): a huge page the target cannot take whole (no free 2 MiB
    // block, or less than 2 MiB of room) is split and moved 4 KiB at a time, if demoted (sim/thp.ts).
    const thp = core.huge.thp;
    if (thp !== null && thp.needsSplit(page, tier)) return thp.splitAndMigrate(page, from, tier, async);
    if (m.usedFrames[tier] + (base ? m.baseUnit : 1) > m.capacityFrames[tier]) {
      pins.counters[PIN_REFUSED_NO_ROOM]++;
      return false;
    }
    const costNs = this.move(page, frame, from, tier, base);
    core.counters[tier < from ? C_PROMOTED : C_DEMOTED]++;
    const inApp = !async && core.ctxCpu >= 0;
    if (inApp) core.pendingStallNs += costNs;
    core.counters[this.payer + (inApp ? MP_APP : MP_KERNEL)] += costNs;
    return true;
  }

  /**
   * The migration a long-term pin does out of a movable tier (sim/pins.ts): synchronous in the
   * pinning task, so the caller adds the returned cost to its stall; copied bytes, tier bandwidth
   * and kernel CPU as any migration, but neither a promotion nor a demotion. The caller checked room.
   */
  moveForPin(page: number, tier: number): number {
    const m = this.core.memory;
    const frame = m.frame[page];
    if (m.shadow !== null) m.dropShadow(page); // a Nomad shadow would be stale after the move
    const costNs = this.move(page, frame, m.frameTier[frame], tier, (m.flags[page] & K_BASE) !== 0);
    this.core.counters[this.payer + MP_APP] += costNs; // synchronous in the pinning task
    return costNs;
  }

  /** Move a frame between tiers and charge the copy; returns its cost in ns. */
  private move(page: number, frame: number, from: number, tier: number, base: boolean): number {
    const core = this.core;
    const m = core.memory;
    const unit = base ? m.baseUnit : 1;
    const thp = core.huge.thp;
    m.setFrameTier(frame, tier);
    m.usedFrames[from] -= unit;
    m.usedFrames[tier] += unit;
    if (thp !== null) thp.moved(page, from, tier);
    const bytes = base ? 4096 : core.pageBytes;
    let costNs = base ? core.cost.migrationBaseNs : core.cost.migrationNs;
    if (core.tlb.on) costNs += core.tlb.shootdown(page);
    const counters = core.counters;
    counters[C_MIGRATED_BYTES] += bytes;
    counters[C_TIER_BASE + TIER_STRIDE * from + 1] += bytes;
    counters[C_TIER_BASE + TIER_STRIDE * tier + 2] += bytes;
    core.load.windowBytes[from] += bytes;
    core.load.windowBytes[tier] += bytes;
    counters[C_KERNEL_CPU_NS] += costNs;
    return costNs;
  }

  /** OracleHost.oracleMove: the same move for free (no time, bandwidth, stall, kernel CPU or count). */
  oracleMove(page: number, tier: number): boolean {
    const m = this.core.memory;
    const frame = m.frame[page];
    const unit = frame < 0 ? 1 : m.unitOf(page);
    if (frame < 0 || tier < 0 || tier >= m.tiers || m.usedFrames[tier] + unit > m.capacityFrames[tier]) return false;
    const from = m.frameTier[frame];
    if (from === tier) return false;
    const thp = this.core.huge.thp;
    if (thp !== null && thp.needsSplit(page, tier)) return false;
    m.setFrameTier(frame, tier);
    m.usedFrames[from] -= unit;
    m.usedFrames[tier] += unit;
    if (thp !== null) thp.moved(page, from, tier);
    return true;
  }

  /**
   * Host.evict: reclaim the page's frame to swap (a dirty page costs a write-back). `by` says who
   * frees it: EVICT_HOST (host reclaim: the kernel's rule below), EVICT_GUEST_DROP (the guest
   * dropped a clean page of its own: no host I/O) or EVICT_GUEST_WRITE (the guest wrote it to its
   * virtual disk first: one device write, no host swap). In a fault (core.ctxCpu ≥ 0) and not
   * `async`, the reclaim runs in the faulting task (direct reclaim, reclaim over memory.high): its
   * TLB shootdown and zswap compression stall it (mm/vmscan.c: try_to_free_pages and reclaim_high
   * run shrink_folio_list → zswap_store in the allocating task's context).
   */
  evict(page: number, by: number = EVICT_HOST, async = false): boolean {
    const core = this.core;
    const m = core.memory;
    if (m.frame[page] < 0) return false;
    if (core.pins.isPinned(page)) {
      // A long-term pinned page cannot be reclaimed (unmapping fails on its pin references).
      core.pins.counters[PIN_EVICT_REFUSED]++;
      return false;
    }
    if (m.shadow !== null) m.dropShadow(page);
    const state = m.state[page];
    const swapCopy = (m.flags[page] & K_SWAP_COPY) !== 0;
    // A 4 KiB page of a split or fallen-back huge page writes 4 KiB, not the run's page size.
    const bytes = m.flags[page] & K_BASE ? 4096 : core.pageBytes;
    const inTask = !async && core.ctxCpu >= 0;
    if (core.tlb.on) {
      const ns = core.tlb.shootdown(page);
      core.counters[C_KERNEL_CPU_NS] += ns;
      if (inTask) core.pendingStallNs += ns;
    }
    m.sharedLeave(page);
    const freedTier = m.unmap(page);
    if (freedTier >= 0) m.usedFrames[freedTier] -= m.unitOf(page);
    if (freedTier >= 0 && core.huge.thp !== null) core.huge.thp.evicted(page, freedTier);
    // A page that comes back gets a private frame, so it is no longer copy-on-write.
    m.state[page] &= ~(S_ACCESSED | S_DIRTY | S_HINT | S_COW);
    if (this.fdCounts !== null && page < this.fdCounts.length && this.fdCounts[page] !== 0) {
      // Its page-cache folio is gone: the count ends with it (the policy arms the new folio).
      this.fdCounts[page] = 0;
      m.state[page] &= ~S_TOUCH;
    }
    m.flags[page] |= K_SWAPPED;
    core.counters[C_EVICTED]++;
    m.mappedPages--;
    if (core.vm.on) {
      const v = core.ids.vm(page) * VS_STRIDE;
      core.vm.stats[v + VS_MAPPED]--;
      core.vm.stats[v + VS_HOST_PAGE_OUTS]++;
    }
    if (by !== EVICT_HOST) {
      // Freed by the guest itself: the host swaps nothing; a write to the guest's virtual disk is a device write.
      m.flags[page] &= ~K_SWAP_COPY;
      if (by === EVICT_GUEST_WRITE) {
        if (state & S_DIRTY) core.counters[C_KERNEL_CPU_NS] += core.cost.swapOutNs; // the host side of the write, as before
        if (core.storage.on) core.storage.write(core.nowNs, bytes);
      }
      return true;
    }
    // mm/vmscan.c shrink_folio_list: pageout() writes only a dirty folio. A file folio is dirty
    // only if written since it was read. An anon folio not in the swap cache gets a slot
    // (add_to_swap), is marked dirty and written (to zswap, or the device); one still in the swap
    // cache and clean (swapped in by a read and not written since: folio_test_swapcache, the slot
    // still holds its data) is just freed, with no I/O. Simplification: a swapped-in page keeps
    // its slot even when swap is over half full (vm_swap_full frees it in do_swap_page) and
    // on a synchronous-IO swap device (zram); a zswap load drops the entry (faults.ts).
    const file = isFileType(core.types.of(page));
    if (!file && swapCopy && (state & S_DIRTY) === 0) return true;
    m.flags[page] &= ~K_SWAP_COPY;
    // zswap (swap.ts, off by default): a swap-backed page goes into the compressed pool if it fits.
    if (core.zswap.on && freedTier >= 0 && !file && this.zswapStore(page, freedTier, inTask)) return true;
    if (state & S_DIRTY) core.counters[C_KERNEL_CPU_NS] += core.cost.swapOutNs;
    // With a storage device: a dirty page is written back, an anon one goes to swap (its slot then
    // holds its data); a clean file page is dropped (its data is on the device already).
    if (!file) m.flags[page] |= K_SWAP_COPY;
    if (core.storage.on && ((state & S_DIRTY) !== 0 || !file)) core.storage.write(core.nowNs, bytes);
    return true;
  }

  /**
   * zswap_store of an evicted page: compressed (kernel CPU; in the task, a stall of it too, which
   * faults.ts counts as PSI memory stall) or same-filled; false = it goes to swap.
   */
  private zswapStore(page: number, tier: number, inTask: boolean): boolean {
    const core = this.core;
    const m = core.memory;
    const base = (m.flags[page] & K_BASE) !== 0;
    // Linux 6.6 zswap_store: "Large folios aren't supported": a THP goes to the swap device whole.
    if (!base && core.huge.thp !== null) return false;
    const zero = core.vm.contentOn !== 0 && core.vm.content(page) === CONTENT_ZERO_PAGE;
    if (core.zswap.store(page, tier, base ? 4096 : core.pageBytes, zero, m.capacityFrames, m.usedFrames, this.zswapWriteBack) < 0) return false;
    if (!zero) {
      core.counters[C_KERNEL_CPU_NS] += core.zswap.compressNs;
      if (inTask) core.pendingStallNs += core.zswap.compressNs;
    }
    return true;
  }

  /** The zswap shrink worker writes an old entry to the swap device (kernel CPU as a write-back). */
  private readonly zswapWriteBack = (page: number): void => {
    const core = this.core;
    core.memory.flags[page] |= K_SWAP_COPY; // its slot on the device holds it now
    core.counters[C_KERNEL_CPU_NS] += core.cost.swapOutNs;
    if (core.storage.on) core.storage.write(core.nowNs, core.memory.flags[page] & K_BASE ? 4096 : core.pageBytes);
  };

  /** Host.armHintFault: the next access to the page raises a hint fault; charged as a PTE scan. */
  armHintFault(page: number): void {
    this.core.memory.state[page] |= S_HINT;
    this.chargeScan();
  }

  /**
   * Per page: 0 = accesses not counted, else 1 + accesses counted since FdHost.armFdCount (reads and
   * writes through file descriptors of a page-cache page). Null until the first armFdCount, so runs
   * that never count pay nothing. Counting reuses the S_TOUCH trap (faults.ts trap), which only the
   * VM model's active-memory sampling uses otherwise: armFdCount is refused when the VM model is on.
   */
  fdCounts: Uint8Array | null = null;

  /** FdHost.armFdCount: free (read() marks the folio accessed in the syscall, no PTE is involved). */
  armFdCount(page: number): boolean {
    const core = this.core;
    const m = core.memory;
    if (core.vm.on || page < 0 || page >= m.pages || m.frame[page] < 0) return false;
    if (this.fdCounts === null || this.fdCounts.length < m.pages) {
      const next = new Uint8Array(Math.max(1024, m.state.length));
      if (this.fdCounts !== null) next.set(this.fdCounts);
      this.fdCounts = next;
    }
    this.fdCounts[page] = 1;
    m.state[page] |= S_TOUCH;
    return true;
  }

  /** FdHost.fdCount. */
  fdCount(page: number): number {
    const fd = this.fdCounts;
    return fd !== null && page < fd.length && fd[page] !== 0 ? fd[page] - 1 : 0;
  }

  /** The S_TOUCH trap of a page whose accesses are counted (faults.ts trap): one more, free; false if not counted. */
  fdAccess(page: number): boolean {
    const fd = this.fdCounts;
    if (fd === null || page >= fd.length || fd[page] === 0) return false;
    // Saturated: stop trapping, so a hot page-cache page leaves the slow path after FD_COUNT_MAX accesses.
    if (fd[page] <= FD_COUNT_MAX) fd[page]++;
    if (fd[page] > FD_COUNT_MAX) this.core.memory.state[page] &= ~S_TOUCH;
    return true;
  }

  /** VmHost.armTouchSample: the next access clears S_TOUCH at the cost of a minor fault; charged as a PTE scan. */
  armTouchSample(page: number): void {
    this.core.memory.state[page] |= S_TOUCH;
    this.chargeScan();
  }

  /** Host.testAndClearAccessed; charged as a PTE scan. */
  testAndClearAccessed(page: number): boolean {
    const state = this.core.memory.state;
    const s = state[page];
    state[page] = s & ~S_ACCESSED;
    this.chargeScan();
    return (s & S_ACCESSED) !== 0;
  }

  private chargeScan(): void {
    this.core.counters[C_PTE_SCANS]++;
    this.core.counters[C_KERNEL_CPU_NS] += this.core.cost.pteScanNs;
  }

  /**
   * Host.armHintFaults: one armHintFault per page of pages[from … to) that has a frame in a tier ≥
   * minTier and is not armed yet. Speed trick: one call per scanner range over the state column
   * (the charge is added per page, in the same order of float additions as per-page calls).
   */
  armHintFaults(pages: Int32Array, from: number, to: number, minTier: number, armed: Int32Array | null): number {
    const counters = this.core.counters;
    const state = this.core.memory.state;
    const scanNs = this.core.cost.pteScanNs;
    let kernelNs = counters[C_KERNEL_CPU_NS];
    let n = 0;
    // Page cache reached only through read()/write() has no PTE for task_numa_work to mark, and
    // task_numa_work skips read-only file mappings (page-types.ts skipsNumaScan).
    const types = this.core.types.on ? this.core.types : null;
    for (let i = from; i < to; i++) {
      const p = pages[i];
      const s = state[p];
      if (s & (S_NO_FRAME | S_HINT) || s >>> S_TIER_SHIFT < minTier) continue;
      if (types !== null && types.skipsNumaScan(p)) continue;
      state[p] = s | S_HINT;
      kernelNs += scanNs;
      if (armed !== null) armed[n] = p;
      n++;
    }
    counters[C_KERNEL_CPU_NS] = kernelNs;
    counters[C_PTE_SCANS] += n;
    return n;
  }

  /**
   * Host.testAndClearAccessedList: testAndClearAccessed for each page of pages[from … to) in `tier`
   * (-1: every page). Speed trick as armHintFaults. Young pages go to `young`; returns how many.
   */
  testAndClearAccessedList(pages: Int32Array, from: number, to: number, tier: number, young: Int32Array): number {
    const counters = this.core.counters;
    const state = this.core.memory.state;
    const scanNs = this.core.cost.pteScanNs;
    let kernelNs = counters[C_KERNEL_CPU_NS];
    let tested = 0;
    let n = 0;
    for (let i = from; i < to; i++) {
      const p = pages[i];
      const s = state[p];
      if (tier >= 0 && (s & S_NO_FRAME || s >>> S_TIER_SHIFT !== tier)) continue;
      state[p] = s & ~S_ACCESSED;
      kernelNs += scanNs;
      tested++;
      if (s & S_ACCESSED) young[n++] = p;
    }
    counters[C_KERNEL_CPU_NS] = kernelNs;
    counters[C_PTE_SCANS] += tested;
    return n;
  }

  /** Host.chargeKernelNs: kernel CPU of a policy's own work (in a fault, the faulting CPU's). */
  chargeKernelNs(ns: number): void {
    this.core.counters[C_KERNEL_CPU_NS] += ns;
    if (this.core.ctxCpu >= 0) this.core.pendingStallNs += ns;
  }

  /** Host.chargePteScans: n PTEs visited without a test-and-clear. */
  chargePteScans(n: number): void {
    const core = this.core;
    core.counters[C_PTE_SCANS] += n;
    core.counters[C_KERNEL_CPU_NS] += n * core.cost.pteScanNs;
    if (core.ctxCpu >= 0) core.pendingStallNs += n * core.cost.pteScanNs;
  }

  /** Host.copyPageKeys. */
  copyPageKeys(from: number, to: number, vm: Uint16Array, vpnHi: Uint32Array, vpnLo: Uint32Array, zeroed = false): void {
    this.core.ids.copyKeys(from, to, vm, vpnHi, vpnLo, zeroed);
  }
}
