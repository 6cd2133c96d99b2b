// Loaded latency: each tier's bandwidth use u over the last window sets its latency for the next
// window, latency = idle · (1 + q·u/(1 − u)) with u capped (the M/M/1 shape; README "Machines"),
// so a saturated tier is slower, not idle-fast. Accesses move lineBytes each, migrations whole
// pages, and both count against the tiers they touch.

import type { CostModel } from './cost-model.ts';

export class LoadedLatency {
  /** Current latency of tier t: read at [2t], write at [2t + 1]; and the same divided by mlp (what an access adds to its CPU's clock). */
  readonly latNs: Float64Array;
  readonly latMlpNs: Float64Array;
  /** Idle latency of tier 0 divided by mlp, read at [0] and write at [1]: the all-local baseline. */
  readonly idealMlpNs: Float64Array;
  /** Bytes moved per tier in the current window. */
  readonly windowBytes: Float64Array;
  windowStartNs = 0;
  readonly windowNs: number;
  readonly invMlp: number;
  private readonly idleNs: Float64Array;
  private readonly peakBytesPerNs: Float64Array;

  constructor(private readonly cost: CostModel) {
    const n = cost.tiers.length;
    this.invMlp = 1 / cost.mlp;
    this.idleNs = new Float64Array(2 * n);
    cost.tiers.forEach((t, i) => {
      this.idleNs[2 * i] = t.readLatencyNs;
      this.idleNs[2 * i + 1] = t.writeLatencyNs;
    });
    this.latNs = this.idleNs.slice();
    this.latMlpNs = this.latNs.map((l) => l * this.invMlp);
    this.idealMlpNs = Float64Array.of(this.idleNs[0] * this.invMlp, this.idleNs[1] * this.invMlp);
    this.peakBytesPerNs = Float64Array.from(cost.tiers, (t) => t.peakBytesPerNs);
    this.windowBytes = new Float64Array(n);
    this.windowNs = cost.windowNs;
  }

  /** Start a new window at `now`: latencies from the use of the one that ends. */
  roll(now: number): void {
    const elapsed = Math.max(now - this.windowStartNs, this.windowNs);
    const q = this.cost.queueFactor;
    const maxUtil = this.cost.maxUtilization;
    for (let t = 0; t < this.windowBytes.length; t++) {
      let u = this.windowBytes[t] / (elapsed * this.peakBytesPerNs[t]);
      if (u > maxUtil) u = maxUtil;
      const factor = 1 + (q * u) / (1 - u);
      for (let w = 0; w < 2; w++) {
        this.latNs[2 * t + w] = this.idleNs[2 * t + w] * factor;
        this.latMlpNs[2 * t + w] = this.latNs[2 * t + w] * this.invMlp;
      }
      this.windowBytes[t] = 0;
    }
    this.windowStartNs = now;
  }
}
