// The engine's policy catalog (sim/policy-catalog.ts): what it holds once policies/registry.ts is
// loaded, what it says when nothing was registered, and how sweep workers get the same policies.

import { describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { POLICIES } from '../policies/registry.ts';
import { definePolicy } from '../sim/host.ts';
import { findPolicy, listPolicies, policyModules } from '../sim/policy-catalog.ts';
import { withoutCatalogPreloads } from '../sim/sweep-pool.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REGISTRY_URL = pathToFileURL(join(ROOT, 'policies', 'registry.ts')).href;

/** A fresh copy of the catalog module (vitest's setupFiles filled the shared one). */
async function freshCatalog(): Promise<typeof import('../sim/policy-catalog.ts')> {
  vi.resetModules();
  return import('../sim/policy-catalog.ts');
}

const toy = (name: string) => definePolicy({ name, summary: 'test', source: 'test', params: {}, create: () => ({}) });

describe('policy catalog', () => {
  it('holds exactly the registry list, in its order, and records the registry as the module to load in workers', () => {
    expect(listPolicies()).toEqual(POLICIES);
    expect(findPolicy('mglru')).toBe(POLICIES.find((p) => p.name === 'mglru'));
    expect(policyModules()).toEqual([REGISTRY_URL]);
  });

  it('an unknown name is an error suggesting the nearest and listing every valid policy', () => {
    expect(() => findPolicy('mglr')).toThrow(/unknown policy "mglr"\. Did you mean mglru\? Valid policies: first-touch, interleave,/);
  });

  it('empty, it says the registry was not loaded instead of "unknown policy"', async () => {
    const c = await freshCatalog();
    expect(() => c.listPolicies()).toThrow(/no policies are registered: the policy registry was not loaded/);
    expect(() => c.findPolicy('mglru')).toThrow(/no policies are registered/);
    expect(c.policyModules()).toEqual([]);
  });

  it('a module registering again is ignored; another module registering a taken name is an error', async () => {
    const c = await freshCatalog();
    c.registerPolicies([toy('a'), toy('b')], 'file:///x/one.ts');
    c.registerPolicies([toy('a'), toy('b')], 'file:///x/one.ts');
    expect(c.listPolicies().map((p) => p.name)).toEqual(['a', 'b']);
    expect(() => c.registerPolicies([toy('c'), toy('b')], 'file:///x/two.ts')).toThrow(/policy "b" is registered twice/);
    expect(() => c.registerPolicies([toy('d'), toy('d')], 'file:///x/three.ts')).toThrow(/policy "d" is registered twice/);
    expect(c.listPolicies().map((p) => p.name)).toEqual(['a', 'b']); // a refused list adds nothing
    c.registerPolicies([toy('e')], 'file:///x/four.ts');
    expect(c.policyModules()).toEqual(['file:///x/one.ts', 'file:///x/four.ts']);
  });
});

describe('sweep workers', () => {
  it("drop the parent's --import of a registering module (relative, absolute, file URL, --import=) and keep every other option", () => {
    const tsxLoader = 'file:///somewhere/node_modules/tsx/dist/loader.mjs';
    const argv = ['--require', '/p/preflight.cjs', '--import', tsxLoader, '--import', './policies/registry.ts', '--import', join(ROOT, 'policies', 'registry.ts'), `--import=${REGISTRY_URL}`, '--import', './other.ts', '--max-old-space-size=4096'];
    // A relative --import is taken from the working directory, as node does.
    expect(withoutCatalogPreloads(argv, ROOT)).toEqual(['--require', '/p/preflight.cjs', '--import', tsxLoader, '--import', './other.ts', '--max-old-space-size=4096']);
    expect(withoutCatalogPreloads(['--import', './policies/registry.ts'], join(ROOT, 'sim'))).toEqual(['--import', './policies/registry.ts']);
  });
});

describe('entry points', () => {
  it('sim/cli.ts started without the registry exits 2 saying so', () => {
    const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['sim/cli.ts', '--policy', 'mglru'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: no policies are registered: the policy registry was not loaded\. Start tiersim through `npm run sim`/);
  });
});
