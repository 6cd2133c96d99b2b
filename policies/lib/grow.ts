// Growing per-page columns: the one implementation lives in sim/columns.ts (the engine grows its
// columns the same way); re-exported for the policies that import it from here.

export { grow, grownCapacity } from '../../sim/columns.ts';
