import type { FlowDocument, SyncEdge } from '../../../../shared/flow/schema.js';
import { FLOW_SCHEMA_VERSION, FlowDocumentSchema } from '../../../../shared/flow/schema.js';
import type { EntityInfo } from '../../connectors/types.js';

/** A CRM contacts → billing customers flow for engine tests; `patch` adjusts the one sync. */
export function testFlow(patch: Partial<SyncEdge> = {}): FlowDocument {
  return FlowDocumentSchema.parse({
    schemaVersion: FLOW_SCHEMA_VERSION,
    id: 'f1',
    name: 'Test flow',
    systems: [
      { id: 'crm', name: 'CRM', kind: 'memory' },
      { id: 'billing', name: 'Billing', kind: 'memory' },
    ],
    syncs: [
      {
        id: 's1',
        a: { system: 'crm', entity: 'contacts' },
        b: { system: 'billing', entity: 'customers' },
        direction: 'a-to-b',
        matchKey: { a: 'email', b: 'contact_email', normalize: 'lowercase-trim' },
        fields: [
          { a: 'email', b: 'contact_email', owner: 'a' },
          { a: 'name', b: 'full_name', owner: 'a' },
          { a: 'plan', b: 'plan_code', owner: 'a' },
        ],
        ...patch,
      },
    ],
  });
}

export const crmEntities: EntityInfo[] = [
  {
    name: 'contacts',
    keyField: 'id',
    fields: [
      { name: 'id', type: 'string', nullable: false, primaryKey: true },
      { name: 'email', type: 'string', nullable: true, primaryKey: false },
      { name: 'name', type: 'string', nullable: true, primaryKey: false },
      { name: 'plan', type: 'string', nullable: true, primaryKey: false },
    ],
  },
];

export const billingEntities: EntityInfo[] = [
  {
    name: 'customers',
    keyField: 'id',
    fields: [
      { name: 'id', type: 'string', nullable: false, primaryKey: true },
      { name: 'contact_email', type: 'string', nullable: true, primaryKey: false },
      { name: 'full_name', type: 'string', nullable: true, primaryKey: false },
      { name: 'plan_code', type: 'string', nullable: true, primaryKey: false },
    ],
  },
];
