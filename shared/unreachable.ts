/** A time of day as on a clock, "12:01", in the viewer's time zone. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** "Demo Billing unreachable since 12:01 — retrying in 20 s": one sentence for the edge, the panel and the log. */
export function unreachableText(name: string, outage: { since: number; retryAt: number }, now: number): string {
  const wait = Math.max(0, Math.ceil((outage.retryAt - now) / 1000));
  return `${name} unreachable since ${clockTime(outage.since)} — ${wait > 0 ? `retrying in ${wait} s` : 'retrying now'}`;
}
