// Policy composition: the main policy (placement) plus the `--with` mechanisms (balloon, idle-tax,
// page-sharing, …). Each attached policy gets a Host object of its own (policy-host.ts) that
// carries its index ("owner"): its timers, its counters (`policy.<name>.<counter>` for `with`
// policies, so that two never add into one column) and its seeded random are its own. Faults,
// samples and pressure go to every policy in attach order; placement and the oracle hook stay with
// the main policy. Speed trick: with one policy its hooks are called directly (no dispatch loop),
// so a single-policy run pays nothing for composition.

import seedrandom from 'seedrandom';
import type { Core } from './core.ts';
import { SimError } from './core.ts';
import type { PolicyDefinition, PolicyHooks } from './host.ts';
import { PolicyHost } from './policy-host.ts';
import { grow } from './columns.ts';

const OWNER_BITS = 4;
export const MAX_POLICIES = 1 << OWNER_BITS;

export class PolicySet {
  /** The hooks the engine calls: the main policy's, or a dispatcher over all of them. */
  hooks: PolicyHooks = {};
  readonly all: PolicyHooks[] = [];
  readonly names: string[] = [];
  readonly hosts: PolicyHost[] = [];
  /** Any attached policy reads whole-run access counts (PolicyDefinition.oracle). */
  oracle = false;
  /** Owners whose hooks have onMigrated (empty: Host.migrate pays nothing for the hook), and which of them is inside it. */
  readonly migrateListeners: number[] = [];
  private readonly inMigrated = new Uint8Array(MAX_POLICIES);
  /** Owners whose hooks have onCollapsed. */
  readonly collapseListeners: number[] = [];
  private readonly randoms: Array<() => number> = [];
  private readonly timerPeriods: Float64Array[] = [];
  /** Policy counters: names (prefixed for `with` policies) and values, reported as policy.<name>. */
  counterNames: string[] = [];
  counterValues = new Float64Array(16);

  constructor(private readonly core: Core) {}

  /** Instantiate the main policy. */
  attach(policy: PolicyDefinition, params: Record<string, unknown>): void {
    if (this.all.length > 0) throw new SimError(`attach: the main policy is already ${this.names[0]}; use attachWith for extra policies`);
    this.hooks = this.create(policy, params);
  }

  /** Attach an extra policy alongside the main one (`--with`). */
  attachWith(policy: PolicyDefinition, params: Record<string, unknown>): void {
    if (this.all.length === 0) throw new SimError('attachWith: attach the main policy first');
    if (this.names.includes(policy.name)) throw new SimError(`policy ${policy.name} is attached twice (--policy / --with)`);
    if (this.all.length >= MAX_POLICIES) throw new SimError(`at most ${MAX_POLICIES} policies can be attached`);
    const hooks = this.create(policy, params);
    this.hooks = this.dispatcher();
    // A mechanism that listens to the main policy's migrations moves pages of its own (thp-range):
    // a main policy without onMigrated does not hear of them.
    if (hooks.onMigrated && !this.all[0].onMigrated) {
      this.hosts[this.all.length - 1].warn(`the pages it moves beside ${this.names[0]} are not reported to it (no onMigrated hook): if ${this.names[0]} keeps lists of its pages (LRU, hot/cold), they miss those moves`);
    }
  }

  private create(policy: PolicyDefinition, params: Record<string, unknown>): PolicyHooks {
    const owner = this.all.length;
    this.names.push(policy.name);
    this.randoms.push(seedrandom.alea(`${this.core.config.seed}/policy/${policy.name}`));
    this.timerPeriods.push(new Float64Array(16));
    if (policy.vm) this.core.vm.enable();
    if (policy.oracle) this.oracle = true;
    const host = new PolicyHost(this.core, owner);
    this.hosts.push(host);
    const hooks = policy.create(params as never, host);
    this.all.push(hooks);
    if (hooks.onMigrated) this.migrateListeners.push(owner);
    if (hooks.onCollapsed) this.collapseListeners.push(owner);
    return hooks;
  }

  /**
   * Policy `owner` migrated `page` from tier `from` to `to`: tell every other policy with an
   * onMigrated hook, unless it is inside its own onMigrated already (its migrations do not call it back).
   */
  migrated(owner: number, page: number, from: number, to: number): void {
    const ls = this.migrateListeners;
    for (let i = 0; i < ls.length; i++) {
      const k = ls[i];
      if (k === owner || this.inMigrated[k]) continue;
      this.inMigrated[k] = 1;
      try {
        this.all[k].onMigrated!(page, from, to);
      } finally {
        this.inMigrated[k] = 0;
      }
    }
  }

  /** One PolicyHooks that dispatches to every attached policy (built once, at attach time). */
  private dispatcher(): PolicyHooks {
    const all = this.all;
    const main = all[0];
    const out: PolicyHooks = {};
    if (main.place) out.place = main.place.bind(main);
    if (main.onAccessOracle) out.onAccessOracle = main.onAccessOracle.bind(main);
    const each = (name: 'onFault' | 'onSample' | 'onPressure') => {
      const withHook = all.filter((h) => h[name] !== undefined);
      if (withHook.length === 0) return undefined;
      // Speed trick: one policy with the hook (a mechanism without faults beside the main policy)
      // gets its hook bound directly, with no loop and no extra call per fault or sample.
      if (withHook.length === 1) return (withHook[0][name] as (a: number, b: number, c: number) => void).bind(withHook[0]);
      return (a: number, b: number, c: number) => {
        for (let k = 0; k < withHook.length; k++) (withHook[k][name] as (a: number, b: number, c: number) => void).call(withHook[k], a, b, c);
      };
    };
    out.onFault = each('onFault');
    out.onSample = each('onSample');
    out.onPressure = each('onPressure') as PolicyHooks['onPressure'];
    return out;
  }

  /** A 4 KiB-mapped range was collapsed (sim/thp.ts): tell every policy with an onCollapsed hook. */
  collapsed(range: number, first: number, tier: number): void {
    const ls = this.collapseListeners;
    for (let i = 0; i < ls.length; i++) this.all[ls[i]].onCollapsed!(range, first, tier);
  }

  // ---- timers: tag = ((id << OWNER_BITS) | owner) · 2, + 1 if periodic

  every(owner: number, periodNs: number, id: number, firstDelayNs: number): void {
    if (!(periodNs > 0)) throw new SimError(`timer ${id}: period must be > 0 ns, found ${periodNs}`);
    this.checkTimerId(owner, id);
    this.timerPeriods[owner][id] = periodNs;
    this.core.events.push(this.core.nowNs + firstDelayNs, ((id << OWNER_BITS) | owner) * 2 + 1);
  }

  after(owner: number, delayNs: number, id: number): void {
    this.checkTimerId(owner, id);
    this.core.events.push(this.core.nowNs + Math.max(0, delayNs), ((id << OWNER_BITS) | owner) * 2);
  }

  private checkTimerId(owner: number, id: number): void {
    if (!Number.isInteger(id) || id < 0 || id > 1 << 20) throw new SimError(`timer id must be an integer in [0, 2^20], found ${id}`);
    this.timerPeriods[owner] = grow(this.timerPeriods[owner], id + 1);
  }

  /** A policy timer due at timeNs: re-arm it if periodic, then call its policy's onTimer. */
  fire(tag: number, timeNs: number): void {
    const owner = (tag >> 1) & (MAX_POLICIES - 1);
    const id = tag >> (OWNER_BITS + 1);
    if (tag & 1) this.core.events.push(timeNs + this.timerPeriods[owner][id], tag);
    this.all[owner].onTimer?.(id);
  }

  // ---- counters and randoms

  counter(owner: number, counterName: string): number {
    const name = owner > 0 ? `${this.names[owner]}.${counterName}` : counterName;
    const existing = this.counterNames.indexOf(name);
    if (existing >= 0) return existing;
    this.counterNames.push(name);
    this.counterValues = grow(this.counterValues, this.counterNames.length);
    return this.counterNames.length - 1;
  }

  random(owner: number): number {
    return this.randoms[owner]();
  }

  /** Current counter values, one per name. */
  snapshot(): Float64Array {
    return this.counterValues.slice(0, this.counterNames.length);
  }
}
