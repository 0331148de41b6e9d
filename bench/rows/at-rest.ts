import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChangeEvent } from '../../shared/events.js';
import type { RecordShadow } from '../../electron/runtime/store/shadows.js';
import { Store } from '../../electron/runtime/store/store.js';
import type { BenchOptions, BenchRow } from '../types.js';

/**
 * What sealing customer values at rest (sc2: AES-256-CTR + HMAC-SHA-256 at the SQLite boundary) costs per change: the
 * store work of one applied change (queue it in the inbox, read it back, write both records'
 * shadows, record it in the edge history, remove it), batched 100 per transaction like the engine,
 * on a workspace file with and without a data key. Shadow reads hit the in-memory cache, which
 * holds values in clear, so they cost nothing extra.
 */
function perChangeMicros(sealed: boolean, n: number): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-bench-rest-'));
  const store = Store.open(path.join(dir, 'workspace.db'), { synchronous: 'NORMAL' });
  if (sealed) store.cipher.setKey(randomBytes(32));
  try {
    const fields = { email: 'ann.example@example.com', first_name: 'Ann', last_name: "O'Brien", phone: '+1 555 0100', plan: 'Gold', payment_status: 'active' };
    const shadowOf = (i: number): RecordShadow => ({ fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, { v: `${v}${i}`, t: i, by: 'self' as const }])), version: i });
    const route = { syncId: 's', direction: 'a-to-b' as const, notBefore: 0 };
    const start = process.hrtime.bigint();
    for (let b = 0; b < n; b += 100) {
      store.transaction(() => {
        for (let i = b; i < b + 100; i++) {
          const e: ChangeEvent = { eventId: `e${i}`, system: 'crm', entity: 'contacts', key: String(i % 5000), op: 'upsert', fields: { ...fields, email: `${i}@x.com` }, sourceTime: i, captureTime: i, origin: 'user' };
          store.inbox.add('f', e, route);
        }
      });
      store.transaction(() => {
        const rows = store.inbox.ready('f', 1, 100);
        for (const r of rows) {
          store.shadows.put('f', 'crm', 'contacts', r.event.key, shadowOf(r.seq));
          store.shadows.put('f', 'billing', 'customers', r.event.key, shadowOf(r.seq));
          store.inbox.remove(r.seq);
        }
        store.history.record('f', 's', 'a-to-b', rows.map((r) => r.event), 1);
      });
    }
    return Number(process.hrtime.bigint() - start) / 1000 / n;
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function rows(opts: BenchOptions): Promise<BenchRow[]> {
  const n = opts.quick ? 5_000 : 30_000;
  perChangeMicros(true, 1_000); // warm up both paths
  perChangeMicros(false, 1_000);
  const plain: number[] = [];
  const sealed: number[] = [];
  for (let r = 0; r < 3; r++) {
    plain.push(perChangeMicros(false, n));
    sealed.push(perChangeMicros(true, n));
  }
  const best = (xs: number[]) => Math.min(...xs);
  const p = best(plain);
  const s = best(sealed);
  return [
    { name: 'store work per applied change, values sealed at rest', value: Math.round(s * 10) / 10, unit: 'µs', ceiling: Math.round(p * 10) / 10, ratio: Math.round((s / p) * 100) / 100, note: `${n} changes; ceiling: the same without a data key; sealing adds ${Math.round((s - p) * 10) / 10} µs per change` },
  ];
}
