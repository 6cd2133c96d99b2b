// The progress bar of one run (`npm run sim`): on stderr, only when stderr is a terminal and only
// once the run has taken a few seconds (short runs, pipes, logs and CI stay clean; stdout, which
// may carry CSV or JSON, is never touched). Accesses done, simulated time reached and, when the
// access count is known before the run (synthetic workloads), a bar with an ETA.

import cliProgress from 'cli-progress';
import type { Config } from './config.ts';
import type { RunProgress } from './engine.ts';
import { parseWorkload } from '../traces/synthetic.ts';

/** Runs shorter than this show no bar. */
export const PROGRESS_DELAY_MS = 2000;

/** Accesses the run will simulate, when known before it starts: synthetic workloads (init passes included), capped by run.maxAccesses. */
export function expectedAccesses(config: Config): number | undefined {
  if (config.trace !== null && config.trace !== undefined) return undefined;
  const { phases } = parseWorkload(config.workload as string);
  if (phases.length === 0) return undefined; // VM workloads: per-VM phases, not summed here
  const all = phases.reduce((n, p) => n + p.accesses + (p.init ? p.pages : 0), 0);
  const max = config['run.maxAccesses'] as number;
  return max > 0 ? Math.min(max, all) : all;
}

export interface ProgressStream {
  isTTY?: boolean;
  write(s: string): unknown;
}

const millions = (n: number) => `${(n / 1e6).toFixed(1)} M`;

/** A progress reporter for RunControl.onProgress; stop() clears the bar before the summary is printed. */
export function runProgress(config: Config, stream: ProgressStream = process.stderr, delayMs = PROGRESS_DELAY_MS): { onProgress(p: RunProgress): void; stop(): void } {
  if (!stream.isTTY) return { onProgress: () => {}, stop: () => {} };
  const total = expectedAccesses(config);
  const started = performance.now();
  let bar: cliProgress.SingleBar | undefined;
  return {
    onProgress(p) {
      if (!bar) {
        if (performance.now() - started < delayMs) return;
        const format = total
          ? 'run [{bar}] {percentage}% | {done} / {all} accesses | {sim} s simulated | ETA {eta_formatted}'
          : 'run | {done} accesses | {sim} s simulated | {elapsed} s';
        bar = new cliProgress.SingleBar(
          { format, stream: stream as NodeJS.WritableStream, hideCursor: true, clearOnComplete: true, etaBuffer: 50 },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total ?? 0, 0, { done: '0', all: total ? millions(total) : '', sim: '0', elapsed: '0' });
      }
      bar.update(total ? Math.min(p.accesses, total) : 0, {
        done: millions(p.accesses),
        sim: (p.simNowNs / 1e9).toFixed(3),
        elapsed: ((performance.now() - started) / 1e3).toFixed(0),
      });
    },
    stop() {
      bar?.stop();
    },
  };
}
