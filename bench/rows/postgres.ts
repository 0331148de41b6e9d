import pg from 'pg';
import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import { PostgresConnector } from '../../electron/runtime/connectors/postgres/connector.js';
import { postgresConfigSchema } from '../../electron/runtime/connectors/postgres/config.js';
import { startEmbeddedServer } from '../../electron/runtime/connectors/postgres/test-support/embedded-server.js';
import type { CapturedBatch, WriteOp } from '../../electron/runtime/connectors/types.js';
import type { BenchOptions, BenchRow } from '../types.js';

/**
 * Postgres ceilings measured in one run on an embedded server: the raw pgoutput decode rate of a
 * bare replication stream and the raw batched `unnest` upsert rate; beside each, the same work
 * through our connector (capture without an inbox; origin-tagged, guarded writes).
 */

const TABLE_DDL = `(id bigint PRIMARY KEY, email text NOT NULL, name text, amount numeric(12,2), updated_at timestamptz, data jsonb)`;

async function fillTable(client: pg.Client, table: string, rows: number): Promise<void> {
  // Transactions of 10k rows, as a busy application would commit them.
  for (let from = 1; from <= rows; from += 10_000) {
    const to = Math.min(rows, from + 9_999);
    await client.query(
      `INSERT INTO ${table} SELECT g, 'user' || g || '@example.com', 'Name ' || g, g * 0.01, now(), jsonb_build_object('n', g) FROM generate_series(${from}, ${to}) g`,
    );
  }
}

/** Rows per second a bare LogicalReplicationService + stock pgoutput parser delivers from a backlog. */
async function rawDecodeRate(config: pg.ClientConfig, admin: pg.Client, rows: number): Promise<number> {
  await admin.query(`CREATE TABLE raw_src ${TABLE_DDL}`);
  await admin.query('CREATE PUBLICATION raw_pub FOR TABLE raw_src');
  await admin.query(`SELECT pg_create_logical_replication_slot('raw_slot', 'pgoutput')`);
  await fillTable(admin, 'raw_src', rows);
  const service = new LogicalReplicationService(config, { acknowledge: { auto: false, timeoutSeconds: 0 } });
  const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: ['raw_pub'] });
  let seen = 0;
  let first = 0;
  const done = new Promise<number>((resolve) => {
    service.on('data', (_lsn: string, msg: Pgoutput.Message) => {
      if (msg.tag !== 'insert') return;
      if (seen++ === 0) first = performance.now();
      if (seen === rows) resolve(performance.now());
    });
  });
  service.on('error', () => {});
  void service.subscribe(plugin, 'raw_slot').catch(() => {});
  const last = await done;
  await service.destroy();
  await admin.query(`SELECT pg_drop_replication_slot('raw_slot')`);
  return rows / ((last - first) / 1000);
}

/** The same backlog through our capture (decode, type mapping, events, batching), inbox left out. */
async function connectorCaptureRate(connector: PostgresConnector, admin: pg.Client, rows: number): Promise<number> {
  await admin.query(`CREATE TABLE cap_src ${TABLE_DDL}`);
  let checkpoint: string | null = null;
  let seen = 0;
  let first = 0;
  let resolveDone!: (t: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  const sink = async (batch: CapturedBatch) => {
    checkpoint = batch.checkpoint;
    if (batch.changes.length === 0) return;
    if (seen === 0) first = performance.now();
    seen += batch.changes.length;
    if (seen >= rows) resolveDone(performance.now());
  };
  const ctx = () => ({ entities: ['cap_src'], checkpoint, sink, signal: new AbortController().signal });
  // First start creates the slot; the backlog is then written while capture is stopped.
  const setup = await connector.startCapture(ctx());
  await setup.stop();
  await fillTable(admin, 'cap_src', rows);
  const handle = await connector.startCapture(ctx());
  const last = await done;
  await handle.stop();
  return rows / ((last - first) / 1000);
}

function upsertRows(from: number, count: number): { ids: string[]; emails: string[]; names: string[]; amounts: string[]; times: string[]; data: string[] } {
  const out = { ids: [] as string[], emails: [] as string[], names: [] as string[], amounts: [] as string[], times: [] as string[], data: [] as string[] };
  const now = new Date().toISOString();
  for (let i = from; i < from + count; i++) {
    out.ids.push(String(i));
    out.emails.push(`user${i}@example.com`);
    out.names.push(`Name ${i}`);
    out.amounts.push((i * 0.01).toFixed(2));
    out.times.push(now);
    out.data.push(`{"n":${i}}`);
  }
  return out;
}

/** Rows per second of hand-written batched `unnest` upserts on one connection (half inserts, half updates). */
async function rawUpsertRate(client: pg.Client, rows: number, batch: number): Promise<number> {
  await client.query(`CREATE TABLE raw_dst ${TABLE_DDL}`);
  const sql = `INSERT INTO raw_dst AS t (id, email, name, amount, updated_at, data)
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::numeric[], $5::timestamptz[], $6::jsonb[])
    ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name, amount = EXCLUDED.amount, updated_at = EXCLUDED.updated_at, data = EXCLUDED.data
    WHERE t.updated_at IS NULL OR t.updated_at <= EXCLUDED.updated_at`;
  const half = Math.floor(rows / 2);
  const t0 = performance.now();
  for (let pass = 0; pass < 2; pass++) {
    for (let from = 1; from <= half; from += batch) {
      const r = upsertRows(from, Math.min(batch, half - from + 1));
      await client.query(sql, [r.ids, r.emails, r.names, r.amounts, r.times, r.data]);
    }
  }
  return (half * 2) / ((performance.now() - t0) / 1000);
}

/** The same upserts through PostgresConnector.write (guard column, origin-tagged session, results per op). */
async function connectorWriteRate(connector: PostgresConnector, admin: pg.Client, rows: number, batch: number): Promise<number> {
  await admin.query(`CREATE TABLE cap_dst ${TABLE_DDL}`);
  const half = Math.floor(rows / 2);
  const sourceTime = Date.now();
  const t0 = performance.now();
  for (let pass = 0; pass < 2; pass++) {
    for (let from = 1; from <= half; from += batch) {
      const ops: WriteOp[] = [];
      for (let i = from; i < Math.min(from + batch, half + 1); i++) {
        ops.push({
          kind: 'upsert',
          key: String(i),
          fields: { email: `user${i}@example.com`, name: `Name ${i}`, amount: (i * 0.01).toFixed(2), data: { n: i } },
          idempotencyKey: `b-${pass}-${i}`,
          sourceTime: sourceTime + pass,
        });
      }
      const results = await connector.write('cap_dst', ops, 'synccanvas:bench');
      const failed = results.find((r) => !r.ok);
      if (failed && !failed.ok) throw new Error(`bench write failed: ${failed.error.message}`);
    }
  }
  return (half * 2) / ((performance.now() - t0) / 1000);
}

export async function rows(opts: BenchOptions): Promise<BenchRow[]> {
  const decodeRows = opts.quick ? 40_000 : 200_000;
  const upsertRowsCount = opts.quick ? 20_000 : 100_000;
  const batch = 1_000;
  const server = await startEmbeddedServer();
  const admin = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: 'postgres' });
  await admin.connect();
  const config = postgresConfigSchema.parse({ host: server.host, port: server.port, database: 'postgres', user: server.user, sslmode: 'disable', versionColumn: 'updated_at', initialSnapshot: false });
  const connector = new PostgresConnector({ config, password: server.password, flowId: 'bench', systemId: 'pg' });
  try {
    const decode = await rawDecodeRate({ host: server.host, port: server.port, user: server.user, password: server.password, database: 'postgres' }, admin, decodeRows);
    const capture = await connectorCaptureRate(connector, admin, decodeRows);
    const upsert = await rawUpsertRate(admin, upsertRowsCount, batch);
    const write = await connectorWriteRate(connector, admin, upsertRowsCount, batch);
    return [
      { name: 'postgres: pgoutput decode, bare stream (ceiling)', value: decode, unit: 'rows/s', note: `${decodeRows.toLocaleString('en-US')} inserts backlog, stock parser` },
      { name: 'postgres: capture through connector (no inbox)', value: capture, unit: 'rows/s', ceiling: decode, ratio: capture / decode, note: 'decode + type mapping + events + batches of 5k' },
      { name: 'postgres: batched unnest upsert, bare (ceiling)', value: upsert, unit: 'rows/s', note: `1 connection, batches of ${batch}, half insert / half update` },
      { name: 'postgres: connector write (guarded, origin-tagged)', value: write, unit: 'rows/s', ceiling: upsert, ratio: write / upsert, note: `same rows via PostgresConnector.write, batches of ${batch}` },
    ];
  } finally {
    await connector.close();
    await admin.end().catch(() => {});
    await server.stop();
  }
}
