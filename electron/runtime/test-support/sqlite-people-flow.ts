import path from 'node:path';
import { FLOW_SCHEMA_VERSION } from '../../../shared/flow/schema.js';

type Owner = 'a' | 'b' | 'shared';

/**
 * A flow between two SQLite files in `folder` — CRM `crm.db` (contacts) and Billing `billing.db`
 * (customers) — with one sync "people" matched on the email ignoring case: the flow the SQLite
 * runtime and CLI tests build. `sync` adds or overrides settings of the sync (conflict policy…).
 */
export function sqlitePeopleFlow(o: {
  id: string;
  name: string;
  folder: string;
  pollIntervalMs: { crm: number; billing: number };
  direction: 'both' | 'a-to-b';
  fields: { a: string; b: string; owner: Owner }[];
  sync?: Record<string, unknown>;
}) {
  return {
    schemaVersion: FLOW_SCHEMA_VERSION,
    id: o.id,
    name: o.name,
    systems: [
      { id: 'crm', name: 'CRM', kind: 'sqlite', config: { path: path.join(o.folder, 'crm.db'), pollIntervalMs: o.pollIntervalMs.crm } },
      { id: 'billing', name: 'Billing', kind: 'sqlite', config: { path: path.join(o.folder, 'billing.db'), pollIntervalMs: o.pollIntervalMs.billing } },
    ],
    syncs: [
      {
        id: 'people',
        a: { system: 'crm', entity: 'contacts' },
        b: { system: 'billing', entity: 'customers' },
        direction: o.direction,
        matchKey: { a: 'email', b: 'contact_email', normalize: 'lowercase-trim' },
        fields: o.fields,
        ...o.sync,
      },
    ],
  };
}
