// A trace's identity is its content hash; a process remembers the hash of a file it read only while
// the file is provably unchanged (device, inode, size, mtime, ctime), so a rewrite that keeps path,
// size and mtime (cp -p, rsync -t, a regenerating script) is hashed again.

import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { renameSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmp } from './trace-helpers.ts';
import { traceIdentity } from '../traces/identity.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const settle = () => new Promise((r) => setTimeout(r, 2300)); // past the 2 s a file must be unchanged to be remembered

describe('trace identity', () => {
  it('is the SHA-256 of the bytes and follows a rewrite that keeps path, size and mtime', async () => {
    const path = join(tmp(), 't.csv');
    const when = new Date(1_700_000_000_000);
    writeFileSync(path, 'addr,op\n0x1000,R\n');
    utimesSync(path, when, when);
    await settle();
    const first = await traceIdentity(path);
    expect(first).toEqual({ sha256: sha('addr,op\n0x1000,R\n'), bytes: 17 });
    expect(await traceIdentity(path)).toEqual(first); // remembered: the file is the same
    // Same length, same mtime, other content: ctime moved, so the hash is computed again.
    writeFileSync(path, 'addr,op\n0x2000,W\n');
    utimesSync(path, when, when);
    expect(await traceIdentity(path)).toEqual({ sha256: sha('addr,op\n0x2000,W\n'), bytes: 17 });
  }, 10_000);

  it('follows a file replaced by rename (rsync -t)', async () => {
    const d = tmp();
    const path = join(d, 't.csv');
    const when = new Date(1_700_000_000_000);
    writeFileSync(path, 'addr,op\n0x1000,R\n');
    utimesSync(path, when, when);
    await settle();
    expect((await traceIdentity(path)).sha256).toBe(sha('addr,op\n0x1000,R\n'));
    writeFileSync(join(d, 'new'), 'addr,op\n0x3000,R\n');
    utimesSync(join(d, 'new'), when, when);
    renameSync(join(d, 'new'), path);
    expect((await traceIdentity(path)).sha256).toBe(sha('addr,op\n0x3000,R\n'));
  }, 10_000);
});
