// Virtual machines on one host (issue 6; FACTS §4): config keys for policy composition (`with`),
// per-VM size / shares / reservation / limit / static balloon target, the guest kernel's share of
// configured memory (the engine's guest OS model), and the costs of the VM mechanisms. A VM is the
// `vm` column of the access stream. Per-VM keys vm.N.* override the vm.* defaults for VM N <
// MAX_CONFIG_VMS.

import type { Config, KeySpec, Schema } from './config.ts';
import { ConfigError, MAX_EVENT_NS, MAX_MIB } from './config.ts';

/** VMs that can be configured one by one (vm.N.*); more VMs take the vm.* defaults. */
export const MAX_CONFIG_VMS = 16;

const num = (def: number, doc: string, extra: Partial<KeySpec> = {}): KeySpec => ({ default: def, doc, type: 'number', min: 0, max: MAX_MIB, ...extra });
const opt = (doc: string, max: number): KeySpec => ({ default: null, doc, type: 'number', nullable: true, min: 0, max });

/** Per-VM keys: meaning and upper bound (sizes in MiB up to 64 TiB; shares up to 10 per MB of that). */
const PER_VM: Record<string, [string, number]> = {
  memMiB: ['Configured memory of the VM in MiB (what its guest OS sees; 0 = the workload\'s per-VM footprint plus room for its guest kernel, vm.guestOsBytesPer4KiB).', MAX_MIB],
  shares: ['Memory shares of the VM (0 = ESX default: 10 per MB of configured memory).', 10 * MAX_MIB],
  reservationMiB: ['Memory the host guarantees the VM (min size; never reclaimed below it).', MAX_MIB],
  limitMiB: ['Most host memory the VM may hold (max size; 0 = its configured memory).', MAX_MIB],
  balloonMiB: ['Static balloon target, used by the balloon policy when no allocation policy (idle-tax) sets targets.', MAX_MIB],
};

function vmSchema(): Schema {
  const out: Schema = {
    with: { default: null, nullable: true, doc: 'Extra policies attached alongside --policy, comma-separated (e.g. balloon,page-sharing): placement stays with --policy; faults, timers, samples and pressure go to every policy.', type: 'string' },
    'vm.count': num(0, 'Number of VMs (0 = as many as the workload or trace has; a VM is its vm column).', { integer: true, max: 4096 }),
    'cost.cowBreakNs': num(2500, 'Write to a shared (copy-on-write) page: write-protect fault, 4 KiB copy, remap and TLB flush (FACTS §5 parts: fault 1–3 µs, copy 0.3–0.5 µs). [estimate]', { max: MAX_EVENT_NS }),
    'cost.pageShareNs': num(1500, 'Sharing one page: full compare of 4 KiB, remap read-only and TLB flush. [estimate]', { max: MAX_EVENT_NS }),
    'cost.touchSampleNs': num(1000, 'Minor fault taken by an access to a page invalidated for active-memory sampling (ESX §5.3). [estimate]', { max: MAX_EVENT_NS }),
    'cost.guestPageOutNs': num(5000, 'Guest CPU to page one page out to its virtual disk (charged as a stall of that VM). [estimate]', { max: MAX_EVENT_NS }),
    // Waldspurger §3.2 puts ballooning's overhead (1.4–4.4 %) on "guest OS data structures that are
    // sized based on the amount of physical memory": a guest configured larger loses more of it to
    // its kernel. The per-frame descriptor is the bulk: Linux keeps one struct page per 4 KiB frame
    // (mem_map), 64 bytes on x86-64 (include/linux/mm_types.h), i.e. 1/64 of configured memory;
    // other memory-sized tables (page-cache and dentry/inode hashes) are left out.
    'vm.guestCachePages': { default: null, nullable: true, type: 'string', doc: 'Guest page cache for traces: "start-end" (4 KiB page numbers, hex with 0x, end exclusive), the same in every VM: pages in it are file blocks in the guest\'s buffer cache (read from its virtual disk on a miss, reclaimed by the guest before its other pages). Unset: the vms workload\'s file set (file=), else no guest page cache.' },
    'vm.guestOsBytesPer4KiB': num(64, 'Guest kernel memory per 4 KiB of configured VM memory (Linux struct page: 64 B on x86-64), taken from what the guest can use for its workload; also the memory-sized part of ballooning\'s overhead (paper §3.2). Not backed by host frames in the model. [estimate]', { max: 2048 }),
  };
  for (const [k, [doc, max]] of Object.entries(PER_VM)) out[`vm.${k}`] = num(0, `${doc} Default for every VM.`, { max });
  for (let n = 0; n < MAX_CONFIG_VMS; n++) for (const [k, [doc, max]] of Object.entries(PER_VM)) out[`vm.${n}.${k}`] = opt(`VM ${n}: ${doc} Unset = vm.${k}.`, max);
  return out;
}

export const VM_SCHEMA: Schema = vmSchema();

/** Per-VM settings resolved to pages of the run's page size. */
export interface VmSpec {
  count: number;
  memPages: Float64Array;
  shares: Float64Array;
  reservationPages: Float64Array;
  limitPages: Float64Array;
  balloonPages: Float64Array;
  /** Pages of the VM's configured memory its guest kernel keeps for itself (vm.guestOsBytesPer4KiB): never available to its workload or balloon. */
  guestOsPages: Float64Array;
}

/** Guest kernel pages of a VM configured with memPages pages: ceil(memPages · bytesPer4KiB / 4096) (one descriptor per 4 KiB frame, in the run's page units). */
export function guestOsPages(memPages: number, bytesPer4KiB: number): number {
  return Math.ceil((memPages * bytesPer4KiB) / 4096);
}

/** The guest page-cache range of vm.guestCachePages ("start-end", 4 KiB page numbers), or null when unset. */
export function guestCacheRangeOf(config: Config): [number, number] | null {
  const text = config['vm.guestCachePages'];
  if (typeof text !== 'string' || text.trim() === '') return null;
  const m = /^\s*(0x[0-9a-f]+|\d+)\s*-\s*(0x[0-9a-f]+|\d+)\s*$/i.exec(text);
  const start = m ? Number(m[1]) : NaN;
  const end = m ? Number(m[2]) : NaN;
  if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && end > start && end <= 2 ** 52)) {
    throw new ConfigError(`vm.guestCachePages: expected "start-end" in 4 KiB page numbers with start < end (e.g. 0x20000-0x30000), found "${text}"`);
  }
  return [start, end];
}

/** The attached extra policies named by `with` (empty list when none). */
export function withPolicies(config: Config): string[] {
  const w = (config.with as string | undefined) ?? '';
  return w.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * Resolve the VMs of a run. `sourceVms` is the access source's VM count; `vmPages(vm)` its per-VM
 * footprint in 4 KiB pages when known; `hostPages` the host's memory (used when neither is known).
 */
export function resolveVms(config: Config, sourceVms: number, vmPages: ((vm: number) => number | undefined) | undefined, pageBytes: number, hostPages: number): VmSpec {
  const count = (config['vm.count'] as number | undefined) || Math.max(1, sourceVms);
  const spec: VmSpec = {
    count,
    memPages: new Float64Array(count),
    shares: new Float64Array(count),
    reservationPages: new Float64Array(count),
    limitPages: new Float64Array(count),
    balloonPages: new Float64Array(count),
    guestOsPages: new Float64Array(count),
  };
  const osBytes = (config['vm.guestOsBytesPer4KiB'] as number | undefined) ?? 0;
  const mib = (1024 * 1024) / pageBytes;
  const get = (vm: number, key: string): number => {
    const own = vm < MAX_CONFIG_VMS ? (config[`vm.${vm}.${key}`] as number | null | undefined) : null;
    return own ?? ((config[`vm.${key}`] as number | undefined) ?? 0);
  };
  for (let v = 0; v < count; v++) {
    const memMiB = get(v, 'memMiB');
    const fromSource = vmPages?.(v);
    let mem = memMiB > 0 ? Math.floor(memMiB * mib) : fromSource ? Math.ceil((fromSource * 4096) / pageBytes) : hostPages;
    // Sized from the workload: configure the guest so that its footprint fits beside its kernel.
    if (memMiB <= 0 && fromSource) {
      const footprint = mem;
      mem = Math.ceil((footprint * 4096) / (4096 - osBytes));
      while (mem - guestOsPages(mem, osBytes) < footprint) mem++; // ceil rounding: at most a step or two
    }
    spec.memPages[v] = mem;
    spec.guestOsPages[v] = guestOsPages(mem, osBytes);
    if (spec.guestOsPages[v] >= mem) {
      throw new ConfigError(`vm ${v}: configured memory of ${mem} pages leaves its guest no room beside its kernel's ${spec.guestOsPages[v]} (vm.guestOsBytesPer4KiB = ${osBytes}); expected vm.${v}.memMiB above ${spec.guestOsPages[v] / mib} MiB or a smaller vm.guestOsBytesPer4KiB`);
    }
    // ESX default: 10 shares per MB of configured memory (FACTS §4).
    spec.shares[v] = get(v, 'shares') || (10 * mem) / mib;
    spec.reservationPages[v] = Math.floor(get(v, 'reservationMiB') * mib);
    const limit = get(v, 'limitMiB');
    spec.limitPages[v] = limit > 0 ? Math.floor(limit * mib) : mem;
    spec.balloonPages[v] = Math.floor(get(v, 'balloonMiB') * mib);
    if (spec.reservationPages[v] > spec.limitPages[v]) {
      throw new ConfigError(`vm ${v}: reservation ${get(v, 'reservationMiB')} MiB exceeds its limit (${spec.limitPages[v] / mib} MiB)`);
    }
  }
  return spec;
}
