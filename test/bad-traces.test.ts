// Bad trace input, as a user meets it: `npm run sim -- --trace FILE`. Every case must exit with
// status 2 and one line on stderr naming the file and the line or byte offset, what was expected
// and what was found; no stack trace; and no run directory that looks complete (no summary.csv).
// Expected messages are written by hand from the input each case builds.

import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync, deflateSync } from 'node:zlib';
import { join } from 'node:path';
import { tmp } from './trace-helpers.ts';
import { NativeWriter, FLAG_GAP } from '../traces/native.ts';
import { createBatch } from '../traces/batch.ts';

const ROOT = join(import.meta.dirname, '..');
let dir = '';

/** Write a file under the case directory; returns its path. */
function put(name: string, data: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

/** 20 000 instruction + load pairs: big enough that compressed copies span many blocks. */
function bigLackey(): string {
  const lines: string[] = [];
  for (let i = 0; i < 20000; i++) lines.push(`I  0401ab70,3\n L 1fff${(i * 8).toString(16).padStart(6, '0')},8\n`);
  return lines.join('');
}

/** A one-CPU native trace of `gaps.length` records on as many pages (plain). */
async function native(name: string, gaps: number[]): Promise<string> {
  const path = join(dir, name);
  const w = new NativeWriter(path, FLAG_GAP, 1, 1);
  const b = createBatch(gaps.length);
  gaps.forEach((g, i) => {
    b.addrLo[i] = 4096 * (i + 1);
    b.gapNs[i] = g;
  });
  b.count = gaps.length;
  await w.write(b);
  await w.close();
  return path;
}

/** A ChampSim record: ip, branch flags, one load address (0 = none). */
function champsimRecord(ip: number, isBranch: number, load: number): Buffer {
  const r = Buffer.alloc(64);
  r.writeUInt32LE(ip, 0);
  r[8] = isBranch;
  r.writeUInt32LE(load, 32);
  return r;
}

function run(trace: string): Promise<{ status: number | null; stderr: string; out: string }> {
  const out = join(tmp(), 'run');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', './policies/registry.ts', 'sim/cli.ts', '--policy', 'first-touch', '--trace', trace, '--out', out, '--set', 'trace.indexCache=false'], { cwd: ROOT });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => (stderr += s));
    child.stdout.resume();
    child.on('close', (status) => resolve({ status, stderr, out }));
  });
}

const big = bigLackey();
/** Gaps of a 20-record native trace: 20 pages, enough that a 1:4 machine has a page of DRAM. */
const TWENTY = Array.from({ length: 20 }, (_, i) => i + 1);
// [name, builds the trace file and returns its path, expected stderr line (after "error: ")]
const CASES: Array<[string, () => string | Promise<string>, (path: string) => RegExp]> = [
  ['lackey: a malformed address', () => put('bad.lackey', ' L 1000,8\n S 1fff00072g,8\n'),
    (p) => lit(`${p}:2: expected " L|S|M <hex address (1-16 digits)>,<size 1-256>", found " S 1fff00072g,8"`)],
  ['lackey: size 0', () => put('size0.lackey', 'I  0401ab70,3\n L 1000,0\n'),
    (p) => lit(`${p}:2: expected " L|S|M <hex address (1-16 digits)>,<size 1-256>", found " L 1000,0"`)],
  ['lackey: an access past 2^64', () => put('top.lackey', ' L fffffffffffffff8,16\n'),
    (p) => lit(`${p}:1: expected an access inside the 64-bit address space, found 16 bytes at the top of it in " L fffffffffffffff8,16"`)],
  ['CSV: an unknown column', () => put('col.csv', 'addr,colour\n0x1000,red\n'),
    (p) => new RegExp(`^${esc(`${p}:1: expected a CSV header of known columns, found column "colour". Valid columns: addr, op, time, gap, cpu, vm, size, content`)}`)],
  ['CSV: a gap of 10^14 ns', () => put('gap.csv', 'addr,gap\n0x1000,5\n0x2000,1e14\n'),
    (p) => lit(`${p}:3: expected a compute gap of 0 to 3600 s (traces/FORMAT.md "Ranges"), found a gap of 100000 s in "0x2000,1e14"`)],
  ['CSV: an infinite gap', () => put('inf.csv', 'addr,gap\n0x1000,1e999\n'),
    (p) => lit(`${p}:2: expected a compute gap of 0 to 3600 s (traces/FORMAT.md "Ranges"), found a gap of Infinity in "0x1000,1e999"`)],
  ['CSV: time going backwards', () => put('back.csv', 'addr,time\n0x1000,100\n0x2000,50\n'),
    (p) => lit(`${p}:3: expected a timestamp ≥ the previous one of this cpu (100), found "0x2000,50"`)],
  ['CSV: vm 70000', () => put('vm.csv', 'addr,vm\n0x1000,70000\n'),
    (p) => lit(`${p}:2: expected a vm number 0–65535 in column vm, found "0x1000,70000"`)],
  ['perf script: a sample without a data address', () => put('noaddr.perf.txt', '  app 1/2 [000] 10.000000: 1 cpu/mem-loads/P: 7ffd0010\n  app 1/2 [000] 10.000001: 1 cpu/mem-loads/P:\n'),
    (p) => lit(`${p}:2: expected an event name ending in ":" followed by a hex data address (perf script -F …,addr), found "  app 1/2 [000] 10.000001: 1 cpu/mem-loads/P:"`)],
  ['perf script: two samples of a thread 2 hours apart', () => put('jump.perf.txt', '  app 1/2 [000] 10.000000: 1 cpu/mem-loads/P: 7ffd0010\n  app 1/2 [000] 7210.000000: 1 cpu/mem-loads/P: 7ffd0020\n'),
    (p) => lit(`${p}:2: expected a compute gap of 0 to 3600 s (traces/FORMAT.md "Ranges"), found a time since this thread's previous sample of 7200 s in "  app 1/2 [000] 7210.000000: 1 cpu/mem-loads/P: 7ffd0020"`)],
  ['drmemtrace: a line cut after "@ 0"', () => put('cut.drmem.txt', '           4           1:        9956 ifetch       3 byte(s) @ 0x000000000401ab70\n           6           2:        9956 write        8 byte(s) @ 0'),
    (p) => lit(`${p}:2: expected a 16-digit hex address "0x…" after "@" (the line is cut?), found "           6           2:        9956 write        8 byte(s) @ 0"`)],
  ['drmemtrace: size 0', () => put('size0.drmem.txt', 'T1 ifetch 3 byte(s) @ 0x4000000\nT1 read 0 byte(s) @ 0x1000\n'),
    (p) => lit(`${p}:2: expected a size 1–256 before "byte(s)", found "T1 read 0 byte(s) @ 0x1000"`)],
  ['ChampSim: a truncated record', () => put('cut.champsim', Buffer.concat([champsimRecord(0x401000, 0, 0x1000), champsimRecord(0x401004, 0, 0x2000), champsimRecord(0x401008, 0, 0), Buffer.alloc(10)])),
    (p) => lit(`${p}: byte 192: truncated ChampSim record (10 of 64 bytes); the file is cut short or is not a ChampSim trace`)],
  ['ChampSim: branch flags 7 in record 70', () => put('flags.champsim', Buffer.concat(Array.from({ length: 80 }, (_, i) => champsimRecord(0x401000 + 4 * i, i === 70 ? 7 : 0, 0x1000 + 64 * i)))),
    (p) => lit(`${p}: byte 4480: expected a ChampSim input_instr record (is_branch and branch_taken 0 or 1), found 7 and 0; not a ChampSim trace, or corrupt`)],
  ['DAMON: a snapshot 10 000 s after the previous one', () => put('jump.json_zlib', deflateSync(JSON.stringify([{ intervals: { sample_us: 5000, aggr_us: 100000 }, snapshots: [
    { start_time: 0, end_time: 1e8, regions: [{ start: 4096, end: 8192, nr_accesses: 20 }] },
    { start_time: 1e13, end_time: 1e13 + 1e8, regions: [{ start: 4096, end: 8192, nr_accesses: 20 }] },
  ] }]))),
  (p) => new RegExp(`^${esc(`${p}: record 0 snapshot 1: expected a compute gap of 0 to 3600 s between replayed samples, found 9999.9`)}\\d* s \\(a jump of the snapshot times\\)$`)],
  ['DAMON: sample_us 0', () => put('iv.json', JSON.stringify([{ intervals: { sample_us: 0, aggr_us: 100000 }, snapshots: [{ start_time: 0, end_time: 1e8, regions: [{ start: 4096, end: 8192, nr_accesses: 1 }] }] }])),
    (p) => lit(`${p}: record 0 intervals: expected sample_us > 0, aggr_us ≥ sample_us, aggr_us ≤ 3600 s and at most 100000 samples per aggregation, found {"sample_us":0,"aggr_us":100000}`)],
  ['native: a header with 0 CPUs', async () => {
    const b = readFileSync(await native('src0.tsim', TWENTY));
    b.writeUInt16LE(0, 20);
    return put('cpus0.tsim', b);
  }, (p) => lit(`${p}: byte 20: expected a CPU count of 1–65535, found 0; the header is corrupt`)],
  ['native: a NaN gap', () => native('nan.tsim', TWENTY.map((g, i) => (i === 2 ? NaN : g))),
    // header 64 + block header 16 + addrLo, addrHi (20 × 4 bytes each) + record 2 of the gaps (8)
    (p) => lit(`${p}: byte 248: expected a compute gap of 0 to 3600 s, found NaN; the file is corrupt`)],
  ['native: cut in the middle of its block', async () => put('cut.tsim', readFileSync(await native('whole.tsim', TWENTY)).subarray(0, 100)),
    // the block's payload starts at 80 and holds 20 × 12 + 20 = 260 bytes: 20 of them are there
    (p) => lit(`${p}: byte 100: truncated block (20 of 260 payload bytes); the file is cut short`)],
  ['a directory', () => {
    mkdirSync(join(dir, 'adir'), { recursive: true });
    return join(dir, 'adir');
  }, (p) => lit(`--trace ${p}: expected a trace file, found a directory`)],
  ['a missing file', () => join(dir, 'nowhere.lackey'), (p) => lit(`--trace ${p}: no such file or directory (ENOENT)`)],
  ['an unreadable file', () => {
    // Root reads any file whatever its mode; /proc/self/mem (the reader's own memory) fails to read at offset 0.
    if (process.getuid?.() === 0) return '/proc/self/mem';
    const p = put('secret.lackey', ' L 1000,8\n');
    execFileSync('chmod', ['000', p]);
    return p;
  }, // The CLI checks and hashes the trace before it opens it (sim/run-checks.ts), so these are its messages.
    (p) => new RegExp(`^${esc(`--trace ${p}: cannot read: `)}(input/output error \\(EIO\\)|permission denied \\(EACCES\\))$`)],
  ['an empty file', () => put('empty.csv', ''),
    (p) => lit(`${p}: the trace is empty (0 bytes); expected one of: native, damon, lackey, drmemtrace, perf-script, csv, champsim`)],
  ['gzip: corrupt right after its header', () => {
    const gz = gzipSync(big);
    for (let i = 10; i < 40; i++) gz[i] ^= 0xa5;
    return put('corrupt.lackey.gz', gz);
  }, (p) => new RegExp(`^${esc(`${p}: gzip data is corrupt or truncated near decompressed byte 0 (`)}.+\\)$`)],
  ['gzip: cut short', () => {
    const gz = gzipSync(big);
    return put('cut.lackey.gz', gz.subarray(0, Math.floor(gz.length * 0.6)));
  }, (p) => new RegExp(`^${esc(`${p}: gzip data is corrupt or truncated near decompressed byte `)}\\d+ \\(unexpected end of file\\)$`)],
  ['zstd: cut short', () => {
    const z = execFileSync('zstd', ['-q', '-c'], { input: big });
    return put('cut.lackey.zst', z.subarray(0, Math.floor(z.length * 0.6)));
  }, (p) => new RegExp(`^${esc(`${p}: zstd -dc failed (exit 1) after `)}\\d+ decompressed bytes: .+; the file is corrupt or truncated$`)],
  ['xz: cut short', () => {
    const z = execFileSync('xz', ['-c'], { input: big });
    return put('cut.lackey.xz', z.subarray(0, Math.floor(z.length * 0.6)));
  }, (p) => new RegExp(`^${esc(`${p}: xz -dc failed (exit 1) after `)}\\d+ decompressed bytes: .*Unexpected end of input; the file is corrupt or truncated$`)],
];

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The whole line, literally. */
function lit(s: string): RegExp {
  return new RegExp(`^${esc(s)}$`);
}

beforeAll(() => {
  dir = tmp();
});

describe.concurrent('bad trace input: exit 2, one line naming the place, no stack trace, no complete-looking run', () => {
  for (const [name, build, expected] of CASES) {
    it(name, async () => {
      const path = await build();
      const { status, stderr, out } = await run(path);
      const lines = stderr.trimEnd().split('\n');
      expect(lines.filter((l) => /^\s+at /.test(l))).toEqual([]);
      expect(lines.length, stderr).toBe(1);
      expect(lines[0].startsWith('error: '), stderr).toBe(true);
      expect(lines[0].slice('error: '.length)).toMatch(expected(path));
      expect(status).toBe(2);
      expect(existsSync(join(out, 'summary.csv'))).toBe(false);
    }, 60_000);
  }

  it('has at least 15 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(15);
  });
});
