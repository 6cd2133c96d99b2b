import { describe, expect, it } from 'vitest';
import { Memory, S_ACCESSED, S_NO_FRAME } from '../sim/memory.ts';
import type { Tier } from '../sim/machine.ts';

const tier = (capacityFrames: number): Tier => ({ name: 't', kind: 'local', readLatencyNs: 100, writeLatencyNs: 100, readGBps: 1, writeGBps: 1, capacityGiB: null, capacityFrames });

describe('memory: pages, frames and tiers', () => {
  it('counts frames with refcounts, reuses freed frames and keeps the tier copy in page state', () => {
    const m = new Memory([tier(4), tier(4)], 4096, 8);
    const p = m.newPage();
    const q = m.newPage();
    expect(m.tierOf(p)).toBe(-1); // no frame yet
    const f = m.allocFrame(1);
    m.map(p, f);
    m.map(q, f); // shared frame: two pages, one frame
    expect(m.frameRefs[f]).toBe(2);
    expect([m.tierOf(p), m.tierOf(q)]).toEqual([1, 1]);
    m.setFrameTier(f, 0);
    expect([m.tierOf(p), m.tierOf(q)]).toEqual([0, 0]);
    expect(m.unmap(p)).toBe(-1); // still mapped by q
    expect(m.state[p] & S_NO_FRAME).toBe(S_NO_FRAME);
    expect(m.unmap(q)).toBe(0); // freed, from tier 0
    expect(m.liveFrames).toBe(0);
    expect(m.allocFrame(1)).toBe(f); // the freed frame is reused
  });

  it('keeps page bits across a remap and moves every mapper of a shared frame', () => {
    const m = new Memory([tier(4), tier(4)], 4096, 2);
    const pages = [m.newPage(), m.newPage(), m.newPage()];
    expect(m.state.length).toBeGreaterThanOrEqual(3); // grown past the expected 2
    const f = m.allocFrame(1);
    m.map(pages[0], f);
    m.state[pages[0]] |= S_ACCESSED;
    m.mapShared(pages[1], f);
    m.mapShared(pages[2], f);
    m.setFrameTier(f, 0);
    expect(pages.map((p) => m.tierOf(p))).toEqual([0, 0, 0]);
    expect(m.state[pages[0]] & S_ACCESSED).toBe(S_ACCESSED);
    // The first mapper leaves: another mapper becomes the frame's owner.
    m.unmap(pages[0]);
    expect([pages[1], pages[2]]).toContain(m.framePage[f]);
    expect(m.frameRefs[f]).toBe(2);
  });
});
