// The ranges every number read from a trace must fall in (traces/FORMAT.md "Ranges"). A value
// outside its range is a malformed record: an error naming file:line or byte offset, what was
// expected and what was found (or skipped and counted with --skip-bad). They exist because a
// corrupt number does not fail on its own: a gap of 1e20 ns or a DAMON timestamp jump runs the
// simulation (every timer, every epoch) across centuries of simulated time instead of stopping.

/**
 * Longest compute gap before one access: 1 hour. Real gaps are ns (instruction traces) to seconds
 * (a sampled thread that slept); an hour between two accesses of one thread is a broken timestamp.
 */
export const MAX_GAP_NS = 3600e9;
/**
 * Most simulated time one CPU's records may add up to (sum of its gaps): 7 days. At 1 ns per
 * instruction that is 6·10^14 instructions, far beyond any trace; a longer span means gaps were
 * mis-scaled (seconds read as ns, a unit error in a time column).
 */
export const MAX_SPAN_NS = 7 * 86400e9;
/** Largest access size (bytes) of a record that carries one; valgrind's widest access is 32 bytes. */
export const MAX_ACCESS_BYTES = 256;
/** trace.nsPerInstruction upper bound: 1000 ns per instruction is already an IPC of 0.0005 at 2 GHz. */
export const MAX_NS_PER_INSTRUCTION = 1000;
/** DAMON samples per aggregation interval (aggr / sample) accepted; damo's default is 20. */
export const MAX_DAMON_SLOTS = 100_000;

/** A duration in ns as people read it in a message. */
export function showNs(ns: number): string {
  if (!Number.isFinite(ns)) return String(ns);
  if (Math.abs(ns) >= 1e9) return `${+(ns / 1e9).toPrecision(6)} s`;
  return `${+ns.toPrecision(6)} ns`;
}

/** What a gap must be, for `expected …` messages. */
export const GAP_EXPECTED = `a compute gap of 0 to ${showNs(MAX_GAP_NS)}`;
/** What a CPU's total must stay under, for `expected …` messages. */
export const SPAN_EXPECTED = `at most ${showNs(MAX_SPAN_NS)} (7 days) of simulated time per CPU`;

/** Is a gap inside its range? NaN fails every comparison, so it is out of range too. */
export function gapInRange(gapNs: number): boolean {
  return gapNs >= 0 && gapNs <= MAX_GAP_NS;
}

/** A thread id that can be numbered: an integer exact in a double, |id| < 2^53 (perf prints -1 for "unknown"). */
export function threadIdInRange(raw: number): boolean {
  return Number.isSafeInteger(raw);
}
