/**
 * When a change in the DLQ (alias `d`) holds an inbox row (alias `i`) back: same record on the same
 * route, the entry is a failure (a conflict's change was applied but for the contested fields), and
 * the row is not older than the failed change by the source's version. A row with an older version
 * was delivered late (webhooks can reorder); it comes before the failed change in the source's order,
 * and the failed change may need it (the create a partial update builds on), so it may apply.
 */
export function holdsBack(d: string, i: string): string {
  return `${d}.flow_id = ${i}.flow_id AND ${d}.sync_id = ${i}.sync_id AND ${d}.direction = ${i}.direction AND ${d}.key = ${i}.key
    AND ${d}.error_class <> 'conflict'
    AND (${i}.version IS NULL OR ${d}.event_version IS NULL OR ${i}.version >= ${d}.event_version)`;
}
