import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../../shared/events.js';
import { Store } from './store.js';

// The inbox keeps the rows it committed in memory for the apply loop (store/inbox.ts, FlowMirror).
// These tests read the same file through a second connection, which has no such memory, and
// compare: whatever the first connection serves must be what the database holds.

const NOW = 1_000_000;
const KEY = randomBytes(32);
let dir: string;
let store: Store;
let n = 0;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-inbox-mirror-'));
  store = open();
});
afterEach(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function open(): Store {
  const s = Store.open(path.join(dir, 'ws.db'));
  s.cipher.setKey(KEY);
  return s;
}

/** What a connection without any memory of the rows reads. */
function fromDisk(now = NOW, limit = 100) {
  const other = open();
  try {
    return other.inbox.ready('f1', now, limit);
  } finally {
    other.close();
  }
}

function event(key: string, p: Partial<ChangeEvent> = {}): ChangeEvent {
  n++;
  return { eventId: `ev-${n}`, system: 'crm', entity: 'contacts', key, op: 'upsert', fields: { name: `v${n}` }, sourceTime: NOW - 10, captureTime: NOW - 5, origin: 'user', ...p };
}

function add(key: string, p: Partial<ChangeEvent> = {}, at?: number): ChangeEvent {
  const e = event(key, p);
  store.transaction(() => store.inbox.add('f1', e, { syncId: 's1', direction: 'a-to-b', notBefore: NOW }, at !== undefined, at));
  return e;
}

const keys = (rows: { event: ChangeEvent }[]) => rows.map((r) => r.event.key);

describe('inbox rows held in memory for the apply loop', () => {
  it('serves the rows it committed from memory, exactly as the database gives them back', () => {
    expect(store.inbox.ready('f1', NOW, 100)).toEqual([]);
    const sparse = [1, 2, 3];
    delete sparse[1];
    const awkward = {
      when: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
      negZero: -0,
      nan: NaN,
      gone: undefined,
      sparse,
      nested: { a: [null, { b: 'é\u0000\ud800' }], big: 'x'.repeat(3000) },
      bytes: Buffer.from('hi'),
    };
    add('c1', { fields: awkward as Record<string, unknown>, version: NaN });
    add('c2', { fields: { id: 2, tags: ['a', 'b'], deep: { x: { y: 1.5 } } }, version: 0, op: 'delete' });
    add('c3', { ...({ extra: 'not stored' } as object), origin: 'synccanvas:f1', version: 12.5 });

    const served = store.inbox.ready('f1', NOW, 100);
    expect(served).toStrictEqual(fromDisk());
    expect(keys(served)).toEqual(['c1', 'c2', 'c3']);
    // The very objects again: nothing was read back, decrypted or parsed.
    expect(store.inbox.ready('f1', NOW, 100)[1]).toBe(served[1]);
    expect(store.inbox.ready('f1', NOW, 2)).toStrictEqual(served.slice(0, 2));
  });

  it('serves nothing a rolled-back transaction added', () => {
    store.inbox.ready('f1', NOW, 100);
    const kept = add('kept');
    expect(() =>
      store.transaction(() => {
        store.inbox.add('f1', event('lost'), { syncId: 's1', direction: 'a-to-b', notBefore: NOW });
        throw new Error('crash before commit');
      }),
    ).toThrow('crash before commit');
    expect(keys(store.inbox.ready('f1', NOW, 100))).toEqual([kept.key]);
  });

  it('serves nothing a rolled-back part of a committed transaction added, and keeps what it took back', () => {
    store.inbox.ready('f1', NOW, 100);
    const kept = add('kept');
    const keptSeq = store.inbox.ready('f1', NOW, 1)[0]!.seq;
    store.transaction(() => {
      store.inbox.add('f1', event('outer'), { syncId: 's1', direction: 'a-to-b', notBefore: NOW });
      // A part that fails inside a transaction that still commits (a savepoint rolled back), taking
      // a settled row's removal back with it.
      try {
        store.transaction(() => {
          store.inbox.remove(keptSeq);
          store.inbox.add('f1', event('inner'), { syncId: 's1', direction: 'a-to-b', notBefore: NOW });
          throw new Error('part failed');
        });
      } catch {
        /* the outer transaction goes on */
      }
    });
    expect(keys(store.inbox.ready('f1', NOW, 100))).toEqual([kept.key, 'outer']);
    expect(store.inbox.ready('f1', NOW, 100)).toStrictEqual(fromDisk());
  });

  it('sees what another connection (a CLI command) added and removed meanwhile', () => {
    store.inbox.ready('f1', NOW, 100);
    add('c1');
    add('c2');
    const cli = open();
    try {
      cli.transaction(() => {
        const [first] = cli.inbox.ready('f1', NOW, 1);
        cli.inbox.remove(first!.seq);
        cli.inbox.add('f1', event('from-cli'), { syncId: 's1', direction: 'a-to-b', notBefore: NOW });
      });
    } finally {
      cli.close();
    }
    expect(keys(store.inbox.ready('f1', NOW, 100))).toEqual(['c2', 'from-cli']);
  });

  it('sees a row removed on the same connection without the inbox (forget)', () => {
    store.inbox.ready('f1', NOW, 100);
    add('c1');
    add('c2');
    store.db.prepare("DELETE FROM inbox WHERE key = 'c1'").run();
    expect(keys(store.inbox.ready('f1', NOW, 100))).toEqual(['c2']);
  });

  it('gives a rescheduled row back with its attempts and error once it is due', () => {
    store.inbox.ready('f1', NOW, 100);
    add('c1');
    const [row] = store.inbox.ready('f1', NOW, 100);
    store.inbox.reschedule(row!.seq, 1, NOW + 10, 'target timed out', NOW);
    const [again] = store.inbox.ready('f1', NOW + 20, 100);
    expect(again).toMatchObject({ seq: row!.seq, attempts: 1, notBefore: NOW + 10, lastError: 'target timed out', firstFailedAt: NOW });
  });

  it('puts a replayed change back at its old position, before the rows that came after it', () => {
    store.inbox.ready('f1', NOW, 100);
    const first = add('c1');
    add('c2');
    const [row] = store.inbox.ready('f1', NOW, 1);
    store.transaction(() => store.inbox.remove(row!.seq));
    add('c1', { eventId: first.eventId }, row!.seq);
    const served = store.inbox.ready('f1', NOW, 100);
    expect(served.map((r) => [r.seq, r.event.key, r.replay])).toEqual([
      [row!.seq, 'c1', true],
      [row!.seq + 1, 'c2', false],
    ]);
    expect(served).toStrictEqual(fromDisk());
  });
});
