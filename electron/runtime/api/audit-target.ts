/**
 * What the audit log records about a call: which flow, sync, system, DLQ entries or secret it was
 * about, and an override's reason. Never a value: no secret, no record field, no flow document
 * (only its id), no search text; an edit says which fields it changed, not to what.
 */
export function auditTarget(input: unknown): { target: Record<string, unknown>; reason: string | null } {
  const target: Record<string, unknown> = {};
  let reason: string | null = null;
  if (typeof input !== 'object' || input === null) return { target, reason };
  const i = input as Record<string, unknown>;
  for (const key of ['flowId', 'syncId', 'systemId', 'id', 'name'] as const) {
    if (typeof i[key] === 'string' || typeof i[key] === 'number') target[key] = i[key];
  }
  if (Array.isArray(i.ids)) {
    target.ids = i.ids.slice(0, 20);
    if (i.ids.length > 20) target.idCount = i.ids.length;
  }
  if (typeof i.filter === 'object' && i.filter !== null) {
    const f = i.filter as Record<string, unknown>;
    const filter: Record<string, unknown> = {};
    for (const key of ['flowId', 'syncId', 'errorClass', 'direction'] as const) if (f[key] !== undefined) filter[key] = f[key];
    if (f.text !== undefined) filter.text = '(search text)';
    target.filter = filter;
  }
  if (typeof i.flow === 'object' && i.flow !== null && typeof (i.flow as { id?: unknown }).id === 'string') target.flowId ??= (i.flow as { id: string }).id;
  if (typeof i.fields === 'object' && i.fields !== null) target.fieldsEdited = Object.keys(i.fields).sort();
  if (i.keep === 'a' || i.keep === 'b') target.keep = i.keep;
  if ('value' in i && i.value !== undefined) target.value = '(not recorded)';
  if (typeof i.override === 'object' && i.override !== null && typeof (i.override as { reason?: unknown }).reason === 'string') reason = (i.override as { reason: string }).reason;
  return { target, reason };
}
