// Test scaffolding for the VM model: hand-written multi-VM access lists with content, replayed
// through the real Engine (as test/helpers.ts does for single-process traces).

import { resolveConfig, policyParams } from '../sim/run.ts';
import { resolveTiers } from '../sim/machine.ts';
import { Engine } from '../sim/engine.ts';
import type { PolicyDefinition } from '../policies/policy.ts';
import { findPolicy } from '../policies/registry.ts';
import { OP_READ, OP_WRITE, allocRecords } from '../traces/batch.ts';
import { MemorySource } from '../traces/memory-source.ts';
import type { MemoryTrace } from '../traces/memory-source.ts';
import { SIMPLE_MACHINE } from './helpers.ts';

/** One access: [vm, 4 KiB page number, 'R' | 'W', content written (0 = none), gapNs]. */
export type VmAccess = [vm: number, page: number, op: 'R' | 'W', content?: number, gapNs?: number];

/** One CPU's access list as an in-memory trace, with vm and content columns. */
export function vmTraceOf(list: VmAccess[]): MemoryTrace {
  const t: MemoryTrace = { count: list.length, ...allocRecords(list.length) };
  list.forEach(([vm, page, op, content, gap], i) => {
    const addr = page * 4096;
    t.addrHi[i] = Math.floor(addr / 2 ** 32);
    t.addrLo[i] = addr >>> 0;
    t.op[i] = op === 'W' ? OP_WRITE : OP_READ;
    t.vm[i] = vm;
    t.gapNs[i] = gap ?? 0;
    t.content[i] = content ?? 0;
  });
  return t;
}

export function vmEngine(opts: {
  perCpu: VmAccess[][];
  vms: number;
  localPages: number;
  cxlPages: number;
  sets?: Record<string, unknown>;
  policy?: string | PolicyDefinition;
  with?: string[];
}): Engine {
  const sets: Record<string, unknown> = {
    ...SIMPLE_MACHINE,
    'machine.tiers.0.capacityGiB': (opts.localPages * 4096) / 1024 ** 3,
    'machine.tiers.1.capacityGiB': (opts.cxlPages * 4096) / 1024 ** 3,
    'vm.count': opts.vms,
    ...opts.sets,
  };
  const custom = typeof opts.policy === 'object';
  const { config } = resolveConfig({ sets, flags: { policy: custom ? 'first-touch' : (opts.policy as string | undefined) ?? 'first-touch' } });
  const engine = new Engine(config, resolveTiers(config, undefined), new MemorySource('vm-test', opts.perCpu.map(vmTraceOf), { vms: opts.vms }));
  const main = custom ? (opts.policy as PolicyDefinition) : findPolicy(config.policy as string);
  engine.attach(main, custom ? Object.fromEntries(Object.entries(main.params).map(([k, v]) => [k, v.default])) : policyParams(config, main));
  for (const w of opts.with ?? []) engine.attachWith(findPolicy(w), policyParams(config, findPolicy(w)));
  return engine;
}

/** MiB holding n 4 KiB pages (for vm.*MiB keys). */
export const pagesMiB = (n: number) => (n * 4096) / (1024 * 1024);

/** VM vm writes pages first … first + count − 1 (content 1000 + page), the first after gapNs. */
export function touch(vm: number, first: number, count: number, gapNs = 0): VmAccess[] {
  return Array.from({ length: count }, (_, i) => [vm, first + i, 'W', 1000 + first + i, i === 0 ? gapNs : 0] as VmAccess);
}

/** A VM that only moves simulated time on: one write to its page 0, then `ticks` reads gapNs apart. */
export function ticker(vm: number, ticks: number, gapNs: number): VmAccess[] {
  const list: VmAccess[] = [[vm, 0, 'W', 999]];
  for (let i = 0; i < ticks; i++) list.push([vm, 0, 'R', 0, gapNs]);
  return list;
}
