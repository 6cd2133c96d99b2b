// The CLI as a user runs it (through tsx, as `npm run sim` does).

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsx = join(root, 'node_modules', '.bin', 'tsx');

function sim(...args: string[]) {
  const r = spawnSync(tsx, ['--import', './policies/registry.ts', 'sim/cli.ts', ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const SMALL = ['--workload', 'hotset:pages=2000,accesses=20k'];

describe('sim CLI', () => {
  it('rejects an unknown option, listing the valid ones, and exits 2', () => {
    const r = sim('--polcy', 'first-touch');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Unknown argument: polcy.*Valid options: --policy, .*--workload/s);
  });

  it('rejects an unknown policy and a bad workload with the valid choices', () => {
    const p = sim('--policy', 'lru');
    expect(p.code).toBe(2);
    expect(p.err).toMatch(/unknown policy "lru".*Valid policies: first-touch, interleave/);
    const w = sim('--workload', 'zipf:pages=10,thetaa=1');
    expect(w.code).toBe(2);
    expect(w.err).toMatch(/zipf has no parameter "thetaa"/);
  });

  it('writes a complete run directory, prints JSON keyed like summary.csv, and skips a complete rerun', () => {
    const out = mkdtempSync(join(tmpdir(), 'tiersim-cli-'));
    const r = sim('--policy', 'interleave', ...SMALL, '--out', out, '--format', 'json');
    expect(r.code, r.err).toBe(0);
    const json = JSON.parse(r.out) as Record<string, unknown>;
    const header = readFileSync(join(out, 'summary.csv'), 'utf8').split('\n')[0].split(',');
    expect(Object.keys(json)).toEqual(header);
    expect(json.policy).toBe('interleave');
    expect(json.accesses).toBe(22000); // 20k random accesses after a 2000-page init pass
    expect(readdirSync(out).sort()).toEqual(['config.json', 'summary.csv', 'summary.json', 'timeseries.csv']);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(cfg.config.policy).toBe('interleave');
    expect(cfg.run.meta.accessesPerSecond).toBeGreaterThan(0);
    const again = sim('--policy', 'interleave', ...SMALL, '--out', out, '--format', 'json');
    expect(again.code).toBe(0);
    expect(again.err).toMatch(/already complete/);
    expect(JSON.parse(again.out)).toEqual(json);
    // The run's config.json re-runs it exactly.
    const rerun = sim('--config', join(out, 'config.json'), '--out', join(out, 'rerun'), '--format', 'csv');
    expect(rerun.code, rerun.err).toBe(0);
    expect(readFileSync(join(out, 'rerun', 'summary.csv'), 'utf8')).toBe(readFileSync(join(out, 'summary.csv'), 'utf8'));
  });

  it('documents every option and lists policies, presets and workloads in --help', () => {
    const r = sim('--help');
    expect(r.code).toBe(0);
    for (const word of ['--policy', '--workload', '--machine', '--local-gib', '--cxl-gib', '--ratio', '--page-size', '--set', '--config', '--out', '--format', 'first-touch', 'ddr5-cxl', 'dram-optane', 'hotset']) {
      expect(r.out).toContain(word);
    }
  });
});
