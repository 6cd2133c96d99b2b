// neomem: NeoMem, CXL-native memory tiering with a device-side profiler (Zhou et al., "NeoMem:
// Hardware/Software Co-Design for CXL-Native Memory Tiering", MICRO'24, arXiv 2403.18702). Follows
// the artifact: NeoProf in the CXL controller (PKUZHOU/NeoProf_FPGA `afu/sketch/cmsketch.sv`,
// `afu/neoprof_avmm_slave.sv`, `afu/neoprof_exp.sv`) and the kernel daemon kneomemd (its Linux v6.3
// tree, `kneomemd_scanning`) with its user-space threshold strategy (NeoMem_benchmarking), on the
// kernel's own demotion in reclaim
// (policies/lib/kernel.ts with NUMA balancing off).
//
// - NeoProf sees every access that reaches the CXL device, i.e. every access served by a slower
//   tier after the LLC (the engine's every-access hook, filtered to tiers > 0: the device cannot see
//   DRAM). Each is counted in a count-min sketch (policies/lib/count-min.ts; 2 rows of 2^16
//   16-bit counters [code]). A page whose estimate exceeds the hotness threshold (2 [code]) and
//   whose cells are not all marked hot yet is pushed to the hot-page FIFO (4096 entries [code];
//   a full FIFO drops it).
// - kneomemd wakes every 100 ms [code]: it drains the FIFO and promotes those pages still on a
//   slow tier to node 0, asynchronously (its own kthread, MIGRATE_ASYNC; the application never
//   stalls), reads the histogram every 50 scans [code] (64 bins of row-0 counters [code]; the
//   driver's 50th-percentile error bound is computed but used by nothing, so it is not modelled),
//   and resets the sketch every 10 scans [code] (1 s), which flushes the FIFO.
// - Hot threshold from the histogram, bandwidth-aware (the artifact's user-space strategy,
//   NeoMem_benchmarking `neomem_strategy` / `adjust_percentile`): every 1 s a percentile p (in
//   1/10000, start 10, bounds 1 … 156) becomes p · (1 + bw) / (1 + hotAfterDemoted / (migrated +
//   1))² while the pages migrated in that second stay under the quota (8192 · 256), else p / 2
//   (integer); the threshold written to the device is the counter value above which the top p of
//   the last histogram lies (get_neomem_hist_percentile_reversed, at least 1), which resets the
//   sketch. bw = the device's busy share from the state monitor: here accesses × 64 B plus migrated
//   bytes over slowTierGBps [estimate: the device's bandwidth]; hotAfterDemoted (the kernel's
//   neomem_hot_after_demoted) counts hot reports of pages NeoMem had promoted before and that were
//   demoted since. `strategy` false keeps the daemon's fixed threshold (hotnessThreshold).
// - Optional per-scan quota (migrateMBps > 0, not in the artifact, which migrates every hot page
//   it drains), scaled by the spare bandwidth share when bandwidthThrottle [estimate].
// - Promotion needs node 0 free above its high watermark (migrate_balanced_pgdat); otherwise kswapd
//   is woken there (it demotes) and the page is retried once. Demotion: the kernel's reclaim
//   (kswapd, classic LRU, demotion to the next tier), as Linux v6.3 with demotion enabled, kswapd
//   balancing to the promo watermark as in memory-tiering mode (without it, kswapd stops one page
//   above high and no promotion finds room); no NUMA hint-fault scanning: the device supplies
//   the hotness.

import { definePolicy } from './policy.ts';
import { createKernel, WATERMARK_PARAMS } from './lib/kernel.ts';
import { senpaiOptions } from './lib/senpai.ts';
import type { KernelOptions } from './lib/kernel.ts';
import { CountMinSketch, histogramPercentileReversed } from './lib/count-min.ts';
import { grow } from './lib/grow.ts';
import { MAX_MIB } from '../sim/config.ts';

const TIMER_SCAN = 200;
const TIMER_STRATEGY = 201;
/** Bytes per access the device sees: one 64 B line (neoprof_exp.sv takes address bits [51:6]). */
const LINE_BYTES = 64;

export default definePolicy({
  name: 'neomem',
  summary: 'NeoMem (MICRO\'24): device-side count-min sketch of every CXL access, hot-page FIFO drained every 100 ms, threshold from the counter histogram, bandwidth-throttled async promotion; kernel demotion in reclaim.',
  source: 'Zhou et al. MICRO\'24 (arXiv 2403.18702); PKUZHOU/NeoProf_FPGA cmsketch.sv, neoprof_avmm_slave.sv; kneomemd (kneomemd_scanning, get_error_bound) in the NeoMem Linux v6.3 tree',
  params: {
    ...WATERMARK_PARAMS,
    demotionEnabled: { default: true, doc: '/sys/kernel/mm/numa/demotion_enabled: reclaim demotes to the next tier (a tiering setup turns it on).' },
    scanIntervalMs: { default: 100, min: 1, max: 60000, doc: 'kneomemd period: neomem_scanning_interval_us = 100000 [code].' },
    resetPeriodScans: { default: 10, min: 1, max: 1e6, integer: true, doc: 'Reset the sketch (and flush the hot FIFO) every this many scans: neomem_scanning_reset_period = 10 [code].' },
    hotnessThreshold: { default: 2, min: 0, max: 65535, integer: true, doc: 'A page is hot when its sketch estimate exceeds this: neomem_scanning_hotness_threshold = 2 [code].' },
    histPeriodScans: { default: 50, min: 1, max: 1e6, integer: true, doc: 'Read the counter histogram every this many scans: neomem_hist_scan_period = 50 [code].' },
    histBins: { default: 64, min: 2, max: 65536, integer: true, doc: 'Histogram bins: neomem_hist_nr_bins = 64 [code].' },
    strategy: { default: true, doc: 'Run the artifact\'s user-space threshold strategy (adjust_percentile, every strategyPeriodMs); false = the daemon\'s fixed hotnessThreshold.' },
    strategyPeriodMs: { default: 1000, min: 1, max: 60000, doc: 'Threshold strategy period: time.sleep(1) in neomem_strategy [code].' },
    startPercentile: { default: 10, min: 1, max: 10000, doc: 'Initial percentile of hot counters, in 1/10000: current_percentile = 10 [code].' },
    minPercentile: { default: 1, min: 1, max: 10000, doc: 'Lower bound of the percentile, 1/10000: lower_bound_percentile = 1 [code].' },
    maxPercentile: { default: 156, min: 1, max: 10000, doc: 'Upper bound of the percentile, 1/10000: higher_bound_percentile = 156 [code].' },
    strategyQuotaPages: { default: 8192 * 256, min: 0, max: 1e12, doc: 'Pages migrated per strategy period above which the percentile halves: quota = 8192 · 256 [code].' },
    sketchDepth: { default: 2, min: 1, max: 8, integer: true, doc: 'Count-min rows: ARRAY_DEPTH = 2 [code].' },
    sketchWidthBits: { default: 16, min: 0, max: 24, integer: true, doc: 'log2 of the counters per row: HASH_WIDTH = 16 (neoprof_avmm_slave default) [code].' },
    counterBits: { default: 16, min: 1, max: 16, integer: true, doc: 'Counter width: CNT_WIDTH = 16 [code].' },
    hotFifoDepth: { default: 4096, min: 1, max: 1 << 20, integer: true, doc: 'Hot-page FIFO entries: HOT_FIFO_DEPTH = 1 << 12 [code].' },
    migrateMBps: { default: 0, min: 0, max: MAX_MIB, doc: 'Per-scan promotion quota at an idle slow tier, MB/s; 0 = none, as the artifact (it migrates every hot page it drains) [estimate when set].' },
    slowTierGBps: { default: 32, min: 0.001, max: 10000, doc: 'Slow-tier bandwidth the utilisation is measured against (PCIe 5.0 ×8 CXL ≈ 32 GB/s, FACTS §5) [estimate, 16–64].' },
    bandwidthThrottle: { default: true, doc: 'With migrateMBps > 0: scale each scan\'s quota by the slow tier\'s spare bandwidth share (1 − utilisation) [estimate].' },
  },
  create(p, host) {
    const opts: KernelOptions = {
      numaMode: 0,
      demotionEnabled: p.demotionEnabled,
      scan: { scanDelayMs: 1000, scanPeriodMinMs: 1000, scanPeriodMaxMs: 60000, scanSizeMB: 256 }, // unused: no NUMA scanner
      hotThresholdMs: 1000,
      promoteRateLimitMBps: 65536,
      minFreeKbytes: p.minFreeKbytes,
      watermarkScaleFactor: p.watermarkScaleFactor,
      swappiness: p.swappiness,
      kswapdPageNs: p.kswapdPageNs,
      reclaimEarlyPct: p.reclaimEarlyPct,
      senpai: senpaiOptions(p),
      reclaimer: 'lru',
      kswapdToPromo: true,
    };
    const kernel = createKernel(host, opts);
    const k = kernel.kernel;
    const c = {
      deviceAccesses: host.counter('neomemDeviceAccesses'),
      hot: host.counter('neomemHotReported'),
      fifoDropped: host.counter('neomemFifoDropped'),
      promoted: host.counter('neomemPromoted'),
      stale: host.counter('neomemHotNotOnSlowTier'),
      throttled: host.counter('neomemThrottled'),
      noRoom: host.counter('neomemNoRoom'),
      resets: host.counter('neomemResets'),
      scans: host.counter('neomemScans'),
      thresholdSum: host.counter('neomemThresholdSum'),
      hotAfterDemoted: host.counter('neomemHotAfterDemoted'),
      percentileSum: host.counter('neomemPercentileSum'),
      strategyRuns: host.counter('neomemStrategyRuns'),
    };
    const seeds = Array.from({ length: p.sketchDepth }, () => Math.floor(host.random() * 2 ** 32));
    const sketch = new CountMinSketch(p.sketchDepth, p.sketchWidthBits, p.counterBits, seeds);
    const hist = new Float64Array(p.histBins);
    let threshold = p.hotnessThreshold;
    const fifo = new Int32Array(p.hotFifoDepth);
    let fifoHead = 0;
    let fifoCount = 0;
    let scanCount = 0;
    /** Device traffic since the last scan (accesses × 64 B plus promotions), for its utilisation. */
    let intervalBytes = 0;
    const intervalNs = p.scanIntervalMs * 1e6;
    const quotaPages = p.migrateMBps > 0 ? (p.migrateMBps * 1e6 * (p.scanIntervalMs / 1000)) / host.pageBytes : Infinity;
    // The strategy's state: its percentile, and migrations, ping-pong reports and device bytes over its period.
    let percentile = p.startPercentile;
    let periodMigrated = 0;
    let periodHotAfterDemoted = 0;
    let periodBytes = 0;
    /** Pages NeoMem promoted at least once (a later hot report on the slow tier means they were demoted since). */
    let promotedBefore: Uint8Array = new Uint8Array(1024);

    host.every(intervalNs, TIMER_SCAN);
    if (p.strategy) host.every(p.strategyPeriodMs * 1e6, TIMER_STRATEGY);

    function onAccess(page: number): void {
      if (host.tierOf(page) <= 0) return; // served by DRAM: the device never sees it
      host.count(c.deviceAccesses);
      intervalBytes += LINE_BYTES;
      periodBytes += LINE_BYTES;
      if (sketch.add(page) > threshold && sketch.markHot(page)) {
        host.count(c.hot);
        if (page < promotedBefore.length && promotedBefore[page]) {
          host.count(c.hotAfterDemoted);
          periodHotAfterDemoted++;
        }
        if (fifoCount === fifo.length) {
          host.count(c.fifoDropped);
          return;
        }
        fifo[(fifoHead + fifoCount) % fifo.length] = page;
        fifoCount++;
      }
    }

    function resetDevice(): void {
      sketch.reset();
      fifoHead = fifoCount = 0;
      host.count(c.resets);
    }

    /** Node 0 can take a page and stay above high (migrate_balanced_pgdat). */
    function room(): boolean {
      return k.freeBase(0) > k.wm.high[0] + k.ppf;
    }

    function promote(page: number): boolean {
      if (!room()) {
        k.wakeKswapd(0); // it demotes until node 0 is balanced; retry once
        if (!room()) {
          host.count(c.noRoom);
          return false;
        }
      }
      const wasActive = k.reclaimer.isActive(page);
      if (!host.migrate(page, 0, true)) return false;
      k.asyncPromoted(page, wasActive);
      host.count(c.promoted);
      intervalBytes += host.pageBytes;
      periodBytes += host.pageBytes;
      periodMigrated++;
      if (page >= promotedBefore.length) promotedBefore = grow(promotedBefore, page + 1);
      promotedBefore[page] = 1;
      return true;
    }

    /** kneomemd_scanning, one iteration. */
    function scan(): void {
      host.count(c.scans);
      const util = Math.min(1, intervalBytes / (p.slowTierGBps * intervalNs));
      intervalBytes = 0;
      // Pages this scan may promote: while the budget is positive (a fractional budget lets one more through).
      let budget = p.bandwidthThrottle ? quotaPages * (1 - util) : quotaPages;
      // get_hotpages_from_neoprof + kneomemd_migration.
      while (fifoCount > 0) {
        const page = fifo[fifoHead];
        fifoHead = (fifoHead + 1) % fifo.length;
        fifoCount--;
        if (host.tierOf(page) <= 0) {
          host.count(c.stale);
          continue;
        }
        if (budget <= 0) {
          host.count(c.throttled);
          continue;
        }
        if (promote(page)) budget--;
      }
      if (scanCount % p.histPeriodScans === 0) sketch.histogram(hist); // get_hist_from_neoprof
      if (scanCount % p.resetPeriodScans === 0) resetDevice();
      host.count(c.thresholdSum, threshold);
      scanCount++;
    }

    /** neomem_strategy, one iteration: adjust_percentile, then write the threshold (which resets the sketch). */
    function strategy(): void {
      host.count(c.strategyRuns);
      const bw = periodBytes / (p.slowTierGBps * p.strategyPeriodMs * 1e6);
      if (periodMigrated < p.strategyQuotaPages) percentile = ((1 + bw) / (1 + periodHotAfterDemoted / (periodMigrated + 1)) ** 2) * percentile;
      else percentile = Math.floor(percentile / 2);
      percentile = Math.min(p.maxPercentile, Math.max(p.minPercentile, percentile));
      periodBytes = periodMigrated = periodHotAfterDemoted = 0;
      threshold = Math.min(sketch.maxCount, histogramPercentileReversed(hist, percentile / 10000));
      host.count(c.percentileSum, percentile);
      resetDevice(); // the sysfs store calls set_hotness_threshold: SET_THRESHOLD resets the sketch and flushes the FIFOs
    }

    return {
      place: kernel.place!,
      onFault: kernel.onFault!,
      onPressure: kernel.onPressure!,
      onMigrated: kernel.onMigrated!, // --with moves and collapses reach the kernel's lists (lib/kernel-thp.ts)
      onCollapsed: kernel.onCollapsed!,
      onTimer(id: number) {
        if (id === TIMER_SCAN) scan();
        else if (id === TIMER_STRATEGY) strategy();
        else kernel.onTimer!(id);
      },
      onAccessOracle: (page: number) => onAccess(page),
      kernel: k,
    } as ReturnType<typeof createKernel>;
  },
});
