// The ESX Server host allocation policy: shares, the idle memory tax and the free-memory states
// (Waldspurger, OSDI 2002, §5.1–5.3 and §6.3; FACTS §4). Run it with balloon (the reclaim it
// prefers) and optionally page-sharing: `--policy first-touch --with balloon,idle-tax,page-sharing`.
//
// - Shares (§5.1): vm.N.shares, default 10 per MB of configured memory; reservation and limit
//   (vm.N.reservationMiB / limitMiB) bound each VM's target.
// - Idle memory tax (§5.2): min-funding revocation on ρ = S / (P · (f + k(1 − f))), k = 1/(1 − τ),
//   taxRate τ = 0.75. Every reallocIntervalS (15 s) the host starts each VM at its demand (its
//   configured memory, at most its limit) and takes pages from the VM with the lowest ρ until the
//   targets fit host memory less the high free threshold (plus frames saved by sharing). f is the
//   active share of the pages P being priced: the VM's active pages (estimate × configured memory)
//   over P, at most 1. Targets become balloon targets (configured memory − target).
// - Active memory (§5.3): per VM, every samplePeriodS (30 s) samplePages (100) of the VM's
//   "physical" pages (its configured memory) are drawn uniformly; a draw that lands on a page the
//   guest holds arms that page (Host.armTouchSample: the next access takes a minor fault and
//   clears the mark); one on its free, balloon or kernel memory is an untouched sample. At the
//   period's end f = touched / sampled feeds a slow and a fast moving average (gains [estimate]);
//   the estimate is the max of slow, fast and fast-with-the-current-partial-count. Periods run on
//   simulated host time, which is each VM's time while it runs (each VM has its own CPUs here).
// - Free-memory states (§6.3): high 6 %, soft 4 %, hard 2 %, low 1 % of host memory, checked every
//   stateCheckMs [estimate]. high: no reclaim (balloon targets may only fall). soft: ballooning,
//   and host paging only where ballooning is not possible: a VM above its target whose balloon did
//   not grow over a whole reallocation interval while short of its target (no driver, driver at
//   its Mem.CtlMaxPercent cap, or a guest with nothing left to give) is host-paged down to its
//   target. hard: host paging (Host.evict of random unshared pages, to swap, the slow backing
//   store) from the VMs furthest above target until free memory is back over the soft threshold
//   plus the margin (so the state can rise again); ballooning continues. low: as hard, and every
//   VM above its target is blocked (its CPUs stall) for the check period. Rising a state needs free
//   memory at the better state's threshold plus stateMarginPct [estimate].
// - Every tier full during a fault (onPressure with no free frame in the host): host paging at
//   once from VMs above target (else the lowest ρ), so that the fault can be served. A single
//   tier's watermark pressure is left to the tiering policy.

import { definePolicy, asVmHost, FAULT_FIRST_TOUCH, PAGE_GUEST_PAGED, PAGE_TOUCH_SAMPLE } from './policy.ts';
import { VmPageLists } from '../sim/vm-pages.ts';
import { STATE_HARD, STATE_HIGH, STATE_LOW, STATE_SOFT, activeEstimate, adjustedSharesPerPage, minFundingTargets, nextMemState } from './lib/esx-alloc.ts';
import { MAX_SIM_MS } from '../sim/config.ts';

const TIMER_REALLOC = 1;
const TIMER_STATE = 2;
/** Per-VM sampling timers: TIMER_SAMPLE_BASE + vm (each VM's periods start at the first reallocation that finds it running). */
const TIMER_SAMPLE_BASE = 16;

export default definePolicy({
  name: 'idle-tax',
  summary: 'ESX host allocation: min-funding revocation with the idle memory tax, active-memory sampling, free-memory states choosing balloon, host paging or blocking.',
  source: 'Waldspurger, Memory Resource Management in VMware ESX Server, OSDI 2002, §5 (shares, idle tax, §5.3 sampling) and §6.3 (free-memory states)',
  vm: true,
  params: {
    taxRate: { default: 0.75, min: 0, max: 0.99, doc: 'Idle memory tax τ (ESX default 75 %: an idle page costs k = 1/(1 − τ) = 4 active ones).' },
    samplePages: { default: 100, min: 1, max: 1e6, integer: true, doc: 'Pages sampled per VM per period (paper §5.3: 100).' },
    samplePeriodS: { default: 30, min: 1e-6, max: MAX_SIM_MS / 1e3, doc: 'Active-memory sampling period (paper §5.3: 30 s of VM time).' },
    slowGain: { default: 0.1, min: 0, max: 1, doc: 'Gain of the slow moving average of the touched fraction, per period. [estimate]' },
    fastGain: { default: 0.5, min: 0, max: 1, doc: 'Gain of the fast moving average of the touched fraction, per period. [estimate]' },
    initialActive: { default: 0, min: 0, max: 1, doc: 'Active fraction assumed before the first sample. [estimate]' },
    reallocIntervalS: { default: 15, min: 1e-6, max: MAX_SIM_MS / 1e3, doc: 'Period of the reallocation (targets) (paper: 15 s).' },
    highPct: { default: 6, min: 0, max: 100, doc: 'High free-memory threshold, % of host memory (§6.3: 6).' },
    softPct: { default: 4, min: 0, max: 100, doc: 'Soft threshold: ballooning below it (§6.3: 4).' },
    hardPct: { default: 2, min: 0, max: 100, doc: 'Hard threshold: host paging below it (§6.3: 2).' },
    lowPct: { default: 1, min: 0, max: 100, doc: 'Low threshold: host paging and blocking VMs above target below it (§6.3: 1).' },
    stateMarginPct: { default: 0.5, min: 0, max: 100, doc: 'Free memory above the better state\'s threshold needed to move up a state (paper gives no figure). [estimate]' },
    stateCheckMs: { default: 100, min: 1e-3, max: MAX_SIM_MS, doc: 'Period at which the free-memory state is evaluated and acted on. [estimate]' },
  },
  create(params, rawHost) {
    const host = asVmHost(rawHost, 'idle-tax');
    const vms = host.vms;
    const pages = new VmPageLists(vms);
    const n = params.samplePages;
    const thresholds = [params.highPct, params.softPct, params.hardPct, params.lowPct];
    const sampled = new Int32Array(vms * n).fill(-1);
    const slow = new Float64Array(vms).fill(params.initialActive);
    const fast = new Float64Array(vms).fill(params.initialActive);
    const active = new Float64Array(vms).fill(params.initialActive);
    const shares = new Float64Array(vms);
    const demand = new Float64Array(vms);
    const reservation = new Float64Array(vms);
    let targets: Float64Array = new Float64Array(vms);
    let hostPages = 0;
    for (let t = 0; t < host.tiers; t++) hostPages += host.capacity(t);
    for (let v = 0; v < vms; v++) {
      shares[v] = host.vmShares(v);
      demand[v] = Math.min(host.vmMemPages(v), host.vmLimitPages(v));
      reservation[v] = host.vmReservationPages(v);
      targets[v] = demand[v];
      host.setActiveEstimate(v, params.initialActive);
    }
    let state = STATE_HIGH;
    const sampling = new Uint8Array(vms);
    /** Balloon size at the last state check, and since when (ns, -1 = not) it has been short of its target without growing. */
    const balloonLast = new Float64Array(vms);
    const stuckSinceNs = new Float64Array(vms).fill(-1);
    const cHostPaged = host.counter('hostPagedPages');
    const cBlockedNs = host.counter('blockedNs');
    const cRealloc = host.counter('reallocations');
    const cTimeSoft = host.counter('msInSoft');
    const cTimeHard = host.counter('msInHard');
    const cTimeLow = host.counter('msInLow');

    function freePages(): number {
      let free = 0;
      for (let t = 0; t < host.tiers; t++) free += host.free(t);
      return free;
    }

    function touchedInPeriod(v: number): number {
      let t = 0;
      for (let i = 0; i < n; i++) {
        const p = sampled[v * n + i];
        if (p >= 0 && (host.flags(p) & PAGE_TOUCH_SAMPLE) === 0) t++;
      }
      return t;
    }

    /**
     * A uniformly drawn "physical" page of VM v (§5.3): one of the pages its guest holds, or -1 for
     * its free, balloon or kernel memory (never touched by the workload: an untouched sample).
     */
    function samplePage(v: number): number {
      const u = host.random();
      const slot = u * host.vmMemPages(v);
      const held = host.vmGuestResident(v);
      if (slot >= held) return -1;
      // u · mem / held is uniform on [0, 1) given slot < held: one draw picks the page too. The
      // list also holds pages the guest paged out (no longer in its memory): draw again then.
      let p = pages.random(v, slot / held);
      for (let tries = 0; p >= 0 && host.flags(p) & PAGE_GUEST_PAGED && tries < 16; tries++) p = pages.random(v, host.random());
      return p >= 0 && (host.flags(p) & PAGE_GUEST_PAGED) === 0 ? p : -1;
    }

    function startPeriod(v: number): void {
      for (let i = 0; i < n; i++) {
        const p = samplePage(v);
        sampled[v * n + i] = p;
        if (p >= 0) host.armTouchSample(p);
      }
    }

    /** Active fraction of VM v's demand (targets' unit): estimate × configured memory / demand, at most 1. */
    function activeOfDemand(v: number): number {
      return demand[v] > 0 ? Math.min(1, (active[v] * host.vmMemPages(v)) / demand[v]) : 0;
    }

    function realloc(): void {
      host.count(cRealloc);
      let mapped = 0;
      for (let v = 0; v < vms; v++) {
        if (!sampling[v] && pages.count(v) > 0) {
          sampling[v] = 1;
          startPeriod(v);
          host.every(params.samplePeriodS * 1e9, TIMER_SAMPLE_BASE + v);
        }
        const partial = pages.count(v) > 0 ? touchedInPeriod(v) / n : 0;
        active[v] = activeEstimate(slow[v], fast[v], partial, params.fastGain);
        host.setActiveEstimate(v, active[v]);
        mapped += host.vmMapped(v);
      }
      // Host memory for VMs: all frames less the high free threshold, plus the frames sharing saves.
      let used = 0;
      for (let t = 0; t < host.tiers; t++) used += host.used(t);
      const saved = Math.max(0, mapped - used);
      const avail = hostPages * (1 - params.highPct / 100) + saved;
      const activeFrac = new Float64Array(vms);
      for (let v = 0; v < vms; v++) activeFrac[v] = activeOfDemand(v);
      targets = minFundingTargets(shares, demand, reservation, activeFrac, params.taxRate, avail, Math.max(1, hostPages / 1024));
      setBalloonTargets();
    }

    function setBalloonTargets(): void {
      for (let v = 0; v < vms; v++) {
        const want = Math.max(0, host.vmMemPages(v) - targets[v]);
        // High state: no reclamation, so balloon targets may fall but not rise.
        host.setBalloonTarget(v, state === STATE_HIGH ? Math.min(want, host.balloonTarget(v)) : want);
      }
    }

    /** The VM to take host pages from: the one furthest above its target, else the lowest ρ. */
    function victimVm(): number {
      let best = -1;
      let bestOver = 0;
      for (let v = 0; v < vms; v++) {
        const over = host.vmMapped(v) - targets[v];
        if (over > bestOver) {
          bestOver = over;
          best = v;
        }
      }
      if (best >= 0) return best;
      let bestRho = Infinity;
      for (let v = 0; v < vms; v++) {
        const p = host.vmMapped(v);
        if (p <= reservation[v]) continue;
        // f: the VM's active pages (estimate × configured memory) over the P pages it holds.
        const rho = adjustedSharesPerPage(shares[v], p, Math.min(1, (active[v] * host.vmMemPages(v)) / p), params.taxRate);
        if (rho < bestRho) {
          bestRho = rho;
          best = v;
        }
      }
      return best;
    }

    /** Host paging of one random unshared page of VM v (ESX swaps random pages). */
    function hostPageOne(v: number): boolean {
      for (let tries = 0; tries < 16; tries++) {
        const p = pages.random(v, host.random());
        if (p < 0) return false;
        const f = host.frameOf(p);
        if (f < 0 || host.frameRefs(f) > 1) continue;
        if (host.evict(p)) {
          host.count(cHostPaged);
          return true;
        }
      }
      return false;
    }

    /** Host paging of up to `want` pages from the VMs furthest above target (else lowest ρ). Returns pages freed. */
    function hostPage(want: number): number {
      let freed = 0;
      let misses = 0;
      while (freed < want && misses < 64) {
        const v = victimVm();
        if (v < 0) break;
        if (hostPageOne(v)) freed++;
        else misses++;
      }
      return freed;
    }

    /** Track each balloon's progress: short of its target and not growing since when. */
    function trackBalloons(): void {
      const now = host.now();
      for (let v = 0; v < vms; v++) {
        const size = host.balloonSize(v);
        if (size < host.balloonTarget(v) && size <= balloonLast[v]) {
          if (stuckSinceNs[v] < 0) stuckSinceNs[v] = now;
        } else {
          stuckSinceNs[v] = -1;
        }
        balloonLast[v] = size;
      }
    }

    /**
     * Soft state: host-page down to its target each VM that cannot balloon: its balloon has been
     * short of its target without growing for a whole reallocation interval (no driver, the driver
     * at its Mem.CtlMaxPercent cap, or a guest with nothing left to give).
     */
    function pageUnballoonable(): void {
      const now = host.now();
      for (let v = 0; v < vms; v++) {
        if (stuckSinceNs[v] < 0 || now - stuckSinceNs[v] < params.reallocIntervalS * 1e9) continue;
        let misses = 0;
        while (host.vmMapped(v) > targets[v] && misses < 64) {
          if (!hostPageOne(v)) misses++;
        }
      }
    }

    function checkState(): void {
      const freePct = (100 * freePages()) / hostPages;
      const prev = state;
      state = nextMemState(state, freePct, thresholds, params.stateMarginPct);
      host.setMemState(state);
      if (state !== prev) setBalloonTargets();
      trackBalloons();
      if (state === STATE_HIGH) return;
      pageUnballoonable();
      if (state === STATE_SOFT) host.count(cTimeSoft, params.stateCheckMs);
      if (state >= STATE_HARD) {
        host.count(state === STATE_HARD ? cTimeHard : cTimeLow, params.stateCheckMs);
        // Page until free memory clears the soft threshold plus the margin: the point at which
        // the state rises back to soft, where ballooning carries on towards the high threshold.
        const want = Math.ceil((hostPages * (params.softPct + params.stateMarginPct)) / 100) - freePages();
        if (want > 0) hostPage(want);
      }
      if (state === STATE_LOW) {
        const ns = params.stateCheckMs * 1e6;
        for (let v = 0; v < vms; v++) {
          if (host.vmMapped(v) > targets[v]) {
            host.stallVm(v, ns);
            host.count(cBlockedNs, ns);
          }
        }
      }
    }

    if (vms > 0) {
      host.every(params.reallocIntervalS * 1e9, TIMER_REALLOC);
      host.every(params.stateCheckMs * 1e6, TIMER_STATE);
    }

    return {
      onFault(page, kind) {
        if (kind === FAULT_FIRST_TOUCH) pages.add(host.vmOf(page), page);
      },
      onTimer(id) {
        if (id >= TIMER_SAMPLE_BASE) {
          const v = id - TIMER_SAMPLE_BASE;
          const f = touchedInPeriod(v) / n;
          slow[v] += params.slowGain * (f - slow[v]);
          fast[v] += params.fastGain * (f - fast[v]);
          startPeriod(v);
        } else if (id === TIMER_REALLOC) {
          realloc();
        } else if (id === TIMER_STATE) {
          checkState();
        }
      },
      onPressure(_tier, want) {
        // Only when the host as a whole has no free frame (a fault that cannot be served); one
        // tier below its watermark is the tiering policy's business (demotion), not host paging.
        if (freePages() > 0) return;
        hostPage(Math.max(want, 32));
      },
    };
  },
});
