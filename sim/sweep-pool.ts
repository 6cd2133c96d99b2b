// A fixed pool of worker threads running sweep points. A worker that dies (uncaught error, out of
// memory, terminated) fails only the point it was running; the pool starts a fresh worker for the
// points still queued.
//
// Loading TypeScript in a worker: Node 20 does not pass the tsx loader to workers (neither by
// inheriting execArgv nor with execArgv ['--import', 'tsx'] — both give ERR_UNKNOWN_FILE_EXTENSION
// for the .ts entry), so the worker starts from a tiny CommonJS bootstrap that registers tsx's ESM
// hooks in the worker itself (tsx/esm/api register()) and then imports sweep-worker.ts. The tsx
// path is resolved from this file, so it works from any working directory, under `npm run sweep`,
// `npx tsx` and vitest alike. Were the project compiled to .js, the bootstrap only loads the
// policy catalog (below) and the worker.

import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { isAbsolute, resolve } from 'node:path';
import type { Config } from './config.ts';
import type { Row } from '../results/rows.ts';
import type { RunTask, TaskReply } from './sweep-worker.ts';
import type { SharedTrace } from './sweep-trace.ts';
import { policyModules } from './policy-catalog.ts';

export type TaskOutcome = { ok: true; row: Row; wallMs: number } | { ok: false; error: string; crashed: boolean };

export interface PoolEvents {
  /** A task was handed to a worker (tests use the worker to kill it mid-run). */
  onStart?(task: number, worker: Worker): void;
}

interface Slot {
  worker: Worker;
  task?: { id: number; resolve: (o: TaskOutcome) => void; started: number };
  lastError?: Error;
  ready: boolean;
}

const WORKER_URL = new URL('./sweep-worker' + (import.meta.url.endsWith('.ts') ? '.ts' : '.js'), import.meta.url);

function spawnWorker(): Worker {
  // A worker is a fresh module graph: it imports the modules that registered this process's
  // policies (policy-catalog.ts records their URLs; sim/ itself never names policies/) before the
  // worker's own code, so a point finds the policies its config was resolved against.
  const catalog = policyModules().map((u) => `await import(${JSON.stringify(u)});`).join(' ');
  let register = '';
  if (WORKER_URL.pathname.endsWith('.ts')) {
    // The ESM entry of tsx's API (tsx's CommonJS register() cannot be used from an eval'd worker:
    // it resolves its hooks relative to the wrong file). A data: URL worker is an ES module.
    const tsxApi = typeof import.meta.resolve === 'function'
      ? import.meta.resolve('tsx/esm/api')
      : pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
    register = `import { register } from ${JSON.stringify(tsxApi)}; register();`;
  }
  const boot = `${register} ${catalog} await import(${JSON.stringify(WORKER_URL.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { execArgv: withoutCatalogPreloads(process.execArgv) });
}

/**
 * The parent's node options minus its `--import` of a policy-registering module (`npm run sweep`
 * preloads the registry): a worker inherits them and would load that .ts file before the boot has
 * registered tsx's hooks in it. The boot imports those modules itself.
 */
export function withoutCatalogPreloads(execArgv: readonly string[], cwd = process.cwd()): string[] {
  const catalog = new Set(policyModules());
  const asUrl = (spec: string) => (spec.startsWith('file:') ? spec : /^\.{0,2}[\\/]/.test(spec) || isAbsolute(spec) ? pathToFileURL(resolve(cwd, spec)).href : spec);
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i];
    if (a === '--import' && i + 1 < execArgv.length && catalog.has(asUrl(execArgv[i + 1]))) i++;
    else if (!(a.startsWith('--import=') && catalog.has(asUrl(a.slice(9))))) out.push(a);
  }
  return out;
}

export class WorkerPool {
  private slots: Slot[] = [];
  private queue: Array<{ id: number; msg: RunTask; resolve: (o: TaskOutcome) => void }> = [];
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly events: PoolEvents = {},
  ) {}

  run(config: Config, dir: string, shared?: SharedTrace): Promise<TaskOutcome> {
    if (this.closed) return Promise.resolve({ ok: false, error: 'pool closed', crashed: false });
    return new Promise((resolve) => {
      const id = this.nextId++;
      this.queue.push({ id, msg: { type: 'run', task: id, config, dir, shared }, resolve });
      this.pump();
    });
  }

  /** Stop every worker; queued and running tasks resolve as failed (interrupted). */
  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.queue.splice(0)) q.resolve({ ok: false, error: 'interrupted', crashed: false });
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.closed) {
      let slot = this.slots.find((s) => s.ready && !s.task);
      if (!slot) {
        // Start workers lazily, up to size; a starting worker takes its first task when ready.
        const starting = this.slots.filter((s) => !s.ready).length;
        if (this.slots.length < this.size && starting < this.queue.length) this.addSlot();
        return;
      }
      const q = this.queue.shift()!;
      slot.task = { id: q.id, resolve: q.resolve, started: performance.now() };
      slot.worker.postMessage(q.msg);
      this.events.onStart?.(q.id, slot.worker);
    }
  }

  private addSlot(): void {
    const slot: Slot = { worker: spawnWorker(), ready: false };
    this.slots.push(slot);
    slot.worker.on('message', (m: TaskReply | { type: 'ready' }) => {
      if (m.type === 'ready') {
        slot.ready = true;
        this.pump();
        return;
      }
      const t = slot.task;
      if (!t || t.id !== m.task) return;
      slot.task = undefined;
      t.resolve(m.type === 'done' ? { ok: true, row: m.row, wallMs: m.wallMs } : { ok: false, error: m.error, crashed: false });
      this.pump();
    });
    slot.worker.on('error', (err) => {
      slot.lastError = err;
    });
    slot.worker.on('exit', (code) => {
      this.slots.splice(this.slots.indexOf(slot), 1);
      const t = slot.task;
      slot.task = undefined;
      if (this.closed) {
        t?.resolve({ ok: false, error: 'interrupted', crashed: false });
        return;
      }
      const why = slot.lastError ? `: ${slot.lastError.stack ?? slot.lastError.message}` : '';
      if (t) t.resolve({ ok: false, error: `worker thread died (exit code ${code}) while running it${why}`, crashed: true });
      else if (!slot.ready) {
        // A worker that cannot even start would fail every point the same way: fail them all now.
        for (const q of this.queue.splice(0)) q.resolve({ ok: false, error: `worker thread failed to start (exit code ${code})${why}`, crashed: true });
      }
      this.pump();
    });
  }
}
