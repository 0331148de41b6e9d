import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { FLOW_SCHEMA_VERSION } from '../../../../../shared/flow/schema.js';
import { openRuntime, type Runtime } from '../../../runtime.js';
import { MemorySecretStore } from '../../../secrets/memory-store.js';
import { createDatabases, passwordSystem, TEST_PG_PASSWORD_SECRET } from './fresh-databases.js';
import { usePostgres } from './use-postgres.js';

export interface CrmBillingRuntime {
  runtime: Runtime;
  flowId: string;
  /** Superuser clients on the CRM (`contacts`) and Billing (`customers`) databases. */
  crm: pg.Client;
  billing: pg.Client;
}

/**
 * Two Postgres databases on the shared test server — a CRM `contacts(id, email, name, plan)` holding
 * one contact, existing@x.io, and a Billing `customers(id, email, full_name, plan default 'free')` —
 * and an in-process runtime with the flow between them saved (not started): email matched ignoring
 * case, email and name owned by the CRM, plan by Billing (carried only on a two-way edge).
 * Everything is removed after the file's tests, replication slots included.
 */
export function useCrmBillingRuntime(prefix: string, opts: { direction: 'a-to-b' | 'both' }): () => CrmBillingRuntime {
  const db = usePostgres(prefix);
  const dbs = [`${prefix}_crm_db`, `${prefix}_billing_db`] as const;
  const flowId = `pg-${prefix}`;
  let dir: string | undefined;
  let made: CrmBillingRuntime | undefined;
  beforeAll(async () => {
    const { admin, server } = db();
    const [crm, billing] = await createDatabases(admin, server, dbs);
    await crm.query('CREATE TABLE contacts (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text, plan text)');
    await billing.query("CREATE TABLE customers (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, full_name text, plan text NOT NULL DEFAULT 'free')");
    await crm.query(`INSERT INTO contacts (email, name) VALUES ('existing@x.io', 'Existing')`);
    dir = mkdtempSync(join(tmpdir(), `sc-pg-${prefix}-`));
    const runtime = await openRuntime({ workspaceDir: join(dir, 'ws'), resume: false, secrets: new MemorySecretStore({ [TEST_PG_PASSWORD_SECRET]: server.password }) });
    made = { runtime, flowId, crm, billing };
    const saved = await runtime.api['flows.save']({
      flow: {
        schemaVersion: FLOW_SCHEMA_VERSION,
        id: flowId,
        name: opts.direction === 'both' ? 'CRM ↔ Billing' : 'CRM → Billing',
        systems: [passwordSystem(server, 'crm', dbs[0]), passwordSystem(server, 'billing', dbs[1])],
        syncs: [
          {
            id: 'contacts',
            a: { system: 'crm', entity: 'contacts' },
            b: { system: 'billing', entity: 'customers' },
            direction: opts.direction,
            matchKey: { a: 'email', b: 'email', normalize: 'lowercase-trim' },
            fields: [
              { a: 'email', b: 'email', owner: 'a' },
              { a: 'name', b: 'full_name', owner: 'a' },
              ...(opts.direction === 'both' ? [{ a: 'plan', b: 'plan', owner: 'b' as const }] : []),
            ],
          },
        ],
      },
    });
    if (!saved.ok) throw new Error(JSON.stringify(saved.issues));
  });
  afterAll(async () => {
    await made?.runtime.close({ drainMs: 0 });
    // The server is shared with other test files: leave no slot behind to hold WAL or a slot place.
    await db()
      .admin.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database IN ($1, $2) AND NOT active`, [...dbs])
      .catch(() => {});
    await made?.crm.end();
    await made?.billing.end();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    if (!made) throw new Error('useCrmBillingRuntime: the runtime is made in beforeAll; call the getter inside a test');
    return made;
  };
}
