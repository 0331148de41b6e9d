import { expect, test } from 'vitest';
import { PostgresConnector } from './connector.js';
import { isLsn } from './lsn.js';
import { CollectingSink } from './test-support/collecting-sink.js';
import { usePostgres, waitFor } from './test-support/use-postgres.js';

const db = usePostgres('handover');
const PRELOADED = 20_000;

test('the initial snapshot hands over to the stream with no gap and no duplicate under concurrent writes', async () => {
  const { admin, connect } = db();
  await admin.query('CREATE TABLE counters (id int PRIMARY KEY, v int NOT NULL)');
  await admin.query(`INSERT INTO counters SELECT g, 0 FROM generate_series(1, ${PRELOADED}) g`);

  // Two writers run before, during and after the snapshot: one inserts new rows, one increments
  // existing ones, each change its own transaction.
  let running = true;
  let nextId = PRELOADED + 1;
  const inserter = await connect();
  const updater = await connect();
  const writes = Promise.all([
    (async () => {
      while (running) await inserter.query('INSERT INTO counters VALUES ($1, 0)', [nextId++]);
    })(),
    (async () => {
      let i = 0;
      while (running) await updater.query('UPDATE counters SET v = v + 1 WHERE id = $1', [(i++ * 7919) % PRELOADED + 1]);
    })(),
  ]);
  await new Promise((r) => setTimeout(r, 100));

  const sink = new CollectingSink();
  const connector = new PostgresConnector({ config: db().config, password: db().password, flowId: 'handover', systemId: 'inventory' });
  const handle = await connector.startCapture(sink.context(['counters']));
  try {
    await waitFor(() => sink.checkpoint !== null && isLsn(sink.checkpoint), 30_000, 'snapshot handover');
    await new Promise((r) => setTimeout(r, 500));
    running = false;
    await writes;
    await inserter.end();
    await updater.end();

    const final = new Map<string, number>((await admin.query<{ id: number; v: number }>('SELECT id, v FROM counters')).rows.map((r) => [String(r.id), r.v]));
    const lastInserted = String(nextId - 1);
    const totalUpdates = Number((await admin.query(`SELECT sum(v) AS s FROM counters`)).rows[0].s);
    await waitFor(() => sink.changes.some((c) => c.key === lastInserted), 30_000, 'the last insert');
    // Let the stream drain whatever is still in flight, then compare.
    await waitFor(() => {
      const snapshotV = new Map<string, number>();
      let streamedUpdates = 0;
      for (const c of sink.changes) {
        if (c.eventId.includes(':snap:')) snapshotV.set(c.key, c.fields.v as number);
        else if ((c.fields.v as number) > 0) streamedUpdates++;
      }
      let snapshotSum = 0;
      for (const v of snapshotV.values()) snapshotSum += v;
      return snapshotSum + streamedUpdates >= totalUpdates;
    }, 30_000, 'all updates');

    const snapshot = sink.changes.filter((c) => c.eventId.includes(':snap:'));
    const streamed = sink.changes.filter((c) => !c.eventId.includes(':snap:'));
    expect(snapshot.length).toBeGreaterThanOrEqual(PRELOADED);
    expect(streamed.length).toBeGreaterThan(0);
    expect(nextId - 1 - PRELOADED).toBeGreaterThan(0);

    // Every row inserted by the writer shows up exactly once: in the snapshot or in the stream.
    const inserts = new Map<string, number>();
    for (const c of sink.changes) if (Number(c.key) > PRELOADED && c.fields.v === 0) inserts.set(c.key, (inserts.get(c.key) ?? 0) + 1);
    for (let id = PRELOADED + 1; id < nextId; id++) expect(inserts.get(String(id)), `row ${id}`).toBe(1);
    const insertedDuringSnapshot = snapshot.filter((c) => Number(c.key) > PRELOADED).length;
    expect(insertedDuringSnapshot).toBeGreaterThan(0);

    // Each increment is counted once: the snapshot's value plus the increments streamed after it
    // equals the final value, for every row.
    const counted = new Map<string, number>();
    for (const c of snapshot) counted.set(c.key, c.fields.v as number);
    for (const c of streamed) if ((c.fields.v as number) > 0) counted.set(c.key, (counted.get(c.key) ?? 0) + 1);
    for (const [id, v] of final) {
      if ((counted.get(id) ?? 0) !== v) expect({ id, counted: counted.get(id) ?? 0 }).toEqual({ id, counted: v });
    }
    // And the last streamed value of each row is the row's final value.
    const last = new Map<string, number>();
    for (const c of sink.changes) last.set(c.key, c.fields.v as number);
    for (const [id, v] of final) if (last.get(id) !== v) expect({ id, last: last.get(id) }).toEqual({ id, last: v });
  } finally {
    running = false;
    await handle.stop();
    await connector.close();
  }
});
