// colloid-tpp: Colloid on TPP / Linux memory tiering (Vuppalapati & Agarwal, SOSP'24 §4–5;
// artifact host-architecture/colloid, tpp/). The paper's "TPP" is the memory-tiering code of
// Linux 6.3 (NUMA balancing mode 2 + demotion in reclaim, as numa-tiering here): the artifact
// patches only kernel/sched/fair.c, mm/memory.c, mm/huge_memory.c, mm/mprotect.c,
// mm/memory-tiers.c, mm/migrate.c and mm/page_alloc.c, and runs numa_balancing = 6. Machinery:
// policies/lib/kernel.ts (the tiering kernel) and policies/lib/colloid.ts (monitor and mode 6).
//
// - Everything numa-tiering does (scanner, hint faults, hot threshold, rate limit, free-space
//   bypass, kswapd and demotion in reclaim).
// - colloid-mon (tpp/colloid-mon/colloid-mon.c): every pollIntervalUs, per-tier loaded latency =
//   EWMA(occupancy) / EWMA(inserts) from the CHA-like counters (LoadHost), EWMA weight 2^−ewmaExp
//   (5: the artifact's spin-polling setting); local-slower flag = local latency > remote latency.
// - numa_balancing mode 6: hint faults on top-tier pages too; promotion refused while local is
//   slower; a top-tier page hint-faulted within the hot threshold while local is slower moves to
//   the next tier (synchronously); no fault statistics (the scan period stays at its start).
// - The monitor's poll loop runs on a core of its own in the artifact: it costs the workload
//   nothing here.

import { definePolicy, asLoadHost } from './policy.ts';
import { createKernel, tieringOptions, SCAN_PARAMS, TIERING_PARAMS, WATERMARK_PARAMS } from './lib/kernel.ts';
import { ColloidMonitor, ColloidTiering } from './lib/colloid.ts';

const TIMER_COLLOID_POLL = 1000;

export const COLLOID_MONITOR_PARAMS = {
  pollIntervalUs: { default: 20, min: 1, max: 1e6, doc: 'Interval between two reads of the per-tier counters. The artifact spin-polls (a few µs per read of 4 CHA MSRs); the engine updates its counters once per machine.bandwidthWindowUs (10 µs), so polling faster sees nothing new. [estimate] 10–100 µs.' },
  ewmaExp: { default: 5, min: 0, max: 16, integer: true, doc: 'EWMA_EXP of colloid-mon.c: a new sample weighs 2^−ewmaExp (5 when spin-polling, the artifact\'s setting; 1 with SAMPLE_INTERVAL_MS = 10).' },
  minLocalLatNs: { default: 75, min: 0, max: 1e5, doc: 'MIN_LOCAL_LAT: floor of the measured local latency (and its value with no traffic). The artifact\'s 15 raw units against 30 for remote keep an idle machine from reading local as slower; here ≈ 0.75 × the default idle latencies (100 / 180 ns). [estimate]' },
  minRemoteLatNs: { default: 135, min: 0, max: 1e5, doc: 'MIN_REMOTE_LAT: floor of the measured remote (tier 1) latency, as minLocalLatNs. [estimate]' },
} as const;

export default definePolicy({
  name: 'colloid-tpp',
  summary: 'Colloid (SOSP\'24) on Linux memory tiering: NUMA balancing mode 6 — promotion blocked and hot local pages moved away while local DRAM is slower than CXL (loaded latency from occupancy / inserts).',
  source: 'Vuppalapati & Agarwal SOSP\'24 §4–5; host-architecture/colloid tpp/colloid-mon/colloid-mon.c, tpp/linux-6.3 kernel/sched/fair.c (should_numa_migrate_memory, numa_migrate_memory_away_target), mm/memory.c do_numa_page, mm/mprotect.c change_pte_range',
  params: { ...SCAN_PARAMS, ...TIERING_PARAMS, ...WATERMARK_PARAMS, ...COLLOID_MONITOR_PARAMS },
  create(p, plainHost) {
    const host = asLoadHost(plainHost, 'colloid-tpp');
    const pollNs = p.pollIntervalUs * 1e3;
    const monitor = new ColloidMonitor(host, { pollNs, ewmaExp: p.ewmaExp, minLocalLatNs: p.minLocalLatNs, minRemoteLatNs: p.minRemoteLatNs });
    const colloid = new ColloidTiering(host, monitor);
    const hooks = createKernel(host, { ...tieringOptions(p), reclaimer: 'lru', colloid });
    const kernelTimer = hooks.onTimer!;
    const cSlowerPolls = host.counter('colloidLocalSlowerPolls');
    const cPolls = host.counter('colloidPolls');
    host.every(pollNs, TIMER_COLLOID_POLL);
    return {
      ...hooks,
      colloid,
      onTimer(id: number) {
        if (id !== TIMER_COLLOID_POLL) return kernelTimer(id);
        monitor.poll();
        host.count(cPolls);
        if (monitor.localSlower) host.count(cSlowerPolls);
      },
    };
  },
});
