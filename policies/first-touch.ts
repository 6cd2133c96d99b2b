// first-touch: the baseline every tiering paper compares against. A page is placed on the fastest
// tier with a free frame when first touched (Linux's default local allocation, falling back along
// the zonelist to the next node when the local one is full: mm/page_alloc.c get_page_from_freelist)
// and never moves again.
//
// - Placement: tier 0 preferred; the engine falls back to slower tiers when it is full.
// - No scanning, sampling, promotion or demotion.

import { definePolicy } from './policy.ts';

export default definePolicy({
  name: 'first-touch',
  summary: 'Fill local DRAM first, then the next tier; never migrate (Linux default local allocation without NUMA balancing).',
  source: 'Linux mm/page_alloc.c get_page_from_freelist (zonelist fallback); no balancing',
  params: {},
  create() {
    return { place: () => 0 };
  },
});
