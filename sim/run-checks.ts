// What is checked about a run before it starts and while it runs, so that a mistake fails in a
// second with one line instead of after (or never at the end of) the work:
//   - the trace is a regular readable file, and its content hash goes into the config (the run's
//     identity: a trace rewritten in place is a different run; traces/identity.ts);
//   - the time series stays bounded: at most MAX_EPOCH_ROWS epochs (stats.epochMs) per run —
//     rejected up front when the workload's length gives a lower bound on simulated time, and
//     stopped with a clear error when a run gets there.

import { statSync } from 'node:fs';
import type { Config } from './config.ts';
import { ConfigError, MAX_EPOCH_ROWS } from './config.ts';
import type { RunControl } from './engine.ts';
import { countTiers } from './machine.ts';
import { fsReason } from './fs-errors.ts';
import { traceIdentity } from '../traces/identity.ts';
import { parseWorkload } from '../traces/synthetic.ts';

/**
 * The trace path must name a regular file: a directory, a FIFO or a missing file is one line,
 * before anything opens it. `label` names it in messages ("--trace", "trace", "convert: input").
 */
export function checkTraceFile(path: string, label = '--trace'): void {
  let kind: string | undefined;
  try {
    const st = statSync(path);
    if (st.isDirectory()) kind = 'a directory';
    else if (!st.isFile()) kind = 'not a regular file (a device, FIFO or socket)';
  } catch (err) {
    throw new ConfigError(`${label} ${path}: ${fsReason(err)}`);
  }
  if (kind) throw new ConfigError(`${label} ${path}: expected a trace file, found ${kind}`);
}

/** SHA-256 of a trace file's content, after checking it is a regular file (≈ 1 s per GB). */
export async function hashTrace(path: string): Promise<string> {
  checkTraceFile(path);
  try {
    return (await traceIdentity(path)).sha256;
  } catch (err) {
    throw new ConfigError(`--trace ${path}: cannot read: ${fsReason(err)}`);
  }
}

/** Put a trace's content hash in the config; a config that already names another hash is an error (the trace changed since). */
export function setTraceSha(config: Config, sha256: string): void {
  const given = config['trace.sha256'];
  if (given !== null && given !== undefined && given !== sha256) {
    throw new ConfigError(
      `trace.sha256: ${config.trace} has changed since this config was written (its content hashes to ${sha256.slice(0, 16)}…, the config names ${String(given).slice(0, 16)}…); ` +
        'remove trace.sha256 from the config to run the trace as it is now',
    );
  }
  config['trace.sha256'] = sha256;
}

/** Hash the config's trace (if any) into trace.sha256. */
export async function identifyTrace(config: Config): Promise<void> {
  if (config.trace === null || config.trace === undefined) return;
  setTraceSha(config, await hashTrace(config.trace as string));
}

/**
 * A lower bound on the simulated time of a synthetic run, in ns (0 when none is known: traces,
 * VM workloads). Each thread's clock advances by at least its compute gap plus the fastest idle
 * latency / cpu.mlp per access, so the run lasts at least its busiest thread's sum of those.
 */
export function minSimulatedNs(config: Config): number {
  if (config.trace !== null && config.trace !== undefined) return 0;
  const { phases, threads } = parseWorkload(config.workload as string);
  if (phases.length === 0) return 0;
  let fastestNs = Infinity;
  for (let t = 0; t < countTiers(config); t++) {
    fastestNs = Math.min(fastestNs, config[`machine.tiers.${t}.readLatencyNs`] as number, config[`machine.tiers.${t}.writeLatencyNs`] as number);
  }
  const perAccessMinNs = (gapNs: number) => gapNs + (Number.isFinite(fastestNs) ? fastestNs : 0) / (config['cpu.mlp'] as number);
  let accesses = 0;
  let ns = 0;
  for (const p of phases) {
    const n = Math.floor((p.accesses + (p.init ? p.pages : 0)) / threads);
    accesses += n;
    ns += n * perAccessMinNs(p.gapNs);
  }
  const max = config['run.maxAccesses'] as number;
  if (max > 0 && Math.floor(max / threads) < accesses) {
    // Which accesses run before the cap depends on the phases' order; the smallest gap bounds them all.
    ns = Math.floor(max / threads) * perAccessMinNs(Math.min(...phases.map((p) => p.gapNs)));
  }
  return ns;
}

/** Reject a run whose time series would exceed MAX_EPOCH_ROWS rows before it starts. */
export function checkEpochBudget(config: Config): void {
  const epochMs = config['stats.epochMs'] as number;
  const minNs = minSimulatedNs(config);
  const rows = Math.floor(minNs / (epochMs * 1e6));
  if (rows > MAX_EPOCH_ROWS) {
    const floorMs = minNs / 1e6 / MAX_EPOCH_ROWS;
    throw new ConfigError(
      `stats.epochMs (--epoch-ms) ${epochMs}: the run lasts at least ${(minNs / 1e9).toPrecision(3)} s of simulated time, ` +
        `so ${rows.toLocaleString('en-US')} or more timeseries.csv rows, over the limit of ${MAX_EPOCH_ROWS.toLocaleString('en-US')}; use --epoch-ms ${floorMs.toPrecision(2)} or more`,
    );
  }
}

/**
 * Wrap a RunControl so that the run stops once its simulated time passes MAX_EPOCH_ROWS epochs
 * (checked at every progress report, i.e. every ~50 ms of wall time); `explain` turns the
 * resulting RunAborted into a ConfigError saying why, and leaves any other error as it is.
 */
export function epochRowGuard(config: Config, control: RunControl = {}): { control: RunControl; explain(err: unknown): unknown } {
  const epochMs = config['stats.epochMs'] as number;
  const limitNs = epochMs * 1e6 * MAX_EPOCH_ROWS;
  const own = new AbortController();
  const signal = control.signal ? AbortSignal.any([control.signal, own.signal]) : own.signal;
  let reachedNs = -1;
  return {
    control: {
      ...control,
      signal,
      onProgress(p) {
        if (p.simNowNs > limitNs && reachedNs < 0) {
          reachedNs = p.simNowNs;
          own.abort();
        }
        control.onProgress?.(p);
      },
    },
    explain(err) {
      if (reachedNs < 0 || control.signal?.aborted) return err;
      return new ConfigError(
        `stats.epochMs (--epoch-ms) ${epochMs}: the run passed ${(reachedNs / 1e9).toPrecision(3)} s of simulated time, ` +
          `more than ${MAX_EPOCH_ROWS.toLocaleString('en-US')} epochs (the timeseries.csv row limit); stopped. Use a larger --epoch-ms`,
      );
    },
  };
}
