// Virtual machines on one host (issue 6; FACTS §4): config keys for policy composition (`with`),
// per-VM size / shares / reservation / limit / static balloon target, and the costs of the VM
// mechanisms. A VM is the `vm` column of the access stream. Per-VM keys vm.N.* override the vm.*
// defaults for VM N < MAX_CONFIG_VMS.

import type { Config, KeySpec, Schema } from './config.ts';
import { ConfigError } from './config.ts';

/** VMs that can be configured one by one (vm.N.*); more VMs take the vm.* defaults. */
export const MAX_CONFIG_VMS = 16;

const num = (def: number, doc: string, extra: Partial<KeySpec> = {}): KeySpec => ({ default: def, doc, type: 'number', min: 0, ...extra });
const opt = (doc: string): KeySpec => ({ default: null, doc, type: 'number', nullable: true, min: 0 });

const PER_VM: Record<string, string> = {
  memMiB: 'Configured memory of the VM in MiB (what its guest OS sees; 0 = the workload\'s per-VM footprint).',
  shares: 'Memory shares of the VM (0 = ESX default: 10 per MB of configured memory).',
  reservationMiB: 'Memory the host guarantees the VM (min size; never reclaimed below it).',
  limitMiB: 'Most host memory the VM may hold (max size; 0 = its configured memory).',
  balloonMiB: 'Static balloon target, used by the balloon policy when no allocation policy (idle-tax) sets targets.',
};

function vmSchema(): Schema {
  const out: Schema = {
    with: { default: null, nullable: true, doc: 'Extra policies attached alongside --policy, comma-separated (e.g. balloon,page-sharing): placement stays with --policy; faults, timers, samples and pressure go to every policy.', type: 'string' },
    'vm.count': num(0, 'Number of VMs (0 = as many as the workload or trace has; a VM is its vm column).', { integer: true, max: 4096 }),
    'cost.cowBreakNs': num(2500, 'Write to a shared (copy-on-write) page: write-protect fault, 4 KiB copy, remap and TLB flush (FACTS §5 parts: fault 1–3 µs, copy 0.3–0.5 µs). [estimate]'),
    'cost.pageShareNs': num(1500, 'Sharing one page: full compare of 4 KiB, remap read-only and TLB flush. [estimate]'),
    'cost.touchSampleNs': num(1000, 'Minor fault taken by an access to a page invalidated for active-memory sampling (ESX §5.3). [estimate]'),
    'cost.guestPageOutNs': num(5000, 'Guest CPU to page one page out to its virtual disk (charged as a stall of that VM). [estimate]'),
  };
  for (const [k, doc] of Object.entries(PER_VM)) out[`vm.${k}`] = num(0, `${doc} Default for every VM.`);
  for (let n = 0; n < MAX_CONFIG_VMS; n++) for (const [k, doc] of Object.entries(PER_VM)) out[`vm.${n}.${k}`] = opt(`VM ${n}: ${doc} Unset = vm.${k}.`);
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
  };
  const mib = (1024 * 1024) / pageBytes;
  const get = (vm: number, key: string): number => {
    const own = vm < MAX_CONFIG_VMS ? (config[`vm.${vm}.${key}`] as number | null | undefined) : null;
    return own ?? ((config[`vm.${key}`] as number | undefined) ?? 0);
  };
  for (let v = 0; v < count; v++) {
    const memMiB = get(v, 'memMiB');
    const fromSource = vmPages?.(v);
    const mem = memMiB > 0 ? Math.floor(memMiB * mib) : fromSource ? Math.ceil((fromSource * 4096) / pageBytes) : hostPages;
    spec.memPages[v] = mem;
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
