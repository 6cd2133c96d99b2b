// `npx tsx bench/trace-threads.ts [accesses] [threads,…]`: reading a multi-threaded trace
// (issue 12, item 10). The same accesses (uniform over 1 Mi pages, default 10 M) are generated
// with 1, 64 and 3000 threads (`npm run trace -- gen`, threads interleaved by batch) and stored as
// a plain native file, a zstd-compressed native file and a CSV text file. Each case is drained
// through the run's TraceSource the way the engine pulls it (one batch per CPU in turn) in a
// child process of its own, so that its peak RSS is its own. `--old` cases open one reader per
// CPU over the whole file, as tiersim did before (each skipping the other CPUs' records).
// Figures (best of 3 runs; the old way once): wall time, CPU time of the node process (user + system; zstd's own is not counted),
// and its peak RSS (which includes Node itself, ~60 MiB, and the pre-pass that counted the trace).

import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBatch } from '../traces/batch.ts';
import { gen } from '../traces/cli.ts';
import { NativeReader } from '../traces/native.ts';
import { TraceSource, detectFormat, readerOptions, traceIndex } from '../traces/source.ts';
import '../policies/registry.ts'; // the policy catalog's composition root (sim/ never imports policies/)
import { resolveConfig } from '../sim/run.ts';

/** Child: drain one trace, print {records, wallS, cpuS, rssMiB} as JSON. */
async function drainCase(path: string, old: boolean): Promise<void> {
  const { config } = resolveConfig({ flags: { trace: path }, sets: { 'trace.indexCache': 'false' } });
  const format = await detectFormat(path);
  const index = await traceIndex(config, path, format);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const b = createBatch();
  let records = 0;
  const cpus = index.cpus;
  // One reader per CPU (the old way) or the TraceSource; either way one batch per CPU in turn.
  const readers = old ? await Promise.all(Array.from({ length: cpus }, (_, c) => format.open(readerOptions(config, path, cpus === 1 ? -1 : c)))) : [];
  const source = old ? undefined : new TraceSource(path, format, index, config);
  const active = new Uint8Array(cpus).fill(1);
  for (let left = cpus; left > 0; ) {
    for (let c = 0; c < cpus; c++) {
      if (!active[c]) continue;
      const k = source ? await source.read(c, b) : await readers[c].fill(b);
      if (k === 0) {
        active[c] = 0;
        left--;
      }
      records += k;
    }
  }
  const wallS = (performance.now() - t0) / 1e3;
  source?.close();
  for (const r of readers) r.close();
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({ records, wallS, cpuS: (cpu.user + cpu.system) / 1e6, rssMiB: peakRssMiB(), spilled: source?.demultiplexer?.spilled ?? 0 }));
}

/**
 * This process's peak RSS. On Linux from VmHWM: getrusage's maxrss survives fork + exec, so a
 * child of a big parent would report the parent's size.
 */
function peakRssMiB(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

interface Drained {
  records: number;
  wallS: number;
  cpuS: number;
  rssMiB: number;
  spilled: number;
}

/** The native trace as CSV text (addr, op, gap, cpu), records in the file's order. */
async function toCsv(nativePath: string, csvPath: string): Promise<void> {
  const r = new NativeReader({ path: nativePath, cpu: -1, skipBad: false, nsPerInstruction: 0.5 });
  await r.readHeader();
  const out = createWriteStream(csvPath);
  out.write('addr,op,gap,cpu\n');
  const b = createBatch();
  for (let n = await r.fill(b); n > 0; n = await r.fill(b)) {
    let text = '';
    for (let i = 0; i < n; i++) text += `0x${(b.addrHi[i] * 2 ** 32 + b.addrLo[i]).toString(16)},${b.op[i] ? 'W' : 'R'},${b.gapNs[i]},${b.cpu[i]}\n`;
    if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  r.close();
  await new Promise<void>((resolve) => out.end(() => resolve()));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--drain') return drainCase(args[1], args[2] === '--old');
  const accesses = Number(args[0] ?? 10e6);
  const threadCounts = (args[1] ?? '1,64,3000').split(',').map(Number);
  const dir = mkdtempSync(join(tmpdir(), 'tiersim-threads-'));
  const say = process.stdout.write.bind(process.stdout);
  try {
    console.log(`node ${process.version}, ${new Date().toISOString()}; ${accesses.toLocaleString('en-US')} accesses, uniform over 1 Mi pages`);
    console.log(`${'case'.padEnd(42)} threads   wall s   CPU s  peak RSS MiB  wall vs 1 thread`);
    const base: Record<string, number> = {};
    for (const threads of threadCounts) {
      const plain = join(dir, `t${threads}.tsim`);
      process.stdout.write = (() => true) as typeof process.stdout.write; // gen's one-line report
      await gen(`uniform:pages=1Mi,accesses=${accesses},threads=${threads}`, plain, 1);
      process.stdout.write = say;
      execFileSync('zstd', ['-q', '-f', '-3', plain, '-o', `${plain}.zst`]);
      await toCsv(plain, join(dir, `t${threads}.csv`));
      const cases: Array<[string, string, boolean]> = [
        ['native, plain', plain, false],
        ['native .zst', `${plain}.zst`, false],
        ['CSV text', join(dir, `t${threads}.csv`), false],
      ];
      if (threads > 1 && threads <= 64) cases.push(['native .zst, one reader per CPU (before)', `${plain}.zst`, true], ['CSV text, one reader per CPU (before)', join(dir, `t${threads}.csv`), true]);
      for (const [name, path, old] of cases) {
        // Best of 3 (the machine is shared; the old way, minutes long, once).
        let m: Drained | undefined;
        for (let rep = 0; rep < (old ? 1 : 3); rep++) {
          const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/trace-threads.ts', '--drain', path, ...(old ? ['--old'] : [])], { encoding: 'utf8' });
          if (r.status !== 0) throw new Error(`${name}: ${r.stderr}`);
          const x = JSON.parse(r.stdout.trim().split('\n').pop()!) as Drained;
          if (x.records !== accesses) throw new Error(`${name}: ${x.records} records, expected ${accesses}`);
          if (!m || x.wallS < m.wallS) m = x;
        }
        if (!m) continue;
        if (threads === 1) base[name] = m.wallS;
        const ratio = base[name] ? `${(m.wallS / base[name]).toFixed(2)}×` : '';
        console.log(`${name.padEnd(42)} ${String(threads).padStart(5)} ${m.wallS.toFixed(2).padStart(8)} ${m.cpuS.toFixed(2).padStart(7)} ${m.rssMiB.toFixed(0).padStart(13)}  ${ratio}${m.spilled ? `  (${m.spilled} chunks spilled)` : ''}`);
      }
      rmSync(plain, { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
