const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** Shown where a number is not known yet (no sample, no status). */
export const NO_VALUE = '—';

/** Lag in the unit a person reads at a glance: 85 ms, 1.4 s, 3.2 min, 2.0 h. */
export function formatLag(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return NO_VALUE;
  if (ms < 1000) return `${integer.format(Math.round(ms))} ms`;
  if (ms < 60_000) return `${oneDecimal.format(ms / 1000)} s`;
  if (ms < 3_600_000) return `${oneDecimal.format(ms / 60_000)} min`;
  return `${oneDecimal.format(ms / 3_600_000)} h`;
}

/** A counter with thousands separators; counters are whole numbers. */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return NO_VALUE;
  return integer.format(Math.round(n));
}

/** Throughput: one decimal below 10/s where it matters, whole numbers above. */
export function formatRate(perSec: number | null | undefined): string {
  if (perSec === null || perSec === undefined || !Number.isFinite(perSec) || perSec < 0) return NO_VALUE;
  if (perSec === 0) return '0/s';
  return perSec < 10 ? `${oneDecimal.format(perSec)}/s` : `${integer.format(Math.round(perSec))}/s`;
}

/** "12 s ago" style age of a timestamp, for "last applied". */
export function formatAge(at: number | null | undefined, now: number): string {
  if (at === null || at === undefined || !Number.isFinite(at)) return 'never';
  const ms = Math.max(0, now - at);
  if (ms < 1500) return 'just now';
  if (ms < 60_000) return `${Math.round(ms / 1000)} s ago`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min ago`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)} h ago`;
  return `${Math.round(ms / 86_400_000)} d ago`;
}

/** A configured duration (e.g. the tombstone TTL): "45 s", "10 min", "2 h", "3 d". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return NO_VALUE;
  if (ms < 1000) return `${integer.format(Math.round(ms))} ms`;
  if (ms < 120_000) return `${+(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${+(ms / 60_000).toFixed(1)} min`;
  if (ms < 172_800_000) return `${+(ms / 3_600_000).toFixed(1)} h`;
  return `${+(ms / 86_400_000).toFixed(1)} d`;
}
