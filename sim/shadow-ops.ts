// Page shadowing and transactional copies (Nomad, OSDI'24): the page operations a policy asks for
// through ShadowHost (sim/host.ts), counted and charged as PageOps charges a migration. Kept out of
// page-ops.ts so that runs without shadows touch nothing new; PageOps.migrate and evict call
// remapShadowed / Memory.dropShadow for a page that has a shadow.
//
// - testAndClearDirty: the first step of a transactional promotion (nomad_clean_pte: the PTE's
//   dirty bit is cleared before the copy), charged as a PTE scan.
// - migrateKeepShadow: the commit of a copy-and-remap (nomad_copy_and_remap_page +
//   link_shadow_page): the page moves to a faster tier, its old frame stays as a clean shadow and
//   the page is write-protected (its next write faults, and the fault drops the shadow: faults.ts).
//   Charged exactly as an asynchronous migration.
// - chargeAbortedCopy: a copy thrown away because the page was written during it (the
//   transaction's -EAGAIN): the bytes crossed the link and the kernel thread spent the time, nothing
//   moved.
// - remapShadowed: demotion of a shadowed page onto its shadow (demote_shadow_page_find /
//   demote_shadow_page_breakup: the copy is skipped): the migration's fixed cost and TLB shootdown,
//   no copy, no bytes.

import type { Core } from './core.ts';
import { S_COW, S_DIRTY, K_BASE } from './memory.ts';
import { C_DEMOTED, C_KERNEL_CPU_NS, C_MIGRATED_BYTES, C_PROMOTED, C_PTE_SCANS, C_TIER_BASE, TIER_STRIDE, MP_APP, MP_KERNEL, migrationPayerBase } from './stats.ts';

/** Copy time of one page of the run (the part of cost.migrationNs a remap onto a shadow skips). */
function copyNs(core: Core): number {
  return core.pageBytes / (core.config['cost.migrationCopyGBps'] as number);
}

/** Charge the bytes of one page copied from → to (bandwidth, per-tier traffic, migrated bytes). */
function chargeCopyBytes(core: Core, from: number, to: number): void {
  const bytes = core.pageBytes;
  const counters = core.counters;
  counters[C_MIGRATED_BYTES] += bytes;
  counters[C_TIER_BASE + TIER_STRIDE * from + 1] += bytes;
  counters[C_TIER_BASE + TIER_STRIDE * to + 2] += bytes;
  core.load.windowBytes[from] += bytes;
  core.load.windowBytes[to] += bytes;
}

/** PageOps.migrate of a page whose shadow is in `tier`: remap onto it, no copy. */
export function remapShadowed(core: Core, page: number, tier: number, async: boolean): boolean {
  const m = core.memory;
  const from = m.remapToShadow(page);
  if (from < 0) return false;
  // The page maps its own single frame again: no write protection is needed any more.
  m.state[page] &= ~S_COW;
  core.counters[tier < from ? C_PROMOTED : C_DEMOTED]++;
  let ns = core.cost.migrationNs - copyNs(core);
  // The PTE changes: with the translation model, a shootdown to the CPUs holding it (sim/tlb.ts).
  if (core.tlb.on) ns += core.tlb.shootdown(page);
  core.counters[C_KERNEL_CPU_NS] += ns;
  const inApp = !async && core.ctxCpu >= 0;
  if (inApp) core.pendingStallNs += ns;
  core.counters[migrationPayerBase(core.tiers) + (inApp ? MP_APP : MP_KERNEL)] += ns;
  return true;
}

export class ShadowOps {
  constructor(private readonly core: Core) {}

  /** Shadows need private 4 KiB pages outside the VM model (Nomad handles base pages only). */
  private eligible(page: number): boolean {
    const core = this.core;
    const m = core.memory;
    const f = m.frame[page];
    return f >= 0 && core.pageBytes === 4096 && !core.vm.on && (m.flags[page] & K_BASE) === 0 && m.frameRefs[f] === 1 && !core.pins.isPinned(page);
  }

  testAndClearDirty(page: number): boolean {
    const core = this.core;
    const state = core.memory.state;
    const s = state[page];
    state[page] = s & ~S_DIRTY;
    core.counters[C_PTE_SCANS]++;
    core.counters[C_KERNEL_CPU_NS] += core.cost.pteScanNs;
    return (s & S_DIRTY) !== 0;
  }

  migrateKeepShadow(page: number, tier: number): boolean {
    const core = this.core;
    const m = core.memory;
    if (!this.eligible(page) || tier < 0 || tier >= m.tiers || m.shadowTier(page) >= 0) return false;
    const from = m.frameTier[m.frame[page]];
    if (tier >= from || m.usedFrames[tier] + 1 > m.capacityFrames[tier]) return false;
    m.moveKeepShadow(page, tier);
    m.state[page] |= S_COW;
    core.counters[C_PROMOTED]++;
    chargeCopyBytes(core, from, tier);
    core.counters[C_KERNEL_CPU_NS] += core.cost.migrationNs;
    const shootdownNs = core.tlb.on ? core.tlb.shootdown(page) : 0; // the PTE changes (sim/tlb.ts)
    core.counters[C_KERNEL_CPU_NS] += shootdownNs;
    core.counters[migrationPayerBase(core.tiers) + MP_KERNEL] += core.cost.migrationNs + shootdownNs;
    return true;
  }

  chargeAbortedCopy(page: number, tier: number): void {
    const core = this.core;
    const from = core.memory.tierOf(page);
    if (from < 0 || tier < 0 || tier >= core.tiers || tier === from) return;
    chargeCopyBytes(core, from, tier);
    core.counters[C_KERNEL_CPU_NS] += copyNs(core);
    core.counters[migrationPayerBase(core.tiers) + MP_KERNEL] += copyNs(core);
  }

  shadowTier(page: number): number {
    return this.core.memory.shadowTier(page);
  }

  dropShadow(page: number): boolean {
    return this.core.memory.dropShadow(page) >= 0;
  }
}
