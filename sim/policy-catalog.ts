// The policies a run can name, as the engine sees them. sim/ never imports policies/ (DESIGN
// "Engine shape"): the policy registry registers its definitions here when it is imported, and
// each entry point imports the registry first — its composition root. `npm run sim` / `npm run
// sweep` preload it (package.json: tsx --import), vitest loads it in setupFiles, and the bench,
// validate and other scripts outside sim/ import it themselves (README "Architecture").
//
// Sweep workers are fresh module graphs: the catalog keeps the URL of every module that registered
// policies, and the worker boot (sweep-pool.ts) imports those modules before the worker's own code,
// so a point sees exactly the policies its parent resolved the config against.

import type { PolicyDefinition } from './host.ts';
import { ConfigError, suggest } from './config.ts';

const defs: PolicyDefinition[] = [];
const modules: string[] = [];

/**
 * Add policies to the catalog. `moduleUrl` is the registering module's own import.meta.url, which
 * sweep workers import to fill their catalog. Registering again from the same module is a no-op
 * (the module was loaded twice); two modules registering one name is an error.
 */
export function registerPolicies(list: readonly PolicyDefinition[], moduleUrl: string): void {
  if (modules.includes(moduleUrl)) return;
  for (const p of list) {
    if (defs.some((d) => d.name === p.name) || list.filter((q) => q.name === p.name).length > 1) {
      throw new Error(`policy "${p.name}" is registered twice (second time by ${moduleUrl})`);
    }
  }
  defs.push(...list);
  modules.push(moduleUrl);
}

/** Every registered policy, in registration order; an error naming the cause when there is none. */
export function listPolicies(): readonly PolicyDefinition[] {
  if (defs.length === 0) {
    throw new ConfigError(
      'no policies are registered: the policy registry was not loaded. Start tiersim through `npm run sim`, `npm run sweep`, ' +
        '`npm run validate` or `npm run bench`, or import the registry before using the engine (README "Architecture")',
    );
  }
  return defs;
}

/** The policy of that --policy name; an unknown name is an error listing the valid ones. */
export function findPolicy(name: string): PolicyDefinition {
  const all = listPolicies();
  const p = all.find((d) => d.name === name);
  if (!p) {
    const near = suggest(name, all.map((d) => d.name), 1);
    throw new ConfigError(`unknown policy "${name}".${near.length ? ` Did you mean ${near[0]}?` : ''} Valid policies: ${all.map((d) => d.name).join(', ')}`);
  }
  return p;
}

/** URLs of the modules that registered policies, in order: what a sweep worker imports first. */
export function policyModules(): readonly string[] {
  return modules;
}
