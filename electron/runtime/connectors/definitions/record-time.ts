/** How a source writes times: ISO-8601 strings, or Unix seconds / milliseconds. `auto` guesses from the value. */
export type TimeFormat = 'auto' | 'iso' | 'epoch-s' | 'epoch-ms';

/** A source time as epoch ms, or null when the value is not a time. */
export function toEpochMs(value: unknown, format: TimeFormat = 'auto'): number | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value))) {
    const n = Number(value);
    if (!Number.isFinite(n)) return null;
    if (format === 'epoch-s') return Math.round(n * 1000);
    if (format === 'epoch-ms') return Math.round(n);
    if (format === 'iso') return null;
    // Seconds until the year 5138; anything larger is already milliseconds.
    return n < 1e11 ? Math.round(n * 1000) : Math.round(n);
  }
  if (typeof value === 'string') {
    if (format === 'epoch-s' || format === 'epoch-ms') return null;
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}

/** Writes epoch ms back in the source's own format (for `updated_since`-style query parameters). */
export function fromEpochMs(ms: number, format: TimeFormat): string {
  if (format === 'epoch-s') return String(Math.floor(ms / 1000));
  if (format === 'epoch-ms') return String(ms);
  return new Date(ms).toISOString();
}
