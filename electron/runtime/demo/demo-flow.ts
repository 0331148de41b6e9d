import { FLOW_SCHEMA_VERSION, FlowDocumentSchema, type FlowDocument } from '../../../shared/flow/schema.js';
import { CRM_PAYMENT_LABEL, CRM_PLAN_LABEL } from './demo-people.js';
import { DEMO_BILLING_FILE, DEMO_CRM_FILE } from './demo-systems.js';

export const DEMO_FLOW_ID = 'demo';
export const DEMO_CRM_SYSTEM_ID = 'demo-crm';
export const DEMO_BILLING_SYSTEM_ID = 'demo-billing';
export const DEMO_SYNC_ID = 'contacts-customers';

/**
 * The demo workspace's flow: the CRM owns who a customer is (email, names, phone), Billing owns
 * what they pay (plan, payment status). The single source of truth for the demo; parsed here so
 * defaults are filled in and a mistake fails at import, not in front of a newcomer.
 */
export const DEMO_FLOW: FlowDocument = FlowDocumentSchema.parse({
  schemaVersion: FLOW_SCHEMA_VERSION,
  id: DEMO_FLOW_ID,
  name: 'Demo: CRM ↔ Billing',
  systems: [
    { id: DEMO_CRM_SYSTEM_ID, name: 'Demo CRM', kind: 'sqlite', config: { path: DEMO_CRM_FILE }, position: { x: 80, y: 180 } },
    { id: DEMO_BILLING_SYSTEM_ID, name: 'Demo Billing', kind: 'sqlite', config: { path: DEMO_BILLING_FILE }, position: { x: 620, y: 180 } },
  ],
  syncs: [
    {
      id: DEMO_SYNC_ID,
      name: 'Contacts ↔ Customers',
      a: { system: DEMO_CRM_SYSTEM_ID, entity: 'contacts' },
      b: { system: DEMO_BILLING_SYSTEM_ID, entity: 'customers' },
      direction: 'both',
      matchKey: { a: 'email', b: 'contact_email', normalize: 'lowercase-trim' },
      fields: [
        { a: 'email', b: 'contact_email', owner: 'a', toB: [{ type: 'trim' }, { type: 'lowercase' }] },
        { a: 'first_name', b: 'given_name', owner: 'a' },
        { a: 'last_name', b: 'family_name', owner: 'a' },
        { a: 'phone', b: 'phone_number', owner: 'a', toB: [{ type: 'phone', defaultCountryCode: '1' }] },
        { a: 'plan', b: 'plan_code', owner: 'b', toA: [{ type: 'value-map', map: { ...CRM_PLAN_LABEL }, otherwise: 'keep' }] },
        { a: 'payment_status', b: 'status', owner: 'b', toA: [{ type: 'value-map', map: { ...CRM_PAYMENT_LABEL }, otherwise: 'keep' }] },
      ],
      latency: { tier: 'real-time' },
      deletePolicy: { mode: 'hard' },
      conflictPolicy: { mode: 'newest-wins', skewToleranceMs: 5000 },
      ownershipViolation: 'report',
      // Both sides are SQLite connectors polling their change log every 50 ms (their default).
      pollIntervalMs: 50,
    },
  ],
});
