import { describe, expect, it } from 'vitest';
import { makeEngine, probePolicy, traceOf } from './helpers.ts';
import { PageTable } from '../sim/page-table.ts';
import { StoredIdSource, StreamingIdSource, encodeBatch, translateSource, countAccesses } from '../sim/id-stream.ts';
import { resolveConfig, runSimulation } from '../sim/run.ts';
import { summaryRow, timeseriesRows } from '../results/rows.ts';
import { toCsv } from '../results/write.ts';
import { SyntheticSource } from '../traces/synthetic.ts';
import { MemorySource } from '../traces/memory-source.ts';
import { createBatch } from '../traces/batch.ts';
import type { Host } from '../policies/policy.ts';

describe('translated streams', () => {
  it('code each access as (id, 4 KiB sub-page, write bit)', () => {
    // 2 MiB pages: addresses 0x200000 + 5·4096 (W) and 0x201000 (R) are huge page 1, sub-pages 5 and 1;
    // 0x400000 is huge page 2 → ids 0, 0, 1.
    const b = createBatch(4);
    b.addrLo.set([0x205000, 0x201000, 0x400000]);
    b.op.set([1, 0, 0]);
    const out = new Int32Array(4);
    encodeBatch(new PageTable(), b, 3, 2 * 1024 * 1024, out);
    const decode = (x: number) => [x >>> 10, (x >>> 1) & 511, x & 1];
    expect(Array.from(out.subarray(0, 3), decode)).toEqual([[0, 5, 1], [0, 1, 0], [1, 0, 0]]);
  });

  it('a stored translation replays the live source: same batches, same ids, same counts', async () => {
    const spec = 'hotset:pages=3000,accesses=30k,threads=2,write=0.3';
    const stored = new StoredIdSource(await translateSource(new SyntheticSource(spec, 3), 4096));
    const live = new StreamingIdSource(new SyntheticSource(spec, 3), 4096);
    for (let cpu = 0; cpu < 2; cpu++) {
      for (;;) {
        const a = stored.next(cpu);
        const b = live.next(cpu) as ReturnType<typeof stored.next>;
        expect(a === null).toBe(b === null);
        if (a === null || b === null) break;
        expect(a.end - a.start).toBe(b.end - b.start);
        // The stored stream numbers CPU 0's pages first, the live one as the engine pulls: compare keys.
        for (let i = 0; i < b.end - b.start; i++) {
          const x = a.code[a.start + i];
          const y = b.code[b.start + i];
          expect(x & 1).toBe(y & 1);
          expect(stored.keys.lo[x >>> 1]).toBe(live.keys.lo[y >>> 1]);
          expect(a.gapNs[a.start + i]).toBe(b.gapNs[b.start + i]);
        }
      }
    }
    const t = await translateSource(new MemorySource('m', [traceOf([[1, 'R'], [2, 'W'], [1, 'R'], [3, 'R'], [1, 'W']])]), 4096);
    expect(Array.from(countAccesses(t, Infinity))).toEqual([3, 1, 1]);
    expect(Array.from(countAccesses(t, 3))).toEqual([2, 1, 0]);
  });

  it('a run over a stored translation is byte-identical to one translated while it runs', async () => {
    const flags = { policy: 'tpp', workload: 'hotset:pages=4000,accesses=60k,threads=3,gapNs=20000', 'stats.epochMs': 5 };
    const { config } = resolveConfig({ flags });
    const csv = async (opened?: Parameters<typeof runSimulation>[1]) => {
      const o = await runSimulation(config, opened);
      return toCsv([summaryRow(config, o.tiers, o.result)]) + toCsv(timeseriesRows(o.tiers, o.result));
    };
    const trace = await translateSource(new SyntheticSource(config.workload as string, 1), 4096);
    const stored = await csv({ source: new StoredIdSource(trace), stats: () => undefined });
    expect(stored).toBe(await csv());
  });

  it('with several CPUs, page ids still follow first touch in simulated time', async () => {
    // CPU 0 touches page 10 at 1000 ns; CPU 1 touches page 20 at 10 ns, then page 10: page 20 is id 0.
    let host!: Host;
    const probe = probePolicy((h) => ((host = h), {}));
    const e = makeEngine({ perCpu: [[[10, 'R', 1000]], [[20, 'R', 10], [10, 'R', 5000]]], localPages: 4, cxlPages: 4, policy: probe, sets: { 'run.cpuQuantumNs': 0 } });
    await e.run();
    expect(host.pageCount()).toBe(2);
    expect([host.vpnLo(0), host.vpnLo(1)]).toEqual([20, 10]);
  });
});

describe('Host.copyPageKeys', () => {
  it('gives each page its virtual page number, one CPU (identity) and two CPUs (page ids assigned at first touch)', async () => {
    // Pages 2^32 + 7 (high word 1), 5 and 9 on CPU 0; page 3 on CPU 1 (its clock starts behind, so with
    // two CPUs the engine touches page 3 second: page ids follow first touch, not stream order).
    for (const perCpu of [[[[2 ** 32 + 7, 'R', 10], [5, 'R', 10], [9, 'W', 10]]], [[[2 ** 32 + 7, 'R', 10], [5, 'R', 10], [9, 'W', 10]], [[3, 'R', 15]]]] as const) {
      let host: Host | undefined;
      const engine = makeEngine({ perCpu: perCpu as never, localPages: 16, cxlPages: 16, policy: probePolicy((h) => ((host = h), { place: () => 0 })) });
      await engine.run();
      const n = host!.pageCount();
      const vm = new Uint16Array(n);
      const hi = new Uint32Array(n);
      const lo = new Uint32Array(n);
      host!.copyPageKeys(0, n, vm, hi, lo);
      const vpns = Array.from({ length: n }, (_, p) => hi[p] * 2 ** 32 + lo[p]);
      expect(vpns).toEqual(perCpu.length === 1 ? [2 ** 32 + 7, 5, 9] : [2 ** 32 + 7, 3, 5, 9]);
      expect(Array.from(vm)).toEqual(new Array(n).fill(0));
    }
  });
});
