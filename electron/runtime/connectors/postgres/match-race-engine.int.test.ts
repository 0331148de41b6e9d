import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FlowEngine } from '../../engine/flow-engine.js';
import { crmEntities, testFlow } from '../../engine/test-support/flows.js';
import { MemorySystem } from '../../engine/test-support/memory-system.js';
import { openStoreDatabase } from '../../store/database.js';
import { Store } from '../../store/store.js';
import { REPO_ROOT } from '../../test-support/synccanvas-process.js';
import { PostgresConnector } from './connector.js';
import { usePostgres } from './test-support/use-postgres.js';

/**
 * The engine matches a new CRM contact against billing's customers, finds none, and someone types the
 * same customer into billing by hand before the engine writes (the `apply:before-write` step). The
 * table has no unique index on the email. The customer must exist once, and end up linked to the
 * contact with the contact's values, checked in Postgres.
 */
const db = usePostgres('match_race');
let target: PostgresConnector;

beforeAll(async () => {
  await db().admin.query('CREATE TABLE customers (id bigserial PRIMARY KEY, contact_email text, full_name text, plan_code text)');
  target = new PostgresConnector({ config: db().config, password: db().password, flowId: 'f1', systemId: 'billing' });
});
afterAll(async () => {
  await target?.close();
});

/** Runs SQL in another process and waits for it: the engine's step hooks are synchronous. */
function elsewhere(sql: string): void {
  const { config, password } = db();
  const script = `const pg = require('pg'); const c = new pg.Client(${JSON.stringify({ host: config.host, port: config.port, user: config.user, database: config.database, password })}); c.connect().then(() => c.query(${JSON.stringify(sql)})).then(() => c.end(), (e) => { console.error(e.message); process.exit(1); });`;
  execFileSync(process.execPath, ['-e', script], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

describe('a record created at the target between the match and the write', () => {
  test('is not created a second time; the retry matches it and links it', async () => {
    let now = 1_000_000;
    const crm = new MemorySystem('crm', () => now, true);
    const store = new Store(openStoreDatabase(':memory:'));
    let typedIn = 0;
    const engine = new FlowEngine({
      store,
      flow: testFlow(),
      connectors: new Map([
        ['crm', crm.connector(crmEntities)],
        ['billing', target],
      ]),
      entities: new Map([
        ['crm', crmEntities],
        ['billing', await target.discover()],
      ]),
      clock: { now: () => now },
      random: () => 0.5,
      hooks: {
        step(s) {
          if (s !== 'apply:before-write' || typedIn++ > 0) return;
          elsewhere(`INSERT INTO customers (contact_email, full_name) VALUES ('  Ann@Example.com', 'ann (typed in billing)')`);
        },
      },
    });
    crm.userUpsert('contacts', 'c1', { email: 'ann@example.com', name: 'Ann Lee', plan: 'pro' });
    crm.userUpsert('contacts', 'c2', { email: 'bob@example.com', name: 'Bob', plan: 'free' });
    engine.commitCaptured('crm', { changes: crm.changesSince(0, 100), checkpoint: '2' });
    await engine.drainNow();

    const ann = `lower(btrim(contact_email)) = 'ann@example.com'`;
    const count = async (where: string) => (await db().admin.query(`SELECT count(*)::int AS n FROM customers WHERE ${where}`)).rows[0].n as number;
    expect(typedIn).toBeGreaterThan(0);
    expect(await count(ann)).toBe(1);
    expect(await count(`contact_email = 'bob@example.com'`)).toBe(1);
    expect(store.dlq.depthOfFlow('f1')).toBe(0);
    expect(store.inbox.pending('f1')).toBe(1); // Ann's change, retried after its backoff

    now += 60_000;
    await engine.drainNow();
    expect(store.inbox.pending('f1')).toBe(0);
    expect(store.dlq.depthOfFlow('f1')).toBe(0);
    const r = await db().admin.query(
      `SELECT count(*)::int AS n,
              bool_and(contact_email IS NOT DISTINCT FROM 'ann@example.com' AND full_name IS NOT DISTINCT FROM 'Ann Lee' AND plan_code IS NOT DISTINCT FROM 'pro') AS synced
         FROM customers WHERE ${ann}`,
    );
    expect(r.rows[0]).toEqual({ n: 1, synced: true });
    const billingId = (await db().admin.query(`SELECT id::text FROM customers WHERE ${ann}`)).rows[0].id as string;
    expect(store.links.other('f1', 's1', 'a', 'c1')).toBe(billingId);
    expect(await count('true')).toBe(2);
  });
});
