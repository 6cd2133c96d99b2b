// The CI subset of `npm run validate`: every fast case runs and its verdict must equal the one
// committed in expected-verdicts.json, so a change that makes a case flip (holds → fails, or
// fails → holds) fails CI until the file is updated on purpose (see its _doc entry).

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { CASES } from './cases.ts';
import { Ctx } from './case.ts';
import { runCases } from './run.ts';

const expected = JSON.parse(readFileSync(new URL('./expected-verdicts.json', import.meta.url), 'utf8')) as Record<string, string>;
const FAST = CASES.filter((c) => c.fast);

describe('validation: fast cases keep their committed verdicts', () => {
  it('every fast case has a committed verdict, and every committed verdict a fast case', () => {
    const ids = Object.keys(expected).filter((k) => !k.startsWith('_'));
    expect(ids.sort()).toEqual(FAST.map((c) => c.id).sort());
  });

  it('case ids are unique and every case states its source, expected value and tolerance', () => {
    expect(new Set(CASES.map((c) => c.id)).size).toBe(CASES.length);
    for (const c of CASES) {
      for (const field of ['title', 'source', 'expected', 'tolerance'] as const) expect(c[field].length, `${c.id}.${field}`).toBeGreaterThan(3);
    }
  });

  for (const c of FAST) {
    it(`${c.id}: ${expected[c.id]}`, async () => {
      const [r] = await runCases([c], new Ctx());
      expect(`${r.outcome.verdict}: ${r.outcome.measured}`).toMatch(new RegExp(`^${expected[c.id]}:`));
    }, 120_000);
  }
});
