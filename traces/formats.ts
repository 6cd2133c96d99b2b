// Every trace format, in detection order (the first whose detect() accepts the file's head wins;
// the most specific signatures come first). One file per format under traces/.

import type { TraceFormat } from './reader.ts';
import { nativeFormat } from './native.ts';
import { lackeyFormat } from './lackey.ts';
import { csvFormat } from './csv-trace.ts';
import { perfScriptFormat } from './perf-script.ts';
import { drmemtraceFormat } from './drmemtrace.ts';
import { champsimFormat } from './champsim.ts';
import { damonFormat } from './damon.ts';
import { TraceError } from './open.ts';

export const FORMATS: readonly TraceFormat[] = [
  nativeFormat, damonFormat, lackeyFormat, drmemtraceFormat, perfScriptFormat, csvFormat,
  champsimFormat, // last: recognised by plausible binary records, not by a signature
];

export function findFormat(name: string): TraceFormat {
  const f = FORMATS.find((x) => x.name === name);
  if (!f) throw new TraceError(`unknown trace format "${name}". Valid formats: auto, ${FORMATS.map((x) => x.name).join(', ')}`);
  return f;
}
