import { describe, expect, it } from 'vitest';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeEngine } from './helpers.ts';
import { RegionMap, parseRegions, parseMaps, PT_ANON, PT_SHMEM, PT_FILE, PT_CACHE, PT_READ_ONLY } from '../sim/page-types.ts';
import { probePolicy } from './helpers.ts';
import { FAULT_FIRST_TOUCH } from '../policies/policy.ts';
import { Storage, ST_PAGE_CACHE_MISSES, ST_READS, ST_WRITES } from '../sim/storage.ts';
import { workloadRegions, SyntheticSource } from '../traces/synthetic.ts';
import { resolveConfig, relevantConfig } from '../sim/run.ts';
import { resolveTiers } from '../sim/machine.ts';
import { Engine } from '../sim/engine.ts';
import { findPolicy } from '../policies/registry.ts';
import { policyParams } from '../sim/run.ts';
import * as S from '../sim/stats.ts';

describe('page types: region maps', () => {
  it('looks a 4 KiB page up in sorted ranges, anon outside them', () => {
    const m = new RegionMap([
      { vm: 0, start: 100, end: 200, type: PT_FILE },
      { vm: 0, start: 10, end: 20, type: PT_CACHE },
      { vm: 1, start: 10, end: 20, type: PT_SHMEM },
    ]);
    expect([9, 10, 19, 20, 99, 100, 199, 200].map((p) => m.lookup(0, p))).toEqual([PT_ANON, PT_CACHE, PT_CACHE, PT_ANON, PT_ANON, PT_FILE, PT_FILE, PT_ANON]);
    expect(m.lookup(1, 15)).toBe(PT_SHMEM);
    expect(m.lookup(2, 15)).toBe(PT_ANON);
  });

  it('merges overlapping ranges of one type and rejects overlapping types', () => {
    const m = new RegionMap([
      { vm: 0, start: 0, end: 10, type: PT_CACHE },
      { vm: 0, start: 5, end: 15, type: PT_CACHE },
    ]);
    expect(m.size).toBe(1);
    expect(m.lookup(0, 14)).toBe(PT_CACHE);
    expect(() => new RegionMap([{ vm: 0, start: 0, end: 10, type: PT_CACHE }, { vm: 0, start: 9, end: 12, type: PT_FILE }])).toThrow(/overlap/);
  });

  it('parses pages.regions and /proc/PID/maps listings', () => {
    const m = parseRegions('file:0x100-0x200; cache:16-32; shmem:2/0-4');
    expect([m.lookup(0, 0x100), m.lookup(0, 20), m.lookup(2, 3), m.lookup(0, 3)]).toEqual([PT_FILE, PT_CACHE, PT_SHMEM, PT_ANON]);
    expect(() => parseRegions('disk:1-2')).toThrow(/unknown page type "disk"/);
    expect(() => parseRegions('file:5-5')).toThrow(/bad range/);
    const maps = [
      '00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/app',
      '01000000-01021000 rw-p 00000000 00:00 0           [heap]',
      '7f0000000000-7f0000010000 rw-s 00000000 00:05 4242 /dev/shm/pool',
      '7f1000000000-7f1000004000 rw-s 00000000 00:00 0',
    ].join('\n');
    const mm = parseMaps(maps, 'maps');
    // Byte addresses / 4096: 0x400 … 0x452 a read-only file mapping (r-xp: file | read-only), heap
    // anon, 0x7f0000000 … shmem, 0x7f1000000 … shmem.
    expect([mm.lookup(0, 0x400), mm.lookup(0, 0x451), mm.lookup(0, 0x452), mm.lookup(0, 0x1000), mm.lookup(0, 0x7f0000000), mm.lookup(0, 0x7f1000003)]).toEqual([PT_FILE | PT_READ_ONLY, PT_FILE | PT_READ_ONLY, PT_ANON, PT_ANON, PT_SHMEM, PT_SHMEM]);
    expect(parseMaps('00600000-00601000 rw-p 00000000 08:02 173521 /usr/bin/app', 'maps').lookup(0, 0x600)).toBe(PT_FILE);
    const dir = mkdtempSync(join(tmpdir(), 'maps-'));
    writeFileSync(join(dir, 'maps'), maps);
    expect(parseRegions(`@${join(dir, 'maps')}`).lookup(0, 0x400)).toBe(PT_FILE | PT_READ_ONLY);
  });

  it('derives typed regions from synthetic phases with type=', () => {
    expect(workloadRegions('scan:pages=8,accesses=8,type=cache+uniform:pages=4,offset=8,accesses=4')).toEqual([{ vm: 0, start: 0x10000, end: 0x10008, type: PT_CACHE }]);
    expect(workloadRegions('uniform:pages=4,accesses=4')).toEqual([]);
    expect(() => workloadRegions('uniform:pages=4,accesses=4,type=disk')).toThrow(/type in anon, shmem, file, cache/);
    expect(() => workloadRegions('uniform:pages=4,accesses=4,type=file,layout=sparse')).toThrow(/layout=dense/);
  });
});

describe('page types in a run', () => {
  it('types each page at first touch and counts mapped pages per tier and type', async () => {
    const workload = 'scan:pages=8,accesses=8,lines=1,type=cache+scan:pages=4,offset=8,accesses=4,lines=1,type=shmem+scan:pages=4,offset=12,accesses=4,lines=1';
    const { config } = resolveConfig({ sets: { workload, 'machine.tiers.0.capacityGiB': (10 * 4096) / 1024 ** 3, 'machine.tiers.1.capacityGiB': (100 * 4096) / 1024 ** 3 } });
    const e = new Engine(config, resolveTiers(config, undefined), new SyntheticSource(workload, 1));
    const p = findPolicy('first-touch');
    e.attach(p, policyParams(config, p));
    await e.run();
    // First touch in address order: 8 cache pages, then 2 shmem fill local's 10; 2 shmem + 4 anon on CXL.
    expect(Array.from(e.pageTypeCounts())).toEqual([0, 2, 0, 8, 4, 2, 0, 0]);
    expect(e.host.pageType(0)).toBe(PT_CACHE);
    expect(e.host.pageType(15)).toBe(PT_ANON);
  });

  it('leaves runs without types or storage unchanged in identity', () => {
    const { config } = resolveConfig({});
    const keys = Object.keys(relevantConfig(config));
    expect(keys.some((k) => k.startsWith('storage.') || k.startsWith('pages.'))).toBe(false);
    const { config: c2 } = resolveConfig({ sets: { 'storage.device': 'nvme' } });
    expect(relevantConfig(c2)['storage.device']).toBe('nvme');
  });

  it('charges a page-cache miss a device read when storage is on, by hand', async () => {
    // Page 1 is page cache, page 2 anon. NVMe: 50 µs latency, 4.096 GB/s → 4096 B take 1000 ns.
    //   1 R: 10 gap + 1000 major-fault fixed cost + (1000 transfer + 50 000 latency) + 100 local → 52 110
    //   2 R: 10 + 1000 + 1 zeroing + 100                                                        → 53 221
    //   1 R: 10 + 100 (resident)                                                                → 53 331
    const sets = { 'pages.regions': 'cache:1-2', 'storage.device': 'nvme', 'storage.readLatencyUs': 50, 'storage.readGBps': 4.096 };
    const e = makeEngine({ perCpu: [[[1, 'R', 10], [2, 'R', 10], [1, 'R', 10]]], localPages: 4, cxlPages: 4, sets });
    const res = await e.run();
    expect(res.simTimeNs).toBe(53331);
    expect(e.storageStats[ST_PAGE_CACHE_MISSES]).toBe(1);
    expect(e.storageStats[ST_READS]).toBe(1);
    expect(res.counters[S.C_KERNEL_CPU_NS]).toBe(1000 + 1001); // fixed costs only; the IO wait is not CPU
    // Without storage the cache page costs a first touch like any other: 3 × 10 + 2 × 1001 + 3 × 100.
    const e2 = makeEngine({ perCpu: [[[1, 'R', 10], [2, 'R', 10], [1, 'R', 10]]], localPages: 4, cxlPages: 4, sets: { 'pages.regions': 'cache:1-2' } });
    expect((await e2.run()).simTimeNs).toBe(2332);
  });
});

describe('storage device queue', () => {
  it('serialises transfers by bandwidth and adds the access latency to reads', () => {
    const s = new Storage({ 'storage.device': 'nvme', 'storage.readLatencyUs': 50, 'storage.readGBps': 4.096, 'storage.writeLatencyUs': 20, 'storage.writeGBps': 2.048, 'cost.firstTouchFaultNs': 700 });
    expect(s.on).toBe(true);
    expect(s.majorFaultNs).toBe(700);
    // Idle device: 4096 / 4.096 = 1000 ns transfer + 50 000 latency.
    expect(s.read(0, 4096)).toBe(51000);
    // A write-back at 1000 (device free at 1000): 4096 / 2.048 = 2000 ns → busy until 3000; done at 23 000.
    expect(s.write(1000, 4096)).toBe(23000);
    // A read at 1500 waits for the write: starts 3000, transfer until 4000 → 2500 + 50 000.
    expect(s.read(1500, 4096)).toBe(52500);
    expect(s.stats[ST_WRITES]).toBe(1);
  });
});

describe('page-type report of npm run sim', () => {
  it('prints resident pages per tier and type, the device and the zswap pool', async () => {
    const { formatTypeReport } = await import('../sim/page-types.ts');
    const counts = Float64Array.from([10, 0, 0, 2, 5, 1, 0, 30]);
    const storage = Float64Array.from([7, 7 * 4096, 2.5e6, 3, 3 * 4096, 6]);
    // 4 compressed pages held in 6144 B: ratio 4 · 4096 / 6144 = 2.67; 1 same-filled page.
    const zswap = Float64Array.from([9, 1, 4, 0, 0, 6144, 5, 4000, 5 * 4096 - 6144, 4]);
    const out = formatTypeReport(2, counts, true, storage, zswap, 4096);
    expect(out).toContain('tier 0 types    10 anon, 0 shmem, 0 file, 2 cache');
    expect(out).toContain('tier 1 types    5 anon, 1 shmem, 0 file, 30 cache');
    expect(out).toContain('7 reads (6 page-cache misses, 2.500 ms waited), 3 writes');
    expect(out).toContain('(compression ratio 2.67)');
    expect(formatTypeReport(2, counts, false, null, null, 4096)).toBe('');
  });
});

describe('NUMA balancing and file pages (task_numa_work)', () => {
  it('never marks unmapped page cache or read-only file mappings for hint faults', async () => {
    // Pages 1–2 cache, 3–4 file-ro, 5–6 file (writable), 7–8 anon. Once all eight exist, the probe
    // marks every page: only the writable file and anon pages (4) can be marked.
    let armed = -1;
    const policy = probePolicy((host) => ({
      onFault(page, kind) {
        if (kind !== FAULT_FIRST_TOUCH || host.pageCount() < 8) return;
        const all = Int32Array.from({ length: 8 }, (_, i) => i);
        armed = host.armHintFaults(all, 0, 8, 0, null);
      },
    }), { name: 'marker' });
    const sets = { 'pages.regions': 'cache:1-3;file-ro:3-5;file:5-7' };
    const e = makeEngine({ perCpu: [[1, 2, 3, 4, 5, 6, 7, 8].map((p) => [p, 'R'] as [number, 'R'])], localPages: 16, cxlPages: 16, policy, sets });
    await e.run();
    expect(armed).toBe(4);
    expect([1, 3, 5, 7].map((vpn) => e.host.pageType(vpn - 1))).toEqual([PT_CACHE, PT_FILE, PT_FILE, PT_ANON]);
  });
});

describe('the table\'s evicted line says what reclaim did (results/table.ts)', () => {
  const row = (extra: Record<string, number>) => ({ policy: 'p', machine: 'm', workload: 'w', seed: 1, pageSizeKiB: 4, evictedPages: 10, ...extra });
  // The value of the table's `evicted` line (the key column's width depends on the other keys).
  const line = (out: string) => /^evicted +(.*)$/m.exec(out)![1];

  it('splits the kernel reclaim\'s evictions by kind when it counted them, and says how many came another way', async () => {
    const { formatTable } = await import('../results/table.ts');
    // 10 evicted = 3 anon + 2 dirty file + 5 clean cache: nothing else.
    expect(line(formatTable(row({ 'policy.reclaimSwapped': 3, 'policy.reclaimWrittenBack': 2, 'policy.reclaimDroppedClean': 5 })))).toBe(
      '10 pages: 3 anon to swap, 2 dirty page cache written back, 5 clean page cache dropped (no I/O)',
    );
    // 10 evicted, 7 by the kernel's reclaim: 3 by other paths.
    expect(line(formatTable(row({ 'policy.reclaimSwapped': 1, 'policy.reclaimWrittenBack': 0, 'policy.reclaimDroppedClean': 6 })))).toContain('6 clean page cache dropped (no I/O), 3 by other paths');
    // No split counters (no page types: every page is anon): to swap.
    expect(line(formatTable(row({})))).toBe('10 pages to swap');
  });

  it('a run that only reads page cache larger than memory: every eviction is a dropped clean page, none went to swap', async () => {
    const { resolveConfig, runSimulation } = await import('../sim/run.ts');
    const { formatTable } = await import('../results/table.ts');
    // 3000 cache pages read once (never written) into 400 + 1600 frames: at least 1000 must go, and
    // with only clean file pages on the lists every one of them is dropped (no anon, nothing dirty).
    const gib = 4096 / 2 ** 30;
    const { config } = resolveConfig({
      sets: { workload: 'scan:pages=3000,accesses=3000,lines=1,type=cache,write=0,gapNs=200', 'machine.tiers.0.capacityGiB': 400 * gib, 'machine.tiers.1.capacityGiB': 1600 * gib, 'storage.device': 'nvme' },
      flags: { policy: 'autonuma' },
    });
    const { summaryRow } = await import('../results/rows.ts');
    const out = await runSimulation(config);
    const summary = summaryRow(config, out.tiers, out.result, out.trace);
    const evicted = summary.evictedPages as number;
    expect(evicted).toBeGreaterThanOrEqual(1000);
    expect(line(formatTable(summary))).toBe(`${evicted.toLocaleString('en-US')} pages: 0 anon to swap, 0 dirty page cache written back, ${evicted.toLocaleString('en-US')} clean page cache dropped (no I/O)`);
  }, 30_000);
});
