// movable-boundary: an unmovable (pinnable) region of a tier that grows and shrinks with the
// momentum of data movement. A design of this project (issue 17 item 3), not a published system:
//
// Linux splits memory into ZONE_NORMAL, which may hold pinned and kernel pages, and ZONE_MOVABLE,
// which may not (Documentation/admin-guide/mm/memory-hotplug.rst). Where the line goes is fixed at
// onlining: per memory block (online_kernel / online_movable), or by the "auto-movable" online
// policy, which keeps MOVABLE:KERNEL at most memory_hotplug.auto_movable_ratio (default 301 %,
// mm/memory_hotplug.c). Pins that find the normal part full migrate elsewhere or fail; movable
// memory that a pin cannot use is what lets the kernel keep migrating (tiering, compaction) and
// unplug. This policy moves the line at run time instead of fixing it:
//
// - Start: the normal (pinnable) part of the tier is capacity · 100 / (100 + movableRatioPct),
//   the auto-movable ratio's share (301 % → 24.9 %).
// - Momentum: every intervalMs, the migration rate r (bytes migrated by every policy and pin over
//   the interval, as /proc/vmstat pgmigrate_success) enters an exponentially weighted average
//   m ← α·r + (1 − α)·m (the first interval sets m = r).
// - Rule: m < lowMBps (data at rest) → grow the normal part by one memory block: pins arriving now
//   land in the tier without being pushed to a slower one or failing, and little movable traffic
//   is displaced. m > highMBps (data in motion) → shrink it by one block: the tier's frames go back
//   to movable use, where migration and compaction need room. In between: hold (hysteresis).
// - Bounds: never below the frames pinned in the tier (a block with a pinned page cannot be
//   offlined: offline_pages fails on unmovable pages), never above maxUnmovablePct of capacity.
// - The engine charges each move of the line as the migrations its blocks' occupied frames need
//   (PinHost.setUnmovableLimit).
// [design] thresholds, α and the interval have no published source: ranges in their docs.

import { asPinHost, definePolicy } from './policy.ts';

export default definePolicy({
  name: 'movable-boundary',
  summary: "A tier's pinnable (ZONE_NORMAL) part grows when migration momentum is low and shrinks when it is high (a design; attach with --with next to a tiering policy).",
  source: 'design; boundary as Documentation/admin-guide/mm/memory-hotplug.rst (online_movable, auto_movable_ratio 301 %, memory blocks), mm/gup.c FOLL_LONGTERM pins',
  params: {
    tier: { default: 0, doc: 'Tier whose normal/movable boundary moves (a tier onlined normal).', min: 0, max: 3, integer: true },
    movableRatioPct: { default: 301, doc: 'Initial MOVABLE:NORMAL ratio in % (memory_hotplug.auto_movable_ratio, default 301).', min: 0, max: 100000 },
    intervalMs: { default: 100, doc: '[design] Period of the momentum update and of one boundary step; plausible 10–1000 ms.', min: 0.001, max: 1e6 },
    alpha: { default: 0.25, doc: '[design] Weight of the newest interval in the momentum average (1 = no memory); plausible 0.1–0.5.', min: 0.001, max: 1 },
    lowMBps: { default: 4, doc: '[design] Momentum below which the pinnable part grows (MB/s migrated; 4 MB/s ≈ 1000 4 KiB pages/s); plausible 1–50.', min: 0, max: 1e6 },
    highMBps: { default: 40, doc: '[design] Momentum above which the pinnable part shrinks (MB/s); must be ≥ lowMBps; plausible 10–500.', min: 0, max: 1e6 },
    blockMiB: { default: 128, doc: 'Step of the boundary: one memory block (x86-64: 128 MiB, memory-hotplug.rst; larger on big machines).', min: 0.004, max: 65536 },
    maxUnmovablePct: { default: 100, doc: 'Largest pinnable part, % of the tier capacity.', min: 0, max: 100 },
  },
  create(params, plainHost) {
    const host = asPinHost(plainHost, 'movable-boundary');
    if (params.highMBps < params.lowMBps) throw new Error(`policy.movable-boundary.highMBps (${params.highMBps}) must be ≥ lowMBps (${params.lowMBps})`);
    if (params.tier >= host.tiers) throw new Error(`policy.movable-boundary.tier: ${params.tier} is not a tier of this machine (0 … ${host.tiers - 1})`);
    const tier = params.tier;
    const cap = host.capacity(tier);
    const blockFrames = Math.max(1, Math.round((params.blockMiB * 2 ** 20) / host.pageBytes));
    const maxFrames = Math.floor((cap * params.maxUnmovablePct) / 100);
    const intervalNs = params.intervalMs * 1e6;
    const grows = host.counter('grows');
    const shrinks = host.counter('shrinks');
    host.setUnmovableLimit(tier, Math.min(maxFrames, Math.floor((cap * 100) / (100 + params.movableRatioPct))));
    let lastBytes = host.migratedBytes();
    let momentum = -1; // MB/s; -1 until the first interval
    host.every(intervalNs, 0);
    return {
      place: () => 0,
      onTimer() {
        const bytes = host.migratedBytes();
        const rate = (bytes - lastBytes) / 1e6 / (intervalNs / 1e9);
        lastBytes = bytes;
        momentum = momentum < 0 ? rate : params.alpha * rate + (1 - params.alpha) * momentum;
        const limit = host.unmovableLimit(tier);
        if (momentum < params.lowMBps && limit < maxFrames) {
          if (host.setUnmovableLimit(tier, Math.min(maxFrames, limit + blockFrames)) > limit) host.count(grows);
        } else if (momentum > params.highMBps) {
          if (host.setUnmovableLimit(tier, limit - blockFrames) < limit) host.count(shrinks);
        }
      },
    };
  },
});
