import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { CaptureContext, CaptureHandle, CapturedBatch, CapturedChange } from '../types.js';
import {
  acknowledgeUpTo,
  CHANGES_TABLE,
  continueChangeIdsAbove,
  databaseId,
  ensureChangeLogSchema,
  isOthersSnapshot,
  lastAssignedChangeId,
  registerReader,
  renewDatabaseId,
  rewindReader,
  snapshotOriginFor,
  snapshotStatement,
  syncCaptureTriggers,
  tablesOfOtherReaders,
  UNNAMED_SNAPSHOT_ORIGIN,
} from './change-log.js';
import { SqliteSetupError } from './config.js';
import type { Db } from './database.js';
import { Sleeper } from './sleeper.js';
import { keyColumnOf, type SchemaCache, type TableSchema } from './table-schema.js';
import { parseLosslessJson } from '../../values/lossless-json.js';
import { jsonColumnsOf, tagJsonColumns } from './values.js';

export const CAPTURE_BATCH_SIZE = 2000;
/** Consumed change-log rows are deleted at most this often (or when this many piled up): one small write instead of one per batch. */
const DELETE_EVERY_MS = 1000;
const DELETE_EVERY_ROWS = 20_000;
const MAX_RETRY_DELAY_MS = 5000;

interface ChangeRow {
  id: number;
  tbl: string;
  pk: string;
  op: string;
  row_json: string;
  changed_at: number;
  origin: string;
}

export interface SqliteCaptureOptions {
  db: Db;
  file: string;
  schemas: SchemaCache;
  /** Tables the user allowed in the settings; undefined = all. */
  allowedTables: string[] | undefined;
  pollIntervalMs: number;
  ctx: CaptureContext;
}

function resolveTables(opts: SqliteCaptureOptions): TableSchema[] {
  const label = path.basename(opts.file);
  return [...new Set(opts.ctx.entities)].map((entity) => {
    if (opts.allowedTables && !opts.allowedTables.includes(entity)) {
      throw new SqliteSetupError(`table "${entity}" is not in the "tables" setting of ${label}: add it there or sync another table`);
    }
    const table = opts.schemas.get(entity);
    if (!table) throw new SqliteSetupError(`table "${entity}" does not exist in ${label}: check the sync's entity name or create the table`);
    const key = keyColumnOf(table);
    if (!key.ok) throw new SqliteSetupError(`${key.problem} (${label})`);
    return table;
  });
}

function parseCheckpoint(checkpoint: string | null): number {
  if (checkpoint === null) return 0;
  if (!/^\d+$/.test(checkpoint)) throw new SqliteSetupError(`checkpoint "${checkpoint}" is not a SQLite change-log id: reset this system's checkpoint to capture from the start of the log`);
  return Number(checkpoint);
}

/**
 * Installs the triggers and starts polling the change log. Each batch goes to the sink, and only
 * after the sink resolved (the inbox committed it with its checkpoint) are its log rows deleted.
 */
export async function startSqliteCapture(opts: SqliteCaptureOptions): Promise<CaptureHandle> {
  const { db, ctx, schemas } = opts;
  const label = path.basename(opts.file);
  ensureChangeLogSchema(db);
  let tables = resolveTables(opts);
  const reader = ctx.readerId ?? 'default';
  /** Other flows' captured tables keep their triggers: the file's triggers serve every reader of its log. */
  const withOthers = (own: TableSchema[]): TableSchema[] => {
    const names = new Set(own.map((t) => t.name));
    const others: TableSchema[] = [];
    for (const name of tablesOfOtherReaders(db, reader)) {
      const t = names.has(name) ? undefined : schemas.get(name);
      if (t && keyColumnOf(t).ok) (names.add(name), others.push(t));
    }
    return [...own, ...others];
  };
  db.transaction(() => {
    registerReader(db, reader, parseCheckpoint(ctx.checkpoint), tables.map((t) => t.name));
    syncCaptureTriggers(db, withOthers(tables));
  }).immediate();

  let dbId = databaseId(db);
  let position = parseCheckpoint(ctx.checkpoint);
  // Stable across restarts, so a snapshot cut short by a stop is still ours when capture resumes from its checkpoint.
  const ownSnapshot = snapshotOriginFor(ctx.readerId ?? randomUUID());
  if (ctx.checkpoint === null) {
    // First capture for this flow: start from the records as they are (the initial sync), then stream.
    // The reader is registered already, so another reader's deletes keep the snapshot for us.
    db.transaction(() => {
      for (const t of tables) db.exec(snapshotStatement(t, ownSnapshot));
    }).immediate();
  }
  const pendingNotices: string[] = [];
  if (position > lastAssignedChangeId(db)) {
    // The log is behind our checkpoint: the file was replaced or restored. Reusing ids would make new
    // changes look like ones already delivered, so take a fresh database id and start at the log's beginning.
    dbId = renewDatabaseId(db);
    db.transaction(() => {
      continueChangeIdsAbove(db, position);
      rewindReader(db, reader, 0);
    }).immediate();
    pendingNotices.push(
      `the change log of ${label} is behind the saved checkpoint (${position}); the database was probably restored or replaced — capturing from the start of its log`,
    );
    position = 0;
  }

  const readBatch = db.prepare(`SELECT id, tbl, pk, op, row_json, changed_at, origin FROM ${CHANGES_TABLE} WHERE id > ? ORDER BY id LIMIT ?`);
  let captured = new Set(tables.map((t) => t.name));
  let jsonColumns = new Map(tables.map((t) => [t.name, jsonColumnsOf(t.columns)]));

  let deletedUpTo = 0;
  let lastDeleteAt = 0;
  const deleteAcknowledged = async (force: boolean): Promise<void> => {
    if (position <= deletedUpTo) return;
    if (!force && position - deletedUpTo < DELETE_EVERY_ROWS && Date.now() - lastDeleteAt < DELETE_EVERY_MS) return;
    const upTo = position;
    lastDeleteAt = Date.now();
    try {
      // The inbox commits are relaxed: delete the source's rows only once they are on disk.
      await ctx.durable?.();
      acknowledgeUpTo(db, reader, upTo);
      deletedUpTo = upTo;
    } catch {
      // Busy, read-only, or not yet durable: the rows stay and are deleted in a later round.
    }
  };
  // Rows up to the stored checkpoint were committed to the inbox by an earlier run.
  await deleteAcknowledged(true);

  /**
   * Follows schema changes while running: added or renamed columns get into the triggers, a dropped
   * table is reported. Repeats until our own trigger rewrite is the last schema change seen.
   */
  let triggersStale = false;
  const followSchema = (): void => {
    if (!schemas.refresh() && !triggersStale) return;
    triggersStale = true;
    const still: TableSchema[] = [];
    for (const t of tables) {
      const now = schemas.get(t.name);
      if (!now) {
        pendingNotices.push(`table "${t.name}" was dropped from ${label}; its changes are no longer captured`);
        continue;
      }
      const key = keyColumnOf(now);
      if (key.ok) still.push(now);
      else pendingNotices.push(`${key.problem}; until then its changes are not captured (${label})`);
    }
    tables = still;
    captured = new Set(tables.map((t) => t.name));
    jsonColumns = new Map(tables.map((t) => [t.name, jsonColumnsOf(t.columns)]));
    registerReader(db, reader, position, tables.map((t) => t.name));
    triggersStale = syncCaptureTriggers(db, withOthers(tables));
  };

  const toBatch = (rows: ChangeRow[]): CapturedBatch => {
    const captureTime = Date.now();
    const changes: CapturedChange[] = [];
    for (const r of rows) {
      if (!captured.has(r.tbl) || isOthersSnapshot(r.origin, ownSnapshot)) continue;
      let fields: Record<string, unknown>;
      try {
        // Storage classes kept: an INTEGER beyond 2^53 and a whole REAL (1.0) stay exact (docs/values.md).
        fields = parseLosslessJson(r.row_json, 'sqlite') as Record<string, unknown>;
        const json = jsonColumns.get(r.tbl);
        if (json && json.length > 0) tagJsonColumns(fields, json);
      } catch {
        pendingNotices.push(`change ${r.id} on "${r.tbl}" has an unreadable row and was skipped`);
        continue;
      }
      changes.push({
        eventId: `sqlite:${dbId}:${r.id}`,
        entity: r.tbl,
        key: r.pk,
        op: r.op === 'delete' ? 'delete' : 'upsert',
        fields,
        sourceTime: Math.round(r.changed_at),
        captureTime,
        // The engine knows a snapshot by this one origin, whichever reader it was appended for.
        origin: r.origin === ownSnapshot ? UNNAMED_SNAPSHOT_ORIGIN : r.origin,
        // The log id orders every change to this database, ours included (the writer reports the id
        // its write produced): an event below our write's id was made before our write landed, so
        // its values of the fields we wrote are older than ours, whatever the clocks say.
        version: r.id,
      });
    }
    const last = rows[rows.length - 1];
    const batch: CapturedBatch = { changes, checkpoint: String(last ? last.id : position) };
    if (pendingNotices.length) batch.notices = pendingNotices.splice(0);
    return batch;
  };

  const sleeper = new Sleeper();
  let stopping = false;
  let failures = 0;
  const stop = (): void => {
    stopping = true;
    sleeper.cancel();
  };
  ctx.signal.addEventListener('abort', stop, { once: true });
  if (ctx.signal.aborted) stop();

  const fail = async (what: string, e: unknown): Promise<void> => {
    failures++;
    ctx.reportStatus?.({ state: 'retrying', message: `${what}: ${(e as Error)?.message ?? String(e)}`, checkpoint: String(position), failures });
    await sleeper.sleep(Math.min(MAX_RETRY_DELAY_MS, 50 * 2 ** Math.min(failures, 10)));
  };

  const loop = async (): Promise<void> => {
    ctx.reportStatus?.({ state: 'running', checkpoint: String(position), tables: [...captured] });
    while (!stopping) {
      let rows: ChangeRow[];
      try {
        followSchema();
        rows = readBatch.all(position, CAPTURE_BATCH_SIZE) as ChangeRow[];
      } catch (e) {
        await fail(`reading the change log of ${label}`, e);
        continue;
      }
      if (rows.length === 0 && pendingNotices.length === 0) {
        await deleteAcknowledged(false);
        await sleeper.sleep(opts.pollIntervalMs);
        continue;
      }
      const batch = toBatch(rows);
      try {
        await ctx.sink(batch);
      } catch (e) {
        // Not committed: keep the rows and offer the same batch again (same eventIds, same checkpoint).
        if (batch.notices) pendingNotices.unshift(...batch.notices);
        await fail(`handing changes from ${label} to the inbox`, e);
        continue;
      }
      if (rows.length === 0) continue;
      position = rows[rows.length - 1]!.id;
      if (failures > 0) ctx.reportStatus?.({ state: 'running', checkpoint: String(position) });
      failures = 0;
      await deleteAcknowledged(false);
      if (rows.length < CAPTURE_BATCH_SIZE) await sleeper.sleep(opts.pollIntervalMs);
    }
    await deleteAcknowledged(true);
  };
  const running = loop();

  return {
    async stop() {
      stop();
      ctx.signal.removeEventListener('abort', stop);
      await running;
    },
  };
}
