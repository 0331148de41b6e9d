/**
 * Remembers delivery ids for as long as their signature timestamp could still pass the tolerance
 * check; after that the timestamp check alone rejects a replay. Entries are kept in insertion order
 * with one TTL, so expired ones sit at the front and a sweep costs O(expired).
 *
 * A delivery id is claimed while its request is being committed and released if the commit fails,
 * so the sender's retry is accepted. After a process restart the memory is empty: a retry of an
 * event committed just before the crash is accepted again and deduplicated downstream by eventId.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly capacity = 200_000,
  ) {}

  /** False when the id is already known (a replay or a concurrent duplicate). */
  claim(id: string, nowMs = Date.now()): boolean {
    this.sweep(nowMs);
    const exp = this.seen.get(id);
    if (exp !== undefined && exp > nowMs) return false;
    if (exp !== undefined) this.seen.delete(id);
    this.seen.set(id, nowMs + this.ttlMs);
    return true;
  }

  release(id: string): void {
    this.seen.delete(id);
  }

  get size(): number {
    return this.seen.size;
  }

  private sweep(nowMs: number): void {
    for (const [id, exp] of this.seen) {
      if (exp > nowMs && this.seen.size <= this.capacity) break;
      this.seen.delete(id);
    }
  }
}
