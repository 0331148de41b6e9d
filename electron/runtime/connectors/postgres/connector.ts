import pg from 'pg';
import type { CaptureContext, CaptureHandle, ConnectionTestResult, Connector, EntityInfo, SourceRecord, StoredForm, WriteOp, WriteResult } from '../types.js';
import { startPostgresCapture } from './capture.js';
import { startWhenReachable } from './capture-start-retry.js';
import { readTables, toEntityInfo } from './catalog.js';
import { clientConfig, querySessionConfig, type PostgresConfig } from './config.js';
import { testPostgresConnection } from './connection-test.js';
import { classifyPgError, isUnavailablePgError } from './errors.js';
import { ReadFailure } from '../read-failure.js';
import { captureResourceNames } from './names.js';
import { RecordReader } from './record-reader.js';
import { PostgresWriter } from './writer.js';

export interface PostgresConnectorSetup {
  config: PostgresConfig;
  password: string | undefined;
  flowId: string;
  systemId: string;
}

/** One Postgres database as a SyncCanvas system: discovery, reads, log-based capture, writes. */
export class PostgresConnector implements Connector {
  private pool: pg.Pool | null = null;
  private reader: RecordReader | null = null;
  private readonly writer: PostgresWriter;
  private readonly captures = new Set<CaptureHandle>();

  constructor(private readonly setup: PostgresConnectorSetup) {
    this.writer = new PostgresWriter(setup.config, setup.password, setup.systemId);
  }

  private records(): RecordReader {
    if (!this.reader) {
      this.pool = new pg.Pool({ ...querySessionConfig(this.setup.config, this.setup.password), max: 2, idleTimeoutMillis: 30_000 });
      this.pool.on('error', () => {});
      this.reader = new RecordReader(this.pool, this.setup.config.schemas);
    }
    return this.reader;
  }

  testConnection(): Promise<ConnectionTestResult> {
    return testPostgresConnection({
      config: this.setup.config,
      password: this.setup.password,
      slot: captureResourceNames(this.setup.flowId, this.setup.systemId).slot,
    });
  }

  async discover(): Promise<EntityInfo[]> {
    const client = new pg.Client(clientConfig(this.setup.config, this.setup.password));
    client.on('error', () => {});
    await client.connect();
    try {
      return (await readTables(client, this.setup.config.schemas)).map(toEntityInfo);
    } finally {
      await client.end().catch(() => {});
    }
  }

  readSamples(entity: string, limit: number): Promise<SourceRecord[]> {
    return this.records().samples(entity, limit);
  }

  storedForms(entity: string, rows: Record<string, unknown>[]): Promise<Record<string, StoredForm>[]> {
    return this.writer.storedForms(entity, rows);
  }

  readByKeys(entity: string, keys: string[]): Promise<SourceRecord[]> {
    return this.records().byKeys(entity, keys);
  }

  findByField(entity: string, field: string, values: unknown[], normalize: 'exact' | 'lowercase-trim'): Promise<SourceRecord[]> {
    return this.records().byField(entity, field, values, normalize).catch((err: unknown) => {
      throw new ReadFailure(classifyPgError(err));
    });
  }

  async startCapture(ctx: CaptureContext): Promise<CaptureHandle> {
    let handle: CaptureHandle;
    try {
      handle = await startPostgresCapture(this.setup, ctx);
    } catch (err) {
      // A configuration problem (a missing table, no replica identity) fails the start for the
      // user to fix; an unreachable source is waited for.
      if (!isUnavailablePgError(err) || ctx.signal.aborted) throw err;
      handle = startWhenReachable(() => startPostgresCapture(this.setup, ctx), ctx, err);
    }
    const tracked: CaptureHandle = {
      stop: async () => {
        this.captures.delete(tracked);
        await handle.stop();
      },
    };
    this.captures.add(tracked);
    return tracked;
  }

  write(entity: string, ops: WriteOp[], origin: string): Promise<WriteResult[]> {
    return this.writer.write(entity, ops, origin);
  }

  /** Why writes are not origin-tagged, if they are not; null when tagging works. */
  get writeOriginProblem(): string | null {
    return this.writer.originProblem;
  }

  async close(): Promise<void> {
    await Promise.all([...this.captures].map((c) => c.stop()));
    await this.writer.close();
    const pool = this.pool;
    this.pool = null;
    this.reader = null;
    await pool?.end().catch(() => {});
  }
}
