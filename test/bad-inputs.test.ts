// Bad inputs, as users make them: every case gets exit code 2 and one line naming the flag, key or
// file, what was expected and what was found — never a stack trace — and leaves no output folder
// that looks complete. The command lines run in-process through each CLI's exported main() and
// the same error mapping runAsMain uses (describeError); cases that depend on the process itself
// (npm's environment, another user's permissions) spawn it. Trace-content cases are in
// bad-traces.test.ts.

import { describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeError, npmAteOptions } from '../sim/cli-common.ts';
import { main as sim } from '../sim/cli.ts';
import { main as sweep } from '../sim/sweep.ts';
import { main as trace } from '../traces/cli.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const FIXTURES = join(ROOT, 'test', 'fixtures');
const SMALL = ['--workload', 'uniform:pages=500,accesses=5k'];
const tmp = () => mkdtempSync(join(tmpdir(), 'bad-inputs-'));

/** Exit code and stderr line of a command run in-process, as runAsMain would report it (its stdout, a summary table, is dropped). */
async function run(main: (argv: string[]) => Promise<number>, argv: string[]): Promise<{ code: number; text: string }> {
  const quiet = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    return { code: await main(argv), text: '' };
  } catch (err) {
    return describeError(err);
  } finally {
    quiet.mockRestore();
  }
}

/** Exit 2 and one line starting "error:", matching every pattern, with no stack frame. */
function expectUserError(r: { code: number | null; text: string }, ...patterns: RegExp[]): void {
  expect(r.code, r.text).toBe(2);
  const lines = r.text.trimEnd().split('\n').filter((l) => l.startsWith('error:') || /^\s+at /.test(l));
  expect(lines, r.text).toHaveLength(1);
  expect(r.text).not.toMatch(/^\s+at /m);
  for (const p of patterns) expect(r.text).toMatch(p);
}

/** A folder looks complete when it holds a summary or a config.json (what resume and `already complete` read). */
function expectNoCompleteRun(dir: string): void {
  expect(existsSync(join(dir, 'summary.csv')), `${dir}/summary.csv`).toBe(false);
  expect(existsSync(join(dir, 'config.json')), `${dir}/config.json`).toBe(false);
}

const simError = async (argv: string[], ...patterns: RegExp[]) => {
  const out = join(tmp(), 'run');
  expectUserError(await run(sim, [...SMALL, '--out', out, ...argv]), ...patterns);
  expectNoCompleteRun(out);
};

describe('bad flags and values of npm run sim', () => {
  it('an unknown option lists the valid ones', () => simError(['--polcy', 'tpp'], /Unknown argument: polcy/, /Valid options: --policy/));

  it('a stray argument (a value whose flag npm took) is an error, not ignored', () => simError(['tpp'], /Unknown argument: tpp/));

  it('--epoch-ms below its range', () => simError(['--epoch-ms', '0.000001'], /--epoch-ms: stats\.epochMs must be ≥ 0\.001, found 0\.000001/));

  it('--epoch-ms Infinity and abc are not numbers', async () => {
    await simError(['--epoch-ms', 'Infinity'], /--epoch-ms: stats\.epochMs expects a number, found Infinity/);
    await simError(['--epoch-ms', 'abc'], /--epoch-ms: stats\.epochMs expects a number/);
  });

  it('epochs too small for the run are rejected before it starts, with the row count worked out from the workload', async () => {
    // Default workload: 10 M accesses + a 256 Ki-page init pass on one thread, each at least the
    // 200 ns gap + 100 ns DRAM latency / mlp 2 = 250 ns: 10,262,144 · 250 ns = 2.565536 s, i.e.
    // 2,565,536 epochs of 1 µs, over the 100,000-row limit.
    const out = join(tmp(), 'run');
    const started = performance.now();
    expectUserError(await run(sim, ['--epoch-ms', '0.001', '--out', out]), /--epoch-ms/, /2,565,536 or more timeseries\.csv rows/, /limit of 100,000/);
    expect(performance.now() - started).toBeLessThan(5000);
    expectNoCompleteRun(out);
  });

  it('a run that outgrows the epoch-row limit while running is stopped with the reason', async () => {
    // 2000 first-touch faults of 1 s each: ~2000 s simulated, 2,000,000 epochs of 1 ms; the up-front
    // bound (compute gaps and latencies only) cannot see it, the running guard can.
    await simError(['--set', 'cost.firstTouchFaultNs=1e9', '--epoch-ms', '1'], /more than 100,000 epochs/, /stopped/);
  });

  it('--seed must be a whole number ≥ 0', async () => {
    await simError(['--seed', '-1'], /--seed: seed must be ≥ 0, found -1/);
    await simError(['--seed', '1.5'], /--seed: seed expects a whole number, found 1\.5/);
  });

  it('--set sampler.ringSamples=1e10 is over its range (not a RangeError from an array allocation)', () =>
    simError(['--set', 'sampler.ringSamples=1e10'], /--set: sampler\.ringSamples must be ≤ 16777216, found 1e10/));

  it('--local-gib outside [0, 65536] and --max-accesses over 10^12', async () => {
    await simError(['--local-gib', '-1'], /--local-gib: machine\.tiers\.0\.capacityGiB must be ≥ 0/);
    await simError(['--local-gib', '1e9'], /--local-gib: machine\.tiers\.0\.capacityGiB must be ≤ 65536/);
    await simError(['--max-accesses', '1e13'], /--max-accesses: run\.maxAccesses must be ≤ 1000000000000/);
  });

  for (const key of ['constructor', 'toString', '__proto__']) {
    it(`--set ${key}=1 is an unknown key, not an Object.prototype member`, () => simError(['--set', `${key}=1`], new RegExp(`unknown config key "${key}"`), /--list-keys/));
  }

  it('an unknown key names the closest ones and --list-keys, in one short line (not the whole key list)', async () => {
    const out = join(tmp(), 'run');
    const r = await run(sim, [...SMALL, '--out', out, '--set', 'cpu.mpl=2']);
    expectUserError(r, /unknown config key "cpu\.mpl"\. Did you mean cpu\.mlp/, /npm run sim -- --list-keys/);
    expect(r.text.length).toBeLessThan(250);
  });

  it('--set without "=", a bad --page-size, --format and --ratio', async () => {
    await simError(['--set', 'seed'], /--set seed: expected path=value/);
    await simError(['--page-size', '3k'], /--page-size: expected 4k or 2m, found "3k"/);
    await simError(['--format', 'xml'], /Invalid values:.*format.*"xml"/);
    await simError(['--ratio', '1:x'], /machine\.ratio: expected 2 non-negative numbers/);
  });

  it('unknown policy, preset and workload names list the valid ones', async () => {
    await simError(['--policy', 'lru'], /unknown policy "lru"\. Did you mean mglru\? Valid policies: first-touch/);
    await simError(['--machine', 'cxl'], /unknown machine preset "cxl"\. Valid presets: ddr5-cxl/);
    const out = join(tmp(), 'run');
    expectUserError(await run(sim, ['--out', out, '--workload', 'constructor']), /unknown kind "constructor".*Valid kinds: uniform/);
    expectUserError(await run(sim, ['--out', out, '--workload', 'zipf:pages=10,thetaa=1']), /zipf has no parameter "thetaa"/);
    expectNoCompleteRun(out);
  });

  it('workload numbers are bounded too, and a flag given twice is one line', async () => {
    const out = join(tmp(), 'run');
    expectUserError(await run(sim, ['--out', out, '--workload', 'uniform:pages=1k,accesses=1e18']), /needs accesses in \[1, 1000000000000\], found 1000000000000000000/);
    expectUserError(await run(sim, ['--out', out, '--workload', 'uniform:pages=1k,accesses=1k,gapNs=1e30']), /needs gapNs in \[0, 1000000000\], found 1e\+30/);
    await simError(['--workload', 'uniform:pages=1k'], /--workload: workload expects a string, found \["uniform:pages=500,accesses=5k","uniform:pages=1k"\]/);
    expectNoCompleteRun(out);
  });

  it('a forgotten -- (npm took the option) names the right call; npm\'s own settings never trigger it', () => {
    const env = { npm_lifecycle_event: 'sim', npm_config_policy: 'true', npm_config_cache: '/root/.npm', npm_config_force: 'true', npm_config_yes: '' };
    expect(npmAteOptions(env, { options: ['--policy', '--force', '--seed'], flags: ['--force'] }, ['tpp'])).toMatch(/npm took --policy .* e\.g\. npm run sim -- --policy tpp$/);
    expect(npmAteOptions({ ...env, npm_config_policy: undefined }, { options: ['--policy', '--force'] }, [])).toBeUndefined();
    expect(npmAteOptions({ npm_config_policy: 'tpp' }, { options: ['--policy'] }, [])).toBeUndefined(); // not under npm run
    expect(npmAteOptions({ npm_lifecycle_event: 'trace', npm_config_skip_bad: 'true' }, { options: ['--skip-bad'], flags: ['--skip-bad'] }, ['convert', 'a', 'b'])).toMatch(
      /npm run trace -- --skip-bad convert a b$/,
    );
  });

  it('npm run sim --policy tpp (no --) exits 2 with the call to make, through npm itself', () => {
    const r = spawnSync('npm', ['run', '--silent', 'sim', '--policy', 'tpp'], { cwd: ROOT, encoding: 'utf8' });
    expectUserError({ code: r.status, text: r.stderr.split('\n').filter((l) => !l.startsWith('npm ')).join('\n') }, /npm run sim -- --policy tpp/);
  }, 180_000); // npm's own start-up plus tsx: over 60 s on a loaded 2-core machine
});

describe('bad config files', () => {
  it('a missing file, a directory and a JSON syntax error name the file (and line)', async () => {
    const dir = tmp();
    await simError(['--config', join(dir, 'none.json')], /none\.json: cannot read config file \(ENOENT\)/);
    await simError(['--config', dir], /cannot read config file \(EISDIR\)/);
    writeFileSync(join(dir, 'bad.json'), '{\n  "seed": 1,\n  "policy" "tpp"\n}\n');
    await simError(['--config', join(dir, 'bad.json')], /bad\.json:3: expected JSON/);
  });

  it('"__proto__" in a config file is an unknown key, not a prototype', async () => {
    const file = join(tmp(), 'c.json');
    writeFileSync(file, '{"__proto__": {"seed": 5}}');
    await simError(['--config', file], /unknown config key "__proto__\.seed"/);
  });
});

describe('output places, checked before the run', () => {
  it('--out /proc/run fails at once (it used to hang in a recursive mkdir)', async () => {
    const started = performance.now();
    expectUserError(await run(sim, [...SMALL, '--out', '/proc/run']), /--out \/proc\/run: cannot write in \/proc/);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('--out under a regular file, and --out naming a regular file', async () => {
    const file = join(tmp(), 'f');
    writeFileSync(file, 'x');
    expectUserError(await run(sim, [...SMALL, '--out', join(file, 'run')]), new RegExp(`${file} is a file, not a directory`));
    expectUserError(await run(sim, [...SMALL, '--out', file, '--force']), /it is a file, not a directory/);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('--out in a directory the user cannot write (checked as another user when run as root)', () => {
    const dir = tmp();
    chmodSync(dir, 0o755); // mkdtemp makes it 0700: the other user must reach ro/
    mkdirSync(join(dir, 'ro'), { mode: 0o555 });
    const asOther = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const r = spawnSync(TSX, ['--import', './policies/registry.ts', 'sim/cli.ts', ...SMALL, '--out', join(dir, 'ro', 'run')], { cwd: ROOT, encoding: 'utf8', ...asOther, env: { ...process.env, HOME: tmpdir() } });
    expectUserError({ code: r.status, text: r.stderr }, /cannot write in .*ro: permission denied \(EACCES\)/);
    expect(readdirSync(join(dir, 'ro'))).toEqual([]);
  });

  it('a folder with files that are not a run is never replaced, not even with --force', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'thesis.tex'), 'mine');
    for (const force of [[], ['--force']]) expectUserError(await run(sim, [...SMALL, '--out', dir, ...force]), /files that are not part of a run \(thesis\.tex\)/);
    expect(readdirSync(dir)).toEqual(['thesis.tex']);
  });

  it('a folder holding another config is an error; --force replaces it whole (no stale vm-timeseries.csv)', async () => {
    const dir = join(tmp(), 'run');
    expect((await run(sim, [...SMALL, '--out', dir, '--seed', '1'])).code).toBe(0);
    writeFileSync(join(dir, 'vm-timeseries.csv'), 'stale\n');
    const before = readFileSync(join(dir, 'summary.csv'), 'utf8');
    expectUserError(await run(sim, [...SMALL, '--out', dir, '--seed', '2']), /holds a run of another config/, /--force replaces it/);
    expect(readFileSync(join(dir, 'summary.csv'), 'utf8')).toBe(before);
    expect((await run(sim, [...SMALL, '--out', dir, '--seed', '2', '--force'])).code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'summary.csv', 'summary.json', 'timeseries.csv']);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).config.seed).toBe(2);
  });

  it('a half-written folder of an older tiersim (new config.json beside another seed\'s summary) is not taken as complete', async () => {
    const dir = join(tmp(), 'run');
    expect((await run(sim, [...SMALL, '--out', dir, '--seed', '1'])).code).toBe(0);
    // What a crash used to leave: config.json of the new run (seed 2, no run identity) written first.
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ config: { ...cfg.config, seed: 2 }, run: { meta: {} } }));
    expectUserError(await run(sim, [...SMALL, '--out', dir, '--seed', '2']), /without a readable run identity/);
  });
});

describe('bad trace paths', () => {
  it('--trace a directory, a missing file and a device are one line each', async () => {
    await simError(['--trace', tmpdir()], /--trace .*: expected a trace file, found a directory/);
    await simError(['--trace', join(tmp(), 'none.csv')], /--trace .*none\.csv: no such file or directory \(ENOENT\)/);
    await simError(['--trace', '/dev/null'], /--trace \/dev\/null: expected a trace file, found not a regular file/);
  });

  it('a config naming another trace content (trace.sha256) is refused', async () => {
    const dir = tmp();
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ trace: join(FIXTURES, 'sort-cut.csv'), 'trace.sha256': '0'.repeat(64) }));
    await simError(['--config', file, '--local-gib', '1', '--cxl-gib', '1'], /trace\.sha256: .*sort-cut\.csv has changed since this config was written/);
  });
});

describe('npm run trace convert', () => {
  const md5 = (p: string) => createHash('md5').update(readFileSync(p)).digest('hex');

  it('refuses to write over its input: the same path, a symbolic link, a hard link', async () => {
    const dir = tmp();
    const input = join(dir, 'in.lackey');
    writeFileSync(input, readFileSync(join(FIXTURES, 'sort-cut.lackey')));
    const sum = md5(input);
    symlinkSync(input, join(dir, 'sym.lackey'));
    linkSync(input, join(dir, 'hard.lackey'));
    for (const out of [input, join(dir, 'sym.lackey'), join(dir, 'hard.lackey')]) {
      expectUserError(await run(trace, ['convert', input, out]), /the output is the input/);
    }
    expect(md5(input)).toBe(sum);
    expect(readdirSync(dir).sort()).toEqual(['hard.lackey', 'in.lackey', 'sym.lackey']);
  });

  it('a failed convert leaves no temporary file', async () => {
    const dir = tmp();
    const lines = readFileSync(join(FIXTURES, 'sort-cut.lackey'), 'utf8').split('\n');
    writeFileSync(join(dir, 'bad.lackey'), [...lines.slice(0, 12), ' L zzzz,8', ...lines.slice(12)].join('\n'));
    expectUserError(await run(trace, ['convert', join(dir, 'bad.lackey'), join(dir, 'out.tsim')]), /bad\.lackey:13: expected/);
    expect(readdirSync(dir)).toEqual(['bad.lackey']);
  });

  it('an output that is a directory or in /proc fails before reading', async () => {
    const input = join(FIXTURES, 'sort-cut.lackey');
    expectUserError(await run(trace, ['convert', input, tmpdir()]), /output .* is a directory/);
    expectUserError(await run(trace, ['convert', input, '/proc/x.tsim']), /cannot write in \/proc/);
  });
});

describe('bad sweeps', () => {
  const W = ['--set', 'workload=uniform:pages=500,accesses=5k'];

  it('--jobs and --shards out of range, --out in /proc', async () => {
    const out = join(tmp(), 'sw');
    expectUserError(await run(sweep, ['--sweep', 'seed=1,2', ...W, '--out', out, '--jobs', '0']), /--jobs: expected a whole number from 1 to 1024, found 0/);
    expectUserError(await run(sweep, ['plan', '--sweep', 'seed=1,2', ...W, '--shards', '1e9']), /--shards: expected a whole number from 1 to 100000/);
    expectUserError(await run(sweep, ['--sweep', 'seed=1,2', ...W, '--out', '/proc/sw']), /--out \/proc\/sw: cannot write in \/proc: no such file or directory \(ENOENT\)/);
    expect(existsSync(out)).toBe(false);
  });

  it('an axis value out of range, and an axis named after an Object.prototype member', async () => {
    const out = join(tmp(), 'sw');
    expectUserError(await run(sweep, ['--sweep', 'sampler.ringSamples=16,1e10', ...W, '--out', out]), /sampler\.ringSamples must be ≤ 16777216, found 1e10/);
    expectUserError(await run(sweep, ['--sweep', 'constructor=1,2', ...W, '--out', out]), /unknown config key "constructor"/);
    expectUserError(await run(sweep, ['--sweep', 'seed=1,2', '--set', '__proto__=1', ...W, '--out', out]), /unknown config key "__proto__"/);
    expect(existsSync(out)).toBe(false);
  });
});
