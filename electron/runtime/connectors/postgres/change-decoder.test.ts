import type { Pgoutput } from 'pg-logical-replication';
import { describe, expect, test } from 'vitest';
import type { TableInfo } from './catalog.js';
import { ChangeDecoder } from './change-decoder.js';

const table: TableInfo = {
  oid: 1,
  schema: 'public',
  table: 'contacts',
  entity: 'contacts',
  replicaIdentity: 'default',
  columns: [],
  primaryKey: ['id'],
  identityIndex: null,
  uniqueIndexes: [],
  lowerUniqueColumns: [],
};

const relation = {
  tag: 'relation',
  relationOid: 1,
  schema: 'public',
  name: 'contacts',
  replicaIdentity: 'default',
  columns: [{ name: 'id' }, { name: 'body' }],
  keyColumns: ['id'],
} as unknown as Pgoutput.MessageRelation;

const begin = (lsn: string): Pgoutput.Message => ({ tag: 'begin', commitLsn: lsn, commitTime: 1_700_000_000_123_456n, xid: 1 });
const commit = (lsn: string, end: string): Pgoutput.Message => ({ tag: 'commit', flags: 0, commitLsn: lsn, commitEndLsn: end, commitTime: 1_700_000_000_123_456n });
const insert = (row: Record<string, unknown>): Pgoutput.Message => ({ tag: 'insert', relation, new: row });

function decoder(maxSegmentChanges = 100) {
  return new ChangeDecoder({ systemId: 'crm', tables: [table], maxSegmentChanges, resumeLsn: '0/100' });
}

describe('ChangeDecoder', () => {
  test('one segment per transaction, checkpointed at the commit end, ids numbered within it', () => {
    const d = decoder();
    d.push(relation);
    expect(d.push(begin('0/200'))).toEqual([]);
    d.push(insert({ id: 1, body: 'a' }));
    d.push(insert({ id: 2, body: 'b' }));
    const [segment] = d.push(commit('0/200', '0/228'));
    expect(segment!.checkpoint).toBe('0/228');
    expect(segment!.endsTransaction).toBe(true);
    expect(segment!.changes.map((c) => [c.eventId, c.key, c.sourceTime])).toEqual([
      ['pg:crm:0/200:0', '1', 1_700_000_000_123],
      ['pg:crm:0/200:1', '2', 1_700_000_000_123],
    ]);
  });

  test('cuts a large transaction into parts that keep the previous resume point', () => {
    const d = decoder(2);
    d.push(relation);
    d.push(begin('0/300'));
    d.push(insert({ id: 1 }));
    const parts = d.push(insert({ id: 2 }));
    expect(parts).toHaveLength(1);
    expect(parts[0]).toMatchObject({ checkpoint: '0/100', endsTransaction: false });
    d.push(insert({ id: 3 }));
    const [last] = d.push(commit('0/300', '0/340'));
    expect(last).toMatchObject({ checkpoint: '0/340', endsTransaction: true });
    expect(last!.changes.map((c) => c.eventId)).toEqual(['pg:crm:0/300:2']);
  });

  test('leaves unchanged TOAST values out, turns a key change into delete + upsert, reports TRUNCATE', () => {
    const d = decoder();
    d.push(relation);
    d.push(begin('0/400'));
    d.push({ tag: 'update', relation, key: null, old: null, new: { id: 1, body: undefined } });
    d.push({ tag: 'update', relation, key: { id: 1 }, old: null, new: { id: 5, body: 'x' } });
    d.push({ tag: 'truncate', cascade: false, restartIdentity: false, relations: [relation] });
    const [segment] = d.push(commit('0/400', '0/480'));
    expect(segment!.changes.map((c) => [c.op, c.key, c.fields])).toEqual([
      ['upsert', '1', { id: 1 }],
      ['delete', '1', { id: 1 }],
      ['upsert', '5', { id: 5, body: 'x' }],
    ]);
    expect(segment!.notices[0]).toMatch(/^TRUNCATE of contacts/);
  });

  test('passes our own origin tag on (servers that cannot filter origins) and ignores other tables', () => {
    const d = decoder();
    const other = { ...relation, relationOid: 2, name: 'other' } as Pgoutput.MessageRelation;
    d.push(relation);
    d.push(other);
    d.push(begin('0/500'));
    d.push({ tag: 'origin', originLsn: null, originName: 'synccanvas:flow-1@billing' });
    d.push(insert({ id: 1 }));
    d.push({ tag: 'insert', relation: other, new: { id: 9 } });
    const [segment] = d.push(commit('0/500', '0/540'));
    expect(segment!.changes.map((c) => [c.entity, c.origin])).toEqual([['contacts', 'synccanvas:flow-1']]);
  });
});

describe('change positions', () => {
  test('grow strictly, compared as strings, within a transaction and across commit LSNs of any width', () => {
    const d = decoder(1_000);
    d.push(relation);
    const positions: string[] = [];
    for (const [lsn, end, rows] of [
      ['0/FFFFFFF0', '0/FFFFFFF8', 17],
      ['1/0', '1/28', 1],
      ['1/a0', '1/c8', 2],
      ['A/0', 'A/28', 1],
    ] as const) {
      d.push(begin(lsn));
      for (let i = 0; i < rows; i++) d.push(insert({ id: i, body: 'x' }));
      positions.push(...d.push(commit(lsn, end))[0]!.changes.map((c) => c.position!));
    }
    expect(positions).toHaveLength(21);
    expect([...positions].sort()).toEqual(positions);
    expect(new Set(positions).size).toBe(positions.length);
    expect(positions[16]).toBe('00000000FFFFFFF0:00000010');
    expect(positions[17]).toBe('0000000100000000:00000000');
  });

  test('a transaction cut into segments and sent again from its start repeats the same positions', () => {
    const first = decoder(2);
    first.push(relation);
    first.push(begin('0/300'));
    first.push(insert({ id: 1, body: 'a' }));
    const [cut] = first.push(insert({ id: 2, body: 'b' }));
    const again = decoder(100);
    again.push(relation);
    again.push(begin('0/300'));
    for (const id of [1, 2, 3]) again.push(insert({ id, body: 'x' }));
    const [whole] = again.push(commit('0/300', '0/328'));
    expect(whole!.changes.slice(0, 2).map((c) => c.position)).toEqual(cut!.changes.map((c) => c.position));
    expect(whole!.changes[2]!.position! > cut!.changes[1]!.position!).toBe(true);
  });
});
