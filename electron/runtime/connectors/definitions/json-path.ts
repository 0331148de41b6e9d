/**
 * Dotted paths into JSON payloads (`data.object`, `paging.next.after`); '' is the value itself.
 * Definitions name nested places with them, so they stay readable in YAML.
 */
export function getPath(value: unknown, path: string): unknown {
  if (path === '') return value;
  let cur: unknown = value;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
