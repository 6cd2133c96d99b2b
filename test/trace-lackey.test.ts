import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { FIX, readTrace, tmp } from './trace-helpers.ts';

const LACKEY = join(FIX, 'sort-cut.lackey');

// Expected records of sort-cut.lackey, derived by hand from its lines (nsPerInstruction = 1, so a
// gap is the number of `I` lines since the previous data access).
const EXPECTED: Array<[string, 'R' | 'W', number]> = [
  ['0x1fff000728', 'W', 2], // lines 7-9: two I, then S
  ['0x1fff000720', 'W', 1],
  ['0x1fff000718', 'W', 7], // seven I lines 12-18
  ['0x1fff000710', 'W', 1],
  ['0x1fff000708', 'W', 1],
  ['0x1fff000700', 'W', 1],
  ['0x1fff0006f8', 'W', 1],
  ['0x1fff000698', 'W', 2],
  ['0x1fff0006a0', 'W', 1], // 16 bytes at offset 32 of its line: no crossing
  ['0x4033e06', 'R', 2], // M = read …
  ['0x4033e06', 'W', 0], // … then write, no gap between
  ['0x4033ad0', 'W', 2],
  ['0x4032a80', 'W', 3],
  ['0x4032e40', 'R', 1],
  ['0x4033ae0', 'W', 1],
  ['0x402917c', 'R', 3], // 16 bytes at offset 60: crosses into the next line …
  ['0x4029180', 'R', 0], // … which is a second record at the line start
  ['0x1ffeffefe8', 'R', 2],
  ['0x1ffeffeff8', 'R', 1], // 16 bytes at 0xff8: crosses a 4 KiB page …
  ['0x1ffefff000', 'R', 0], // … so both pages are touched
];

describe('lackey reader', () => {
  it('turns I/L/S/M lines into records with instruction gaps, splitting line and page crossings', async () => {
    const { recs, format, bad } = await readTrace(LACKEY);
    expect(format).toBe('lackey');
    expect(bad).toBe(0);
    expect(recs.map((r) => [r.addr, r.op, r.gap])).toEqual(EXPECTED);
    expect(recs.every((r) => r.cpu === 0 && r.vm === 0)).toBe(true);
  });

  it('scales gaps by trace.nsPerInstruction', async () => {
    const { recs } = await readTrace(LACKEY, { nsPerInstruction: 0.5 });
    expect(recs[2].gap).toBe(3.5);
  });

  it('reads gzip, zstd and xz by magic bytes, whatever the file is called', async () => {
    const dir = tmp();
    const raw = readFileSync(LACKEY);
    writeFileSync(join(dir, 'a.trace'), gzipSync(raw));
    writeFileSync(join(dir, 'b.trace'), execFileSync('zstd', ['-q', '-c', LACKEY]));
    writeFileSync(join(dir, 'c.trace'), execFileSync('xz', ['-q', '-c', LACKEY]));
    for (const name of ['a.trace', 'b.trace', 'c.trace']) {
      const { recs } = await readTrace(join(dir, name));
      expect(recs.map((r) => [r.addr, r.op, r.gap])).toEqual(EXPECTED);
    }
  });

  it('a line split across read chunks parses the same (last line without newline too)', async () => {
    const dir = tmp();
    const text = readFileSync(LACKEY, 'latin1').replace(/\n$/, '');
    writeFileSync(join(dir, 'nonl.lackey'), text);
    const { recs } = await readTrace(join(dir, 'nonl.lackey'));
    expect(recs.length).toBe(EXPECTED.length);
  });

  it('stops at a malformed line with file:line, what was expected and the text found', async () => {
    const dir = tmp();
    const lines = readFileSync(LACKEY, 'latin1').split('\n');
    lines[10] = ' S 1fff00072g,8'; // line 11: a non-hex digit in the address
    writeFileSync(join(dir, 'bad.lackey'), lines.join('\n'));
    await expect(readTrace(join(dir, 'bad.lackey'))).rejects.toThrow(/bad\.lackey:11: expected " L\|S\|M <hex address.*found " S 1fff00072g,8"/);
  });

  it('with skipBad skips and counts malformed lines', async () => {
    const dir = tmp();
    const lines = readFileSync(LACKEY, 'latin1').split('\n');
    lines[10] = ' S 1fff00072g,8';
    lines[20] = ' X 1fff000710,8';
    writeFileSync(join(dir, 'bad.lackey'), lines.join('\n'));
    const { recs, bad } = await readTrace(join(dir, 'bad.lackey'), { skipBad: true });
    expect(bad).toBe(2);
    expect(recs.length).toBe(EXPECTED.length - 2);
  });

  it('cuts long garbage in the error message', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'long.lackey'), '==1== Lackey\n S 1fff000728,8\n' + 'Q'.repeat(5000) + '\n');
    await expect(readTrace(join(dir, 'long.lackey'))).rejects.toThrow(/long\.lackey:3: expected a lackey line.*found "Q{80}… \(200 chars\)"/);
  });

  it('a truncated zstd file is an error naming the decompressor, not a short trace', async () => {
    const dir = tmp();
    const z = execFileSync('zstd', ['-q', '-c', LACKEY]);
    writeFileSync(join(dir, 'cut.zst'), z.subarray(0, z.length - 20));
    await expect(readTrace(join(dir, 'cut.zst'))).rejects.toThrow(/cut\.zst: zstd -dc failed.*corrupt or truncated/);
  });
});
