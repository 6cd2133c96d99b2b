// `npm run validate` checks its arguments before any case runs: a mistyped flag once started a full
// 15-minute validation (and rewrote README's section) instead of saying what was wrong.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const validate = (...args: string[]) => spawnSync(TSX, ['test/validate/run.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

describe('npm run validate arguments', () => {
  it('--help prints the usage and exits 0 without running a case', () => {
    const r = validate('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm run validate/);
    expect(r.stderr).not.toMatch(/holds|FAILS/);
  });

  it.each([
    [['--bogus'], /unknown argument '--bogus'/],
    [['--only', 'no-such-case'], /--only: unknown case no-such-case/],
    [['--only'], /--only needs a value/],
    [['--set', 'seed'], /--set seed: expected key=value/],
  ])('%j is refused with exit 2 and one line naming the mistake', (args, message) => {
    const r = validate(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
