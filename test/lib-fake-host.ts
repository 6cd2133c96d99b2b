// A minimal in-memory Host for unit tests of policies/lib: pages with a tier, flag bits and an
// address; capacities per tier; a settable clock. Migration and eviction change nothing but the
// page's tier, so worked examples can be followed by hand. Not a test file (no .test suffix).

import type { Host, LoadHost } from '../policies/policy.ts';
import { PAGE_ACCESSED, PAGE_HINT_ARMED, PAGE_SWAPPED } from '../policies/policy.ts';

export class FakeHost implements Host {
  readonly pageBytes = 4096;
  readonly tiers: number;
  readonly cpus = 1;
  nowNs = 0;
  readonly caps: number[];
  readonly usedPages: number[];
  tier: number[] = [];
  flag: number[] = [];
  vpn: number[] = [];
  counters = new Map<string, number>();
  private names: string[] = [];
  /** Log of migrations and evictions, for eviction-order assertions. */
  log: string[] = [];

  constructor(caps: number[]) {
    this.caps = caps.slice();
    this.tiers = caps.length;
    this.usedPages = caps.map(() => 0);
  }

  /** Create page `id` (ids must be added densely) on `tier` at virtual page `vpn`. */
  addPage(tier: number, vpn: number, accessed = false): number {
    const id = this.tier.length;
    this.tier.push(tier);
    this.flag.push(accessed ? PAGE_ACCESSED : 0);
    this.vpn.push(vpn);
    this.usedPages[tier]++;
    return id;
  }

  touch(page: number): void {
    this.flag[page] |= PAGE_ACCESSED;
  }

  now(): number {
    return this.nowNs;
  }
  capacity(t: number): number {
    return this.caps[t];
  }
  used(t: number): number {
    return this.usedPages[t];
  }
  free(t: number): number {
    return this.caps[t] - this.usedPages[t];
  }
  pageCount(): number {
    return this.tier.length;
  }
  tierOf(p: number): number {
    return this.tier[p];
  }
  vpnLo(p: number): number {
    return this.vpn[p];
  }
  vpnHi(): number {
    return 0;
  }
  vmOf(): number {
    return 0;
  }
  /** Page type per page (PT_*), 0 (anon) unless a test sets it. */
  ptype: number[] = [];
  pageType(p: number): number {
    return this.ptype[p] ?? 0;
  }
  typesOn = false;
  pageTypesOn(): boolean {
    return this.typesOn;
  }
  /** PSI memory some total (ns), set by the test. */
  pressureNs = 0;
  memPressureNs(): number {
    return this.pressureNs;
  }
  /** PSI [mem avg10, mem avg60, io avg10, io avg60] (%), set by the test. */
  avgs = new Float64Array(4);
  pressureAverages(): Float64Array {
    return this.avgs;
  }
  migrate(p: number, t: number): boolean {
    const from = this.tier[p];
    if (from < 0 || from === t || this.usedPages[t] >= this.caps[t]) return false;
    this.usedPages[from]--;
    this.usedPages[t]++;
    this.tier[p] = t;
    this.log.push(`${t < from ? 'promote' : 'demote'} ${p}`);
    return true;
  }
  evict(p: number): boolean {
    const from = this.tier[p];
    if (from < 0) return false;
    this.usedPages[from]--;
    this.tier[p] = -1;
    this.flag[p] = PAGE_SWAPPED;
    this.log.push(`evict ${p}`);
    return true;
  }
  every(): void {}
  /** One-shot timers set through after(), due time and id, in the order set. */
  timers: Array<{ atNs: number; id: number }> = [];
  after(delayNs: number, id: number): void {
    this.timers.push({ atNs: this.nowNs + Math.max(0, delayNs), id });
  }
  /**
   * Fire the one-shot timers due by `untilNs` (all of them by default) whose id passes `only`, in
   * (time, order set) order, moving the clock to each, as the engine's event queue does; returns
   * how many fired.
   */
  runTimers(onTimer: (id: number) => void, untilNs = Infinity, only: (id: number) => boolean = () => true): number {
    let fired = 0;
    for (;;) {
      let k = -1;
      for (let i = 0; i < this.timers.length; i++) {
        const t = this.timers[i];
        if (t.atNs <= untilNs && only(t.id) && (k < 0 || t.atNs < this.timers[k].atNs)) k = i;
      }
      if (k < 0) return fired;
      const t = this.timers.splice(k, 1)[0];
      this.nowNs = Math.max(this.nowNs, t.atNs);
      onTimer(t.id);
      fired++;
    }
  }
  armHintFault(p: number): void {
    this.flag[p] |= PAGE_HINT_ARMED;
  }
  testAndClearAccessed(p: number): boolean {
    const was = (this.flag[p] & PAGE_ACCESSED) !== 0;
    this.flag[p] &= ~PAGE_ACCESSED;
    return was;
  }
  armHintFaults(pages: Int32Array, from: number, to: number, minTier: number, armed: Int32Array | null): number {
    let n = 0;
    for (let i = from; i < to; i++) {
      const p = pages[i];
      if (this.tier[p] < minTier || this.flag[p] & PAGE_HINT_ARMED) continue;
      this.armHintFault(p);
      if (armed !== null) armed[n] = p;
      n++;
    }
    return n;
  }
  testAndClearAccessedList(pages: Int32Array, from: number, to: number, tier: number, young: Int32Array): number {
    let n = 0;
    for (let i = from; i < to; i++) {
      const p = pages[i];
      if (tier >= 0 && this.tier[p] !== tier) continue;
      if (this.testAndClearAccessed(p)) young[n++] = p;
    }
    return n;
  }
  copyPageKeys(from: number, to: number, vm: Uint16Array, vpnHi: Uint32Array, vpnLo: Uint32Array): void {
    for (let p = from; p < to; p++) {
      vm[p] = 0;
      vpnHi[p] = 0;
      vpnLo[p] = this.vpn[p];
    }
  }
  flags(p: number): number {
    return this.flag[p];
  }
  sample(): void {}
  /** 4 KiB pages only: nothing to split. */
  splitPage(): number {
    return -1;
  }
  counter(name: string): number {
    const i = this.names.indexOf(name);
    if (i >= 0) return i;
    this.names.push(name);
    this.counters.set(name, 0);
    return this.names.length - 1;
  }
  count(id: number, n = 1): void {
    const name = this.names[id];
    this.counters.set(name, (this.counters.get(name) ?? 0) + n);
  }
  get(name: string): number {
    return this.counters.get(name) ?? 0;
  }
  /** Kernel CPU charged through chargeKernelNs (the fake's migrations and scans cost nothing). */
  kernelNs = 0;
  chargeKernelNs(ns: number): void {
    this.kernelNs += ns;
  }
  kernelCpuNs(): number {
    return this.kernelNs;
  }
  chargePteScans(): void {}
  readonly sampleCostNs = 500;
  setWatermarks(): void {}
  /** Host.warn calls: text → the run time that retracts it. */
  warnings = new Map<string, number>();
  warn(text: string, unlessRunReachesNs = Infinity): void {
    this.warnings.set(text, unlessRunReachesNs);
  }
  random(): number {
    return 0.5;
  }
}

/** FakeHost with settable per-tier arrival and occupancy counters (the CHA TOR counters Colloid reads). */
export class LoadFakeHost extends FakeHost implements LoadHost {
  arrivals = [0, 0];
  occupancyNs = [0, 0];
  tierArrivals(t: number): number {
    return this.arrivals[t];
  }
  tierOccupancyNs(t: number): number {
    return this.occupancyNs[t];
  }
  /** `lines` arrive at tier t, each waiting `latNs`. */
  serve(t: number, lines: number, latNs: number): void {
    this.arrivals[t] += lines;
    this.occupancyNs[t] += lines * latNs;
  }
}
