// Every validation case, in report order. The fast ones (fast: true) are the CI subset.

import type { ValidationCase } from './case.ts';
import { KERNEL_CASES } from './cases-kernel.ts';
import { ORACLE_CASES } from './cases-oracle.ts';
import { TIERING_CASES } from './cases-tiering.ts';
import { ESX_CASES } from './cases-esx.ts';
import { RESEARCH_CASES } from './cases-research.ts';
import { COLLOID_CASES } from './cases-colloid.ts';
import { SENSITIVITY_CASES } from './cases-sensitivity.ts';
import { PAGE_TYPE_CASES } from './cases-pagetypes.ts';
import { NEWER_CASES } from './cases-newer.ts';
import { TRANSLATION_CASES } from './cases-translation.ts';

export const CASES: ValidationCase[] = [...KERNEL_CASES, ...ORACLE_CASES, ...TIERING_CASES, ...PAGE_TYPE_CASES, ...TRANSLATION_CASES, ...ESX_CASES, ...RESEARCH_CASES, ...COLLOID_CASES, ...NEWER_CASES, ...SENSITIVITY_CASES];
