// Content-based page sharing of VMware ESX Server (Waldspurger, OSDI 2002, §4.1–4.2; FACTS §4).
//
// - Background scanner: pages are picked in random order, per VM at scanRatePerVmPagesPerS but
//   at most scanRateTotalPagesPerS over all VMs (ESX 2.x: 50 and 200 pages/s; §4.2 and the ESX
//   2.x Mem.ShareScanVM / Mem.ShareScanTotal defaults); with N VMs each gets min(perVm, total / N).
//   Hashing a page costs hashNsPerPage of kernel CPU [estimate].
// - Global hash table with chaining (§4.2): buckets and entries are typed arrays (no Map); an
//   entry is a shared frame (hash, frame) or a hint (hash, page). The simulator's content
//   fingerprint stands for the page bytes and the hash is a bijective mix of it, so equal hashes
//   mean equal contents; the engine still compares contents in Host.share (the full compare).
// - Match with a shared frame: the page is remapped copy-on-write onto it (Host.share: refcount
//   + 1, the duplicate frame freed). A frame whose 16-bit refcount is saturated is replaced as the
//   table's shared frame by the new page's frame (ESX moves overflow counts to a side table).
// - No match: the page becomes a hint (hash and back reference), not marked copy-on-write.
// - Match with a hint: the hinted page is re-hashed; if it changed (or was paged out) the hint is
//   dropped and the new page becomes the hint; else both pages share the hinted page's frame and
//   the entry becomes a shared frame.
// - A write to a shared page breaks sharing with a private copy (engine: cost.cowBreakNs); a
//   shared-frame entry whose frame was freed or rewritten is found stale at its next match
//   (contents differ) and removed.
// - Reports (policy.*): pages scanned, pages shared, hints added / dropped, stale entries, scan CPU
//   (ns). Frames saved and shared pages are engine columns (summary framesSaved / sharedPages,
//   per-VM cowBreaks).

import { definePolicy, asVmHost, FAULT_FIRST_TOUCH } from './policy.ts';
import { VmPageLists } from '../sim/vm-pages.ts';
import { grow } from './lib/grow.ts';
import { MAX_COUNT, MAX_EVENT_NS, MAX_SIM_MS } from '../sim/config.ts';

const KIND_SHARED = 1;
const KIND_HINT = 2;
const TIMER_SCAN = 0;

/** Bijective 32-bit mix of a content fingerprint (the page hash). */
function pageHash(content: number): number {
  let h = Math.imul(content ^ (content >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

export default definePolicy({
  name: 'page-sharing',
  summary: 'ESX content-based page sharing: random-order scanner, global hash table with hints, copy-on-write shared frames.',
  source: 'Waldspurger, Memory Resource Management in VMware ESX Server, OSDI 2002, §4 (ESX 2.x scan rates)',
  vm: true,
  params: {
    scanRatePerVmPagesPerS: { default: 50, min: 0, max: MAX_COUNT, doc: 'Pages scanned per second per VM (ESX 2.x: 50).' },
    scanRateTotalPagesPerS: { default: 200, min: 0, max: MAX_COUNT, doc: 'Pages scanned per second over all VMs (ESX 2.x: 200).' },
    scanIntervalMs: { default: 100, min: 1e-3, max: MAX_SIM_MS, doc: 'Scanner wake-up period; the rates accrue as credit between wake-ups. [estimate]' },
    hashNsPerPage: { default: 1000, min: 0, max: MAX_EVENT_NS, doc: 'Kernel CPU to hash one 4 KiB page (≈ 4 GB/s). [estimate]' },
  },
  create(params, rawHost) {
    const host = asVmHost(rawHost, 'page-sharing');
    const vms = host.vms;
    const pages = new VmPageLists(vms);
    const perVmRate = Math.min(params.scanRatePerVmPagesPerS, params.scanRateTotalPagesPerS / Math.max(1, vms));
    const credit = new Float64Array(vms);
    const intervalS = params.scanIntervalMs / 1e3;

    // Global table: power-of-two buckets of entry chains; entries in typed-array columns with a free list.
    let bucketMask = 1023;
    let heads = new Int32Array(bucketMask + 1).fill(-1);
    let entHash = new Uint32Array(1024);
    let entKind = new Uint8Array(1024);
    let entRef = new Int32Array(1024);
    let entNext = new Int32Array(1024);
    let entries = 0;
    let liveEntries = 0;
    let freeEntry = -1;

    const cScanned = host.counter('pagesScanned');
    const cShared = host.counter('pagesShared');
    const cHints = host.counter('hintsAdded');
    const cDropped = host.counter('hintsDropped');
    const cStale = host.counter('staleSharedFrames');
    const cCpu = host.counter('scanCpuNs');

    function newEntry(hash: number, kind: number, ref: number): void {
      let e = freeEntry;
      if (e >= 0) {
        freeEntry = entNext[e];
      } else {
        e = entries++;
        if (e >= entHash.length) {
          entHash = grow(entHash, e + 1);
          entKind = grow(entKind, e + 1);
          entRef = grow(entRef, e + 1);
          entNext = grow(entNext, e + 1);
        }
      }
      liveEntries++;
      if (liveEntries > 2 * (bucketMask + 1)) rehash();
      const b = hash & bucketMask;
      entHash[e] = hash;
      entKind[e] = kind;
      entRef[e] = ref;
      entNext[e] = heads[b];
      heads[b] = e;
    }

    function removeEntry(e: number, prev: number): void {
      if (prev >= 0) entNext[prev] = entNext[e];
      else heads[entHash[e] & bucketMask] = entNext[e];
      entKind[e] = 0;
      entNext[e] = freeEntry;
      freeEntry = e;
      liveEntries--;
    }

    function rehash(): void {
      bucketMask = bucketMask * 2 + 1;
      heads = new Int32Array(bucketMask + 1).fill(-1);
      for (let e = 0; e < entries; e++) {
        if (entKind[e] === 0) continue;
        const b = entHash[e] & bucketMask;
        entNext[e] = heads[b];
        heads[b] = e;
      }
    }

    function hint(hash: number, page: number): void {
      newEntry(hash, KIND_HINT, page);
      host.count(cHints);
    }

    function chargeHash(): void {
      host.chargeKernelNs(params.hashNsPerPage);
      host.count(cCpu, params.hashNsPerPage);
    }

    function scan(page: number): void {
      host.count(cScanned);
      chargeHash();
      const frame = host.frameOf(page);
      if (frame < 0) return; // paged out
      const content = host.content(page);
      if (content === 0) return; // unknown bytes: never shared
      if (host.frameRefs(frame) > 1) return; // already shared
      const hash = pageHash(content);
      let prev = -1;
      let e = heads[hash & bucketMask];
      while (e >= 0 && entHash[e] !== hash) {
        prev = e;
        e = entNext[e];
      }
      if (e < 0) return hint(hash, page);
      if (entKind[e] === KIND_SHARED) {
        const f = entRef[e];
        if (f === frame) return; // the page already maps the table's shared frame (its last mapper)
        const owner = host.frameOwner(f);
        if (owner >= 0 && host.share(page, owner)) {
          host.count(cShared);
          return;
        }
        if (owner >= 0 && host.frameRefs(f) >= 0xffff && host.content(owner) === content) {
          entRef[e] = frame; // saturated refcount: this page's frame takes over as the shared frame
          return;
        }
        host.count(cStale);
        removeEntry(e, prev);
        return hint(hash, page);
      }
      const q = entRef[e];
      if (q === page) return;
      // Re-hash the hinted page: its contents may have changed since it was hinted.
      chargeHash();
      if (host.frameOf(q) < 0 || pageHash(host.content(q)) !== hash) {
        host.count(cDropped);
        removeEntry(e, prev);
        return hint(hash, page);
      }
      if (host.share(page, q)) {
        entKind[e] = KIND_SHARED;
        entRef[e] = host.frameOf(q);
        host.count(cShared);
        return;
      }
      removeEntry(e, prev);
      hint(hash, page);
    }

    if (vms > 0 && perVmRate > 0) host.every(params.scanIntervalMs * 1e6, TIMER_SCAN);

    return {
      onFault(page, kind) {
        if (kind === FAULT_FIRST_TOUCH) pages.add(host.vmOf(page), page);
      },
      onTimer(id) {
        if (id !== TIMER_SCAN) return;
        for (let v = 0; v < vms; v++) {
          credit[v] += perVmRate * intervalS;
          while (credit[v] >= 1) {
            credit[v] -= 1;
            const p = pages.random(v, host.random());
            if (p < 0) {
              credit[v] = 0;
              break;
            }
            scan(p);
          }
        }
      },
    };
  },
});
