// Demotion target of the sampling policies (pebs, hemem, memtis): the first slower tier with a free
// frame, as next_demotion_node walks the tiers below (one slow tier in the papers; more here).

import type { Host } from '../policy.ts';

/** Move the page asynchronously to the first tier below the fast tier that has room; false if none has. */
export function demoteToSlower(host: Host, page: number): boolean {
  for (let t = 1; t < host.tiers; t++) if (host.migrate(page, t, true)) return true;
  return false;
}
