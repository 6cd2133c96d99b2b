// Engine invariants, for tests (every registered policy is fuzzed against them): every touched page
// maps exactly one frame (or is swapped out, or split), every used frame is in one tier with
// refcount = pages mapping it (a Nomad shadow frame: refcount 0, allocated, one page's), the tier copy in each page's state matches its frame, per-tier use
// matches and stays within capacity; shared frames' mapper lists hold exactly their mappers; the VM
// model's counters match the pages and every VM stays within its limit. Returns the violations
// found (empty when all hold).

import type { Core } from './core.ts';
import { S_COW, S_NO_FRAME, S_TIER_SHIFT, K_SPLIT, K_SWAPPED, K_GUEST_PAGED } from './memory.ts';
import { GC_PAGES, GC_STRIDE, VS_GUEST_RESIDENT, VS_MAPPED, VS_STRIDE, VS_TOUCHED } from './vm-model.ts';

export function checkInvariants(core: Core): string[] {
  const errors: string[] = [];
  checkFrames(core, errors);
  checkSharing(core, errors);
  checkVms(core, errors);
  checkPins(core, errors);
  if (core.huge.thp !== null) errors.push(...core.huge.thp.check());
  return errors;
}

/** Pinned pages (sim/pins.ts): mapped, never in a movable tier, counted per tier, within each tier's pinnable part. */
function checkPins(core: Core, errors: string[]): void {
  const pins = core.pins;
  if (pins === undefined || !pins.report) return;
  const m = core.memory;
  const per = new Float64Array(m.tiers);
  for (let p = 0; p < m.pages && p < pins.pinned.length; p++) {
    if (pins.pinned[p] !== 1) continue;
    const t = m.tierOf(p);
    if (t < 0) errors.push(`pinned page ${p} has no frame`);
    else if (pins.movable[t]) errors.push(`pinned page ${p} is in tier ${t}, onlined movable`);
    else per[t] += m.unitOf(p);
  }
  for (let t = 0; t < m.tiers; t++) {
    if (per[t] !== pins.pinnedFrames[t]) errors.push(`tier ${t}: ${per[t]} pinned frames but the pin count says ${pins.pinnedFrames[t]}`);
    if (pins.pinnedFrames[t] > pins.limit[t]) errors.push(`tier ${t}: ${pins.pinnedFrames[t]} pinned frames exceed its pinnable part ${pins.limit[t]}`);
  }
}

function checkFrames(core: Core, errors: string[]): void {
  const m = core.memory;
  const refs = new Uint32Array(m.frames);
  for (let p = 0; p < m.pages; p++) {
    const f = m.frame[p];
    const swapped = (m.flags[p] & K_SWAPPED) !== 0;
    const split = (m.flags[p] & K_SPLIT) !== 0;
    if ((f < 0) !== ((m.state[p] & S_NO_FRAME) !== 0)) errors.push(`page ${p}: frame ${f} but its state says ${f < 0 ? 'mapped' : 'no frame'}`);
    if (split && f >= 0) errors.push(`page ${p} is split but maps frame ${f}`);
    // (A 4 KiB page of a THP range that fell back with less than 2 MiB of room: not touched yet, sim/thp.ts.)
    else if (f < 0 && !swapped && !split && core.huge.rangeOf(p) < 0) errors.push(`page ${p} has no frame and is not swapped out`);
    else if (f >= 0 && swapped) errors.push(`page ${p} has frame ${f} but is marked swapped out`);
    else if (f >= m.frames) errors.push(`page ${p} maps frame ${f} beyond ${m.frames}`);
    else if (f >= 0) {
      refs[f]++;
      const cached = m.state[p] >>> S_TIER_SHIFT;
      if (cached !== m.frameTier[f]) errors.push(`page ${p}: state says tier ${cached} but its frame ${f} is in tier ${m.frameTier[f]}`);
    }
  }
  const used = new Float64Array(m.tiers);
  let live = 0;
  // Shadow frames (Nomad): allocated, mapped by no page, counted in their tier, one per page at most.
  const sh = m.shadow;
  let shadows = 0;
  if (sh !== null) {
    const owner = new Int32Array(m.frames).fill(-1);
    for (let p = 0; p < m.pages; p++) {
      const f = sh[p];
      if (f < 0) continue;
      shadows++;
      if (f >= m.frames) errors.push(`page ${p}: shadow frame ${f} beyond ${m.frames}`);
      else if (m.frame[p] < 0) errors.push(`page ${p} has no frame but keeps shadow frame ${f}`);
      else if (refs[f] !== 0 || m.frameRefs[f] !== 0) errors.push(`page ${p}: shadow frame ${f} is mapped (refcount ${m.frameRefs[f]})`);
      else if (owner[f] >= 0) errors.push(`frame ${f} is the shadow of pages ${owner[f]} and ${p}`);
      else if (m.frameTier[f] === m.frameTier[m.frame[p]]) errors.push(`page ${p}: shadow frame ${f} in the page's own tier ${m.frameTier[f]}`);
      else {
        owner[f] = p;
        live++;
        used[m.frameTier[f]] += m.unitOf(p);
      }
    }
  }
  if (shadows !== m.shadowFrames) errors.push(`${shadows} shadow frames held but the engine counts ${m.shadowFrames}`);
  for (let f = 0; f < m.frames; f++) {
    if (refs[f] !== m.frameRefs[f]) errors.push(`frame ${f}: refcount ${m.frameRefs[f]} but ${refs[f]} pages map it`);
    if (refs[f] > 0) {
      live++;
      const t = m.frameTier[f];
      if (t >= m.tiers) errors.push(`frame ${f} in unknown tier ${t}`);
      else used[t] += m.unitOf(m.framePage[f]);
    }
  }
  if (live !== m.liveFrames) errors.push(`${live} frames mapped or shadowing but ${m.liveFrames} allocated`);
  for (let t = 0; t < m.tiers; t++) {
    if (used[t] !== m.usedFrames[t]) errors.push(`tier ${t}: ${used[t]} frames in use but counter says ${m.usedFrames[t]}`);
    if (used[t] > m.capacityFrames[t]) errors.push(`tier ${t}: ${used[t]} frames exceed capacity ${m.capacityFrames[t]}`);
  }
}

/** Every shared frame's mapper list holds exactly its refcount of pages, all mapping it and copy-on-write. */
function checkSharing(core: Core, errors: string[]): void {
  const m = core.memory;
  let mapped = 0;
  for (let p = 0; p < m.pages; p++) {
    const f = m.frame[p];
    if (f < 0) continue;
    mapped++;
    if (m.frameRefs[f] > 1 && !(m.state[p] & S_COW)) errors.push(`page ${p} maps shared frame ${f} but is not copy-on-write`);
  }
  if (mapped !== m.mappedPages) errors.push(`${mapped} pages mapped but the engine counts ${m.mappedPages}`);
  let shared = 0;
  for (let f = 0; f < m.frames; f++) if (m.frameRefs[f] > 1) shared += m.frameRefs[f];
  if (shared !== m.sharedMapped) errors.push(`${shared} pages map shared frames but the engine counts ${m.sharedMapped}`);
  const next = m.shareNext;
  if (next === null) return;
  for (let f = 0; f < m.frames; f++) {
    if (m.frameRefs[f] < 2) continue;
    let n = 0;
    for (let p = m.framePage[f]; p >= 0 && n <= m.frameRefs[f]; p = next[p]) {
      if (m.frame[p] !== f) errors.push(`frame ${f}: mapper list holds page ${p}, which maps frame ${m.frame[p]}`);
      n++;
    }
    if (n !== m.frameRefs[f]) errors.push(`frame ${f}: refcount ${m.frameRefs[f]} but its mapper list holds ${n} pages`);
  }
}

/** Mapped-page counters match the page table; every VM holds no more frames than its limit. */
function checkVms(core: Core, errors: string[]): void {
  const vm = core.vm;
  if (!vm.on) return;
  const m = core.memory;
  const perVm = new Float64Array(vm.count);
  for (let p = 0; p < m.pages; p++) if (m.frame[p] >= 0) perVm[Math.min(core.ids.vm(p), vm.count - 1)]++;
  for (let v = 0; v < vm.count; v++) {
    const s = v * VS_STRIDE;
    if (perVm[v] !== vm.mapped(v)) errors.push(`vm ${v}: ${perVm[v]} pages mapped but its counter says ${vm.mapped(v)}`);
    if (perVm[v] > vm.spec.limitPages[v]) errors.push(`vm ${v}: ${perVm[v]} pages mapped exceed its limit ${vm.spec.limitPages[v]}`);
    if (vm.stats[s + VS_GUEST_RESIDENT] > vm.stats[s + VS_TOUCHED]) errors.push(`vm ${v}: guest holds more pages than it touched`);
    if (vm.stats[s + VS_MAPPED] > vm.stats[s + VS_GUEST_RESIDENT]) errors.push(`vm ${v}: more pages backed than the guest holds`);
    // The guest never holds more than its memory less its kernel and balloon (one page over while it has nothing left to page out).
    if (vm.stats[s + VS_GUEST_RESIDENT] > Math.max(1, vm.guestCapacity(v))) errors.push(`vm ${v}: guest holds ${vm.stats[s + VS_GUEST_RESIDENT]} pages but has room for ${vm.guestCapacity(v)}`);
  }
  // Guest page cache: each guest's cache-page counter is the cache pages it holds (not paged out by it).
  if (vm.cacheStats !== null) {
    const held = new Float64Array(vm.count);
    for (let p = 0; p < m.pages; p++) if (vm.isGuestCache(p) && !(m.flags[p] & K_GUEST_PAGED)) held[Math.min(core.ids.vm(p), vm.count - 1)]++;
    for (let v = 0; v < vm.count; v++) {
      if (held[v] !== vm.cacheStats[v * GC_STRIDE + GC_PAGES]) errors.push(`vm ${v}: guest holds ${held[v]} page-cache pages but its counter says ${vm.cacheStats[v * GC_STRIDE + GC_PAGES]}`);
    }
  }
}
