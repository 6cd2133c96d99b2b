// ESX Server memory allocation arithmetic (Waldspurger, OSDI 2002, §5–§6; FACTS §4), as pure
// functions over typed arrays so that tests can check them by hand: the idle-memory-tax adjusted
// shares-per-page ratio, min-funding revocation, the active-memory estimate and the free-memory
// state machine.

/** ρ = S / (P · (f + k·(1 − f))), k = 1 / (1 − τ) (§5.2). P = 0 gives +Infinity (nothing to revoke). */
export function adjustedSharesPerPage(shares: number, pages: number, active: number, taxRate: number): number {
  if (pages <= 0) return Infinity;
  const k = 1 / (1 - taxRate);
  return shares / (pages * (active + k * (1 - active)));
}

/**
 * Min-funding revocation (§5.1–5.2): start every VM at its demand (at most its limit), then, while
 * the sum exceeds `avail`, take `chunk` pages from the VM with the lowest ρ (ties: lowest index)
 * that is above its reservation. Returns the target allocation of each VM, in pages.
 *
 * `active[v]` is the active fraction of VM v's demand. ρ's f is "the fraction of its P allocated
 * pages that are active" (§5.2), so as revocation shrinks P the VM's active pages
 * (active · demand) stay and f = min(1, active · demand / P) rises: only idle pages are taxed,
 * and the tax stops once the allocation is down to the active pages.
 */
export function minFundingTargets(
  shares: Float64Array,
  demand: Float64Array,
  reservation: Float64Array,
  active: Float64Array,
  taxRate: number,
  avail: number,
  chunk: number,
): Float64Array<ArrayBuffer> {
  const n = shares.length;
  const t = Float64Array.from(demand);
  let excess = -avail;
  for (let v = 0; v < n; v++) excess += t[v];
  const step = Math.max(1, Math.floor(chunk));
  while (excess > 0) {
    let best = -1;
    let bestRho = Infinity;
    for (let v = 0; v < n; v++) {
      if (t[v] <= reservation[v]) continue;
      const f = Math.min(1, (active[v] * demand[v]) / t[v]);
      const rho = adjustedSharesPerPage(shares[v], t[v], f, taxRate);
      if (rho < bestRho) {
        bestRho = rho;
        best = v;
      }
    }
    if (best < 0) break; // everyone at their reservation: admission control should have refused this
    const take = Math.min(excess, step, t[best] - reservation[best]);
    t[best] -= take;
    excess -= take;
  }
  return t;
}

/**
 * Active-memory estimate (§5.3): slow and fast exponentially weighted averages of the per-period
 * touched fraction, and the max of slow, fast and a fast average that includes the current
 * period's partial count (so the estimate rises quickly and falls slowly).
 */
export function activeEstimate(slow: number, fast: number, partial: number, fastGain: number): number {
  const fastNow = fast + fastGain * (partial - fast);
  return Math.max(slow, fast, fastNow);
}

/** Free-memory states of §6.3, fastest reclaim last. */
export const STATE_HIGH = 0;
export const STATE_SOFT = 1;
export const STATE_HARD = 2;
export const STATE_LOW = 3;

/**
 * Next free-memory state (§6.3). thresholdsPct = [high, soft, hard, low] (6, 4, 2, 1 % of host
 * memory). Falling is immediate: free below the soft, hard or low threshold enters that state.
 * Rising is one state at a time and needs free at or above the next better state's threshold —
 * high for soft → high, soft for hard → soft, hard for low → hard — plus marginPct (the paper
 * says only "exceeds"; the margin is a parameter). Free between soft and high in the high state
 * stays high: that gap is the hysteresis.
 */
export function nextMemState(state: number, freePct: number, thresholdsPct: readonly number[], marginPct: number): number {
  let fall = STATE_HIGH;
  for (let s = STATE_SOFT; s <= STATE_LOW; s++) if (freePct < thresholdsPct[s]) fall = s;
  if (fall > state) return fall;
  if (state > STATE_HIGH && freePct >= thresholdsPct[state - 1] + marginPct) return state - 1;
  return state;
}
