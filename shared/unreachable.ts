/** When a paused edge tries again, as people read it: "12:01" for the time, "20 s" for the wait. */
function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** "Demo Billing unreachable since 12:01 — retrying in 20 s": one sentence for the edge, the dashboard and the log. */
export function unreachableText(name: string, outage: { since: number; retryAt: number }, now: number): string {
  const wait = Math.max(0, Math.ceil((outage.retryAt - now) / 1000));
  return `${name} unreachable since ${clockTime(outage.since)} — ${wait > 0 ? `retrying in ${wait} s` : 'retrying now'}`;
}
