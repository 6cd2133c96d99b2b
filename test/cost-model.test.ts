import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../sim/run.ts';
import { resolveTiers, MACHINE_PRESETS } from '../sim/machine.ts';
import { COST_SPECS, buildCostModel, costEntries } from '../sim/cost-model.ts';

describe('cost model', () => {
  it('describes every cost.* key of the config schema, and each estimate has a range holding its default', () => {
    const { schema } = resolveConfig();
    const costKeys = Object.keys(schema).filter((k) => k.startsWith('cost.'));
    expect(costKeys.length).toBeGreaterThan(10);
    for (const k of costKeys) expect(COST_SPECS[k], k).toBeDefined();
    for (const [k, spec] of Object.entries(COST_SPECS)) {
      if (spec.tag !== 'estimate') continue;
      const def = schema[k].default as number;
      expect(spec.low, k).toBeLessThanOrEqual(def);
      expect(spec.high, k).toBeGreaterThanOrEqual(def);
    }
  });

  it('builds the charges from the config: first touch with zeroing, migrations with copy and shootdown', () => {
    const { config } = resolveConfig({ sets: { 'cost.firstTouchFaultNs': 1000, 'cost.zeroGBps': 8, 'cost.migrationFixedNs': 2000, 'cost.migrationCopyGBps': 16, 'cost.tlbShootdownNs': 1000, 'cost.tlbShootdownPerCpuNs': 200 } });
    const tiers = resolveTiers(config, 1000);
    // 4 KiB pages on 3 CPUs: zeroing 4096 B at 8 B/ns = 512 ns; migration 2000 + 4096/16 + 1000 + 2·200.
    const m = buildCostModel(config, tiers, 4096, 3);
    expect(m.firstTouchNs).toBe(1512);
    expect(m.migrationNs).toBe(2000 + 256 + 1000 + 400);
    expect(m.migrationBaseNs).toBe(m.migrationNs);
    // 2 MiB pages on one CPU: 2 MiB / 16 B/ns = 131072 ns of copy, no receiving CPUs.
    const h = buildCostModel(config, tiers, 2 * 1024 * 1024, 1);
    expect(h.migrationNs).toBe(2000 + 131072 + 1000);
    expect(h.migrationBaseNs).toBe(2000 + 256 + 1000);
    // ddr5-cxl: 215 GB/s both ways on DRAM → 215 bytes/ns at saturation.
    expect(m.tiers[0]).toEqual({ readLatencyNs: 100, writeLatencyNs: 100, peakBytesPerNs: 215 });
  });

  it('ranges every tier figure of every preset, each preset value inside its range', () => {
    for (const preset of MACHINE_PRESETS) {
      const { config } = resolveConfig({ flags: { 'machine.preset': preset.name, 'machine.ratio': preset.tiers.map(() => 1).join(':') } });
      const entries = costEntries(config, resolveTiers(config, 1000)).filter((e) => e.key.startsWith('machine.tiers.'));
      expect(entries.length, preset.name).toBe(4 * preset.tiers.length);
      for (const e of entries) {
        expect(e.low, `${preset.name} ${e.key}`).toBeLessThanOrEqual(e.value);
        expect(e.high, `${preset.name} ${e.key}`).toBeGreaterThanOrEqual(e.value);
      }
    }
  });
});
