import type { DeliveryLedger, DeliveryMatch, SeenDelivery } from '../types.js';

interface Entry {
  expiresAtMs: number;
  signedAtMs: number | null;
  contentHash: string;
  /** False while the delivery's commit is in flight: a duplicate then is concurrent, never acknowledged. */
  committed: boolean;
}

/**
 * The receiver's in-memory view of deliveries: the ones in flight (claimed while their commit
 * runs, released if it fails so the sender's retry is taken) and the ones accepted since start.
 * It answers alone when no durable ledger is given; with one (the runtime's store), it holds only
 * the in-flight requests the store has not recorded yet. Entries are swept in insertion order once
 * expired, or the oldest first past `capacity`.
 */
export class ReplayGuard implements DeliveryLedger {
  private readonly byId = new Map<string, Entry>();
  private readonly byContent = new Map<string, string>();

  constructor(private readonly capacity = 200_000) {}

  find(id: string, contentHash: string, nowMs: number): DeliveryMatch | null {
    this.sweep(nowMs);
    const e = this.byId.get(id);
    if (e && e.expiresAtMs > nowMs) return { by: 'id', contentHash: e.contentHash, signedAtMs: e.signedAtMs };
    const other = this.byContent.get(contentHash);
    return other !== undefined ? { by: 'content', id: other } : null;
  }

  /** Whether the id's commit is still running (a duplicate then is concurrent, never a retry to acknowledge). */
  inFlight(id: string): boolean {
    const e = this.byId.get(id);
    return e !== undefined && !e.committed;
  }

  claim(d: SeenDelivery): void {
    this.forget(d.id);
    this.byId.set(d.id, { expiresAtMs: d.expiresAtMs, signedAtMs: d.signedAtMs, contentHash: d.contentHash, committed: false });
    this.byContent.set(d.contentHash, d.id);
  }

  committed(id: string): void {
    const e = this.byId.get(id);
    if (e) e.committed = true;
  }

  release(id: string): void {
    this.forget(id);
  }

  get size(): number {
    return this.byId.size;
  }

  private forget(id: string): void {
    const e = this.byId.get(id);
    if (!e) return;
    this.byId.delete(id);
    if (this.byContent.get(e.contentHash) === id) this.byContent.delete(e.contentHash);
  }

  private sweep(nowMs: number): void {
    for (const [id, e] of this.byId) {
      if (!e.committed) continue;
      if (e.expiresAtMs > nowMs && this.byId.size <= this.capacity) break;
      this.forget(id);
    }
  }
}
