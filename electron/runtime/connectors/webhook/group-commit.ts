/**
 * Group commit: items added while the event loop is busy are committed together in one call on
 * the next turn (setImmediate), and each caller's promise settles after that commit. One commit
 * runs at a time; what arrives meanwhile forms the next group. A fixed timer would add its delay
 * to every request at low concurrency; the next-turn flush adds none and still batches under load.
 */
export class GroupCommit<T> {
  private pending: { items: T[]; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly commit: (items: T[]) => Promise<void>,
    private readonly maxItems = 2000,
  ) {}

  add(items: T[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ items, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when everything added so far is committed (or failed). */
  async drain(): Promise<void> {
    while (this.inFlight || this.pending.length > 0 || this.scheduled) {
      if (this.inFlight) await this.inFlight;
      else await new Promise<void>((r) => setImmediate(r));
    }
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.inFlight = this.flush().finally(() => {
        this.inFlight = null;
        if (this.pending.length > 0) this.schedule();
      });
    });
  }

  private async flush(): Promise<void> {
    let count = 0;
    let n = 0;
    while (n < this.pending.length && (n === 0 || count + this.pending[n]!.items.length <= this.maxItems)) {
      count += this.pending[n]!.items.length;
      n++;
    }
    const group = this.pending.splice(0, n);
    const items: T[] = [];
    for (const g of group) for (const it of g.items) items.push(it);
    try {
      await this.commit(items);
    } catch (e) {
      for (const g of group) g.reject(e);
      return;
    }
    for (const g of group) g.resolve();
  }
}
