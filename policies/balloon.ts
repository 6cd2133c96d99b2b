// Memory ballooning of VMware ESX Server (Waldspurger, OSDI 2002, §3.2; FACTS §4), with the guest
// OS behaviour it relies on.
//
// - The guest: each VM's memory is vm.N.memMiB; the guest holds the pages it has touched and not
//   paged out (Host.vmGuestResident); pages it never touched are its free list. When a fault would
//   take the guest above its memory less its balloon, the guest pages its coldest page out to its
//   virtual disk (Host.guestPageOut; a CLOCK over its pages with the accessed bits is its LRU). A
//   later access is a guest page-in. Guest paging costs (cost.guestPageOutNs, cost.swapInNs) are
//   charged to that VM's CPUs.
// - The balloon driver polls the host for its target every pollIntervalMs (§3.2: once per second);
//   the target comes from the host's allocation policy (idle-tax) or, without one, from
//   vm.N.balloonMiB. The balloon never exceeds maxPercent of the VM's memory (ESXi
//   Mem.CtlMaxPercent = 65; ESX 2.x: 50).
// - Inflating: the guest gives up its free pages first (they have no host frame, so the host gains
//   nothing but the guest cannot grow into them), then pages out its own coldest pages, whose host
//   frames are freed. At most inflateRatePagesPerS [estimate].
// - Deflating returns pages to the guest (it faults them back in on demand), at most
//   deflateRatePagesPerS [estimate].
// - The guest's accessed bits are the page table's: its CLOCK clears them (charged as PTE scans)
//   like any other scanner of the same bits.

import { definePolicy, asVmHost, FAULT_FIRST_TOUCH, FAULT_HINT } from './policy.ts';
import { VmPageLists } from './lib/vm-pages.ts';

const TIMER_POLL = 0;

export default definePolicy({
  name: 'balloon',
  summary: 'ESX balloon driver per VM (host sets targets; guest gives free pages, then pages out its coldest) plus the guest OS paging model.',
  source: 'Waldspurger, Memory Resource Management in VMware ESX Server, OSDI 2002, §3.2; ESXi Mem.CtlMaxPercent',
  vm: true,
  params: {
    pollIntervalMs: { default: 1000, min: 1e-3, doc: 'Balloon driver poll period for its target (paper §3.2: once per second).' },
    maxPercent: { default: 65, min: 0, max: 100, doc: 'Largest balloon as % of the VM\'s memory (ESXi Mem.CtlMaxPercent = 65; ESX 2.x: 50).' },
    inflateRatePagesPerS: { default: 4096, min: 0, doc: 'Most pages the balloon grows by per second (16 MiB/s of 4 KiB pages). [estimate]' },
    deflateRatePagesPerS: { default: 8192, min: 0, doc: 'Most pages the balloon shrinks by per second. [estimate]' },
  },
  create(params, rawHost) {
    const host = asVmHost(rawHost, 'balloon');
    const vms = host.vms;
    const pages = new VmPageLists(vms);
    const intervalS = params.pollIntervalMs / 1e3;
    const cInflated = host.counter('balloonInflatedPages');
    const cDeflated = host.counter('balloonDeflatedPages');
    const cFreeGiven = host.counter('balloonFreePagesGiven');
    const cBalloonPageOuts = host.counter('balloonGuestPageOuts');
    const cShortPageOuts = host.counter('guestShortPageOuts');

    /** The guest's CLOCK: page out its first backed page not referenced since the hand passed. */
    function guestReclaim(vm: number, except: number): boolean {
      const n = pages.count(vm);
      let fallback = -1;
      for (let steps = 0; steps < 2 * n; steps++) {
        const p = pages.next(vm);
        if (p === except || host.frameOf(p) < 0) continue;
        if (host.testAndClearAccessed(p)) {
          fallback = p;
          continue;
        }
        return host.guestPageOut(p);
      }
      return fallback >= 0 && host.guestPageOut(fallback);
    }

    if (vms > 0) host.every(params.pollIntervalMs * 1e6, TIMER_POLL);

    return {
      onFault(page, kind) {
        const vm = host.vmOf(page);
        if (vm >= vms) return;
        if (kind === FAULT_FIRST_TOUCH) pages.add(vm, page);
        if (kind === FAULT_HINT) return;
        // The guest is short of memory: it pages out its own coldest pages (its direct reclaim).
        const capacity = host.vmMemPages(vm) - host.balloonSize(vm);
        while (host.vmGuestResident(vm) > capacity) {
          if (!guestReclaim(vm, page)) break;
          host.count(cShortPageOuts);
        }
      },
      onTimer(id) {
        if (id !== TIMER_POLL) return;
        for (let v = 0; v < vms; v++) {
          const mem = host.vmMemPages(v);
          const target = Math.min(host.balloonTarget(v), Math.floor((params.maxPercent / 100) * mem));
          let size = host.balloonSize(v);
          if (target > size) {
            let n = Math.min(target - size, Math.ceil(params.inflateRatePagesPerS * intervalS));
            const free = Math.max(0, mem - host.vmGuestResident(v) - size);
            const fromFree = Math.min(n, free);
            size += fromFree;
            n -= fromFree;
            host.count(cFreeGiven, fromFree);
            host.count(cInflated, fromFree);
            while (n > 0 && guestReclaim(v, -1)) {
              size++;
              n--;
              host.count(cBalloonPageOuts);
              host.count(cInflated);
            }
          } else if (target < size) {
            const n = Math.min(size - target, Math.ceil(params.deflateRatePagesPerS * intervalS));
            size -= n;
            host.count(cDeflated, n);
          }
          host.setBalloonSize(v, size);
        }
      },
    };
  },
});
