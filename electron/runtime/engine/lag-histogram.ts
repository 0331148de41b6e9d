/**
 * Log-scale latency histogram: ~4.5% bucket width from 0.1 ms to ~10 min. Buckets add up, so
 * percentiles over any time range come from summing stored buckets rather than averaging percentiles.
 */
const MIN_MS = 0.1;
const GROWTH = 1.09;
const LOG_GROWTH = Math.log(GROWTH);
export const BUCKETS = 200;

export function bucketOf(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  return Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(ms / MIN_MS) / LOG_GROWTH));
}

/** The upper edge of a bucket, used as the reported value (never under-reports lag). */
export function bucketValue(b: number): number {
  return b === 0 ? MIN_MS : MIN_MS * GROWTH ** b;
}

export class LagHistogram {
  readonly counts: Map<number, number> = new Map();
  total = 0;

  record(ms: number): void {
    const b = bucketOf(ms);
    this.counts.set(b, (this.counts.get(b) ?? 0) + 1);
    this.total++;
  }

  merge(other: LagHistogram): void {
    for (const [b, n] of other.counts) this.counts.set(b, (this.counts.get(b) ?? 0) + n);
    this.total += other.total;
  }

  percentile(p: number): number | null {
    if (this.total === 0) return null;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (const b of [...this.counts.keys()].sort((x, y) => x - y)) {
      seen += this.counts.get(b)!;
      if (seen >= rank) return Math.round(bucketValue(b) * 100) / 100;
    }
    return null;
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  static fromJSON(json: string | null): LagHistogram {
    const h = new LagHistogram();
    if (!json) return h;
    for (const [b, n] of Object.entries(JSON.parse(json) as Record<string, number>)) {
      h.counts.set(Number(b), n);
      h.total += n;
    }
    return h;
  }
}
