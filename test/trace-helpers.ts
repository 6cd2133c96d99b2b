// Shared helpers of the trace tests: read every record of a trace into plain rows for comparison.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBatch } from '../traces/batch.ts';
import type { AccessSource } from '../traces/batch.ts';
import type { TraceReader } from '../traces/reader.ts';
import { detectFormat } from '../traces/source.ts';

export const FIX = join(import.meta.dirname, 'fixtures');

export interface Rec {
  addr: string;
  op: 'R' | 'W';
  gap: number;
  cpu: number;
  vm: number;
}

export function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'tiersim-trace-test-'));
}

const hex = (hi: number, lo: number) => '0x' + (BigInt(hi) * 2n ** 32n + BigInt(lo)).toString(16);

export async function drain(reader: TraceReader | AccessSource, cpu = 0): Promise<Rec[]> {
  const b = createBatch(64); // small batches: exercises batch boundaries inside the fixtures
  const out: Rec[] = [];
  for (;;) {
    const r = 'fill' in reader ? reader.fill(b) : reader.read(cpu, b);
    const n = typeof r === 'number' ? r : await r;
    if (n === 0) break;
    for (let i = 0; i < n; i++) out.push({ addr: hex(b.addrHi[i], b.addrLo[i]), op: b.op[i] ? 'W' : 'R', gap: b.gapNs[i], cpu: b.cpu[i], vm: b.vm[i] });
  }
  return out;
}

/** Every record of a trace file, format detected from content, one reader over all CPUs. */
export async function readTrace(path: string, opts: { skipBad?: boolean; nsPerInstruction?: number; cpu?: number } = {}): Promise<{ recs: Rec[]; bad: number; format: string }> {
  const f = await detectFormat(path);
  const r = await f.open({ path, cpu: opts.cpu ?? -1, skipBad: opts.skipBad ?? false, nsPerInstruction: opts.nsPerInstruction ?? 1 });
  try {
    const recs = await drain(r);
    return { recs, bad: r.badRecords, format: f.name };
  } finally {
    r.close();
  }
}
