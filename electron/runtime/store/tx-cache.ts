/**
 * A read-through cache for one table whose only writer is this process (the workspace lock makes
 * the runtime the sole writer). Writes made inside a transaction are staged and reach the cache
 * only when the transaction commits, so a rolled-back batch leaves the cache as the database is.
 *
 * Entries are grouped in scopes (for example flow, system and entity) and keyed by the record key
 * alone: lookups hash a string the caller already has instead of building and hashing a long
 * composite key per call, which cost as much as the SQLite read it saved.
 */
export class TxCache<V> {
  private readonly scopes = new Map<string, Map<string, Map<string, CacheScope<V>>>>();
  private inTransaction = false;
  private staged: CacheScope<V>[] = [];

  /** @param capacity entries kept per scope */
  constructor(private readonly capacity: number) {}

  /** The cache of one scope (created on first use). */
  scope(a: string, b: string, c: string): CacheScope<V> {
    let l1 = this.scopes.get(a);
    if (!l1) this.scopes.set(a, (l1 = new Map()));
    let l2 = l1.get(b);
    if (!l2) l1.set(b, (l2 = new Map()));
    let s = l2.get(c);
    if (!s) l2.set(c, (s = new CacheScope<V>(this.capacity, this)));
    return s;
  }

  begin(): void {
    this.inTransaction = true;
  }

  commit(): void {
    this.inTransaction = false;
    for (const s of this.staged.splice(0)) s.applyStaged();
  }

  abort(): void {
    this.inTransaction = false;
    for (const s of this.staged.splice(0)) s.dropStaged();
  }

  clear(): void {
    this.scopes.clear();
  }

  /** @internal a scope's first write in a transaction */
  stage(s: CacheScope<V>): boolean {
    if (!this.inTransaction) return false;
    this.staged.push(s);
    return true;
  }

  /** @internal */
  get staging(): boolean {
    return this.inTransaction;
  }
}

/**
 * One scope's entries. Eviction is by two generations rather than exact LRU: entries live in
 * `young`; when it fills half the capacity it becomes `old` and the previous `old` is dropped; a
 * hit in `old` moves the entry back to `young`. (Exact LRU on a Map deletes and re-inserts on
 * every hit.)
 */
export class CacheScope<V> {
  private young = new Map<string, V | null>();
  private old = new Map<string, V | null>();
  private staged: Map<string, V | null> | null = null;

  constructor(
    private readonly capacity: number,
    private readonly owner: TxCache<V>,
  ) {}

  /** The cached value: undefined when not cached, null when known absent. */
  get(key: string): V | null | undefined {
    if (this.staged !== null) {
      const s = this.staged.get(key);
      if (s !== undefined || this.staged.has(key)) return s;
    }
    const v = this.young.get(key);
    if (v !== undefined) return v;
    const o = this.old.get(key);
    if (o !== undefined) this.store(key, o);
    return o;
  }

  /** Remember a value read from the database (not a write). */
  fill(key: string, value: V | null): void {
    if (this.staged?.has(key)) return;
    this.store(key, value);
  }

  /**
   * Load the entries of many keys at once: `load` is asked only for the keys not cached and
   * returns those it found; the rest are remembered as absent.
   */
  prefetch(keys: Iterable<string>, load: (missing: string[]) => Map<string, V>): void {
    const missing: string[] = [];
    for (const k of keys) if (this.get(k) === undefined) missing.push(k);
    if (missing.length === 0) return;
    const found = load(missing);
    for (const k of missing) this.fill(k, found.get(k) ?? null);
  }

  /** Record a write: staged until the transaction commits. */
  set(key: string, value: V | null): void {
    if (this.staged === null && this.owner.staging && this.owner.stage(this)) this.staged = new Map();
    if (this.staged !== null) this.staged.set(key, value);
    else this.store(key, value);
  }

  /** How many entries are held (both generations; an entry may briefly be in both). */
  get size(): number {
    return this.young.size + this.old.size;
  }

  /** @internal */
  applyStaged(): void {
    const staged = this.staged;
    this.staged = null;
    if (staged) for (const [k, v] of staged) this.store(k, v);
  }

  /** @internal */
  dropStaged(): void {
    this.staged = null;
  }

  private store(key: string, value: V | null): void {
    this.young.set(key, value);
    // The old generation must not answer with a stale value for this key.
    if (this.old.size > 0) this.old.delete(key);
    if (this.young.size >= Math.max(1, this.capacity >> 1)) {
      this.old = this.young;
      this.young = new Map();
    }
  }
}
