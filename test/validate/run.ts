// `npm run validate`: run every validation case and write results/validate/ (report.md,
// report.csv, charts) and README.md's "How faithful is it" section.
//
//   npm run validate                      all cases (about 10–15 min on a 2-core machine today)
//   npm run validate -- --fast            the CI subset only → results/validate/fast/ (README untouched)
//   npm run validate -- --only ID[,ID…]   some cases → results/validate/only/
//   npm run validate -- --set k=v …       layer config values over every run (a sensitivity point)
//   npm run validate -- --readme          only regenerate README's section from results/validate/report.csv
//
// The CI test (test/validate/fast.test.ts) runs the fast cases and compares their verdicts with
// test/validate/expected-verdicts.json; see that test for how to update the file deliberately.

import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { CASES } from './cases.ts';
import { Ctx } from './case.ts';
import type { Outcome, ValidationCase } from './case.ts';
import { writeReport, updateReadme } from './report.ts';
import type { CaseResult } from './report.ts';
import '../../policies/registry.ts'; // the policy catalog's composition root (sim/ never imports policies/)
import { runAsMain } from '../../sim/cli-common.ts';
import { ConfigError, parseNumber } from '../../sim/config.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const REPORT_DIR = join(ROOT, 'results', 'validate');

/** Run cases one after another (the machine has two cores; runs inside a case are sequential too). */
export async function runCases(cases: ValidationCase[], ctx: Ctx, log: (s: string) => void = () => {}): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  for (const c of cases) {
    const t0 = performance.now();
    let outcome: Outcome;
    try {
      outcome = await c.run(ctx);
    } catch (err) {
      outcome = { measured: `error: ${(err as Error).message}`, verdict: 'fails', why: 'the case could not run' };
    }
    const seconds = (performance.now() - t0) / 1e3;
    out.push({ c, outcome, seconds });
    log(`${outcome.verdict === 'holds' ? 'holds' : 'FAILS'}  ${c.id}  (${seconds.toFixed(1)} s): ${outcome.measured}\n`);
  }
  return out;
}

const USAGE = `usage: npm run validate [-- --fast | --only ID[,ID…] | --set key=value … | --readme | --help]
  (no option)   every case → results/validate/ and README's "How faithful is it" section
  --fast        the CI subset → results/validate/fast/
  --only IDs    the named cases → results/validate/only/
  --set k=v     layer a config value over every run (repeatable)
  --readme      only regenerate README's section from results/validate/report.csv
`;

/** Reject what this command does not take before any case runs (a mistyped flag must not start a 15-minute run). */
function checkArgs(argv: string[]): void {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--fast' || a === '--readme') continue;
    if (a === '--only' || a === '--set') {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new ConfigError(`${a} needs a value (${a === '--only' ? 'ID[,ID…]' : 'key=value'})`);
      if (a === '--set' && v.indexOf('=') <= 0) throw new ConfigError(`--set ${v}: expected key=value`);
      i++;
      continue;
    }
    throw new ConfigError(`unknown argument '${a}' (options: --fast, --only ID[,ID…], --set key=value, --readme, --help)`);
  }
  const only = argv.indexOf('--only') >= 0 ? argv[argv.indexOf('--only') + 1].split(',') : undefined;
  const unknown = only?.filter((id) => !CASES.some((c) => c.id === id)) ?? [];
  if (unknown.length) throw new ConfigError(`--only: unknown case ${unknown.join(', ')}; cases: ${CASES.map((c) => c.id).join(', ')}`);
}

async function main(argv: string[]): Promise<number> {
  const has = (f: string) => argv.includes(f);
  const value = (f: string) => (argv.indexOf(f) >= 0 ? argv[argv.indexOf(f) + 1] : undefined);
  if (has('--help') || has('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  checkArgs(argv);
  if (has('--readme')) {
    updateReadme(join(ROOT, 'README.md'), join(REPORT_DIR, 'report.csv'));
    process.stderr.write('README.md: "How faithful is it" regenerated\n');
    return 0;
  }
  const sets: Record<string, unknown> = {};
  argv.forEach((a, i) => {
    if (a !== '--set') return;
    const eq = argv[i + 1].indexOf('=');
    const [k, v] = [argv[i + 1].slice(0, eq), argv[i + 1].slice(eq + 1)]; // a value may hold '=' (workload specs)
    sets[k] = Number.isFinite(parseNumber(v)) ? parseNumber(v) : v;
  });
  const only = value('--only')?.split(',');
  const fast = has('--fast');
  const cases = CASES.filter((c) => (only ? only.includes(c.id) : !fast || c.fast));
  const dir = only ? join(REPORT_DIR, 'only') : fast ? join(REPORT_DIR, 'fast') : REPORT_DIR;
  const t0 = performance.now();
  const ctx = new Ctx(sets);
  const results = await runCases(cases, ctx, (s) => process.stderr.write(s));
  const seconds = (performance.now() - t0) / 1e3;
  await writeReport(dir, results, ctx.series, { command: `npm run validate${argv.length ? ` -- ${argv.join(' ')}` : ''}`, seconds, sets });
  if (!only && !fast && Object.keys(sets).length === 0) updateReadme(join(ROOT, 'README.md'), join(dir, 'report.csv'));
  process.stderr.write(`wrote ${dir}/report.md (${results.filter((r) => r.outcome.verdict === 'holds').length}/${results.length} hold, ${ctx.runs} simulations, ${seconds.toFixed(0)} s)\n`);
  return 0;
}

runAsMain(import.meta.url, main);
