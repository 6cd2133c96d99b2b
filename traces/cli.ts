// `npm run trace -- <command>`: trace tools.
//   stats FILE         accesses, read/write mix, footprint, hot-page shares, reuse distances;
//                      writes FILE's page-access histogram as CSV and SVG (--out DIR)
//   convert IN OUT     any supported format → native binary (OUT .zst/.xz/.gz compresses)
//   gen SPEC OUT       a synthetic workload (same spec as --workload) → native binary
//   formats            the formats and how each is recognised

import yargs from 'yargs';
import { finishCli, runAsMain, stopOnSignals } from '../sim/cli-common.ts';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { checkWritableDir, makeDirs } from '../results/run-dir.ts';
import { checkTraceFile } from '../sim/run-checks.ts';
import cliProgress from 'cli-progress';
import { createBatch } from './batch.ts';
import type { AccessSource } from './batch.ts';
import { ByteStream, TraceError, fileSize } from './open.ts';
import type { ReaderOptions, TraceReader } from './reader.ts';
import { FORMATS } from './formats.ts';
import { detectFormat, isInstructionLevel } from './source.ts';
import { NativeWriter, FLAG_GAP, FLAG_VM, FLAG_CONTENT, FLAG_INSTRUCTION_LEVEL } from './native.ts';
import { SyntheticSource } from './synthetic.ts';
import { TraceStats, pageHistogram, histogramSvg } from './stats.ts';
import { TRACE_FORMAT_NAMES } from './trace-config.ts';
import { MAX_NS_PER_INSTRUCTION } from './limits.ts';
import { ConfigError } from '../sim/config.ts';

/** Inputs smaller than this get no progress bar. */
const PROGRESS_MIN_BYTES = 32 << 20;

function progressFor(path: string): { tick: (reader: TraceReader) => void; stop: () => void } {
  const total = fileSize(path);
  if (total < PROGRESS_MIN_BYTES || !process.stderr.isTTY) return { tick: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { format: `${basename(path)} [{bar}] {percentage}% | {value}/{total} MiB | ETA {eta}s`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.ceil(total / 2 ** 20), 0);
  return {
    tick: (reader) => {
      const s = (reader as unknown as { stream?: ByteStream }).stream;
      if (s) bar.update(Math.floor(s.rawBytesRead / 2 ** 20));
    },
    stop: () => bar.stop(),
  };
}

function readerOpts(path: string, args: { 'skip-bad'?: boolean; 'ns-per-instruction'?: number }): ReaderOptions {
  const ns = args['ns-per-instruction'] ?? 0.5;
  if (!(ns >= 0 && ns <= MAX_NS_PER_INSTRUCTION)) throw new ConfigError(`--ns-per-instruction must be in [0, ${MAX_NS_PER_INSTRUCTION}], found ${ns}`);
  return { path, cpu: -1, skipBad: args['skip-bad'] === true, nsPerInstruction: ns };
}

/**
 * convert must never write over its input: the same file named twice, through a symbolic link or
 * a hard link, is the same device and inode. Also checked before reading: the output's folder is
 * writable and the output is not a directory.
 */
function checkConvertPaths(input: string, output: string): void {
  checkTraceFile(input, 'convert: input');
  const at = (p: string) => {
    try {
      return statSync(p);
    } catch {
      return undefined; // a missing input is reported by the reader, a missing output is normal
    }
  };
  const a = at(input);
  const b = at(output);
  if (a && b && a.dev === b.dev && a.ino === b.ino) {
    const how = resolve(input) === resolve(output) ? 'the same path' : 'a link to the same file';
    throw new TraceError(`convert ${input} ${output}: the output is the input (${how}); converting would destroy it, so write to another file`);
  }
  if (b?.isDirectory()) throw new TraceError(`convert: output ${output} is a directory; expected a file name (e.g. ${join(output, basename(input).replace(/\.(zst|gz|xz)$/, '') + '.tsim')})`);
  checkWritableDir(dirname(resolve(output)), `convert: output ${output}`);
}

/** Convert a trace to the native format; resolves to the exit code (130 / 143 when stopped by a signal, nothing written). */
export async function convert(input: string, output: string, format: string, opts: ReaderOptions): Promise<number> {
  checkConvertPaths(input, output);
  const fmt = await detectFormat(input, format);
  const reader = await fmt.open(opts);
  const b = createBatch();
  // The CPU/VM count is only known at the end; the header is written first, so declare the
  // maximum and let the plain-file header patch (records, footprint) carry the real sizes.
  const progress = progressFor(input);
  const started = performance.now();
  let writer: NativeWriter | undefined;
  let maxCpu = 0;
  let maxVm = 0;
  let total = 0;
  // SIGINT / SIGTERM stop the loop below; if it does not get there in time, the partial file goes anyway.
  const stop = stopOnSignals({ say: (s) => process.stderr.write(s + '\n'), cleanup: () => writer && rmSync(writer.tempPath, { force: true }) });
  try {
    // Only CSV and DAMON traces can carry VMs, only CSV content fingerprints: leave the columns out otherwise (smaller, faster).
    const flags = FLAG_GAP | (fmt.name === 'csv' || fmt.name === 'damon' || fmt.name === 'native' ? FLAG_VM : 0) | (fmt.name === 'csv' || fmt.name === 'native' ? FLAG_CONTENT : 0);
    writer = new NativeWriter(output, flags | (isInstructionLevel(fmt, reader) ? FLAG_INSTRUCTION_LEVEL : 0), 65535, 65535);
    for (;;) {
      const r = reader.fill(b);
      const n = typeof r === 'number' ? r : await r;
      if (n === 0) break;
      total += n;
      for (let i = 0; i < n; i++) {
        if (b.cpu[i] > maxCpu) maxCpu = b.cpu[i];
        if (b.vm[i] > maxVm) maxVm = b.vm[i];
      }
      await writer.write(b);
      progress.tick(reader);
      if (stop.signal.aborted) break;
    }
    if (!stop.signal.aborted) await writer.close(maxCpu + 1, maxVm + 1);
  } catch (err) {
    await writer?.abort();
    throw err;
  } finally {
    if (stop.signal.aborted) await writer?.abort();
    stop.dispose();
    progress.stop();
    reader.close();
  }
  if (stop.exitCode !== undefined) return stop.exitCode;
  if (total === 0) {
    rmSync(output, { force: true });
    throw new TraceError(`${input}: the trace holds no memory accesses (format ${fmt.name}); nothing written`);
  }
  const s = (performance.now() - started) / 1e3;
  process.stdout.write(
    `${input} (${fmt.name}) → ${output}: ${writer.records.toLocaleString('en-US')} records, ${maxCpu + 1} CPU(s), ${maxVm + 1} VM(s), ` +
      `${writer.footprint4k.toLocaleString('en-US')} pages of 4 KiB, in ${s.toFixed(2)} s (${(writer.records / s / 1e6).toFixed(2)} M records/s)` +
      `${reader.badRecords ? `; ${reader.badRecords} malformed records skipped` : ''}\n`,
  );
  return 0;
}

export async function gen(spec: string, output: string, seed: number): Promise<void> {
  const src: AccessSource = new SyntheticSource(spec, seed);
  const writer = new NativeWriter(output, FLAG_GAP, src.cpus, 1);
  const b = createBatch();
  // Threads take turns, one batch each, as a real multi-threaded trace interleaves them in time
  // (a reader of all CPUs then buffers about one batch per CPU, traces/demux.ts); each CPU's
  // records stay in its program order, which is all the format promises (blocks are per CPU).
  const done = new Uint8Array(src.cpus);
  for (let left = src.cpus; left > 0; ) {
    for (let c = 0; c < src.cpus; c++) {
      if (done[c]) continue;
      const r = src.read(c, b);
      const n = typeof r === 'number' ? r : await r;
      if (n === 0) {
        done[c] = 1;
        left--;
        continue;
      }
      b.count = n;
      await writer.write(b);
    }
  }
  await writer.close(src.cpus, 1);
  process.stdout.write(`${spec} (seed ${seed}) → ${output}: ${writer.records.toLocaleString('en-US')} records, ${src.cpus} CPU(s), ${writer.footprint4k.toLocaleString('en-US')} pages of 4 KiB\n`);
}

export async function stats(input: string, format: string, opts: ReaderOptions, outDir: string | undefined): Promise<void> {
  checkTraceFile(input, 'trace');
  const dir = outDir ?? join('results', 'trace-stats', basename(input).replace(/[^\w.-]+/g, '_'));
  checkWritableDir(dir, `--out ${dir}`);
  const fmt = await detectFormat(input, format);
  const reader = await fmt.open(opts);
  const st = new TraceStats();
  const b = createBatch();
  const progress = progressFor(input);
  try {
    for (;;) {
      const r = reader.fill(b);
      const n = typeof r === 'number' ? r : await r;
      if (n === 0) break;
      st.add(b);
      progress.tick(reader);
    }
  } finally {
    progress.stop();
    reader.close();
  }
  if (st.accesses === 0) throw new TraceError(`${input}: the trace holds no memory accesses (format ${fmt.name})`);
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const fmtN = (x: number) => x.toLocaleString('en-US');
  const lines = [
    `trace           ${input} (${fmt.name}${isInstructionLevel(fmt, reader) ? ', instruction-level: LLC filter on by default' : ''})`,
    `accesses        ${fmtN(st.accesses)}  (reads ${fmtN(st.accesses - st.writes)}, writes ${fmtN(st.writes)}, reads:writes ${st.writes ? ((st.accesses - st.writes) / st.writes).toFixed(2) : '∞'})`,
    `footprint       ${fmtN(st.pages.size)} pages of 4 KiB (${(st.pages.size / 256).toFixed(1)} MiB), ${fmtN(st.pages2m.size)} pages of 2 MiB`,
    `hot pages       hottest 1 % of pages get ${pct(st.hotShare(0.01))} of accesses, hottest 10 % get ${pct(st.hotShare(0.1))}`,
    `reuse distance  (distinct 4 KiB pages between two accesses to a page) p50 ≤ ${fmtN(st.distQuantile(0.5))}, p90 ≤ ${fmtN(st.distQuantile(0.9))}, p99 ≤ ${fmtN(st.distQuantile(0.99))}; ${fmtN(st.cold)} first touches`,
    `LRU hit ratio   with 1 / 4 / 16 / 64 pages: ${[1, 4, 16, 64].map((c) => st.lruHitRatio(c).toFixed(3)).join(' / ')}`,
  ];
  if (reader.badRecords) lines.push(`skipped         ${fmtN(reader.badRecords)} malformed records`);
  makeDirs(dir);
  const hist = pageHistogram(st);
  const csv = ['rank,vm,page,accesses', ...hist.map(([vm, page, n], i) => `${i + 1},${vm},0x${page.toString(16)},${n}`)].join('\n') + '\n';
  writeFileSync(join(dir, 'page-histogram.csv'), csv);
  writeFileSync(join(dir, 'page-histogram.svg'), histogramSvg(hist, `${basename(input)}: accesses per 4 KiB page`));
  writeFileSync(join(dir, 'reuse-distance.csv'), ['fromPages,toPages,accesses', ...st.distBins().map((d) => `${d.from},${d.to},${d.count}`)].join('\n') + '\n');
  lines.push(`wrote           ${dir}/page-histogram.csv, page-histogram.svg, reuse-distance.csv`);
  process.stdout.write(lines.join('\n') + '\n');
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const common = {
    format: { type: 'string', choices: TRACE_FORMAT_NAMES, default: 'auto', describe: 'Input format (auto = detect from content).' },
    'skip-bad': { type: 'boolean', default: false, describe: 'Skip and count malformed records instead of stopping.' },
    'ns-per-instruction': { type: 'number', default: 0.5, describe: 'Compute ns per instruction for instruction-level traces (gap column).' },
  } as const;
  const parser = yargs(argv)
    .scriptName('npm run trace --')
    .usage('Trace tools.\n\nUsage: $0 <command> [options]')
    .command('stats <file>', 'Accesses, read/write mix, footprint, hot-page shares, reuse distances; page histogram CSV + SVG.', (y) =>
      y.positional('file', { type: 'string', demandOption: true }).options(common).option('out', { alias: 'o', type: 'string', describe: 'Directory for the CSV and SVG (default results/trace-stats/<file>/).' }),
      async (a) => stats(a.file, a.format, readerOpts(a.file, a), a.out))
    .command('convert <input> <output>', 'Convert any supported trace to the native binary format (OUTPUT ending .zst/.xz/.gz is compressed).', (y) =>
      y.positional('input', { type: 'string', demandOption: true }).positional('output', { type: 'string', demandOption: true }).options(common),
      async (a) => {
        code = await convert(a.input, a.output, a.format, readerOpts(a.input, a));
      })
    .command('gen <spec> <output>', 'Write a synthetic workload (a --workload spec) as a native trace.', (y) =>
      y.positional('spec', { type: 'string', demandOption: true }).positional('output', { type: 'string', demandOption: true }).option('seed', { type: 'number', default: 1 }),
      async (a) => gen(a.spec, a.output, a.seed))
    .command('formats', 'List the trace formats and what each is detected by.', () => {}, () => {
      for (const f of FORMATS) process.stdout.write(`${f.name.padEnd(12)} ${f.summary}${f.instructionLevel ? ' [instruction-level: LLC filter on]' : ''}\n`);
    })
    .demandCommand(1, 'Give a command: stats, convert, gen or formats')
    .strict();
  await finishCli(parser, undefined, () => '. Commands: stats FILE, convert IN OUT, gen SPEC OUT, formats (see --help)').parseAsync();
  return code;
}

runAsMain(import.meta.url, main, { options: ['--format', '--skip-bad', '--ns-per-instruction', '--out', '--seed'], flags: ['--skip-bad'] });
