// Growing per-page typed-array columns, for the engine and for policies whose page ids are dense but
// whose page count is only known as pages are touched (Host.pageCount grows). The engine sizes its
// columns from the known footprint and grows only past it (split huge pages, unknown footprints);
// doubling keeps that growth amortised O(1). Never called on the per-access path.

type Column = Uint8Array | Int16Array | Uint16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/** Capacity ≥ n, doubling from the current length; returns `a` itself when it already fits. */
export function grownCapacity(current: number, n: number): number {
  let cap = Math.max(current, 1);
  while (cap < n) cap *= 2;
  return cap;
}

/** A copy of `a` with room for n entries (new entries filled with `fill`), or `a` if it fits. */
export function grow<T extends Column>(a: T, n: number, fill = 0): T {
  if (n <= a.length) return a;
  const b = new (a.constructor as new (len: number) => T)(grownCapacity(a.length, n));
  b.set(a as never);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}
