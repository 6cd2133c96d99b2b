// Config keys of trace input and the LLC filter (merged into the run's schema by sim/run.ts).

import type { Schema } from '../sim/config.ts';
import { MAX_NS_PER_INSTRUCTION } from './limits.ts';

export const TRACE_FORMAT_NAMES = ['auto', 'lackey', 'native', 'csv', 'perf-script', 'drmemtrace', 'champsim', 'damon'] as const;

export const TRACE_SCHEMA: Schema = {
  trace: { default: null, nullable: true, type: 'string', doc: 'Trace file to replay instead of the synthetic workload (any format of traces/FORMAT.md, plain, .gz, .zst or .xz).' },
  'trace.format': { default: 'auto', type: 'string', choices: TRACE_FORMAT_NAMES, doc: 'Trace format; auto = detected from the file content.' },
  'trace.nsPerInstruction': {
    default: 0.5, type: 'number', min: 0, max: MAX_NS_PER_INSTRUCTION,
    doc: 'Compute time per instruction between memory accesses in instruction-level traces (lackey, drmemtrace, ChampSim): 0.5 ns ≈ IPC 1 at 2 GHz. [estimate]',
  },
  'trace.skipBad': { default: false, type: 'boolean', doc: 'Skip and count malformed trace records instead of stopping at the first one.' },
  'trace.indexCache': { default: true, type: 'boolean', doc: 'Cache pre-passes in results/.trace-index/: a trace\'s index (record count, footprint; keyed by the trace\'s content hash) and a synthetic workload\'s touched footprint (keyed by spec and seed).' },
  'llc.enabled': {
    default: 'auto', type: 'string', choices: ['auto', 'true', 'false'],
    doc: 'LLC filter in front of memory: auto = on for instruction-level traces (lackey, drmemtrace, ChampSim), off for perf/DAMON samples, CSV and synthetic workloads.',
  },
  'llc.sizeMiB': { default: 1, type: 'number', min: 1 / 1024, max: 1024, doc: 'LLC capacity; default ≈ one core\'s slice of a server LLC. Scale down with small traces. [estimate]' },
  'llc.ways': { default: 16, type: 'number', integer: true, min: 1, max: 64, doc: 'LLC associativity.' },
  'llc.lineBytes': { default: 64, type: 'number', integer: true, min: 8, max: 4096, doc: 'LLC line size in bytes (power of two).' },
  'llc.hitLatencyNs': { default: 15, type: 'number', min: 0, max: 1e6, doc: 'Time an LLC hit adds to its CPU (≈ 40–50 cycles). [estimate]' },
};
