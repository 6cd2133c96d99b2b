// The policy interface, as policies import it. It lives in sim/host.ts (the engine's side of the
// contract: Host, VmHost, OracleHost, PolicyHooks, definePolicy and the PAGE_* / FAULT_* / EVENT_*
// constants), so that sim/ never imports policies/; this file re-exports it unchanged.

export * from '../sim/host.ts';
