import type pg from 'pg';
import type { CapturedChange } from '../types.js';
import { encodeKey, keyColumns, type TableInfo } from './catalog.js';
import { versionOf } from './change-decoder.js';
import { qualifiedTable } from './names.js';
import { parserForType, type ArrayElementTypes } from './type-mapping.js';

export interface SnapshotOptions {
  /** The snapshot rows' source time: the server's clock just before the consistent point. */
  sourceTime?: number;
  systemId: string;
  /** The slot's consistent point: every change after it comes from the stream. */
  consistentPoint: string;
  snapshotName: string;
  tables: TableInfo[];
  arrays: ArrayElementTypes;
  versionColumn?: string;
  batchSize: number;
  signal: AbortSignal;
  onBatch(changes: CapturedChange[]): Promise<void>;
}

function lsnNumber(lsn: string): number {
  const [hi, lo] = lsn.split('/') as [string, string];
  return parseInt(hi, 16) * 2 ** 32 + parseInt(lo, 16);
}

/**
 * Reads every row of the captured tables as of the slot's consistent point, inside the snapshot
 * the slot exported, so the stream that starts at that point neither misses nor repeats a change.
 */
export async function readSnapshot(client: pg.ClientBase, opts: SnapshotOptions): Promise<number> {
  const types = { getTypeParser: (oid: number) => parserForType(oid, opts.arrays) };
  const sourceTime = opts.sourceTime ?? Date.now();
  const version = lsnNumber(opts.consistentPoint);
  let total = 0;
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    await client.query(`SET TRANSACTION SNAPSHOT '${opts.snapshotName.replace(/'/g, "''")}'`);
    for (const table of opts.tables) {
      const key = keyColumns(table);
      const identity = key.length > 0 ? key : table.columns.map((c) => c.name);
      await client.query(`DECLARE sc_snapshot NO SCROLL CURSOR FOR SELECT * FROM ${qualifiedTable(table.entity)}`);
      for (;;) {
        if (opts.signal.aborted) throw new Error('capture stopped during the initial snapshot');
        const res = await client.query<Record<string, unknown>>({ text: `FETCH ${opts.batchSize} FROM sc_snapshot`, types });
        if (res.rows.length === 0) break;
        const changes: CapturedChange[] = res.rows.map((row) => {
          const recordKey = encodeKey(identity.map((k) => row[k] ?? null));
          const own = opts.versionColumn ? versionOf(row[opts.versionColumn]) : undefined;
          return {
            eventId: `pg:${opts.systemId}:snap:${opts.consistentPoint}:${table.entity}:${recordKey}`,
            entity: table.entity,
            key: recordKey,
            op: 'upsert',
            fields: row,
            sourceTime,
            origin: 'user',
            version: own ?? version,
          };
        });
        total += changes.length;
        await opts.onBatch(changes);
      }
      await client.query('CLOSE sc_snapshot');
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
  return total;
}
