import { describe, expect, it } from 'vitest';
import { makeEngine } from './helpers.ts';
import type { Access } from './helpers.ts';
import { definePolicy } from '../policies/policy.ts';
import memtisDef, { Memtis, binOf, hotThresholdBin, skewIndex, memtisWatermark, PEBS_PERIOD_LIST, L_FAST_INACTIVE, L_SLOW_ACTIVE, L_SLOW_INACTIVE } from '../policies/memtis.ts';
import { PAGE_SPLIT } from '../policies/policy.ts';
import type { MemtisParams } from '../policies/memtis.ts';
import type { EngineResult } from '../sim/engine.ts';
import * as S from '../sim/stats.ts';
import seedrandom from 'seedrandom';

function counter(res: EngineResult, name: string): number {
  const i = res.policyCounterNames.indexOf(name);
  return i < 0 ? NaN : res.policyCounters[i];
}

const DEFAULTS = Object.fromEntries(Object.entries(memtisDef.params).map(([k, v]) => [k, v.default])) as unknown as MemtisParams;

function memtisRun(trace: Access[], over: Partial<MemtisParams>, localPages: number, cxlPages: number, sets: Record<string, unknown> = {}) {
  let inst!: Memtis;
  const def = definePolicy({
    ...memtisDef,
    create(_p, host) {
      inst = new Memtis({ ...DEFAULTS, ...over }, host);
      inst.start();
      return inst.hooks();
    },
  });
  const engine = makeEngine({ perCpu: [trace], localPages, cxlPages, policy: def, sets: { 'sampler.drainIntervalUs': 10, ...sets } });
  return { engine, get: () => inst };
}

describe('memtis: histogram bins and the hot threshold', () => {
  it('bins are floor(log2(count + 1)), capped at 15', () => {
    // 4 KiB pages add 512 per sample: one sample → log2(513) = 9.003 → bin 9; two → log2(1025) → 10.
    expect([0, 1, 2, 3, 7, 512, 1024, 65534, 65535, 2 ** 31, 0xffffffff].map(binOf)).toEqual([0, 1, 1, 2, 3, 9, 10, 15, 15, 15, 15]);
  });

  it('picks the lowest bin whose pages and those above still fit in the fast tier minus the promotion watermark', () => {
    // Pages per bin: bin 9: 10, bin 7: 30, bin 5: 100, bin 1: 1000. Room 50 pages.
    // From bin 15 down: bins 15…10 hold 0; + bin 9 → 10 ≤ 50; + bin 8 → 10; + bin 7 → 40 ≤ 50;
    // + bin 6 → 40; + bin 5 → 140 > 50: stop. Hot threshold = 5 + 1 = 6 (40 pages hot).
    // 40 ≥ 75 % of 50 = 37.5 → no warm bin.
    const hist = new Float64Array(16);
    hist[9] = 10;
    hist[7] = 30;
    hist[5] = 100;
    hist[1] = 1000;
    expect(hotThresholdBin(hist, 50, 1)).toEqual({ bin: 6, nrActive: 40, needWarm: false });
    // Room 100: still bin 6 (bin 5 would make 140), but 40 < 75 → warm bin (hot − 1) on.
    expect(hotThresholdBin(hist, 100, 1)).toEqual({ bin: 6, nrActive: 40, needWarm: true });
    // Room 2000: everything fits, the walk runs off the bottom (−1 + 1 = 0) → clamped to minHot 1.
    expect(hotThresholdBin(hist, 2000, 1).bin).toBe(1);
    // Room 5: even bin 9 overflows → 9 + 1 = 10.
    expect(hotThresholdBin(hist, 5, 1).bin).toBe(10);
    // The top bin alone overflowing leaves the threshold at 15.
    const top = new Float64Array(16);
    top[15] = 100;
    expect(hotThresholdBin(top, 50, 1).bin).toBe(15);
  });

  it('watermarks in 4 KiB pages as htmm_migrater.c computes them, including the promotion watermark\'s fallback to the demotion limits', () => {
    // get_memcg_demotion_watermark: 2 % clamped to [12800, 256000] pages (50, 1000 MiB).
    // get_memcg_promotion_watermark: 3 %; < 25600 (100 MiB) → 12800; > 384000 (1500 MiB) → 256000.
    const demote = (base: number) => memtisWatermark(base, 2, 50, 1000, 50, 1000);
    const promote = (base: number) => memtisWatermark(base, 3, 100, 1500, 50, 1000);
    // 64 GiB = 16777216 pages: 2 % = 335544 > 256000 → 256000; 3 % = 503316 > 384000 → 256000 (not 384000).
    expect([demote(16777216), promote(16777216)]).toEqual([256000, 256000]);
    // 4 GiB = 1048576 pages: 2 % = 20971 (in range); 3 % = 31457 (in range).
    expect([demote(1048576), promote(1048576)]).toEqual([20971, 31457]);
    // 1 GiB = 262144 pages: 2 % = 5242 < 12800 → 12800; 3 % = 7864 < 25600 → 12800 (not 25600).
    expect([demote(262144), promote(262144)]).toEqual([12800, 12800]);
    // 204 MiB fast tier (102 huge pages = 52224 pages): both 12800 pages (50 MiB = 25 huge pages),
    // so the hot set's room is 52224 − 12800 = 39424 pages = 77 huge pages (was 2 with a 100 MiB floor).
    expect([demote(52224), promote(52224)]).toEqual([12800, 12800]);
  });
});

/** Tiny watermarks for hand computation: demotion 0, promotion ⌊3 % of the fast tier⌋ (0 for a few pages). */
const over: Partial<MemtisParams> = { demoteWatermarkPct: 0, demoteWatermarkMinMB: 0, promoteWatermarkMinMB: 0, migrationPeriodMs: 1, adaptiveSampling: false };

describe('memtis through the engine', () => {
  // Local holds 4 pages, CXL 8. Watermarks made tiny for hand computation: both 0. Memtis's
  // allocation hook puts a page in the fast tier while nr_lru + 1 < 4, so pages 0–2 go local and
  // page 3 finds it "full" (3 + 1 ≮ 4): it goes to CXL with pages 4–7, and direct demotion is
  // woken (need_demotion), which finds nothing to do (3 + watermark 0 ≤ 4). New pages start at
  // count 2^(hot threshold 1 + 1) = 4 (base pages: index binOf(4) = 2), inactive, outside the
  // histogram. Loads sampled every pebs_period_list[0] = 199 events: first touches are 3 local and
  // 5 remote loads; 400 reads of page 5 are remote loads 6 … 405, sampled at the 199th and 398th:
  // page 5's count 4 + 2 · 512 = 1028, index 10.
  const trace: Access[] = [];
  for (let p = 0; p < 8; p++) trace.push([p, 'R', 100]);
  for (let i = 0; i < 400; i++) trace.push([5, 'R', 100]);
  trace.push([0, 'R', 2e6]); // let the drains and kmigraterd (every 1 ms) run

  it('new pages start at 2^(threshold + 1), +512 per sample on a 4 KiB page; kmigraterd promotes the hot page while the promotion watermark stays free', async () => {
    // Page 5 (index 10 ≥ hot threshold 1) is active on the slow tier after its first sample.
    // kmigraterd: need_toptier_demotion with 1 waiting page: 3 + 1 + 0 ≤ 4, no demotion;
    // promotion_available: room 4 − 0 − 3 = 1 ≥ 1 waiting → page 5 promoted.
    const r = memtisRun(trace, over, 4, 8);
    const res = await r.engine.run();
    const m = r.get();
    expect(m.incr).toBe(512);
    expect(m.count[0]).toBe(4);
    expect(m.count[5]).toBe(1028);
    expect(m.bin[5]).toBe(10);
    expect(m.promoteWmark).toBe(0);
    expect(m.demoteWmark).toBe(0);
    expect(m.needDemotion).toBe(true);
    expect(res.counters[S.C_PROMOTED]).toBe(1);
    expect(res.counters[S.C_DEMOTED]).toBe(0);
    expect([0, 1, 2, 3, 4, 5].map((p) => r.engine.host.tierOf(p))).toEqual([0, 0, 0, 1, 1, 0]);
    expect(r.engine.checkInvariants()).toEqual([]);
  });

  it('adapts the threshold every adaptation period; a cooling halves sampled pages and passes new ones by (htmm_skip_cooling)', async () => {
    // Sample 1 (adaptation): page 5 moves from index 2 (not counted; bin 2 clamped at 0) to 9
    // (4 + 512 = 516): histogram = 1 page at bin 9. Room 4 − 0 = 4: everything fits, the walk runs
    // off the bottom → threshold max(0, 1) = 1; 1 < 75 % of 4 → warm = 0.
    // Sample 2 (cooling period 2): page 5 at 1028 is halved to 514 (bin 9); every other page is new
    // and unsampled, its clock one ahead: passed by, still 4 and outside the histogram.
    const r = memtisRun(trace, { ...over, adaptationPeriodSamples: 1, coolingPeriodSamples: 2, migrationPeriodMs: 1e6 }, 4, 8);
    const res = await r.engine.run();
    const m = r.get();
    expect(m.count[5]).toBe(514);
    expect(m.bin[5]).toBe(9);
    expect(m.hist[9]).toBe(1);
    expect(m.hist.reduce((a, b) => a + b, 0)).toBe(1);
    expect([m.count[0], m.count[7]]).toEqual([4, 4]);
    expect(counter(res, 'coolings')).toBe(1);
    expect(counter(res, 'adaptations')).toBe(1);
    expect(m.activeThreshold).toBe(1);
    expect(m.warmThreshold).toBe(0);
    expect(m.lists.listOf[5]).toBe(L_SLOW_ACTIVE);
    expect(m.lists.listOf[0]).toBe(L_FAST_INACTIVE);
    // The next cooling halves them: their skip is used up.
    m.cool();
    expect([m.count[0], m.count[5]]).toEqual([2, 257]);
  });

  it('direct demotion when an allocation finds the fast tier full: demotes inactive pages until free = promotion watermark + 12800 base pages, or runs out', async () => {
    // 2 MiB pages, fast tier 30 huge pages = 15360 base pages: promotion watermark 3 % = 460 <
    // 25600 → 12800 (25 huge pages); demotion 2 % = 307 < 12800 → 12800. Allocation fills the fast
    // tier to 29 pages (29 + 1 ≮ 30 for the 30th); the 30th page goes to CXL and wakes direct
    // demotion: nr_exceeded = 12800 − (15360 − 29 · 512) + 12800 = 25088 base pages = 49 huge
    // pages, more than the 29 inactive ones: all 29 are demoted (none is warm: warm threshold 1,
    // new huge pages sit at index 0), and need_demotion clears (0 + 12800 < 15360).
    const huge: Access[] = [];
    for (let p = 0; p < 31; p++) huge.push([p * 512, 'R', 100]);
    const r = hugeRun(huge, { migrationPeriodMs: 1e6, adaptiveSampling: false }, 30, 40);
    const res = await r.engine.run();
    const m = r.get();
    expect([m.promoteWmark, m.demoteWmark]).toEqual([12800, 12800]);
    expect(res.counters[S.C_DEMOTED]).toBe(29);
    expect(counter(res, 'directDemotions')).toBe(29);
    expect(m.needDemotion).toBe(false);
    // The 31st page finds the fast tier empty again and goes local.
    expect(r.engine.host.tierOf(30)).toBe(0);
    expect(r.engine.checkInvariants()).toEqual([]);
  });

  it('a sample adds 1 to a 2 MiB page', async () => {
    // 2 MiB pages: 4 KiB pages 0–511 are huge page 0. Local holds 2 huge pages, CXL 4.
    const huge: Access[] = [];
    for (let i = 0; i < 199; i++) huge.push([(i * 7) % 512, 'R', 100]);
    huge.push([0, 'R', 2e6]);
    const gib = (pages: number) => (pages * 2 * 1024 * 1024) / 1024 ** 3;
    const r = memtisRun(huge, { ...over, migrationPeriodMs: 1e6 }, 0, 0, { pageSizeKiB: 2048, 'machine.tiers.0.capacityGiB': gib(2), 'machine.tiers.1.capacityGiB': gib(4) });
    await r.engine.run();
    expect(r.get().incr).toBe(1);
    // 199 local loads → one sample on huge page 0 → count 4 (new page) + 1 = 5, bin 2.
    expect(r.get().count[0]).toBe(5);
    expect(r.get().bin[0]).toBe(2);
  });

  it('lengthens the load sample period when the sampler exceeds its CPU quota', async () => {
    // Quota 3 % ± 0.5, checked every 1.5 ms; the run ends at ≈ 2.1 ms, so one check (at 1.5 ms)
    // sees both samples. cost.sampleNs 500: 1 µs in 1.5 ms = 0.07 % → under, but already at the
    // shortest period (index 0, 199): stays. cost.sampleNs 50000: 100 µs / 1.5 ms = 6.7 % > 3.5 %
    // → index 1, 293 events per sample.
    const low = memtisRun(trace, { ...over, adaptiveSampling: true, quotaCheckMs: 1.5 }, 4, 8);
    await low.engine.run();
    expect(PEBS_PERIOD_LIST[low.get().periodIndex]).toBe(199);
    const high = memtisRun(trace, { ...over, adaptiveSampling: true, quotaCheckMs: 1.5 }, 4, 8, { 'cost.sampleNs': 50000 });
    const res = await high.engine.run();
    expect(PEBS_PERIOD_LIST[high.get().periodIndex]).toBe(293);
    expect(counter(res, 'loadPeriodChange')).toBe(293 - 199);
  });
});

describe('memtis: list and histogram consistency under a seeded random run', () => {
  it('every page on one list of its tier; the histogram counts every page in its bin', async () => {
    const rng = seedrandom.alea('memtis-lists');
    const trace: Access[] = [];
    for (let i = 0; i < 40000; i++) {
      const page = rng() < 0.8 ? Math.floor(rng() * 12) + (i > 20000 ? 30 : 0) : Math.floor(rng() * 64);
      trace.push([page, rng() < 0.3 ? 'W' : 'R', 200]);
    }
    const r = memtisRun(trace, { ...over, demoteWatermarkPct: 20, promoteWatermarkPct: 30, adaptationPeriodSamples: 7, coolingPeriodSamples: 50, migrationPeriodMs: 0.1, storePeriod: 101 }, 8, 64);
    const res = await r.engine.run();
    expect(r.engine.checkInvariants()).toEqual([]);
    const m = r.get();
    const n = r.engine.host.pageCount();
    const hist = new Float64Array(16);
    for (let p = 0; p < n; p++) {
      const l = m.lists.listOf[p];
      expect(l >= 0, `page ${p} on a list`).toBe(true);
      expect(l <= L_FAST_INACTIVE, `page ${p}: fast list iff in the fast tier`).toBe(r.engine.host.tierOf(p) === 0);
      expect(m.bin[p]).toBe(binOf(m.count[p]));
      hist[m.bin[p]]++;
    }
    expect(Array.from(m.hist)).toEqual(Array.from(hist));
    expect(res.counters[S.C_PROMOTED]).toBeGreaterThan(0);
    expect(counter(res, 'coolings')).toBeGreaterThan(0);
    expect(counter(res, 'adaptations')).toBeGreaterThan(0);
  });
});

/** 2 MiB pages: local holds `local` huge pages, CXL `cxl`. */
function hugeRun(trace: Access[], o: Partial<MemtisParams>, local: number, cxl: number, sets: Record<string, unknown> = {}) {
  const gib = (pages: number) => (pages * 2 * 1024 * 1024) / 1024 ** 3;
  return memtisRun(trace, o, 0, 0, { pageSizeKiB: 2048, 'machine.tiers.0.capacityGiB': gib(local), 'machine.tiers.1.capacityGiB': gib(cxl), ...sets });
}

describe('memtis: huge-page splitting by skewness (htmm_core.c)', () => {
  it('skewness indices follow get_skew_idx', () => {
    // Below 1024: the bit length (0 → 0, 1 → 1, 2–3 → 2, 4 → 3, 1023 → 10). From 1024: 11, plus one
    // per further full 1024 while more than 1024 is left, at most 9 more: 1025 → 1 left after one
    // step → 12; 2048 → 1024 left (not > 1024) → 12; 2049 → 13; 10^9 → 20.
    expect([0, 1, 2, 3, 4, 1023, 1024, 1025, 2048, 2049, 1e9].map(skewIndex)).toEqual([0, 1, 2, 2, 3, 10, 11, 12, 12, 13, 20]);
  });

  it('sizes a split round from eHR − rHR and picks the skewness threshold and tail budget (set_memcg_nr_split, set_memcg_split_thres)', async () => {
    const r = hugeRun([[0, 'R', 10]], { ...over, coolingPeriodSamples: 2000 }, 2, 4);
    await r.engine.run();
    const m = r.get();
    expect(m.subs).toBe(512);
    // eHR = ⌊2000 · 95 / 100⌋ = 1900, rHR = 700; avg accesses per huge page ⌊600 / 20⌋ = 30;
    // records after the 2nd cooling = 2 · 2000 − (2000 >> 1) = 3000.
    // n = ⌊1200 · 600 / 3000⌋ = 240 → ⌊240 / 30⌋ = 8 → ⌊8 · (170 − 80) / 80⌋ = 9 → · 512 = 4608
    // → ⌊4608 · 4 / 10⌋ = 1843 base pages.
    m.split.prevMaxDramSampled = 2000;
    m.split.prevDramSampled = 700;
    m.split.sumUtil = 600;
    m.split.numUtil = 20;
    m.split.coolingClock = 2;
    m.split.setNrSplit();
    expect(m.split.nrSplit).toBe(1843);
    // Huge pages per skewness index: 2 at 15, 1 at 12, 10 at 9. From index 20 down: 15 takes
    // 1024 (819 left), 12 takes 512 (307 left), 9 would need 5120 > 307: threshold 9 + 1 = 10,
    // tail budget 307 for index 9, 1843 − 307 = 1536 for the indices above.
    m.split.accessMap[15] = 2;
    m.split.accessMap[12] = 1;
    m.split.accessMap[9] = 10;
    m.split.setSplitThreshold();
    expect(m.split.splitThreshold).toBe(10);
    expect(m.split.nrSplitTail).toBe(307);
    expect(m.split.nrSplit).toBe(1536);
    // No gain (eHR ≤ rHR): nothing to split, threshold 21 (above every index).
    m.split.prevDramSampled = 1900;
    m.split.setNrSplit();
    m.split.setSplitThreshold();
    expect(m.split.nrSplit).toBe(0);
    expect(m.split.splitThreshold).toBe(21);
  });

  it('queues skewed huge pages within the budget and kmigraterd splits them into base pages that keep their sub-page counts', async () => {
    // Huge pages 0–3 (4 KiB pages 0, 512, 1024, 1536); adaptation and cooling never due.
    const trace: Access[] = [0, 512, 1024, 1536].map((p) => [p, 'R', 10]);
    const r = hugeRun(trace, { ...over, adaptationPeriodSamples: 1e9, migrationPeriodMs: 1e6 }, 4, 8);
    await r.engine.run();
    const m = r.get();
    // Budget as in the example above: threshold 10 (tail index 9), 1536 pages above it, 307 at it.
    m.split.splitThreshold = 10;
    m.split.nrSplit = 1536;
    m.split.nrSplitTail = 307;
    [15, 12, 9, 5].forEach((skew, p) => (m.split.skewIdx[p] = skew));
    m.split.subCount[5] = 4096; // huge page 0 (slot 0), sub-page 5
    m.onSample(0, 0); // skew 15 > 9: 1536 − 512 = 1024 left
    m.onSample(0, 0); // already queued: no change (sub-page 0 now 1024)
    m.onSample(1, 3); // skew 12: 512 left
    m.onSample(2, 0); // skew 9 = tail: tail 307 → 0
    m.onSample(3, 0); // skew 5 < 9: not queued
    expect(m.split.splitQueue).toEqual([0, 1, 2]);
    expect(m.split.nrSplit).toBe(512);
    expect(m.split.nrSplitTail).toBe(0);
    const listOf0 = m.lists.listOf[0];
    m.kmigraterd();
    expect(m.split.splitQueue).toEqual([]);
    // Pages 0–2 split: their sub-pages get ids 4 … 4 + 3 · 512 − 1, in queue order.
    expect(r.engine.host.pageCount()).toBe(4 + 3 * 512);
    for (const p of [0, 1, 2]) expect(r.engine.host.flags(p) & PAGE_SPLIT).toBe(PAGE_SPLIT);
    expect(r.engine.host.flags(3) & PAGE_SPLIT).toBe(0);
    // Sub-page counts carry over: huge page 0's sub-page 0 started at 4 (new page) and had 2
    // samples (1028, bin 10), sub-page 5 4096 (bin 12), sub-page 1 none (still 4).
    expect(m.count[4]).toBe(1028);
    expect(m.bin[4]).toBe(10);
    expect(m.count[4 + 5]).toBe(4096);
    expect(m.bin[4 + 5]).toBe(12);
    expect(m.count[4 + 1]).toBe(4);
    expect(m.lists.listOf[0]).toBe(-1);
    expect(m.lists.listOf[4 + 5]).toBe(listOf0);
    // The histogram still counts 4 huge pages' worth of 4 KiB pages.
    expect(m.hist.reduce((a, b) => a + b, 0)).toBe(4 * 512);
    expect(r.engine.checkInvariants()).toEqual([]);
  });

  it('cooling measures a huge page\'s skewness from its sub-pages before halving them (check_transhuge_cooling)', async () => {
    const r = hugeRun([[0, 'R', 10]], { ...over, adaptationPeriodSamples: 1e9, migrationPeriodMs: 1e6 }, 2, 4);
    await r.engine.run();
    const m = r.get();
    const setup = (active: number, bp: number) => {
      m.split.subCount.fill(0, 0, 512);
      m.split.subCount[0] = 2048; // bin 11
      m.split.subCount[1] = 512; // bin 9
      m.count[0] = 3;
      m.skipCool[0] = 0; // as if sampled since its allocation: this cooling applies to it
      m.activeThreshold = active;
      m.split.bpActiveThreshold = bp;
    };
    // Cooling lowers the base-page threshold 11 → 10; hot sub-pages are those with bin ≥
    // min(12, 10) = 10: only sub-page 0. Σ count² = 2048² + 512² = 4456448; ⌊/ 11⌋ = 405131;
    // / 1 / 1 → ≥ 1024 → index 20. Hot accesses ⌊2048 / 512⌋ = 4 go to sumUtil.
    setup(12, 11);
    m.cool();
    expect(m.split.bpActiveThreshold).toBe(10);
    expect(m.split.skewIdx[0]).toBe(20);
    expect(m.split.accessMap[20]).toBe(1);
    expect(m.split.sumUtil).toBe(4);
    expect(m.split.numUtil).toBe(1);
    expect([m.split.subCount[0], m.split.subCount[1]]).toEqual([1024, 256]);
    // Estimated base-page histogram after halving: 1024 → bin 10, 256 → bin 8, 510 sub-pages at 0.
    expect([m.split.ebpHist[10], m.split.ebpHist[8], m.split.ebpHist[0]]).toEqual([1, 1, 510]);
    // The huge page: 3 → 1, bin 1, counted as 512 base pages.
    expect(m.count[0]).toBe(1);
    expect(m.hist[1]).toBe(512);
    // Thresholds 1 / 1: after the cooling's decrement every sub-page is hot (bin ≥ 0): 512 of them;
    // ⌊⌊405131 / 512⌋ / 512⌋ = ⌊791 / 512⌋ = 1 → index 1: an evenly used huge page is not skewed.
    setup(1, 1);
    m.cool();
    expect(m.split.skewIdx[0]).toBe(1);
    expect(m.split.sumUtil).toBe(Math.floor((2048 + 512) / 512));
  });

  it('splits skewed huge pages on a scattered hot set and keeps lists, histograms and frames consistent', async () => {
    // 16 huge pages; in each, 4 KiB sub-pages 0–7 are hot (80 % of accesses), the rest cold.
    // Local holds 4 huge pages: at huge-page grain a quarter of the hot sub-pages fit; at base
    // grain all 128 do. Short periods so that cooling and split rounds happen in a test.
    const rng = seedrandom.alea('memtis-split');
    const trace: Access[] = [];
    for (let i = 0; i < 16 * 512; i += 64) trace.push([i, 'R', 100]);
    for (let i = 0; i < 400000; i++) {
      const huge = Math.floor(rng() * 16);
      const sub = rng() < 0.8 ? Math.floor(rng() * 8) : Math.floor(rng() * 512);
      trace.push([huge * 512 + sub, rng() < 0.2 ? 'W' : 'R', 100]);
    }
    const o = { ...over, coolingPeriodSamples: 1000, adaptationPeriodSamples: 100, migrationPeriodMs: 1, storePeriod: 17 };
    const on = hugeRun(trace, o, 4, 20);
    const res = await on.engine.run();
    const off = hugeRun(trace, { ...o, split: false }, 4, 20);
    const resOff = await off.engine.run();
    expect(counter(res, 'splits')).toBeGreaterThan(0);
    expect(counter(resOff, 'splits')).toBe(0);
    expect(on.engine.checkInvariants()).toEqual([]);
    const m = on.get();
    const n = on.engine.host.pageCount();
    const hist = new Float64Array(16);
    for (let p = 0; p < n; p++) {
      const l = m.lists.listOf[p];
      if (on.engine.host.flags(p) & PAGE_SPLIT) {
        expect(l, `split page ${p} on no list`).toBe(-1);
        continue;
      }
      expect(l >= 0, `page ${p} on a list`).toBe(true);
      expect(l <= L_FAST_INACTIVE, `page ${p}: fast list iff in the fast tier`).toBe(on.engine.host.tierOf(p) === 0);
      expect(l === L_SLOW_ACTIVE || l === L_SLOW_INACTIVE || l <= L_FAST_INACTIVE).toBe(true);
      expect(m.bin[p]).toBe(binOf(m.count[p]));
      hist[m.bin[p]] += m.lists.weightOf(p);
    }
    expect(Array.from(m.hist)).toEqual(Array.from(hist));
    // Splitting lets the fast tier hold the hot 4 KiB pages rather than whole huge pages.
    const local = (r: EngineResult) => r.counters[S.C_TIER_BASE] / r.counters[S.C_ACCESSES];
    expect(local(res)).toBeGreaterThan(local(resOff));
  });
});

