// Entry points run only when their own file is the script node started with (sim/cli-common.ts).
import { describe, expect, it } from 'vitest';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { isMainScript } from '../sim/cli-common.ts';

describe('isMainScript', () => {
  const db = pathToFileURL(resolve('bench/db-double-cache.ts')).href;
  it('is true for the module node was started with, by relative or absolute path', () => {
    expect(isMainScript(db, 'bench/db-double-cache.ts')).toBe(true);
    expect(isMainScript(db, resolve('bench/db-double-cache.ts'))).toBe(true);
  });
  it('is false for another script whose name is a suffix of the module\'s name', () => {
    // The old test compared file names by suffix: "db-double-cache.ts".endsWith("cache.ts").
    expect(isMainScript(db, '/tmp/cache.ts')).toBe(false);
    expect(isMainScript(db, 'bench/cache.ts')).toBe(false);
  });
  it('is false with no script (a REPL or -e)', () => {
    expect(isMainScript(db, undefined)).toBe(false);
  });
});
