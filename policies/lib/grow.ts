// Growing per-page columns: the one implementation lives in sim/columns.ts (the engine grows its
// columns the same way); re-exported for the policies that import it from here.

import type { Host } from '../policy.ts';

export { grow, grownCapacity } from '../../sim/columns.ts';

/**
 * Initial length of a per-page column: the pages the run expects (Host.expectedPages), at least
 * 1024. Speed trick: a column sized once is never copied by doubling; untouched entries of a column
 * allocated without a fill cost no memory until written.
 */
export function initialPages(host: Host): number {
  return Math.max(1024, host.expectedPages?.() ?? 0);
}
