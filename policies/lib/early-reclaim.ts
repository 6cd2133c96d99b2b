// Early (proactive) reclaim: act when host memory passes X % instead of waiting for a node's low
// watermark — the "start compressing at 80 %" choice users ask about (issue 15; in the kernel,
// user space writing memory.reclaim as Senpai/TMO do, FACTS.md §6, here as a simple threshold).
//
// - Trigger: after an allocation (first touch or swap-in), if the frames in use across all tiers
//   (with the zswap pool's) exceed reclaimEarlyPct of all memory, reclaim until they are 1 % of memory below it (the
//   hysteresis keeps it from running on every fault [estimate]).
// - What it reclaims: the kernel's own LRU (classic, typed or MGLRU), slowest tier first, evicting
//   (not demoting): memory leaves the host — to zswap when zswap is on, else to swap. Asynchronous,
//   as kswapd (kernel CPU only, no stall).
// - 0 = off (the default): reclaim waits for the watermarks as before.

import type { Host } from '../policy.ts';
import type { Reclaimer } from './lru.ts';

export class EarlyReclaim {
  /** Each tier's capacity at the start: a zswap pool later takes frames out of it (sim/swap.ts). */
  private readonly capacity0: Float64Array;
  private readonly startFrames: number;
  private readonly stopFrames: number;
  private readonly evictOne: (page: number) => boolean;
  private readonly reached: () => boolean;
  /** Pages evicted by early reclaim, and runs. */
  evicted = 0;
  runs = 0;

  constructor(
    private readonly host: Host,
    pct: number,
  ) {
    this.capacity0 = new Float64Array(host.tiers);
    let total = 0;
    for (let t = 0; t < host.tiers; t++) total += this.capacity0[t] = host.capacity(t);
    this.startFrames = (total * pct) / 100;
    this.stopFrames = (total * Math.max(0, pct - 1)) / 100;
    // Made once (never per fault).
    this.evictOne = (page: number) => {
      if (!this.host.evict(page, true)) return false; // asynchronous: never stalls the task (see the header)
      this.evicted++;
      return true;
    };
    this.reached = () => this.usedFrames() <= this.stopFrames;
  }

  /** Frames in use, the zswap pool's included (it is memory too, charged as cgroup v2 charges it). */
  usedFrames(): number {
    return framesInUse(this.host, this.capacity0);
  }

  /** After an allocation: reclaim down to the stop mark if usage crossed the start mark. */
  check(reclaimer: Reclaimer): boolean {
    if (this.usedFrames() <= this.startFrames) return false;
    this.runs++;
    for (let t = this.host.tiers - 1; t >= 0 && !this.reached(); t--) reclaimer.shrink(t, this.evictOne, this.reached);
    return true;
  }
}

/** Each tier's capacity now (before a zswap pool takes frames out of it): pass to framesInUse later. */
export function startCapacities(host: Host): Float64Array {
  const c = new Float64Array(host.tiers);
  for (let t = 0; t < host.tiers; t++) c[t] = host.capacity(t);
  return c;
}

/**
 * Frames in use across all tiers, the zswap pool's included (cgroup v2 charges the pool to the
 * cgroup: memory.current). `capacity0`: each tier's capacity at the start (startCapacities).
 */
export function framesInUse(host: Host, capacity0: Float64Array): number {
  let used = 0;
  for (let t = 0; t < host.tiers; t++) used += host.used(t) + capacity0[t] - host.capacity(t);
  return used;
}
