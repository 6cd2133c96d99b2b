// The sweep as a user runs it: a separate process started through tsx (so worker threads must load
// TypeScript themselves), its exit codes, help and errors, an interrupted run resumed, and the
// emitted Slurm script actually run shard by shard and merged.

import { describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const W = 'uniform:pages=2000,accesses=50k';
const tmp = () => mkdtempSync(join(tmpdir(), 'sweep-cli-'));

function sweep(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(TSX, ['--import', './policies/registry.ts', 'sim/sweep.ts', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npm run sweep', () => {
  it('--help explains every option of each command', () => {
    const run = sweep(['--help']);
    expect(run.code).toBe(0);
    for (const o of ['--grid', '--sweep', '--set', '--config', '--out', '--jobs', '--resume', '--shard', '--quiet']) expect(run.stdout).toContain(o);
    expect(run.stdout).toMatch(/Grid file \(JSON;/);
    const plan = sweep(['plan', '--help']);
    for (const o of ['--shards', '--emit', '--script', '--workdir', '--time', '--partition', '--memory', '--image', '--pvc']) expect(plan.stdout).toContain(o);
    expect(sweep(['merge', '--help']).stdout).toContain('--out');
  });

  it('an unknown option is an error listing the valid ones', () => {
    const r = sweep(['--sweep', 'seed=1', '--jbos', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown argument.*jbos.*Valid options for run: --grid, --sweep/);
  });

  it('an unknown axis path fails before anything runs or is written', () => {
    const out = join(tmp(), 'never');
    const r = sweep(['--sweep', 'machine.localGiB=8,16', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: --sweep machine\.localGiB=8,16: unknown config key "machine\.localGiB".*--list-keys/);
    expect(existsSync(out)).toBe(false);
  });

  it('runs points on worker threads from the command line and exits 0; a failed point makes it exit 1', () => {
    const out = tmp();
    const ok = sweep(['--sweep', 'policy=first-touch,interleave', '--sweep', 'seed=1,2', '--set', `workload=${W}`, '--out', out, '--jobs', '2']);
    expect(ok.stderr).toMatch(/4 ran, 0 already complete, 0 failed/);
    expect(ok.code).toBe(0);
    expect(readFileSync(join(out, 'sweep.csv'), 'utf8').trim().split('\n')).toHaveLength(5);
    const bad = sweep(['--sweep', 'machine.tiers.0.capacityGiB=0.0009765625,1', '--set', `workload=${W}`, '--set', 'machine.tiers.1.capacityGiB=0.0009765625', '--out', tmp(), '-j', '2']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/point 0 \(machine\.tiers\.0\.capacityGiB=0\.0009765625\) failed/);
    expect(bad.stderr).toMatch(/1 ran, 0 already complete, 1 failed/);
  });

  it('a sweep killed mid-run resumes: the rerun skips the points finished before the kill', async () => {
    const out = tmp();
    const args = ['sim/sweep.ts', '--sweep', 'seed=1..4', '--set', 'workload=uniform:pages=2000,accesses=2M', '--out', out, '--jobs', '1'];
    const child = spawn(TSX, ['--import', './policies/registry.ts', ...args], { cwd: ROOT, stdio: 'ignore', detached: true });
    const done = () => (existsSync(join(out, 'points')) ? readdirSync(join(out, 'points')).filter((d) => existsSync(join(out, 'points', d, 'summary.csv'))).length : 0);
    const deadline = Date.now() + 30_000;
    while (done() < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    process.kill(-child.pid!, 'SIGKILL'); // the whole process group: tsx, node and its worker threads
    await new Promise((r) => child.once('exit', r));
    const finished = done();
    expect(finished).toBeGreaterThanOrEqual(1);
    expect(finished).toBeLessThan(4);
    const again = sweep(args.slice(1));
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`resume: ${finished} of 4 points already complete`);
    expect(again.stderr).toMatch(new RegExp(`${4 - finished} ran, ${finished} already complete, 0 failed`));
    expect(readFileSync(join(out, 'sweep.csv'), 'utf8').trim().split('\n')).toHaveLength(5);
  });

  it('plan --emit slurm writes a job-array script whose tasks, run as Slurm would, merge into the unsharded CSV', () => {
    const dir = tmp();
    const grid = join(dir, 'grid.json');
    writeFileSync(grid, JSON.stringify({ set: { workload: W }, axes: { policy: ['first-touch', 'interleave'], 'machine.ratio': ['1:4', '1:1'] } }));
    const whole = join(dir, 'whole');
    expect(sweep(['--grid', grid, '--out', whole, '-q']).code).toBe(0);

    const script = join(dir, 'sweep.sbatch');
    const shared = join(dir, 'shared');
    const plan = sweep(['plan', '--grid', grid, '--shards', '2', '--emit', 'slurm', '--out', shared, '--script', script, '--workdir', ROOT, '--jobs', '1']);
    expect(plan.code).toBe(0);
    const text = readFileSync(script, 'utf8');
    expect(text).toMatch(/^#SBATCH --array=0-1$/m);
    expect(text).toMatch(/^#SBATCH --cpus-per-task=1$/m);
    expect(text).toContain('--shard "$SLURM_ARRAY_TASK_ID/2"');
    execFileSync('bash', ['-n', script]);
    for (const task of ['0', '1']) {
      execFileSync('bash', [script], { env: { ...process.env, SLURM_ARRAY_TASK_ID: task, SLURM_CPUS_PER_TASK: '1' }, stdio: 'pipe' });
    }
    expect(readdirSync(shared).filter((f) => f.startsWith('shard-')).sort()).toEqual(['shard-0-of-2.csv', 'shard-1-of-2.csv']);
    expect(sweep(['merge', shared]).code).toBe(0);
    expect(readFileSync(join(shared, 'sweep.csv'), 'utf8')).toBe(readFileSync(join(whole, 'sweep.csv'), 'utf8'));
  }, 180_000); // seven child processes (a whole sweep, a plan, two Slurm tasks, a merge): over 60 s on a loaded 2-core machine

  it('plan --emit k8s writes an Indexed Job running every shard into one volume', () => {
    const r = sweep(['plan', '--sweep', 'seed=1..6', '--set', `workload=${W}`, '--shards', '3', '--emit', 'k8s', '--name', 'demo', '--image', 'reg/tiersim:1', '--jobs', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^kind: Job$/m);
    expect(r.stdout).toMatch(/completionMode: Indexed/);
    expect(r.stdout).toMatch(/completions: 3\n\s+parallelism: 3/);
    expect(r.stdout).toContain('--shard \\"$JOB_COMPLETION_INDEX/3\\"');
    expect(r.stdout).toContain('npm run sweep -- --set workload=uniform:pages=2000,accesses=50k --sweep seed=1..6 --out /results/demo');
    expect(r.stdout).toContain('image: "reg/tiersim:1"');
    expect(r.stdout).toContain('/results/demo');
  });
});
