// The contract between the engine and its policies. A policy is one file under policies/ that
// calls definePolicy(); the engine owns all placement state and a policy acts only through the Host
// object it is given, the way a kernel policy acts only through page tables, faults, samples,
// timers and reclaim. See DESIGN.md "The engine owns state; policies ask". Lives in sim/ so that
// the engine never imports policies/; policies/policy.ts re-exports it.

/** Fault kinds passed to PolicyHooks.onFault. */
export const FAULT_FIRST_TOUCH = 0;
export const FAULT_HINT = 1;
/**
 * Access to a page that was evicted to swap: a major fault; the page has been placed again (a
 * refault). With thp.enabled a huge page swapped out whole comes back one 4 KiB page per fault: the
 * page is then that 4 KiB page of the range (sim/thp.ts swappedToBase), never the huge id.
 */
export const FAULT_SWAP_IN = 2;

/** Sampled event kinds (PEBS-style): loads served by the top tier, loads served elsewhere, stores. */
export const EVENT_LOAD_LOCAL = 0;
export const EVENT_LOAD_REMOTE = 1;
export const EVENT_STORE = 2;
export const EVENT_KINDS = 3;

/** Page flag bits visible through the Host (engine-owned, per page). */
export const PAGE_ACCESSED = 1;
export const PAGE_DIRTY = 2;
export const PAGE_HINT_ARMED = 4;
/** The page was evicted to swap and has no frame until it is touched again. */
export const PAGE_SWAPPED = 8;
/**
 * The page maps a frame shared copy-on-write (content-based sharing): its next write faults and
 * gets a private copy (cost.cowBreakNs), or reuses the frame if it is the last mapper (as Linux
 * do_wp_page). Set and cleared by the engine only.
 */
export const PAGE_COW = 16;
/** The guest paged this page out to its virtual disk (a guest page-in on the next access, not a host swap-in). */
export const PAGE_GUEST_PAGED = 32;
/** Armed for active-memory sampling (Host.armTouchSample): the next access clears it, at the cost of a minor fault. */
export const PAGE_TOUCH_SAMPLE = 64;
/**
 * A huge page split into base pages (Host.splitPage): it has no frame of its own any more; every
 * access goes to one of its 4 KiB sub-pages. Set by the engine only.
 */
export const PAGE_SPLIT = 128;
/** A 4 KiB sub-page of a split huge page: its frame counts 4 KiB / pageBytes of a frame. Set by the engine only. */
export const PAGE_BASE = 1 << 16;

export interface Host {
  /** Current simulated time in ns (time of the access or timer being handled). */
  now(): number;
  readonly pageBytes: number;
  readonly tiers: number;
  readonly cpus: number;
  /** Kernel CPU the engine charges per sample drained (cost.sampleNs), for policies that budget their sampler. */
  readonly sampleCostNs: number;
  /** Capacity, frames in use and free frames of a tier. */
  capacity(tier: number): number;
  used(tier: number): number;
  free(tier: number): number;
  /** Pages known so far; page ids are dense, 0 … pageCount() − 1, in first-touch order. */
  pageCount(): number;
  /**
   * Pages the run expects to touch (the translated stream's pages, or the footprint its source
   * reports), known before the first access: a hint to size per-page columns once instead of
   * growing them by doubling (each doubling copies, and fresh memory costs a page fault per 4 KiB).
   * Page ids may go past it (sub-pages of split huge pages, sources of unknown footprint).
   */
  expectedPages?(): number;
  /** Tier holding the page's frame, or -1 if the page is swapped out. */
  tierOf(page: number): number;
  /** Virtual page number (low 32 bits / high bits) and VM of a page, e.g. to walk in address order. */
  vpnLo(page: number): number;
  vpnHi(page: number): number;
  vmOf(page: number): number;
  /** Page type (sim/page-types.ts PT_*: 0 anon, 1 shmem, 2 file-mapped, 3 unmapped page cache); 0 when the run declares no types. */
  pageType(page: number): number;
  /** The run declares page types (typed regions): kernels then keep separate anon and file LRUs. */
  pageTypesOn(): boolean;
  /** PSI memory `some` total so far, in ns: time the workload stalled on memory (sim/psi.ts); what Senpai reads. */
  memPressureNs(): number;
  /** PSI averages now (sim/psi.ts, psi.c update_averages): [memory some avg10, avg60, io some avg10, avg60] in %. */
  pressureAverages(): Float64Array;
  /**
   * Move the page's frame to `tier`. Synchronous when called from a fault (the faulting CPU stalls
   * for the copy, fixed cost and TLB shootdown); asynchronous otherwise or when `async` is true
   * (kernel CPU and bandwidth only). Returns false and changes nothing if the tier is full, is
   * already the page's tier, or the page is long-term pinned (sim/pins.ts; refusals are counted).
   */
  migrate(page: number, tier: number, async?: boolean): boolean;
  /**
   * Reclaim the page's frame to swap (the slow backing store below every tier). The next access
   * takes a major fault (cost.swapInNs, stalls that CPU) and the page is placed again through
   * place() with onFault(page, FAULT_SWAP_IN). A dirty page costs a write-back (cost.swapOutNs of
   * kernel CPU). Returns false if the page has no frame or is long-term pinned (unevictable). A
   * shared frame is freed only when its last page is evicted. Called in a fault (direct reclaim,
   * reclaim over a memory limit), its synchronous work (TLB shootdown, zswap compression) stalls
   * the faulting task; `async` = true says a reclaimer thread or agent does it (kswapd-like, a
   * proactive reclaimer woken by the fault): kernel CPU only.
   */
  evict(page: number, async?: boolean): boolean;
  /** Periodic timer: onTimer(id) every periodNs, first after firstDelayNs (default periodNs). */
  every(periodNs: number, id: number, firstDelayNs?: number): void;
  /** One-shot timer: onTimer(id) after delayNs. */
  after(delayNs: number, id: number): void;
  /** Make the next access to the page raise onFault(page, FAULT_HINT) (NUMA PROT_NONE). Charged as a PTE scan. */
  armHintFault(page: number): void;
  /** Read and clear the page's accessed bit. Charged as a PTE scan. */
  testAndClearAccessed(page: number): boolean;
  /**
   * armHintFault over a list of pages (a scanner's pass): of pages[from … to), arms every page
   * that has a frame in a tier ≥ minTier and is not armed yet (change_prot_numa's rule; pages it
   * skips cost nothing, as a scanner reading a PTE it leaves alone), charged exactly as one
   * armHintFault per page armed. Writes the armed pages to `armed` (from index 0) when given;
   * returns how many it armed.
   */
  armHintFaults(pages: Int32Array, from: number, to: number, minTier: number, armed: Int32Array | null): number;
  /**
   * testAndClearAccessed over a list of pages: of pages[from … to), every page whose frame is in
   * `tier` (-1: every page listed, with a frame or not) is tested and cleared, charged exactly as one
   * testAndClearAccessed per page tested; pages in other tiers are skipped at no cost. Writes the
   * pages found young (accessed) to `young` (from index 0, in list order); returns how many.
   */
  testAndClearAccessedList(pages: Int32Array, from: number, to: number, tier: number, young: Int32Array): number;
  /**
   * Copy the VM and virtual page number of pages [from, to) into the given columns (at the same
   * indices), free. `zeroed`: the columns hold 0 at [from, to) already (never written since they
   * were allocated), so zero values are not written: a fresh column's memory that stays 0 (the VM
   * and high words of most runs) is never touched (speed: a first write to fresh memory is a page fault).
   */
  copyPageKeys(from: number, to: number, vm: Uint16Array, vpnHi: Uint32Array, vpnLo: Uint32Array, zeroed?: boolean): void;
  /** Engine-owned page flag bits (PAGE_*), read without cost: for policies modelling hardware that reads them for free. */
  flags(page: number): number;
  /**
   * Split a huge page into 4 KiB base pages in place (Linux split_huge_page): the sub-pages get new
   * page ids first … first + pageBytes / 4096 − 1 in address order, each mapped to its own base
   * frame in the huge page's tier (a base frame counts 4096 / pageBytes of a frame in capacity,
   * used and free), flagged PAGE_BASE; the huge page keeps its id with no frame and PAGE_SPLIT.
   * Charged cost.splitHugePageNs. Returns first, or -1 and changes nothing when the run has no huge
   * pages, the page is already split or a base page, has no frame, shares its frame, or the run
   * has the VM model on, or the page is long-term pinned.
   */
  splitPage(page: number): number;
  /** Subscribe to PEBS-style sampling of an event kind: one sample every `period` events (0 = off). */
  sample(event: number, period: number): void;
  /** Register a named policy counter (reported as policy.<name>); returns its id for count(). */
  counter(name: string): number;
  count(counterId: number, n?: number): void;
  /**
   * Kernel CPU time of the policy's own work (list walks, bookkeeping). Inside a fault hook it is
   * the faulting task's time, so it also stalls that CPU; in a timer it is a daemon's.
   */
  chargeKernelNs(ns: number): void;
  /**
   * Kernel CPU time charged so far in the run, in ns (free to read): a daemon that runs as a thread
   * (kswapd) measures how long a batch of its work took from the difference.
   */
  kernelCpuNs(): number;
  /** Page-table entries visited without a test-and-clear (skipped by a scanner, seen by a walk): n × cost.pteScanNs, counted in pteScans. */
  chargePteScans(n: number): void;
  /**
   * Free-frame watermarks of a tier: onPressure(tier, pages) is called when free frames fall below
   * lowFrames (pages = frames needed to reach highFrames); re-armed once free rises above highFrames.
   */
  setWatermarks(tier: number, lowFrames: number, highFrames: number): void;
  /** Seeded random number in [0, 1) from the run's seed, private to this policy. */
  random(): number;
  /**
   * A warning about what the run's results mean (a reserve that is a large share of a tier, a
   * daemon that needs longer than the run to settle), printed after the summary and kept in the
   * run's config.json. Shown only if the run ends before `unlessRunReachesNs` (default: always);
   * a later call with the same text replaces that time (a daemon that settled at time T passes T).
   */
  warn(text: string, unlessRunReachesNs?: number): void;
}

/**
 * The Host of the VM mechanisms (ESX ballooning, idle memory tax, page sharing): the engine
 * implements it; policies that need it call asVmHost(host). Kept apart from Host so that fakes of
 * the plain Host used by other policies' tests need not implement it.
 */
export interface VmHost extends Host {
  // ---- content-based sharing (frames with refcounts; see sim/page-table.ts)

  /** Content fingerprint last written to the page (0 = unknown: never share). Free to read: it stands for the page bytes. */
  content(page: number): number;
  /** Frame the page maps (-1 when swapped out), pages mapping a frame, and one page mapping it (-1 if none). */
  frameOf(page: number): number;
  frameRefs(frame: number): number;
  frameOwner(frame: number): number;
  /**
   * Remap `page` copy-on-write onto the frame of `withPage` after comparing their contents (the
   * byte compare): the page's old frame is freed if no one else maps it. Returns false and changes
   * nothing when either page is swapped out, the contents differ or are unknown, they already
   * share a frame, or the frame's refcount is saturated. Charged cost.pageShareNs of kernel CPU.
   */
  share(page: number, withPage: number): boolean;

  // ---- virtual machines (vm.* config keys; engine-owned per-VM state)

  /** Number of VMs (0 when the run has no VM model). */
  readonly vms: number;
  /** Configured memory, reservation and limit in pages, and shares, of a VM. */
  vmMemPages(vm: number): number;
  vmReservationPages(vm: number): number;
  vmLimitPages(vm: number): number;
  vmShares(vm: number): number;
  /** Pages of the VM backed by a host frame (P in ESX's shares-per-page ratio; a shared page counts in each VM). */
  vmMapped(vm: number): number;
  /** Pages the guest holds in its memory: backed, or paged out by the host behind its back. */
  vmGuestResident(vm: number): number;
  /** Simulated time of the VM's own clock (its slowest CPU; "VM time" of ESX's sampling periods). */
  vmNow(vm: number): number;
  /** Balloon target (set by the host's allocation policy or vm.N.balloonMiB) and current balloon size, in pages. */
  balloonTarget(vm: number): number;
  setBalloonTarget(vm: number, pages: number): void;
  balloonSize(vm: number): number;
  /**
   * The balloon driver sets the balloon size. Inflating, the guest gives its free pages first, then
   * pages out its coldest (the engine's guest model); the balloon stops short if it cannot.
   */
  setBalloonSize(vm: number, pages: number): void;
  /**
   * The guest pages `page` out to its virtual disk: the host frame is freed, the next access is a
   * guest page-in (cost.swapInNs, stalls that VM), and the write-back (cost.guestPageOutNs) is
   * charged to that VM's CPU. Returns false if the page has no frame.
   */
  guestPageOut(page: number): boolean;
  /** Record the host's estimate of the VM's active fraction (reported per VM). */
  setActiveEstimate(vm: number, fraction: number): void;
  /** Record the host's free-memory state (0 high, 1 soft, 2 hard, 3 low; reported over time). */
  setMemState(state: number): void;
  /** Stall the VM's CPUs by ns (the host blocks it, or its guest spends time paging). */
  stallVm(vm: number, ns: number): void;
  /** Arm ESX-style active-memory sampling of a page: its next access clears PAGE_TOUCH_SAMPLE (a minor fault). */
  armTouchSample(page: number): void;
}

/** The host as a VmHost, or a clear error naming the policy that needs the engine's VM support. */
export function asVmHost(host: Host, policy: string): VmHost {
  if (typeof (host as Partial<VmHost>).share !== 'function') throw new Error(`policy ${policy} needs a host with VM support (the simulation engine)`);
  return host as VmHost;
}

/**
 * The Host of the idealised oracle policies (oracle-lru, oracle-static): what no real kernel has.
 * Kept apart from Host, like VmHost, so fakes of the plain Host need not implement it; policies
 * that need it call asOracleHost(host).
 */
export interface OracleHost extends Host {
  /**
   * Move the page's frame to `tier` for free: no time, bandwidth, stall or kernel CPU, and not
   * counted as a promotion or demotion. Returns false and changes nothing if the tier is full,
   * is the page's tier already, or the page has no frame.
   */
  oracleMove(page: number, tier: number): boolean;
  /** Accesses the page receives over the whole run (needs `oracle: true` on the policy definition). */
  oracleFutureAccesses(page: number): number;
  /** The page's rank by whole-run access count, 0 = most accessed, ties by first touch (needs `oracle: true`). */
  oracleRank(page: number): number;
}

/** The host as an OracleHost, or a clear error naming the policy that needs the engine's oracle support. */
export function asOracleHost(host: Host, policy: string): OracleHost {
  if (typeof (host as Partial<OracleHost>).oracleMove !== 'function') throw new Error(`policy ${policy} needs a host with oracle support (the simulation engine)`);
  return host as OracleHost;
}

/**
 * The Host of policies that manage pinned memory (sim/pins.ts): a tier's normal/movable boundary
 * and what is pinned. Kept apart from Host, like VmHost; policies that need it call asPinHost(host).
 */
export interface PinHost extends Host {
  /** Frames of the tier that may hold long-term pinned pages (its ZONE_NORMAL part; 0 for a movable tier). */
  unmovableLimit(tier: number): number;
  /**
   * Move the tier's normal/movable boundary: the limit is clamped to [frames pinned there,
   * capacity] (a memory block holding a pinned page cannot be offlined); a tier onlined movable
   * stays 0. Charged as kernel CPU (the occupied frames of the blocks moved migrate). Returns the limit set.
   */
  setUnmovableLimit(tier: number, frames: number): number;
  /** Frames of the tier holding long-term pinned pages. */
  pinnedFrames(tier: number): number;
  /** Bytes migrated so far by every policy and pin (as /proc/vmstat pgmigrate_success × page size): free to read. */
  migratedBytes(): number;
}

/** The host as a PinHost, or a clear error naming the policy that needs the engine's pinning support. */
export function asPinHost(host: Host, policy: string): PinHost {
  if (typeof (host as Partial<PinHost>).setUnmovableLimit !== 'function') throw new Error(`policy ${policy} needs a host with pinned-memory support (the simulation engine)`);
  return host as PinHost;
}

/**
 * Per-tier memory-controller counters (the uncore CHA TOR inserts and occupancy that Colloid reads):
 * kept apart from Host, like OracleHost, so fakes of the plain Host need not implement them;
 * policies that need them call asLoadHost(host). Counts cover the workload's and any antagonist's
 * traffic (the counters see the whole socket) and advance once per bandwidth window
 * (machine.bandwidthWindowUs), as sampled counters do. Free to read.
 */
export interface LoadHost extends Host {
  /** Cache lines that arrived at the tier so far (TOR inserts). */
  tierArrivals(tier: number): number;
  /** Summed latency of those lines so far, ns (TOR occupancy integrated over time: Little's law gives latency = Δoccupancy / Δarrivals). */
  tierOccupancyNs(tier: number): number;
}

/** The host as a LoadHost, or a clear error naming the policy that needs the engine's load counters. */
export function asLoadHost(host: Host, policy: string): LoadHost {
  if (typeof (host as Partial<LoadHost>).tierArrivals !== 'function') throw new Error(`policy ${policy} needs a host with per-tier load counters (the simulation engine)`);
  return host as LoadHost;
}

/**
 * The Host of Nomad's transactional promotion and page shadowing (OSDI'24; sim/shadow-ops.ts): kept
 * apart from Host, like VmHost, so fakes of the plain Host need not implement it; policies that
 * need it call asShadowHost(host). Shadows exist only for private 4 KiB pages outside the VM model.
 */
export interface ShadowHost extends Host {
  /** Read and clear the page's PTE dirty bit (the start of a transactional copy). Charged as a PTE scan. */
  testAndClearDirty(page: number): boolean;
  /**
   * Commit a copy-and-remap: move the page to the faster `tier` asynchronously, keep its old frame as
   * a clean shadow copy (still counted in its tier) and write-protect the page; its first write
   * drops the shadow (a write-protect fault), and a later migrate() back to the shadow's tier is a
   * remap with no copy. Charged as an asynchronous migration. Returns false and changes nothing if
   * the page is not single-mapped, already has a shadow, `tier` is not faster or has no room.
   */
  migrateKeepShadow(page: number, tier: number): boolean;
  /** A copy to `tier` that was thrown away (written during it): its bytes and copy time are charged, nothing moves. */
  chargeAbortedCopy(page: number, tier: number): void;
  /** Tier of the page's shadow frame, or -1 if it has none. Free to read. */
  shadowTier(page: number): number;
  /** Free the page's shadow frame (reclaim of shadows). Returns false if it has none. */
  dropShadow(page: number): boolean;
  /** Add 1 to this policy counter (an id from counter()) each time the engine drops a shadow because its page was written. */
  countShadowWriteBreaks(counterId: number): void;
}

/** The host as a ShadowHost, or a clear error naming the policy that needs the engine's shadow support. */
export function asShadowHost(host: Host, policy: string): ShadowHost {
  if (typeof (host as Partial<ShadowHost>).migrateKeepShadow !== 'function') throw new Error(`policy ${policy} needs a host with page-shadowing support (the simulation engine)`);
  return host as ShadowHost;
}

/**
 * The Host of translation-aware mechanisms (policies/thp-range.ts; README "Translation-aware
 * migration"): the 2 MiB ranges that transparent huge pages map with 4 KiB pages (fallen back at
 * fault, or split). Kept apart from Host, like VmHost; policies that need it call asThpHost(host).
 */
export interface ThpHost extends Host {
  /**
   * The huge page id of the 2 MiB range, mapped with 4 KiB pages now, that holds `page` (`page`
   * itself when it is that split huge page, PAGE_SPLIT), or -1 (a whole huge page, a 4 KiB run, a
   * retired sub-page id of a range collapsed since). Free to read.
   */
  rangeOf(page: number): number;
  /** The first of that range's 512 4 KiB page ids (first … first + 511, in address order), or -1. Free to read. */
  rangeFirst(range: number): number;
  /**
   * MADV_COLLAPSE (mm/khugepaged.c madvise_collapse, Linux 6.1): collapse the range into one 2 MiB
   * page in the tier holding most of its pages (ties: the faster), as khugepaged does but without
   * its young-page requirement. Needs thp.enabled, no page swapped out (pages never touched are
   * zero-filled), the others private and unpinned, and a free 2 MiB block in that tier. Charged as khugepaged's collapse (2 MiB copy, one range TLB
   * flush, thp.collapseFixedNs). The old 4 KiB ids are retired (frame-less); the range's huge page
   * id is mapped again. Returns false and changes nothing when it cannot.
   */
  collapseRange(range: number): boolean;
}

/** The host as a ThpHost, or a clear error naming the policy that needs the engine's huge-page ranges. */
export function asThpHost(host: Host, policy: string): ThpHost {
  if (typeof (host as Partial<ThpHost>).collapseRange !== 'function') throw new Error(`policy ${policy} needs a host with transparent huge-page support (the simulation engine)`);
  return host as ThpHost;
}

/**
 * The Host of reclaimers that count accesses through file descriptors (MGLRU's refs, sim/page-ops.ts
 * fdCount): kept apart from Host, like VmHost, so fakes of the plain Host need not implement it;
 * a policy tests for it with fdHostOf(host). An access to an unmapped page-cache page (PT_CACHE) is
 * a read() or write() copy, which marks the folio accessed in the syscall (folio_mark_accessed);
 * the engine can count such accesses per page, for free, without a fault.
 */
export interface FdHost extends Host {
  /**
   * Reset the page's count of accesses to 0 and count its later accesses (each one a read() or
   * write() of the page), up to FD_COUNT_MAX; no cost and no fault. Returns false and counts nothing
   * when the page has no frame or the run has the VM model on (its active-memory sampling uses the
   * same trap).
   */
  armFdCount(page: number): boolean;
  /** Accesses counted since armFdCount (0 … FD_COUNT_MAX; 0 when not armed). Free to read. */
  fdCount(page: number): number;
}

/** Accesses a page's fd count saturates at (sim/page-ops.ts): past it the engine stops counting. */
export const FD_COUNT_MAX = 8;

/** The host as an FdHost, or null when it cannot count accesses through file descriptors (a test fake). */
export function fdHostOf(host: Host): FdHost | null {
  return typeof (host as Partial<FdHost>).armFdCount === 'function' ? (host as FdHost) : null;
}

export interface PolicyHooks {
  /** Tier preferred for a page being allocated on first touch (the engine falls back to slower tiers, then faster ones, when full). */
  place?(page: number, cpu: number): number;
  /** A fault: FAULT_FIRST_TOUCH or FAULT_SWAP_IN (after allocation, page already placed) or FAULT_HINT. */
  onFault?(page: number, kind: number, cpu: number): void;
  /**
   * A PEBS-style sample drained from the ring buffer. subpage: the sampled address's 4 KiB sub-page
   * within a huge page (0 … pageBytes / 4096 − 1; 0 with 4 KiB pages), as the sample carries the
   * full data address.
   */
  onSample?(page: number, event: number, subpage: number): void;
  onTimer?(id: number): void;
  /** A tier's free frames fell below its low watermark, or an allocation found every tier full. */
  onPressure?(tier: number, pages: number): void;
  /**
   * Another attached policy's Host.migrate moved `page` from tier `from` to `to` (for `--with`
   * mechanisms that extend what the policy moves; called inside that migrate call, after the move).
   * Never for the policy's own migrations nor the engine's (splits, pins, khugepaged); a policy
   * without this hook costs nothing.
   */
  onMigrated?(page: number, from: number, to: number): void;
  /**
   * The 2 MiB range of huge page `range`, mapped with 4 KiB pages (ids first … first + 511), was
   * collapsed into one 2 MiB page again (khugepaged or MADV_COLLAPSE), now mapped in `tier` under
   * the id `range`; the 4 KiB ids are retired (no frame; host calls on them fail). As Linux frees
   * the old folios and prepares a new THP (prep_transhuge_page), a policy with lists drops the old
   * ids and takes the huge page as a new one. Called after the collapse, outside any Host call of
   * the policy told.
   */
  onCollapsed?(range: number, first: number, tier: number): void;
  /** For idealised baselines only (no real kernel sees every access); named so that this is obvious. */
  onAccessOracle?(page: number, isWrite: boolean): void;
}

export interface ParamSpec {
  default: number | string | boolean;
  doc: string;
  min?: number;
  max?: number;
  integer?: boolean;
  choices?: readonly string[];
}

export type ParamValues<P extends Record<string, ParamSpec>> = {
  [K in keyof P]: P[K]['default'] extends number ? number : P[K]['default'] extends boolean ? boolean : string;
};

export interface PolicyDefinition<P extends Record<string, ParamSpec> = Record<string, ParamSpec>> {
  /** Equals the file name and the --policy value. */
  name: string;
  summary: string;
  /** What it follows: paper section, kernel file and symbol. */
  source: string;
  params: P;
  /** The policy uses the VM model (VmHost): attaching it turns on per-VM accounting and content tracking. */
  vm?: boolean;
  /** An idealised oracle that reads whole-run access counts: the run counts them (over the translated stream) before it starts. */
  oracle?: boolean;
  create(params: ParamValues<P>, host: Host): PolicyHooks;
}

export function definePolicy<P extends Record<string, ParamSpec>>(def: PolicyDefinition<P>): PolicyDefinition<P> {
  return def;
}
