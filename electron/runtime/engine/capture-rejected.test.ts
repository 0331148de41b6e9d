import { describe, expect, it } from 'vitest';
import { crmBillingEngine } from './test-support/crm-billing-engine.js';
import type { RejectedMessage } from '../connectors/types.js';
import { replayOn } from './test-support/engine-operations.js';

/**
 * A queue message that cannot be read is committed to the DLQ in the capture's own transaction
 * (the broker acknowledges it after that), once per message id, with the broker's metadata; it
 * holds no change, so a replay leaves it where it is and nothing is written.
 */
function setup() {
  const { engine, store, billing } = crmBillingEngine();
  return { engine, store, billing };
}

const poison = (eventId: string, entity?: string): RejectedMessage => ({
  eventId,
  reason: 'the body is not JSON (Unexpected end)',
  body: '{"id": 1',
  broker: { subject: 'crm.contacts.1', stream: 'S', sequence: 7 },
  receivedAt: 999_000,
  ...(entity ? { entity } : {}),
});

describe('unreadable queue messages', () => {
  it('go to the DLQ in the capture commit, once per message, with the broker metadata, and are never replayed into a write', async () => {
    const { engine, store, billing } = setup();
    const flowId = engine.flowId;
    engine.commitCaptured('crm', { changes: [], checkpoint: 's:7', rejected: [poison('crm:q:7'), poison('crm:q:8', 'contacts')] });
    // A redelivery of the same message adds nothing.
    engine.commitCaptured('crm', { changes: [], checkpoint: 's:7', rejected: [poison('crm:q:7')] });
    expect(store.dlq.depthOfFlow(flowId)).toBe(2);
    const { entries } = store.dlq.list({ flowId }, 10, 0);
    const first = entries.find((e) => e.eventId === 'crm:q:7')!;
    expect(first.errorClass).toBe('validation');
    expect(first.message).toMatch(/could not be read: the body is not JSON/);
    expect(first.response).toBe('{"id": 1');
    expect(first.detail).toMatchObject({ kind: 'unreadable-message', broker: { subject: 'crm.contacts.1', sequence: 7 } });
    expect(store.checkpoints.get(flowId, 'crm')).toBe('s:7');
    expect(replayOn(engine, { filter: {} })).toBe(0);
    expect(store.dlq.depthOfFlow(flowId)).toBe(2);
    expect(store.inbox.pending(flowId)).toBe(0);
    expect(billing.writes).toHaveLength(0);
  });
});
