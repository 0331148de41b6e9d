/**
 * A read-through cache for one table whose only writer is this process (the workspace lock makes
 * the runtime the sole writer). Writes made inside a transaction are staged and reach the cache
 * only when the transaction commits, so a rolled-back batch leaves the cache as the database is.
 */
export class TxCache<V> {
  private readonly cache = new Map<string, V | null>();
  private staged: Map<string, V | null> | null = null;

  constructor(private readonly capacity: number) {}

  /** The cached value: undefined when not cached, null when known absent. */
  get(key: string): V | null | undefined {
    if (this.staged?.has(key)) return this.staged.get(key);
    const v = this.cache.get(key);
    if (v !== undefined) {
      // Refresh recency: Map keeps insertion order, the oldest entry is evicted first.
      this.cache.delete(key);
      this.cache.set(key, v);
    }
    return v;
  }

  /** Remember a value read from the database (not a write). */
  fill(key: string, value: V | null): void {
    if (this.staged?.has(key)) return;
    this.store(key, value);
  }

  /** Record a write. */
  set(key: string, value: V | null): void {
    if (this.staged) this.staged.set(key, value);
    else this.store(key, value);
  }

  begin(): void {
    this.staged = new Map();
  }

  commit(): void {
    const staged = this.staged;
    this.staged = null;
    if (staged) for (const [k, v] of staged) this.store(k, v);
  }

  abort(): void {
    this.staged = null;
  }

  clear(): void {
    this.cache.clear();
  }

  private store(key: string, value: V | null): void {
    this.cache.delete(key);
    this.cache.set(key, value);
    if (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value as string);
  }
}
