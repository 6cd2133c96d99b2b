// Test scaffolding for the VM model: hand-written multi-VM access lists with content, replayed
// through the real Engine (as test/helpers.ts does for single-process traces).

import { resolveConfig, policyParams } from '../sim/run.ts';
import { resolveTiers } from '../sim/machine.ts';
import { Engine } from '../sim/engine.ts';
import type { PolicyDefinition } from '../policies/policy.ts';
import { findPolicy } from '../policies/registry.ts';
import type { AccessBatch, AccessSource } from '../traces/batch.ts';
import { OP_READ, OP_WRITE } from '../traces/batch.ts';
import { SIMPLE_MACHINE } from './helpers.ts';

/** One access: [vm, 4 KiB page number, 'R' | 'W', content written (0 = none), gapNs]. */
export type VmAccess = [vm: number, page: number, op: 'R' | 'W', content?: number, gapNs?: number];

/** Replays one access list per CPU, with vm and content columns. */
export class VmListSource implements AccessSource {
  readonly name = 'vm-test';
  readonly cpus: number;
  private readonly pos: Int32Array;

  constructor(
    private readonly perCpu: VmAccess[][],
    readonly vms: number,
  ) {
    this.cpus = perCpu.length;
    this.pos = new Int32Array(perCpu.length);
  }

  footprintPages(): number | undefined {
    return undefined;
  }

  read(cpu: number, b: AccessBatch): number {
    const list = this.perCpu[cpu];
    let n = 0;
    while (n < b.capacity && this.pos[cpu] < list.length) {
      const [vm, page, op, content, gap] = list[this.pos[cpu]++];
      const addr = page * 4096;
      b.addrHi[n] = Math.floor(addr / 2 ** 32);
      b.addrLo[n] = addr >>> 0;
      b.op[n] = op === 'W' ? OP_WRITE : OP_READ;
      b.cpu[n] = cpu;
      b.vm[n] = vm;
      b.gapNs[n] = gap ?? 0;
      b.content[n] = content ?? 0;
      n++;
    }
    b.count = n;
    return n;
  }
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
  const engine = new Engine(config, resolveTiers(config, undefined), new VmListSource(opts.perCpu, opts.vms));
  const main = custom ? (opts.policy as PolicyDefinition) : findPolicy(config.policy as string);
  engine.attach(main, custom ? Object.fromEntries(Object.entries(main.params).map(([k, v]) => [k, v.default])) : policyParams(config, main));
  for (const w of opts.with ?? []) engine.attachWith(findPolicy(w), policyParams(config, findPolicy(w)));
  return engine;
}

/** MiB holding n 4 KiB pages (for vm.*MiB keys). */
export const pagesMiB = (n: number) => (n * 4096) / (1024 * 1024);
