import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../sim/run.ts';
import { MACHINE_PRESETS, resolveTiers, parseRatio } from '../sim/machine.ts';
import { ConfigError, parseNumber, parseSets } from '../sim/config.ts';

describe('config resolution', () => {
  it('layers defaults → preset → file → --set → flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tiersim-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ seed: 5, machine: { tiers: { 1: { readLatencyNs: 999 } } }, 'cpu.mlp': 3 }));
    const { config } = resolveConfig({ file, sets: { 'cpu.mlp': '4', seed: '6' }, flags: { seed: 7, 'machine.preset': 'cxl-switch' } });
    expect(config['machine.tiers.0.readLatencyNs']).toBe(90); // from the cxl-switch preset
    expect(config['machine.tiers.1.readLatencyNs']).toBe(999); // file beats preset
    expect(config['cpu.mlp']).toBe(4); // --set beats file
    expect(config.seed).toBe(7); // flag beats --set
  });

  it('rejects an unknown key, naming the closest valid one and where the full list is', () => {
    expect(() => resolveConfig({ sets: { 'cpu.mpl': '2' } })).toThrow(/unknown config key "cpu.mpl".*Did you mean cpu.mlp.*npm run sim -- --list-keys/s);
  });

  it('rejects an unknown policy or preset with the valid choices', () => {
    expect(() => resolveConfig({ flags: { policy: 'fist-touch' } })).toThrow(/unknown policy "fist-touch". Did you mean first-touch\? Valid policies: first-touch, interleave/);
    expect(() => resolveConfig({ flags: { 'machine.preset': 'cray' } })).toThrow(/unknown machine preset "cray". Valid presets: ddr5-cxl, cxl-switch/);
  });

  it('rejects values of the wrong type or range, naming the key and what was found', () => {
    expect(() => resolveConfig({ sets: { 'cpu.mlp': 'fast' } })).toThrow(/--set: cpu.mlp expects a number, found "fast"/);
    expect(() => resolveConfig({ sets: { 'machine.tiers.0.readLatencyNs': '-5' } })).toThrow(/readLatencyNs must be ≥ 0, found -5/);
    expect(() => resolveConfig({ sets: { pageSizeKiB: '64' } })).toThrow(/pageSizeKiB must be 4 or 2048/);
    expect(() => resolveConfig({ sets: { 'machine.tiers.2.readLatencyNs': '5' } })).toThrow(/unknown config key "machine.tiers.2.readLatencyNs"/);
  });

  it('names the line of a config file that is not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tiersim-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{\n  "seed": 1,\n  "cpu.mlp": ,\n}\n');
    expect(() => resolveConfig({ file })).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: expected JSON`));
  });

  it('parses numbers with suffixes and --set pairs', () => {
    expect(parseNumber('256Ki')).toBe(262144);
    expect(parseNumber('10M')).toBe(1e7);
    expect(parseNumber('0.5')).toBe(0.5);
    expect(parseNumber('ten')).toBeNaN();
    expect(parseSets(['a.b=1', 'c= x '])).toEqual({ 'a.b': '1', c: 'x' });
    expect(() => parseSets(['nope'])).toThrow(/expected path=value/);
  });
});

describe('machine sizing', () => {
  it('splits the footprint by ratio, with headroom on the slowest tier', () => {
    // 1000 pages at 1:4 → local 200, CXL 800 + 10 % of 1000 = 900.
    const { config } = resolveConfig({});
    const tiers = resolveTiers(config, 1000);
    expect(tiers.map((t) => t.capacityFrames)).toEqual([200, 900]);
  });

  it('uses explicit capacities in GiB', () => {
    const { config } = resolveConfig({ flags: { 'machine.tiers.0.capacityGiB': 1, 'machine.tiers.1.capacityGiB': 2 } });
    expect(resolveTiers(config, undefined).map((t) => t.capacityFrames)).toEqual([262144, 524288]);
    const { config: huge } = resolveConfig({ flags: { pageSizeKiB: 2048, 'machine.tiers.0.capacityGiB': 1, 'machine.tiers.1.capacityGiB': 2 } });
    expect(resolveTiers(huge, undefined).map((t) => t.capacityFrames)).toEqual([512, 1024]);
  });

  it('refuses impossible machines before the run', () => {
    const { config: zero } = resolveConfig({ flags: { 'machine.tiers.0.capacityGiB': 0 } });
    expect(() => resolveTiers(zero, 1000)).toThrow(/tier 0 \(dram\) has no capacity/);
    const { config: small } = resolveConfig({ flags: { 'machine.tiers.0.capacityGiB': 0.001, 'machine.tiers.1.capacityGiB': 0.001 } });
    // 0.001 GiB = 1 073 741 B = 262 whole 4 KiB pages per tier.
    expect(() => resolveTiers(small, 10000)).toThrow(/footprint \(10000 pages of 4 KiB\) fits nowhere: the tiers hold 524 pages in all \(dram 262, cxl 262\)/);
    const { config: unsized } = resolveConfig({});
    expect(() => resolveTiers(unsized, undefined)).toThrow(/capacityGiB is unset and the footprint is not known/);
    expect(() => parseRatio('1:x', 2)).toThrow(ConfigError);
    expect(() => parseRatio('1:2:3', 2)).toThrow(/expected 2 non-negative numbers/);
  });
});

describe('ranges', () => {
  it('every numeric key of every preset and policy has a finite range holding its default', () => {
    let numeric = 0;
    for (const preset of MACHINE_PRESETS) {
      const { schema } = resolveConfig({ sets: { 'machine.preset': preset.name } });
      for (const [key, spec] of Object.entries(schema)) {
        if (spec.type !== 'number') continue;
        numeric++;
        expect(Number.isFinite(spec.min), `${key} min`).toBe(true);
        expect(Number.isFinite(spec.max), `${key} max`).toBe(true);
        expect(spec.min!, key).toBeLessThanOrEqual(spec.max!);
        if (spec.default !== null) {
          expect(spec.default as number, key).toBeGreaterThanOrEqual(spec.min!);
          expect(spec.default as number, key).toBeLessThanOrEqual(spec.max!);
        }
      }
    }
    expect(numeric).toBeGreaterThan(100);
  });

  it('a value just past either end of a range is an error naming the key and the bound', () => {
    expect(() => resolveConfig({ sets: { 'cpu.mlp': '65' } })).toThrow(/--set: cpu\.mlp must be ≤ 64, found 65/);
    expect(() => resolveConfig({ sets: { 'stats.epochMs': '0.0009' } })).toThrow(/stats\.epochMs must be ≥ 0\.001, found 0\.0009/);
    expect(() => resolveConfig({ sets: { 'policy.tpp.scanPeriodMaxMs': '2e9' } })).toThrow(/policy\.tpp\.scanPeriodMaxMs must be ≤ 1000000000/);
    expect(() => resolveConfig({ sets: { 'vm.3.memMiB': '1e9' } })).toThrow(/vm\.3\.memMiB must be ≤ 67108864/);
  });
});
