// nomad: Nomad, non-exclusive memory tiering (Xiang et al., "Nomad: Non-Exclusive Memory Tiering
// via Transactional Page Migration", OSDI'24), on top of TPP as its artifact is (lingfenghsiang/Nomad
// `src/implementation_patches/nomad.patch` over the TPP kernel, `src/nomad_module/async_promote_main.c`).
// Machinery: policies/lib/kernel.ts (TPP) and the engine's shadow frames (sim/shadow-ops.ts).
//
// - Everything tpp does (scanner, hint faults, hot threshold, rate limit, decoupled demotion
//   watermark, kswapd demotion in reclaim), except TPP's active-LRU gate at the fault: with the
//   module loaded, the patched do_numa_page hands every hint fault to the module
//   (async_mod_glob_ctrl.queue_page_fault) before that gate.
// - Look-back decision (decide_queue_page, PG_FAULT_LOOKBACK_DIST = 20): a hint fault whose page
//   should move (mpol_misplaced: the hot threshold and rate limit) joins a list of recent faults;
//   each such fault first walks the earlier entries, newest first: an entry whose page left its
//   node is dropped; a young (accessed) page on the active LRU is queued for promotion and
//   dropped; a young inactive page is marked accessed (the second mark activates it); entries
//   past the 20th that are not young are dropped. A page is thus queued a few faults after its
//   own, once it was touched again and is active. Each entry read is charged as a PTE read.
//   `lookBack` 0 queues at the fault itself; `tppActiveGate` keeps TPP's gate and queues at the
//   fault (ablations: Nomad's mechanisms on TPP's promotion decision).
// - Asynchronous promotion (queue_pages_for_promotion, promote_work_handler): the queue has
//   PROMOTE_QUEUE_LEN = 512 entries (a page already queued, or a full queue, is not queued); the
//   faulting task never waits for a copy. A kernel worker drains the queue.
// - Transactional migration (nomad_copy_and_remap_page, nomad_clean_pte, nomad_try_to_remap): for a
//   single-mapped page the worker clears the PTE dirty bit, copies while the page stays mapped,
//   and commits (remaps to the copy) only if the page is still clean; a page written during the
//   copy aborts (the copy is thrown away) and is retried in the next pass, at most 10 passes
//   (nomad_transit_pages); after that it stays where it is (retreated). The copy window is
//   `copyWindowNs` [estimate]. Pages that are not single-mapped 4 KiB pages migrate the ordinary
//   way (unmap, copy, remap; asynchronous here too).
// - No room on node 0 at commit (alloc_promote_page never reclaims): the rest of the batch is
//   put back (-ENOMEM ends nomad_transit_pages).
// - Page shadowing (link_shadow_page): a committed page keeps its slow-tier frame as a clean
//   shadow, and the fast copy is write-protected. The first write takes a write-protect fault that
//   frees the shadow (release_shadow_page; counted by the engine). Demoting a page that still has
//   its shadow is a remap, no copy (demote_shadow_page_find / _breakup).
// - Shadows are reclaimed first (reclaim_shadow_page): kswapd or direct reclaim on a slow node frees
//   shadow frames before it reclaims any page there. Order: oldest shadow first (the artifact walks
//   its xarray in key order, i.e. by struct page address: effectively arbitrary) [estimate].
// - Not modelled: the module's locks (trylock failures), huge pages (Nomad handles base pages; a
//   2 MiB run migrates the ordinary way).

import { definePolicy, asShadowHost, PAGE_ACCESSED, PAGE_BASE, PAGE_COW, PAGE_DIRTY } from './policy.ts';
import type { Host } from './policy.ts';
import { createKernel, tieringOptions, SCAN_PARAMS, TIERING_PARAMS, WATERMARK_PARAMS } from './lib/kernel.ts';
import { grow } from './lib/grow.ts';
import { MAX_SIM_MS } from '../sim/config.ts';

const TIMER_WORK = 100;
const TIMER_COMMIT = 101;
/** nomad_transit_pages: `for (pass = 0; pass < 10 && retry; pass++)`. */
const MAX_PASSES = 10;

export default definePolicy({
  name: 'nomad',
  summary: 'Nomad (OSDI\'24): TPP + asynchronous transactional promotion (abort and retry if written during the copy) + page shadowing (remap-only demotion of clean promoted pages).',
  source: 'Xiang et al. OSDI\'24 §3–4; lingfenghsiang/Nomad nomad.patch (nomad_copy_and_remap_page, nomad_transit_pages, demotion_migrate_page), nomad_module/async_promote_main.c (queue_pages_for_promotion, link_shadow_page, reclaim_shadow_page); TPP as tpp',
  params: {
    ...SCAN_PARAMS,
    ...TIERING_PARAMS,
    ...WATERMARK_PARAMS,
    demoteScaleFactor: { default: 200, min: 0, max: 10000, doc: 'vm.demote_scale_factor (TPP, kept by Nomad\'s kernel) in 1/10000 of node 0: kswapd demotes until free exceeds min + node · factor/10000 (default 200 = 2 %) [secondary].' },
    tppActiveGate: { default: false, doc: 'Ablation: keep TPP\'s active-LRU gate at the fault and queue there, instead of the module\'s look-back (Nomad\'s mechanisms on TPP\'s own promotion decision).' },
    lookBack: { default: 20, min: 0, max: 4096, integer: true, doc: 'decide_queue_page look-back: earlier faults (PG_FAULT_LOOKBACK_DIST = 20) re-examined at each hint fault; 0 = queue a page at its own fault [code].' },
    kswapdRetryMs: { default: 10000, min: 0, max: MAX_SIM_MS, doc: 'TPP: after MAX_RECLAIM_RETRIES failed kswapd runs, wake it again after this long (10 s) [paper].' },
    queueLen: { default: 512, min: 1, max: 1 << 20, integer: true, doc: 'Promotion queue entries (PROMOTE_QUEUE_LEN = 1 << 9 in async_promote_main.c) [code].' },
    copyWindowNs: { default: 2000, min: 1, max: 1e6, doc: 'Time between clearing the dirty bit and the commit check of one transactional copy (page copy 0.3–0.5 µs plus rmap walk and PTE updates): a write in it aborts the copy [estimate, 1000–5000].' },
    shadowing: { default: true, doc: 'Keep the slow copy of a promoted page as a shadow (Nomad); false = transactional promotion only.' },
  },
  create(p, host) {
    const sh = asShadowHost(host, 'nomad');
    const c = {
      queued: host.counter('nomadQueued'),
      queueFull: host.counter('nomadQueueFull'),
      copies: host.counter('nomadTransactions'),
      commits: host.counter('nomadCommits'),
      aborts: host.counter('nomadAborts'),
      retries: host.counter('nomadRetries'),
      retreated: host.counter('nomadRetreated'),
      noRoom: host.counter('nomadNoRoom'),
      plain: host.counter('nomadPlainMigrations'),
      shadows: host.counter('shadowPages'),
      remaps: host.counter('shadowRemapDemotions'),
      breaks: host.counter('shadowWriteBreaks'),
      reclaimed: host.counter('shadowsReclaimed'),
      freedOther: host.counter('shadowsFreedOther'),
    };
    sh.countShadowWriteBreaks(c.breaks);

    // Promotion queue (ring) and the worker's current batch (this pass, the next pass).
    const qLen = p.queueLen;
    const ring = new Int32Array(qLen);
    let qHead = 0;
    let qCount = 0;
    let queuedFlag: Uint8Array = new Uint8Array(1024); // PagePromQueued
    let pass: Int32Array = new Int32Array(64);
    let passLen = 0;
    let passAt = 0;
    let nextPass: Int32Array = new Int32Array(64);
    let nextLen = 0;
    let passNo = 0;
    let working = false; // work_pending: a batch is in progress or the work is scheduled
    let inFlight = -1; // the page whose copy is in progress
    // Shadowed pages, oldest first (reclaim order).
    let shadowList: Int32Array = new Int32Array(1024);
    let shHead = 0;
    let shTail = 0;

    // The kernel's host: a migrate() onto the page's shadow is counted as a remap-only demotion; a
    // shadow the engine frees because its page is evicted or moves elsewhere is counted too, so
    // that shadows held = made − remapped − written − reclaimed − freed otherwise.
    // Object.create delegates every other Host member to the engine's host unchanged.
    const kernelHost: Host = Object.create(host);
    kernelHost.migrate = (page: number, tier: number, async?: boolean): boolean => {
      const st = sh.shadowTier(page);
      const ok = host.migrate(page, tier, async);
      if (ok && st >= 0) host.count(st === tier ? c.remaps : c.freedOther);
      return ok;
    };
    kernelHost.evict = (page: number): boolean => {
      const had = sh.shadowTier(page) >= 0;
      const ok = host.evict(page);
      if (ok && had) host.count(c.freedOther);
      return ok;
    };

    const kernel = createKernel(kernelHost, {
      ...tieringOptions(p),
      reclaimer: 'lru',
      // TPP's active-LRU gate is bypassed: the module's look-back takes its place.
      tpp: { demoteScaleFactor: p.demoteScaleFactor, promoteActiveOnly: p.tppActiveGate, kswapdRetryMs: p.kswapdRetryMs },
      asyncPromote: (page) => (p.lookBack > 0 && !p.tppActiveGate ? decide(page) : enqueue(page)),
      reclaimShadows: (tier, pages) => reclaimShadows(tier, pages),
    });
    const k = kernel.kernel;

    // The look-back list (prev_fault_pages), oldest first; walked newest first.
    let recent: Int32Array = new Int32Array(64);
    let recentTier: Int16Array = new Int16Array(64); // the page's tier at its fault (its pfn, in effect)
    let recentLen = 0;

    /** decide_queue_page: walk the earlier faults, then remember this one. */
    function decide(page: number): void {
      const reclaimer = k.reclaimer;
      let kept = recentLen;
      let idx = -1;
      // Walk newest → oldest, compacting the kept entries towards the end (order preserved).
      for (let i = recentLen - 1; i >= 0; i--) {
        const q = recent[i];
        const qt = recentTier[i];
        idx++;
        if (host.tierOf(q) !== qt) continue; // the PTE points elsewhere (migrated, evicted): dropped
        const young = (host.flags(q) & PAGE_ACCESSED) !== 0;
        if (young && reclaimer.isActive(q)) {
          enqueue(q);
          continue; // queued (or already queued): dropped
        }
        if (young) reclaimer.markAccessed(q); // kept
        else if (idx > p.lookBack) continue; // beyond the look-back distance: dropped
        recent[--kept] = q;
        recentTier[kept] = qt;
      }
      host.chargePteScans(idx + 1); // READ_ONCE(*task->ptep) per entry
      recent.copyWithin(0, kept, recentLen);
      recentTier.copyWithin(0, kept, recentLen);
      recentLen -= kept;
      if (recentLen >= recent.length) {
        recent = grow(recent, recent.length * 2);
        recentTier = grow(recentTier, recentTier.length * 2);
      }
      recentTier[recentLen] = host.tierOf(page);
      recent[recentLen++] = page;
    }

    function enqueue(page: number): void {
      if (page >= queuedFlag.length) queuedFlag = grow(queuedFlag, Math.max(page + 1, queuedFlag.length * 2));
      if (queuedFlag[page]) return;
      if (qCount === qLen) {
        host.count(c.queueFull);
        return;
      }
      ring[(qHead + qCount) % qLen] = page;
      qCount++;
      queuedFlag[page] = 1;
      host.count(c.queued);
      if (!working) {
        working = true;
        host.after(0, TIMER_WORK); // queue_work(wq, &promote_work), WORK_DELAY 0
      }
    }

    function push(list: Int32Array, len: number, page: number): Int32Array {
      const out = len >= list.length ? grow(list, list.length * 2) : list;
      out[len] = page;
      return out;
    }

    /** promote_work_handler: take everything queued as one batch, pass 0. */
    function startBatch(): void {
      passLen = 0;
      while (qCount > 0) {
        pass = push(pass, passLen++, ring[qHead]);
        qHead = (qHead + 1) % qLen;
        qCount--;
      }
      passAt = 0;
      nextLen = 0;
      passNo = 0;
      startNext();
    }

    /** Start the next page's copy, or end the pass / the batch. */
    function startNext(): void {
      for (;;) {
        if (passAt >= passLen) {
          passNo++;
          if (nextLen > 0 && passNo < MAX_PASSES) {
            [pass, nextPass] = [nextPass, pass];
            passLen = nextLen;
            nextLen = 0;
            passAt = 0;
            continue;
          }
          // Retries left after the last pass stay where they are (retreated pages).
          for (let i = 0; i < nextLen; i++) {
            queuedFlag[nextPass[i]] = 0;
            host.count(c.retreated);
          }
          nextLen = 0;
          endBatch();
          return;
        }
        const page = pass[passAt++];
        const t = host.tierOf(page);
        if (t <= 0) {
          queuedFlag[page] = 0; // freed, evicted or already on node 0 meanwhile
          continue;
        }
        if (host.free(0) < 1) {
          // alloc_promote_page failed (no reclaim): -ENOMEM ends the batch; the rest is put back.
          host.count(c.noRoom);
          queuedFlag[page] = 0;
          while (passAt < passLen) queuedFlag[pass[passAt++]] = 0;
          for (let i = 0; i < nextLen; i++) queuedFlag[nextPass[i]] = 0;
          nextLen = 0;
          endBatch();
          return;
        }
        if (!transactional(page)) {
          // Not single-mapped (or a huge / base page): the ordinary unmap-copy-remap migration.
          const wasActive = k.reclaimer.isActive(page);
          if (host.migrate(page, 0, true)) {
            host.count(c.plain);
            k.asyncPromoted(page, wasActive);
          }
          queuedFlag[page] = 0;
          continue;
        }
        sh.testAndClearDirty(page); // nomad_clean_pte
        host.count(c.copies);
        inFlight = page;
        host.after(p.copyWindowNs, TIMER_COMMIT);
        return;
      }
    }

    function endBatch(): void {
      passLen = passAt = 0;
      if (qCount > 0) host.after(0, TIMER_WORK);
      else working = false;
    }

    function transactional(page: number): boolean {
      return host.pageBytes === 4096 && (host.flags(page) & (PAGE_COW | PAGE_BASE)) === 0;
    }

    /** The copy of inFlight is done: commit if it is still clean (nomad_try_to_remap), else abort. */
    function commit(): void {
      const page = inFlight;
      inFlight = -1;
      if (host.tierOf(page) <= 0) {
        queuedFlag[page] = 0;
      } else if (host.flags(page) & PAGE_DIRTY) {
        // Written during the copy: the copy is thrown away, the page is retried in the next pass.
        host.count(c.aborts);
        host.count(c.retries);
        sh.chargeAbortedCopy(page, 0);
        nextPass = push(nextPass, nextLen++, page);
      } else if (host.free(0) < 1) {
        host.count(c.noRoom);
        queuedFlag[page] = 0;
      } else {
        const wasActive = k.reclaimer.isActive(page);
        const ok = p.shadowing ? sh.migrateKeepShadow(page, 0) : host.migrate(page, 0, true);
        if (ok) {
          host.count(c.commits);
          if (p.shadowing) {
            host.count(c.shadows);
            shadowList = shTail >= shadowList.length ? compactShadows() : shadowList;
            shadowList[shTail++] = page;
          }
          k.asyncPromoted(page, wasActive);
        }
        queuedFlag[page] = 0;
      }
      startNext();
    }

    /** Drop stale entries (shadow gone) from the shadow list, growing it if still full. */
    function compactShadows(): Int32Array {
      let n = 0;
      for (let i = shHead; i < shTail; i++) if (sh.shadowTier(shadowList[i]) >= 0) shadowList[n++] = shadowList[i];
      shHead = 0;
      shTail = n;
      return n >= shadowList.length / 2 ? grow(shadowList, shadowList.length * 2) : shadowList;
    }

    /** reclaim_shadow_page(nid, nr_to_reclaim): free up to `pages` shadows held on `tier`, oldest first. */
    function reclaimShadows(tier: number, pages: number): number {
      if (tier === 0) return 0; // the artifact skips node 0 (no shadows there)
      let freed = 0;
      for (let i = shHead; i < shTail && freed < pages; i++) {
        const page = shadowList[i];
        if (sh.shadowTier(page) !== tier) continue; // stale (written, remapped, reclaimed) or on another node
        sh.dropShadow(page);
        host.count(c.reclaimed);
        freed++;
      }
      while (shHead < shTail && sh.shadowTier(shadowList[shHead]) < 0) shHead++;
      if (shHead === shTail) shHead = shTail = 0;
      return freed;
    }

    return {
      place: kernel.place!,
      onFault: kernel.onFault!,
      onPressure: kernel.onPressure!,
      onMigrated: kernel.onMigrated!, // --with moves and collapses reach the kernel's lists (lib/kernel-thp.ts)
      onCollapsed: kernel.onCollapsed!,
      onTimer(id: number) {
        if (id === TIMER_WORK) startBatch();
        else if (id === TIMER_COMMIT) commit();
        else kernel.onTimer!(id);
      },
      kernel: k,
    } as ReturnType<typeof createKernel>;
  },
});
