// The policy interface. A policy is one file under policies/ that calls definePolicy(); the engine
// owns all placement state and a policy acts only through the Host, the way a kernel policy acts
// only through page tables, faults, samples, timers and reclaim. See DESIGN.md "The engine owns
// state; policies ask".

/** Fault kinds passed to PolicyHooks.onFault. */
export const FAULT_FIRST_TOUCH = 0;
export const FAULT_HINT = 1;
/** Access to a page that was evicted to swap: a major fault; the page has been placed again (a refault). */
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

export interface Host {
  /** Current simulated time in ns (time of the access or timer being handled). */
  now(): number;
  readonly pageBytes: number;
  readonly tiers: number;
  readonly cpus: number;
  /** Capacity, frames in use and free frames of a tier. */
  capacity(tier: number): number;
  used(tier: number): number;
  free(tier: number): number;
  /** Pages known so far; page ids are dense, 0 … pageCount() − 1, in first-touch order. */
  pageCount(): number;
  /** Tier holding the page's frame, or -1 if the page is swapped out. */
  tierOf(page: number): number;
  /** Virtual page number (low 32 bits / high bits) and VM of a page, e.g. to walk in address order. */
  vpnLo(page: number): number;
  vpnHi(page: number): number;
  vmOf(page: number): number;
  /**
   * Move the page's frame to `tier`. Synchronous when called from a fault (the faulting CPU stalls
   * for the copy, fixed cost and TLB shootdown); asynchronous otherwise or when `async` is true
   * (kernel CPU and bandwidth only). Returns false and changes nothing if the tier is full or is
   * already the page's tier.
   */
  migrate(page: number, tier: number, async?: boolean): boolean;
  /**
   * Reclaim the page's frame to swap (the slow backing store below every tier). The next access
   * takes a major fault (cost.swapInNs, stalls that CPU) and the page is placed again through
   * place() with onFault(page, FAULT_SWAP_IN). A dirty page costs a write-back (cost.swapOutNs of
   * kernel CPU). Returns false if the page has no frame. A shared frame is freed only when its
   * last page is evicted.
   */
  evict(page: number): boolean;
  /** Periodic timer: onTimer(id) every periodNs, first after firstDelayNs (default periodNs). */
  every(periodNs: number, id: number, firstDelayNs?: number): void;
  /** One-shot timer: onTimer(id) after delayNs. */
  after(delayNs: number, id: number): void;
  /** Make the next access to the page raise onFault(page, FAULT_HINT) (NUMA PROT_NONE). Charged as a PTE scan. */
  armHintFault(page: number): void;
  /** Read and clear the page's accessed bit. Charged as a PTE scan. */
  testAndClearAccessed(page: number): boolean;
  /** Engine-owned page flag bits (PAGE_*), read without cost: for policies modelling hardware that reads them for free. */
  flags(page: number): number;
  /** Subscribe to PEBS-style sampling of an event kind: one sample every `period` events (0 = off). */
  sample(event: number, period: number): void;
  /** Register a named policy counter (reported as policy.<name>); returns its id for count(). */
  counter(name: string): number;
  count(counterId: number, n?: number): void;
  /** Kernel CPU time spent by the policy's own daemons (list walks, bookkeeping). */
  chargeKernelNs(ns: number): void;
  /**
   * Free-frame watermarks of a tier: onPressure(tier, pages) is called when free frames fall below
   * lowFrames (pages = frames needed to reach highFrames); re-armed once free rises above highFrames.
   */
  setWatermarks(tier: number, lowFrames: number, highFrames: number): void;
  /** Seeded random number in [0, 1) from the run's seed, private to this policy. */
  random(): number;
}

export interface PolicyHooks {
  /** Tier preferred for a page being allocated on first touch (the engine falls back to slower tiers, then faster ones, when full). */
  place?(page: number, cpu: number): number;
  /** A fault: FAULT_FIRST_TOUCH or FAULT_SWAP_IN (after allocation, page already placed) or FAULT_HINT. */
  onFault?(page: number, kind: number, cpu: number): void;
  /** A PEBS-style sample drained from the ring buffer. */
  onSample?(page: number, event: number): void;
  onTimer?(id: number): void;
  /** A tier's free frames fell below its low watermark, or an allocation found every tier full. */
  onPressure?(tier: number, pages: number): void;
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
  create(params: ParamValues<P>, host: Host): PolicyHooks;
}

export function definePolicy<P extends Record<string, ParamSpec>>(def: PolicyDefinition<P>): PolicyDefinition<P> {
  return def;
}
