// Every policy, by --policy name. A test checks that each file in policies/ (except this one and
// policy.ts) is listed here and that its name equals its file name.
//
// Importing this module registers the list in the engine's policy catalog (sim/policy-catalog.ts):
// sim/ never imports policies/, so the entry points load this module first — `npm run sim` and
// `npm run sweep` preload it (package.json), vitest in setupFiles, scripts outside sim/ import it.
// Sweep workers import it again by the URL recorded here.

import type { PolicyDefinition } from './policy.ts';
import { registerPolicies } from '../sim/policy-catalog.ts';
import firstTouch from './first-touch.ts';
import interleave from './interleave.ts';
import numaTiering from './numa-tiering.ts';
import tpp from './tpp.ts';
import mglru from './mglru.ts';
import autonuma from './autonuma.ts';
import pebs from './pebs.ts';
import hemem from './hemem.ts';
import memtis from './memtis.ts';
import balloon from './balloon.ts';
import idleTax from './idle-tax.ts';
import pageSharing from './page-sharing.ts';
import damonTiering from './damon-tiering.ts';
import arms from './arms.ts';
import colloidTpp from './colloid-tpp.ts';
import colloidHemem from './colloid-hemem.ts';
import colloidMemtis from './colloid-memtis.ts';
import nomad from './nomad.ts';
import neomem from './neomem.ts';
import oracleLru from './oracle-lru.ts';
import oracleStatic from './oracle-static.ts';
import movableBoundary from './movable-boundary.ts';
import thpRange from './thp-range.ts';

export const POLICIES: readonly PolicyDefinition[] = [firstTouch, interleave, numaTiering, tpp, mglru, autonuma, pebs, hemem, memtis, balloon, idleTax, pageSharing, damonTiering, arms, colloidTpp, colloidHemem, colloidMemtis, nomad, neomem, oracleLru, oracleStatic, movableBoundary, thpRange] as PolicyDefinition[];

registerPolicies(POLICIES, import.meta.url);

/** The policy of that --policy name (the catalog's lookup; scripts and tests import it from here). */
export { findPolicy } from '../sim/policy-catalog.ts';
