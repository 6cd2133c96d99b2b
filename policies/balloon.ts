// Memory ballooning of VMware ESX Server (Waldspurger, OSDI 2002, §3.2; FACTS §4).
//
// - The guest OS is the engine's VM model, not this policy: every VM has a guest with a free list
//   (pages it never touched), an LRU (a CLOCK over its pages with the accessed bits) and paging to
//   its virtual disk when it is short of memory (sim/engine.ts guestShrink; costs
//   cost.guestPageOutNs and, on the way back, cost.swapInNs, charged to that VM). The guest can
//   hold its configured memory less its kernel's memory-sized structures (vm.guestOsBytesPer4KiB,
//   the overhead §3.2 blames for ballooning's 1.4–4.4 %) less the balloon.
// - The balloon driver polls the host for its target every pollIntervalMs (§3.2: once per second);
//   the target comes from the host's allocation policy (idle-tax) or, without one, from
//   vm.N.balloonMiB. The balloon never exceeds maxPercent of the VM's memory (ESXi
//   Mem.CtlMaxPercent = 65; ESX 2.x: 50).
// - Inflating (Host.setBalloonSize): the driver allocates pinned pages from the guest, so the guest
//   gives up its free pages first (they have no host frame: the host gains nothing now, but the
//   guest can no longer grow into them), then reclaims: its page cache first when it has one
//   (clean pages dropped, dirty ones written back; sim/vm-model.ts), then its own coldest pages,
//   paged out; the host frees their frames. At most inflateRatePagesPerS [estimate]; the balloon
//   stops short if the guest has nothing left to give.
// - Deflating returns pages to the guest's free list (it faults its paged-out pages back in on
//   demand), at most deflateRatePagesPerS [estimate].
// - Counters: inflated / deflated pages, free pages given, pages the guest paged out to fill the
//   balloon. Per-VM balloon size and guest paging are engine columns (vm-timeseries.csv).

import { definePolicy, asVmHost } from './policy.ts';
import { MAX_COUNT, MAX_SIM_MS } from '../sim/config.ts';

const TIMER_POLL = 0;

export default definePolicy({
  name: 'balloon',
  summary: 'ESX balloon driver per VM: the host sets targets; the guest gives its free pages first, then pages out its coldest (engine guest model).',
  source: 'Waldspurger, Memory Resource Management in VMware ESX Server, OSDI 2002, §3.2; ESXi Mem.CtlMaxPercent',
  vm: true,
  params: {
    pollIntervalMs: { default: 1000, min: 1e-3, max: MAX_SIM_MS, doc: 'Balloon driver poll period for its target (paper §3.2: once per second).' },
    maxPercent: { default: 65, min: 0, max: 100, doc: 'Largest balloon as % of the VM\'s memory (ESXi Mem.CtlMaxPercent = 65; ESX 2.x: 50).' },
    inflateRatePagesPerS: { default: 4096, min: 0, max: MAX_COUNT, doc: 'Most pages the balloon grows by per second (16 MiB/s of 4 KiB pages). [estimate]' },
    deflateRatePagesPerS: { default: 8192, min: 0, max: MAX_COUNT, doc: 'Most pages the balloon shrinks by per second. [estimate]' },
  },
  create(params, rawHost) {
    const host = asVmHost(rawHost, 'balloon');
    const vms = host.vms;
    const intervalS = params.pollIntervalMs / 1e3;
    const cInflated = host.counter('balloonInflatedPages');
    const cDeflated = host.counter('balloonDeflatedPages');
    const cFreeGiven = host.counter('balloonFreePagesGiven');
    const cBalloonPageOuts = host.counter('balloonGuestPageOuts');

    if (vms > 0) host.every(params.pollIntervalMs * 1e6, TIMER_POLL);

    return {
      onTimer(id) {
        if (id !== TIMER_POLL) return;
        for (let v = 0; v < vms; v++) {
          const target = Math.min(host.balloonTarget(v), Math.floor((params.maxPercent / 100) * host.vmMemPages(v)));
          const size = host.balloonSize(v);
          if (target > size) {
            const n = Math.min(target - size, Math.ceil(params.inflateRatePagesPerS * intervalS));
            const residentBefore = host.vmGuestResident(v);
            host.setBalloonSize(v, size + n); // the guest frees what it must (engine guest model)
            const grown = host.balloonSize(v) - size;
            const pagedOut = residentBefore - host.vmGuestResident(v);
            host.count(cInflated, grown);
            host.count(cBalloonPageOuts, pagedOut);
            host.count(cFreeGiven, grown - pagedOut);
          } else if (target < size) {
            const n = Math.min(size - target, Math.ceil(params.deflateRatePagesPerS * intervalS));
            host.setBalloonSize(v, size - n);
            host.count(cDeflated, n);
          }
        }
      },
    };
  },
});
