import type { CaptureContext, CaptureHandle, Connector, ConnectorContext, StoredForm, WriteOp, WriteResult } from '../types.js';
import { sqliteStoredForms } from './stored-forms.js';
import { startSqliteCapture } from './capture.js';
import { resolveDatabasePath, SqliteSetupError, type SqliteConfig } from './config.js';
import { testSqliteConnection } from './connection-test.js';
import { openUserDatabase, type Db } from './database.js';
import { discoverEntities } from './discovery.js';
import { classifySqliteError } from './errors.js';
import { ReadFailure } from '../read-failure.js';
import { SqliteRecordReader } from './records.js';
import { SchemaCache } from './table-schema.js';
import { SqliteWriter } from './writer.js';

interface OpenDatabase {
  db: Db;
  schemas: SchemaCache;
  reader: SqliteRecordReader;
  writer: SqliteWriter;
}

/**
 * One connector instance = one database file and one connection, opened on first use. better-sqlite3
 * is synchronous and we never hold a transaction across an await, so capture, reads and writes can
 * share it without interleaving.
 */
export function createSqliteConnector(ctx: ConnectorContext<SqliteConfig>): Connector {
  const file = resolveDatabasePath(ctx.config.path, ctx.dataDir);
  const allowed = ctx.config.tables;
  let open: OpenDatabase | undefined;
  let capture: CaptureHandle | undefined;
  let closed = false;

  const connection = (): OpenDatabase => {
    if (closed) throw new SqliteSetupError(`the connector for ${file} is closed`);
    if (!open) {
      const db = openUserDatabase(file);
      const schemas = new SchemaCache(db);
      open = { db, schemas, reader: new SqliteRecordReader(db, schemas, file), writer: new SqliteWriter(db, schemas, file) };
    }
    return open;
  };

  return {
    async testConnection() {
      return testSqliteConnection(file, allowed);
    },
    async discover() {
      return discoverEntities(connection().db, file, allowed);
    },
    async readSamples(entity, limit) {
      return connection().reader.samples(entity, limit);
    },
    async readByKeys(entity, keys) {
      return connection().reader.byKeys(entity, keys);
    },
    async findByField(entity, field, values, normalize) {
      try {
        return connection().reader.byField(entity, field, values, normalize);
      } catch (e) {
        throw new ReadFailure(classifySqliteError(e, `finding ${entity} records by ${field}`));
      }
    },
    async startCapture(captureCtx: CaptureContext) {
      if (capture) throw new SqliteSetupError(`capture of ${file} is already running: stop it before starting it again`);
      const { db, schemas } = connection();
      const handle = await startSqliteCapture({ db, file, schemas, allowedTables: allowed, pollIntervalMs: ctx.config.pollIntervalMs, ctx: captureCtx });
      capture = handle;
      return {
        async stop() {
          await handle.stop();
          if (capture === handle) capture = undefined;
        },
      };
    },
    async write(entity: string, ops: WriteOp[], origin: string): Promise<WriteResult[]> {
      let c: OpenDatabase;
      try {
        c = connection();
      } catch (e) {
        const error = e instanceof SqliteSetupError ? { errorClass: 'permanent' as const, message: e.message } : classifySqliteError(e, `opening ${file}`);
        return ops.map(() => ({ ok: false, error }));
      }
      return c.writer.write(entity, ops, origin);
    },
    async storedForms(entity: string, rows: Record<string, unknown>[]): Promise<Record<string, StoredForm>[]> {
      const c = connection();
      const table = c.schemas.get(entity);
      if (!table) return rows.map((row) => Object.fromEntries(Object.keys(row).map((f) => [f, { refused: `table "${entity}" does not exist in ${file}` }])));
      return sqliteStoredForms(c.db, table, rows);
    },
    async close() {
      if (closed) return;
      closed = true;
      await capture?.stop();
      capture = undefined;
      open?.db.close();
      open = undefined;
    },
  };
}
