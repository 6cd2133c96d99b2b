// The Host a policy is given (sim/host.ts has the contract): one object per attached policy,
// carrying the policy's index so that its timers, counters and random are its own. Every method
// is a thin call into the engine part that owns the state (memory, page operations, the VM model,
// the sampler, the oracle); host calls never re-enter the policy.

import type { Core } from './core.ts';
import type { FdHost, LoadHost, OracleHost, PinHost, ShadowHost, ThpHost, VmHost } from './host.ts';
import { C_KERNEL_CPU_NS, C_MIGRATED_BYTES, LOAD_ARRIVALS, LOAD_OCCUPANCY_NS, loadBase } from './stats.ts';
import { ShadowOps } from './shadow-ops.ts';
import { PIN_SPLIT_REFUSED } from './pins.ts';
import { EVICT_HOST } from './memory.ts';

export class PolicyHost implements VmHost, OracleHost, LoadHost, ShadowHost, PinHost, ThpHost, FdHost {
  readonly pageBytes: number;
  readonly tiers: number;
  readonly cpus: number;
  readonly sampleCostNs: number;
  readonly vms: number;
  private readonly shadows: ShadowOps;

  constructor(
    private readonly core: Core,
    private readonly owner: number,
  ) {
    this.pageBytes = core.pageBytes;
    this.tiers = core.tiers;
    this.cpus = core.cpus;
    this.sampleCostNs = core.cost.sampleNs;
    this.vms = core.vm.count;
    this.shadows = new ShadowOps(core);
  }

  // ---- reading state (free)

  now(): number {
    return this.core.nowNs;
  }
  capacity(tier: number): number {
    return this.core.memory.capacityFrames[tier];
  }
  used(tier: number): number {
    return this.core.memory.usedFrames[tier];
  }
  free(tier: number): number {
    return this.core.memory.capacityFrames[tier] - this.core.memory.usedFrames[tier];
  }
  pageCount(): number {
    return this.core.memory.pages;
  }
  expectedPages(): number {
    return this.core.expectedPages;
  }
  tierOf(page: number): number {
    return this.core.memory.tierOf(page);
  }
  vpnLo(page: number): number {
    return this.core.ids.vpnLo(page);
  }
  vpnHi(page: number): number {
    return this.core.ids.vpnHi(page);
  }
  vmOf(page: number): number {
    return this.core.ids.vm(page);
  }
  pageType(page: number): number {
    return this.core.types.of(page);
  }
  pageTypesOn(): boolean {
    return this.core.types.on;
  }
  memPressureNs(): number {
    return this.core.psi.memSomeTotalNs();
  }
  pressureAverages(): Float64Array {
    return this.core.psi.averages(this.core.nowNs);
  }
  flags(page: number): number {
    return this.core.memory.publicFlags(page);
  }
  tierArrivals(tier: number): number {
    return this.core.counters[loadBase(this.core.tiers, tier) + LOAD_ARRIVALS];
  }
  tierOccupancyNs(tier: number): number {
    return this.core.counters[loadBase(this.core.tiers, tier) + LOAD_OCCUPANCY_NS];
  }
  copyPageKeys(from: number, to: number, vm: Uint16Array, vpnHi: Uint32Array, vpnLo: Uint32Array, zeroed = false): void {
    this.core.ops.copyPageKeys(from, to, vm, vpnHi, vpnLo, zeroed);
  }

  // ---- page operations (charged)

  migrate(page: number, tier: number, async = false): boolean {
    const policies = this.core.policies;
    if (policies.migrateListeners.length === 0) return this.core.ops.migrate(page, tier, async);
    // A --with mechanism listens (onMigrated): tell it what this policy moved.
    const from = this.core.memory.tierOf(page);
    const ok = this.core.ops.migrate(page, tier, async);
    if (ok) policies.migrated(this.owner, page, from, tier);
    return ok;
  }
  evict(page: number, async = false): boolean {
    return this.core.ops.evict(page, EVICT_HOST, async);
  }
  armHintFault(page: number): void {
    this.core.ops.armHintFault(page);
  }
  testAndClearAccessed(page: number): boolean {
    return this.core.ops.testAndClearAccessed(page);
  }
  armHintFaults(pages: Int32Array, from: number, to: number, minTier: number, armed: Int32Array | null): number {
    return this.core.ops.armHintFaults(pages, from, to, minTier, armed);
  }
  testAndClearAccessedList(pages: Int32Array, from: number, to: number, tier: number, young: Int32Array): number {
    return this.core.ops.testAndClearAccessedList(pages, from, to, tier, young);
  }
  splitPage(page: number): number {
    // can_split_folio fails on a pinned folio's extra references (sim/pins.ts).
    if (this.core.pins.isPinned(page)) {
      this.core.pins.counters[PIN_SPLIT_REFUSED]++;
      return -1;
    }
    return this.core.huge.split(page);
  }
  chargeKernelNs(ns: number): void {
    this.core.ops.chargeKernelNs(ns);
  }
  kernelCpuNs(): number {
    return this.core.counters[C_KERNEL_CPU_NS];
  }
  chargePteScans(n: number): void {
    this.core.ops.chargePteScans(n);
  }

  // ---- huge-page ranges mapped with 4 KiB pages (sim/huge-pages.ts, sim/thp.ts)

  rangeOf(page: number): number {
    return this.core.huge.rangeOf(page);
  }
  rangeFirst(range: number): number {
    return this.core.huge.rangeOf(range) === range ? this.core.huge.splitBase[range] : -1;
  }
  collapseRange(range: number): boolean {
    const thp = this.core.huge.thp;
    return thp !== null && this.core.huge.rangeOf(range) === range && thp.collapseNow(range) > 0;
  }

  // ---- pinned memory (sim/pins.ts)

  unmovableLimit(tier: number): number {
    return this.core.pins.limit[tier];
  }
  setUnmovableLimit(tier: number, frames: number): number {
    return this.core.pins.setLimit(tier, frames);
  }
  pinnedFrames(tier: number): number {
    return this.core.pins.pinnedFrames[tier];
  }
  migratedBytes(): number {
    return this.core.counters[C_MIGRATED_BYTES];
  }

  // ---- timers, sampling, watermarks, counters, random

  every(periodNs: number, id: number, firstDelayNs = periodNs): void {
    this.core.policies.every(this.owner, periodNs, id, firstDelayNs);
  }
  after(delayNs: number, id: number): void {
    this.core.policies.after(this.owner, delayNs, id);
  }
  sample(event: number, period: number): void {
    this.core.sampler.subscribe(event, period);
  }
  setWatermarks(tier: number, lowFrames: number, highFrames: number): void {
    this.core.faults.setWatermarks(tier, lowFrames, highFrames);
  }
  counter(name: string): number {
    return this.core.policies.counter(this.owner, name);
  }
  count(counterId: number, n = 1): void {
    this.core.policies.counterValues[counterId] += n;
  }
  warn(text: string, unlessRunReachesNs = Infinity): void {
    this.core.warnings.set(`${this.core.policies.names[this.owner]}: ${text}`, unlessRunReachesNs);
  }
  random(): number {
    return this.core.policies.random(this.owner);
  }

  // ---- VM model (VmHost)

  content(page: number): number {
    return this.core.vm.content(page);
  }
  frameOf(page: number): number {
    return this.core.memory.frame[page];
  }
  frameRefs(frame: number): number {
    const m = this.core.memory;
    return frame >= 0 && frame < m.frames ? m.frameRefs[frame] : 0;
  }
  frameOwner(frame: number): number {
    const m = this.core.memory;
    return frame >= 0 && frame < m.frames && m.frameRefs[frame] > 0 ? m.framePage[frame] : -1;
  }
  share(page: number, withPage: number): boolean {
    return this.core.vm.share(page, withPage);
  }
  vmMemPages(vm: number): number {
    return this.core.vm.spec.memPages[vm];
  }
  vmReservationPages(vm: number): number {
    return this.core.vm.spec.reservationPages[vm];
  }
  vmLimitPages(vm: number): number {
    return this.core.vm.spec.limitPages[vm];
  }
  vmShares(vm: number): number {
    return this.core.vm.spec.shares[vm];
  }
  vmMapped(vm: number): number {
    return this.core.vm.mapped(vm);
  }
  vmGuestResident(vm: number): number {
    return this.core.vm.guestResident(vm);
  }
  vmNow(vm: number): number {
    return this.core.vm.now(vm);
  }
  balloonTarget(vm: number): number {
    return this.core.vm.balloonTarget(vm);
  }
  setBalloonTarget(vm: number, pages: number): void {
    this.core.vm.setBalloonTarget(vm, pages);
  }
  balloonSize(vm: number): number {
    return this.core.vm.balloonSize(vm);
  }
  setBalloonSize(vm: number, pages: number): void {
    this.core.vm.setBalloonSize(vm, pages);
  }
  guestPageOut(page: number): boolean {
    return this.core.vm.guestPageOut(page);
  }
  setActiveEstimate(vm: number, fraction: number): void {
    this.core.vm.setActiveEstimate(vm, fraction);
  }
  setMemState(state: number): void {
    this.core.vm.memState = state;
  }
  stallVm(vm: number, ns: number): void {
    this.core.vm.stall(vm, ns);
  }
  armTouchSample(page: number): void {
    this.core.ops.armTouchSample(page);
  }

  // ---- accesses through file descriptors (FdHost)

  armFdCount(page: number): boolean {
    return this.core.ops.armFdCount(page);
  }
  fdCount(page: number): number {
    return this.core.ops.fdCount(page);
  }

  // ---- oracles (OracleHost)

  oracleMove(page: number, tier: number): boolean {
    return this.core.ops.oracleMove(page, tier);
  }
  oracleFutureAccesses(page: number): number {
    return this.core.oracle(this.core.policies.names[this.owner]).futureAccesses(page);
  }
  oracleRank(page: number): number {
    return this.core.oracle(this.core.policies.names[this.owner]).rank(page);
  }

  // ---- page shadowing (ShadowHost)

  testAndClearDirty(page: number): boolean {
    return this.shadows.testAndClearDirty(page);
  }
  migrateKeepShadow(page: number, tier: number): boolean {
    return this.shadows.migrateKeepShadow(page, tier);
  }
  chargeAbortedCopy(page: number, tier: number): void {
    this.shadows.chargeAbortedCopy(page, tier);
  }
  shadowTier(page: number): number {
    return this.shadows.shadowTier(page);
  }
  dropShadow(page: number): boolean {
    return this.shadows.dropShadow(page);
  }
  countShadowWriteBreaks(counterId: number): void {
    this.core.memory.shadowBreakCounter = counterId;
  }
}
