// What every tiersim command line shares: the yargs settings that make an unknown option an error
// naming the valid ones, the entry-point wrapper that turns user errors into one line and exit
// code 2, the check for options npm took for itself (a forgotten `--`), and SIGINT / SIGTERM.

import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argv } from 'yargs';
import { ConfigError } from './config.ts';
import { fsExitCode, fsMessage, isFsError } from './fs-errors.ts';

/**
 * Help on -h/--help, no --version, wrapped to the terminal, and every parse failure a ConfigError:
 * `valid(msg)` gives what to append (the valid options or commands) to yargs' message.
 */
export function finishCli<T>(parser: Argv<T>, epilog: string | undefined, valid: (msg: string) => string): Argv<T> {
  let p = parser.help().alias('help', 'h').version(false).wrap(Math.min(120, process.stdout.columns || 100));
  if (epilog) p = p.epilog(epilog);
  return p.fail((msg, err) => {
    if (err) throw err;
    throw new ConfigError(`${msg}${valid(msg)}`);
  });
}

/**
 * Whether the module at moduleUrl is the script node was started with (argv1): the same file after
 * resolving symlinks. Not by file name: bench/db-double-cache.ts imported from a script named
 * cache.ts would otherwise run as if it were the entry point.
 */
export function isMainScript(moduleUrl: string, argv1: string | undefined): boolean {
  if (!argv1 || !moduleUrl.startsWith('file:')) return false;
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  };
  return real(fileURLToPath(moduleUrl)) === real(resolve(argv1));
}

/**
 * Run a command-line entry point when its module is the one node was started with: exit 0 on
 * success, 2 with a one-line message on bad input (config, workload, trace, simulation or
 * file-system errors on the paths given), 1 with the stack on anything unexpected. `options` are
 * the command's long options (`--policy`, …) and which of them are flags without a value: under
 * `npm run`, one that npm took for itself (the user forgot `--`) is an error saying how to call it.
 */
export function runAsMain(moduleUrl: string, main: (argv: string[]) => Promise<number>, options: CliOptions = { options: [] }): void {
  if (!isMainScript(moduleUrl, process.argv[1])) return;
  const argv = process.argv.slice(2);
  const eaten = npmAteOptions(process.env, options, argv);
  const run = eaten ? Promise.reject(new ConfigError(eaten)) : main(argv);
  run.then(
    (code) => process.exit(code),
    (err: unknown) => {
      const { code, text } = describeError(err);
      process.stderr.write(`${text}\n`);
      process.exit(code);
    },
  );
}

/** Exit code and message of an error that ends a command: one line for user errors, the stack for bugs. */
export function describeError(err: unknown): { code: number; text: string } {
  if (err instanceof ConfigError || (err instanceof Error && USER_ERRORS.includes(err.name))) return { code: 2, text: `error: ${oneLine(err.message)}` };
  if (isFsError(err)) return { code: fsExitCode(err), text: `error: ${fsMessage(err)}` };
  return { code: 1, text: (err as Error).stack ?? String(err) };
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ');

/** User-facing errors that do not extend ConfigError (matched by name to avoid import cycles). */
const USER_ERRORS = ['SimError', 'WorkloadError', 'VmsWorkloadError'];

/**
 * npm's own options that share a name with ours: their npm_config_* variable may come from .npmrc
 * or the user's environment, so it says nothing about a forgotten `--`.
 */
const NPM_OWN = new Set(['force', 'quiet', 'help', 'version', 'json', 'yes']);

/**
 * `npm run sim --policy tpp` runs `tsx sim/cli.ts tpp` with npm_config_policy=true: npm takes every
 * option before `--` as its own config and leaves a value given with a space as an argument.
 * Returns the message for such a call (naming the right one), or undefined. Only under `npm run`
 * (npm_lifecycle_event set).
 */
export function npmAteOptions(env: NodeJS.ProcessEnv, cli: CliOptions, argv: readonly string[]): string | undefined {
  const script = env.npm_lifecycle_event;
  if (!script) return undefined;
  const flags = new Set(cli.flags ?? []);
  const found: Array<{ flag: string; value: string; takesValue: boolean }> = [];
  for (const o of cli.options) {
    const name = o.replace(/^--/, '');
    if (NPM_OWN.has(name)) continue;
    const value = env[`npm_config_${name.replace(/-/g, '_')}`];
    if (value !== undefined) found.push({ flag: `--${name}`, value, takesValue: !flags.has(o) });
  }
  if (found.length === 0) return undefined;
  // An option that takes a value and that npm saw as "true" had its value after a space: the value
  // is among the arguments. With one such option the call can be rebuilt exactly, otherwise its
  // values are shown as "…".
  const bare = found.filter((f) => f.value === 'true' && f.takesValue);
  const shown = found.map((f) => {
    if (!f.takesValue) return f.value === 'false' ? `--no-${f.flag.slice(2)}` : f.flag;
    if (f.value !== 'true') return `${f.flag} ${f.value}`;
    return bare.length === 1 && argv.length > 0 ? `${f.flag} ${argv[0]}` : `${f.flag} …`;
  });
  const rest = bare.length === 1 ? argv.slice(1) : argv;
  const call = `npm run ${script} -- ${[...shown, ...rest].join(' ')}`.trimEnd();
  return `npm took ${found.map((f) => f.flag).join(', ')} as its own option${found.length > 1 ? 's' : ''} (it reached tiersim only as npm_config_*): put -- between the script name and tiersim's options, e.g. ${call}`;
}

/** A command's long options (with their dashes) and, among them, the flags that take no value. */
export interface CliOptions {
  options: readonly string[];
  flags?: readonly string[];
}

export interface StopSignals {
  readonly signal: AbortSignal;
  /** 130 after SIGINT, 143 after SIGTERM (128 + signal number); undefined while not stopped. */
  readonly exitCode: number | undefined;
  /** Remove the handlers (the default actions apply again). */
  dispose(): void;
}

/**
 * SIGINT and SIGTERM (Ctrl-C; Slurm and Kubernetes stopping a job) stop the work: the first one
 * aborts `signal` — the engine stops at its next yield (≤ 50 ms), a sweep stops its workers — and,
 * should the work not have wound up `graceMs` later (a trace pre-pass or hash does not watch the
 * signal), `cleanup` runs and the process exits with 130 / 143; a second signal exits at once.
 */
export function stopOnSignals(opts: { say: (s: string) => void; cleanup?: () => void; graceMs?: number }): StopSignals {
  const ac = new AbortController();
  let exitCode: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const quit = () => {
    try {
      opts.cleanup?.();
    } finally {
      process.exit(exitCode);
    }
  };
  const on = (sig: 'SIGINT' | 'SIGTERM') => () => {
    if (exitCode !== undefined) return quit();
    exitCode = sig === 'SIGINT' ? 130 : 143;
    opts.say(`\ninterrupted (${sig}): stopping; nothing unfinished is kept`);
    ac.abort();
    timer = setTimeout(quit, opts.graceMs ?? 1000);
    timer.unref();
  };
  const handlers = { SIGINT: on('SIGINT'), SIGTERM: on('SIGTERM') };
  process.on('SIGINT', handlers.SIGINT);
  process.on('SIGTERM', handlers.SIGTERM);
  return {
    signal: ac.signal,
    get exitCode() {
      return exitCode;
    },
    dispose() {
      process.removeListener('SIGINT', handlers.SIGINT);
      process.removeListener('SIGTERM', handlers.SIGTERM);
      if (timer) clearTimeout(timer);
    },
  };
}
