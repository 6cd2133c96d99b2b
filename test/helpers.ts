// Shared test scaffolding: build an engine from config overrides and a hand-written access list.

import { resolveConfig, policyParams } from '../sim/run.ts';
import { resolveTiers } from '../sim/machine.ts';
import { Engine } from '../sim/engine.ts';
import type { Host, PolicyDefinition, PolicyHooks } from '../policies/policy.ts';
import { definePolicy } from '../policies/policy.ts';
import { findPolicy } from '../policies/registry.ts';
import { MemorySource } from '../traces/memory-source.ts';
import type { MemoryTrace } from '../traces/memory-source.ts';
import { OP_READ, OP_WRITE, allocRecords } from '../traces/batch.ts';

/** One access per entry: [4 KiB page number, 'R' | 'W', gapNs]. */
export type Access = [page: number, op: 'R' | 'W', gapNs?: number];

export function traceOf(accesses: Access[]): MemoryTrace {
  const n = accesses.length;
  const t: MemoryTrace = { count: n, ...allocRecords(n) };
  accesses.forEach(([page, op, gap], i) => {
    const addr = page * 4096;
    t.addrHi[i] = Math.floor(addr / 2 ** 32);
    t.addrLo[i] = addr >>> 0;
    t.op[i] = op === 'W' ? OP_WRITE : OP_READ;
    t.gapNs[i] = gap ?? 0;
  });
  return t;
}

/** A machine whose numbers make hand computation easy: idle latencies only, no queueing. */
export const SIMPLE_MACHINE: Record<string, unknown> = {
  'machine.tiers.0.readLatencyNs': 100,
  'machine.tiers.0.writeLatencyNs': 150,
  'machine.tiers.1.readLatencyNs': 200,
  'machine.tiers.1.writeLatencyNs': 300,
  'machine.queueFactor': 0,
  'cpu.mlp': 1,
  'cost.firstTouchFaultNs': 1000,
  'cost.zeroGBps': 4096, // 4096 B / 4096 B/ns = 1 ns of zeroing per 4 KiB page
};

export function makeEngine(opts: {
  perCpu: Access[][];
  sets?: Record<string, unknown>;
  policy?: string | PolicyDefinition;
  localPages: number;
  cxlPages: number;
}): Engine {
  const sets: Record<string, unknown> = {
    ...SIMPLE_MACHINE,
    'machine.tiers.0.capacityGiB': (opts.localPages * 4096) / 1024 ** 3,
    'machine.tiers.1.capacityGiB': (opts.cxlPages * 4096) / 1024 ** 3,
    ...opts.sets,
  };
  const policy = typeof opts.policy === 'object' ? opts.policy : findPolicy(opts.policy ?? 'first-touch');
  const { config } = resolveConfig({ sets, flags: { policy: typeof opts.policy === 'object' ? 'first-touch' : policy.name } });
  const source = new MemorySource('test', opts.perCpu.map(traceOf));
  const engine = new Engine(config, resolveTiers(config, undefined), source);
  engine.attach(policy, typeof opts.policy === 'object' ? defaults(policy) : policyParams(config, policy));
  return engine;
}

function defaults(p: PolicyDefinition): Record<string, unknown> {
  return Object.fromEntries(Object.entries(p.params).map(([k, v]) => [k, v.default]));
}

/**
 * A test policy that hands its Host to `create` and runs the hooks it returns: for tests that drive
 * the engine through the Host by hand. `vm` turns on the VM model, as a VM policy does.
 */
export function probePolicy(create: (host: Host) => PolicyHooks = () => ({}), opts: { name?: string; vm?: boolean } = {}): PolicyDefinition {
  return definePolicy({ name: opts.name ?? 'probe', summary: 'test', source: 'test', vm: opts.vm, params: {}, create: (_p, host) => create(host) });
}

