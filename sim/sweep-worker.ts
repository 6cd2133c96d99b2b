// Worker thread of a sweep: receives a point's resolved config, runs it exactly as `npm run sim`
// would (runSimulation), writes the point's run directory itself (so output I/O is parallel too)
// and posts back the summary row. Loaded through the tsx bootstrap in sweep-pool.ts.

import { parentPort } from 'node:worker_threads';
import type { Config } from './config.ts';
import { recordRun, runSimulation } from './run.ts';
import { SharedTraceSource } from './sweep-trace.ts';
import type { SharedTrace } from './sweep-trace.ts';
import type { Row } from '../results/rows.ts';

export interface RunTask {
  type: 'run';
  /** Task number in the pool (not the point index: points sharing a config run once). */
  task: number;
  config: Config;
  /** Run directory to write. */
  dir: string;
  /** The point's input stream, read once by the main thread (sweep-trace.ts); absent: the point opens its source. */
  shared?: SharedTrace;
}

export type TaskReply =
  | { type: 'done'; task: number; row: Row; wallMs: number }
  | { type: 'failed'; task: number; error: string };

/** Run one point and write its run directory exactly as `npm run sim` does (run.ts recordRun). */
export async function runPoint(config: Config, dir: string, shared?: SharedTrace): Promise<{ row: Row; wallMs: number }> {
  const outcome = await runSimulation(config, shared ? { source: new SharedTraceSource(shared), stats: () => shared.stats } : undefined);
  // A point's folder belongs to the sweep: whatever is there (an unfinished or older run) is replaced.
  return { row: recordRun(outcome, dir, { replace: true }), wallMs: outcome.wallMs };
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (msg: RunTask) => {
    runPoint(msg.config, msg.dir, msg.shared).then(
      ({ row, wallMs }) => port.postMessage({ type: 'done', task: msg.task, row, wallMs } satisfies TaskReply),
      (err: unknown) => {
        const e = err as Error;
        // A config or model error is the point's fault, not the worker's: report it and stay alive.
        const text = e && e.name && /Error$/.test(e.name) && e.name !== 'Error' ? `${e.name}: ${e.message}` : (e?.stack ?? String(err));
        port.postMessage({ type: 'failed', task: msg.task, error: text } satisfies TaskReply);
      },
    );
  });
  port.postMessage({ type: 'ready' });
}
