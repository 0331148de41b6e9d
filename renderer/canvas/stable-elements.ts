/**
 * Keeps the previous object for every node or edge whose content did not change, so React Flow
 * (which compares by identity) re-renders only what changed when the graph is rebuilt — e.g. on a
 * status push every second on a flow of 200 systems.
 */
export function reuseUnchanged<T extends { id: string }>(previous: readonly T[], next: T[]): T[] {
  if (previous.length === 0) return next;
  const byId = new Map(previous.map((x) => [x.id, x]));
  let changed = previous.length !== next.length;
  const out = next.map((x, i) => {
    const old = byId.get(x.id);
    if (old && sameShallow(old, x)) {
      if (previous[i] !== old) changed = true;
      return old;
    }
    changed = true;
    return x;
  });
  return changed ? out : (previous as T[]);
}

/** Equal own properties, comparing plain objects and arrays one level further (data, position, lags). */
function sameShallow(a: object, b: object): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    const va = (a as Record<string, unknown>)[k];
    const vb = (b as Record<string, unknown>)[k];
    if (va === vb) continue;
    if (!va || !vb || typeof va !== 'object' || typeof vb !== 'object') return false;
    if (JSON.stringify(va) !== JSON.stringify(vb)) return false;
  }
  return true;
}
