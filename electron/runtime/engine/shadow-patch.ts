import { MAX_PENDING_ECHOES, type FieldShadow, type RecordShadow } from '../store/shadows.js';

/**
 * A record's shadow after the runtime wrote `patch` to it at time `t`. With the write's `version`,
 * echoes are told by version; without one, on a system that does not tag our writes, the values
 * written are remembered as pending echoes instead.
 */
export function patchShadow(prev: RecordShadow, patch: Record<string, unknown>, t: number, trackEchoes = false, version?: number): RecordShadow {
  const fields = { ...prev.fields };
  for (const [k, v] of Object.entries(patch)) {
    const before = prev.fields[k];
    const f: FieldShadow = { v, t, by: 'sync' };
    if (trackEchoes && version === undefined) f.p = [...(before?.by === 'sync' && before.p ? before.p : []), v].slice(-MAX_PENDING_ECHOES);
    if (version !== undefined) f.w = version;
    fields[k] = f;
  }
  return version !== undefined ? { ...prev, fields, written: [...(prev.written ?? []), version].slice(-MAX_PENDING_ECHOES) } : { ...prev, fields };
}
