// What every tiersim command line shares: the yargs settings that make an unknown option an error
// naming the valid ones, and the entry-point wrapper that turns user errors into exit code 2.

import type { Argv } from 'yargs';
import { ConfigError } from './config.ts';

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
 * Run a command-line entry point when its module is the one node was started with: exit 0 on
 * success, 2 with a one-line message on bad input (config, workload, trace or simulation errors),
 * 1 with the stack on anything unexpected.
 */
export function runAsMain(moduleUrl: string, main: (argv: string[]) => Promise<number>): void {
  const script = process.argv[1];
  if (!script || !moduleUrl.endsWith(script.replace(/\\/g, '/').split('/').pop()!)) return;
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof ConfigError || (err instanceof Error && USER_ERRORS.includes(err.name))) {
        process.stderr.write(`error: ${err.message}\n`);
        process.exit(2);
      }
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}

/** User-facing errors that do not extend ConfigError (matched by name to avoid import cycles). */
const USER_ERRORS = ['SimError', 'WorkloadError', 'VmsWorkloadError'];
