import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { POLICIES } from '../policies/registry.ts';

describe('policy registry', () => {
  it('registers every policy file under policies/, by its file name', () => {
    const dir = fileURLToPath(new URL('../policies/', import.meta.url));
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && f !== 'policy.ts' && f !== 'registry.ts')
      .map((f) => f.slice(0, -3))
      .sort();
    expect(POLICIES.map((p) => p.name).sort()).toEqual(files);
  });

  it('gives every policy a summary, a source and documented parameters', () => {
    for (const p of POLICIES) {
      expect(p.summary.length, p.name).toBeGreaterThan(10);
      expect(p.source.length, p.name).toBeGreaterThan(5);
      for (const [name, spec] of Object.entries(p.params)) expect(spec.doc.length, `${p.name}.${name}`).toBeGreaterThan(5);
    }
  });
});

describe('layering', () => {
  it('the engine imports nothing from policies/: only the composition roots (run.ts, cli.ts) know the registry', () => {
    const dir = fileURLToPath(new URL('../sim/', import.meta.url));
    const offenders = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && f !== 'cli.ts')
      .filter((f) => /from '\.\.\/policies\//.test(readFileSync(`${dir}${f}`, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
