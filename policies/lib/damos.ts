// DAMOS (DAMON-based Operation Schemes): the scheme object with its quota state, the scoring
// functions and the feedback loop of torvalds/linux mm/damon/core.c (damos_quota_init,
// damon_feed_loop_next_input) and mm/damon/ops-common.c (damon_hot_score, damon_cold_score), and
// the ops a DAMON context calls. Split from damon.ts (the monitor and kdamond steps), which uses
// them. Logic only; no code is copied.

/** DAMOS_MAX_SCORE (include/linux/damon.h). */
export const DAMOS_MAX_SCORE = 99;
const DAMON_MAX_SUBSCORE = 100;
const DAMON_MAX_AGE_IN_LOG = 32;
/** unsigned long on 64-bit kernels; values above 2^53 lose precision in doubles (only reached by runaway feedback). */
export const ULONG_MAX = 2 ** 64 - 1;
/** PAGE_SIZE: the kernel's base page, the unit of the time quota's initial throughput. */
export const PAGE_SIZE = 4096;

export const ACTION_MIGRATE_HOT = 0;
export const ACTION_MIGRATE_COLD = 1;

export const GOAL_NODE_MEM_USED_BP = 0;
export const GOAL_NODE_MEM_FREE_BP = 1;

/** damon_feed_loop_next_input: next = max(last × ((goal − score) / goal + 1), min), goal = 10000, min = 10000. */
export function feedLoopNextInput(lastInput: number, score: number): number {
  const goal = 10000;
  const minInput = 10000;
  if (score === goal) return lastInput;
  if (score >= goal * 2) return minInput;
  const over = score > goal;
  const diff = over ? score - goal : goal - score;
  const compensation = lastInput < ULONG_MAX / diff ? Math.floor((lastInput * diff) / goal) : Math.floor(lastInput / goal) * diff;
  if (over) return Math.max(lastInput - compensation, minInput);
  return lastInput < ULONG_MAX - compensation ? lastInput + compensation : ULONG_MAX;
}

/**
 * damon_hot_score: frequency subscore (nr_accesses / max_nr_accesses, 0–100) and age subscore
 * (log2 of age in seconds, negated when never accessed, scaled to 0–100), weighted, scaled to
 * [0, DAMOS_MAX_SCORE]. Integer arithmetic as the kernel's.
 */
export function hotScore(nrAccesses: number, age: number, maxNrAccesses: number, aggrUs: number, weightNrAccesses: number, weightAge: number): number {
  const freq = Math.floor((nrAccesses * DAMON_MAX_SUBSCORE) / maxNrAccesses);
  let ageSec = Math.floor((age * aggrUs) / 1e6);
  let ageLog = 0;
  for (; ageLog < DAMON_MAX_AGE_IN_LOG && ageSec > 0; ageLog++) ageSec = Math.floor(ageSec / 2);
  if (freq === 0) ageLog = -ageLog; // never accessed: older is colder
  ageLog += DAMON_MAX_AGE_IN_LOG;
  const ageSub = Math.floor(Math.floor((ageLog * DAMON_MAX_SUBSCORE) / DAMON_MAX_AGE_IN_LOG) / 2);
  let hot = weightNrAccesses * freq + weightAge * ageSub;
  if (weightNrAccesses + weightAge) hot = Math.floor(hot / (weightNrAccesses + weightAge));
  return Math.floor((hot * DAMOS_MAX_SCORE) / DAMON_MAX_SUBSCORE);
}

/** damon_cold_score. */
export function coldScore(nrAccesses: number, age: number, maxNrAccesses: number, aggrUs: number, weightNrAccesses: number, weightAge: number): number {
  return DAMOS_MAX_SCORE - hotScore(nrAccesses, age, maxNrAccesses, aggrUs, weightNrAccesses, weightAge);
}

/** One DAMOS scheme (struct damos) with its quota state and stats. */
export class Damos {
  // access pattern (bytes, nr_accesses, aggregation intervals)
  minSzBytes = PAGE_SIZE;
  maxSzBytes = ULONG_MAX;
  minNrAccesses = 0;
  maxNrAccesses = 0xffffffff;
  minAge = 0;
  maxAge = 0xffffffff;
  applyIntervalUs = 0;
  /** Young filter: 1 = allow young pages only (promotion), -1 = reject young pages (demotion), 0 = none. */
  youngFilter = 0;
  targetNid = 0;
  // quota
  quotaMs = 0;
  quotaSzBytes = 0;
  resetIntervalMs = 0;
  weightNrAccesses = 0;
  weightAge = 0;
  /** One quota goal (mtier and HMSDK set at most one): metric (-1 none), target value (bp), node. */
  goalMetric = -1;
  goalTarget = 0;
  goalNid = 0;
  // quota state (damos_quota_init)
  esz = 0;
  eszBp = 0;
  chargedSz = 0;
  /** Charge window start (ms); −∞ so that the first apply opens a window (jiffies is far past 0 at boot). */
  chargedFromMs = -Infinity;
  totalChargedSz = 0;
  totalChargedNs = 0;
  chargeActive = false;
  /** charge_addr_from, in slots: a region end plus half a slot (the kernel's "end + 1 byte"). */
  chargeAddrFrom = 0;
  minScore = 0;
  nextApplySis = 0;
  // stats (struct damos_stat)
  nrTried = 0;
  szTried = 0;
  nrApplied = 0;
  szApplied = 0;
  qtExceeds = 0;
  /** Sum of esz over charge windows (a counter a policy can report: quota in effect). */
  eszSum = 0;
  windows = 0;

  constructor(readonly action: number) {}
}

/** What the address space does for the monitor: access checks and scheme actions (the DAMON ops). */
export interface DamonOps {
  /** damon_*_young: was the slot's page accessed since mkold? (false for a free slot) */
  young(slot: number): boolean;
  /** damon_*_mkold: clear the slot's page's accessed state. */
  mkold(slot: number): void;
  /** Apply the scheme's action to [start, end): out[0] = bytes applied, out[1] = ns it took. */
  apply(s: Damos, start: number, end: number, out: Float64Array): void;
  /** Current value of a quota goal metric (bp). */
  goalValue(metric: number, nid: number): number;
  /** Current time in ms (jiffies). */
  nowMs(): number;
}
