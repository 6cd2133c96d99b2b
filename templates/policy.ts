// scan-promote: the smallest complete tiering policy, to copy (README "Writing a policy"). Not a
// published system: new pages start on the slow tier, and a periodic scan of accessed bits
// promotes the pages found young, while the fast tier has room. Replace this paragraph with what
// your policy models and the paper section or kernel code it follows (file, symbol, commit).
//
// - Placement: every new page on tier 1 (the engine falls back to another tier when it is full).
// - Scan, every scanPeriodMs: one bulk test-and-clear of the accessed bits of every slow-tier
//   page (Host.testAndClearAccessedList: charged cost.pteScanNs per page tested).
// - Promotion: pages found young move to tier 0, in page-id order, asynchronously (kernel CPU and
//   bandwidth, no stall), while tier 0 has a free frame; the others count as noRoom.
//
// To make it a policy: copy it to policies/<name>.ts (the file name is the --policy value and
// `name` below), list it in policies/registry.ts, and write test/policy-<name>.test.ts with a worked
// example whose outcome you computed by hand (test/policy-template.test.ts is this file's). The
// invariant and determinism tests then cover it with no extra code (test/invariants.test.ts).

import { definePolicy } from '../policies/policy.ts';
import { grow } from '../policies/lib/grow.ts';
import { MAX_SIM_MS } from '../sim/config.ts';

const TIMER_SCAN = 1;

export default definePolicy({
  name: 'scan-promote',
  summary: 'Template: new pages on the slow tier; a periodic accessed-bit scan promotes young pages while the fast tier has room.',
  source: 'none: the template of README "Writing a policy"',
  params: {
    // Config keys policy.<name>.<param>: unit in the name, the original's default, [estimate] when guessed,
    // and a finite range (test/config.test.ts checks every registered policy's keys have one).
    scanPeriodMs: { default: 1000, min: 1e-3, max: MAX_SIM_MS, doc: 'Period of the accessed-bit scan, in ms [estimate].' },
  },
  create(p, host) {
    // Counters are reported as policy.<name> columns in summary.csv and timeseries.csv.
    const cPromoted = host.counter('promoted');
    const cNoRoom = host.counter('noRoom');
    // Policy state is the policy's own typed arrays, indexed by page id (dense, in first-touch order).
    let pages = new Int32Array(1024);
    let young = new Int32Array(1024);
    let listed = 0;
    host.every(p.scanPeriodMs * 1e6, TIMER_SCAN);
    return {
      place: () => 1,
      onTimer(id) {
        if (id !== TIMER_SCAN) return;
        // The list of every page id so far (ids are dense: 0 … pageCount − 1).
        const n = host.pageCount();
        pages = grow(pages, n);
        young = grow(young, n);
        for (; listed < n; listed++) pages[listed] = listed;
        const k = host.testAndClearAccessedList(pages, 0, n, 1, young);
        for (let i = 0; i < k; i++) {
          if (host.free(0) > 0 && host.migrate(young[i], 0, true)) host.count(cPromoted);
          else host.count(cNoRoom);
        }
      },
    };
  },
});
