import { describe, expect, it } from 'vitest';
import type { FlowStatus, SyncStatus } from '../../shared/api/contract.js';
import { FLOW_SCHEMA_VERSION, FlowDocumentSchema, type FlowDocument } from '../../shared/flow/schema.js';
import { offsetEdgePath } from './edge-path.js';
import { buildFlowGraph, captureHealth, handleSides } from './flow-graph.js';

function flow(): FlowDocument {
  const fields = [{ a: 'email', b: 'email', owner: 'a' }];
  return FlowDocumentSchema.parse({
    schemaVersion: FLOW_SCHEMA_VERSION,
    id: 'demo',
    name: 'Demo',
    systems: [
      { id: 'crm', name: 'Demo CRM', kind: 'sqlite', position: { x: 0, y: 100 } },
      { id: 'billing', name: 'Demo Billing', kind: 'sqlite', position: { x: 500, y: 100 } },
    ],
    syncs: [
      { id: 'contacts', a: { system: 'crm', entity: 'contacts' }, b: { system: 'billing', entity: 'customers' }, direction: 'both', matchKey: { a: 'email', b: 'email' }, fields: [{ a: 'email', b: 'email', owner: 'shared' }] },
      { id: 'accounts', name: 'Accounts', a: { system: 'billing', entity: 'accounts' }, b: { system: 'crm', entity: 'companies' }, direction: 'a-to-b', matchKey: { a: 'email', b: 'email' }, fields, latency: { tier: 'batch', cron: '*/15 * * * *' } },
    ],
  });
}

function syncStatus(syncId: string, health: SyncStatus['health'], lags: Record<string, number | null>, dlq: number): SyncStatus {
  return {
    syncId,
    health,
    unknownFields: [],
    directions: Object.entries(lags).map(([direction, p50]) => ({
      direction: direction as 'a-to-b' | 'b-to-a',
      lagMs: { p50, p95: null, p99: null },
      eventsPerSec: 0,
      applied: 0,
      errors: 0,
      conflicts: 0,
      echoesSuppressed: 0,
      ownershipViolations: 0,
      tombstones: 0,
      pending: 0,
      dlqDepth: dlq,
      lastAppliedAt: null,
    })),
  };
}

const running: FlowStatus = {
  flowId: 'demo',
  running: true,
  startedAt: 1,
  error: null,
  inboxPending: 0,
  dlqDepth: 3,
  systems: [
    { systemId: 'crm', capturing: true, error: null, detail: {} },
    { systemId: 'billing', capturing: false, error: 'database is locked', detail: {} },
  ],
  syncs: [syncStatus('contacts', 'lagging', { 'a-to-b': 120, 'b-to-a': 95 }, 2), syncStatus('accounts', 'healthy', { 'a-to-b': null }, 1)],
  notices: [],
};

describe('buildFlowGraph', () => {
  it('puts each system at its saved position with its kind and capture health', () => {
    const { nodes } = buildFlowGraph(flow(), running, { kindLabels: { sqlite: 'SQLite' } });
    expect(nodes.map((n) => [n.id, n.position, n.data.name, n.data.kindLabel, n.data.capture])).toEqual([
      ['crm', { x: 0, y: 100 }, 'Demo CRM', 'SQLite', 'capturing'],
      ['billing', { x: 500, y: 100 }, 'Demo Billing', 'SQLite', 'error'],
    ]);
    expect(nodes[1]!.data.captureError).toBe('database is locked');
  });

  it('draws each sync from side a to side b with its direction, tier, health, lags and DLQ', () => {
    const { edges } = buildFlowGraph(flow(), running, { selectedSyncId: 'accounts' });
    const [contacts, accounts] = edges;
    expect(contacts).toMatchObject({ id: 'contacts', source: 'crm', target: 'billing', sourceHandle: 'out-right', targetHandle: 'in-left', selected: false });
    expect(contacts!.data).toMatchObject({ direction: 'both', tier: 'real-time', health: 'lagging', dlqDepth: 4, title: 'contacts ↔ customers' });
    expect(contacts!.data!.lags).toEqual([
      { direction: 'a-to-b', lagP50: 120 },
      { direction: 'b-to-a', lagP50: 95 },
    ]);
    expect(accounts).toMatchObject({ source: 'billing', target: 'crm', sourceHandle: 'out-left', targetHandle: 'in-right', selected: true });
    expect(accounts!.data).toMatchObject({ direction: 'a-to-b', tier: 'batch', health: 'healthy', title: 'Accounts', lags: [{ direction: 'a-to-b', lagP50: null }] });
  });

  it('carries the unreachable systems of an unreachable edge, and none otherwise', () => {
    const outage = { systemId: 'billing', name: 'Demo Billing', since: 1, retryAt: 20_001, message: 'connect ECONNREFUSED' };
    const status: FlowStatus = { ...running, syncs: [{ ...syncStatus('contacts', 'unreachable', { 'a-to-b': null, 'b-to-a': null }, 0), unreachable: [outage] }, syncStatus('accounts', 'healthy', { 'a-to-b': null }, 0)] };
    const { edges } = buildFlowGraph(flow(), status);
    expect(edges[0]!.data).toMatchObject({ health: 'unreachable', unreachable: [outage] });
    expect(edges[1]!.data!.unreachable).toEqual([]);
    // A stopped flow shows no outage, whatever the last status said.
    expect(buildFlowGraph(flow(), { ...status, running: false }).edges[0]!.data).toMatchObject({ health: 'idle', unreachable: [] });
  });

  it('fans parallel edges out to opposite sides even when they run in opposite directions', () => {
    const { edges } = buildFlowGraph(flow(), running);
    const [a, b] = edges.map((e) => e.data!.offset);
    // The two edges run in opposite directions, so their normals point opposite ways: the same
    // signed offset puts them on opposite sides of the line between the systems.
    expect(Math.abs(a!)).toBe(45);
    const contactsLabel = offsetEdgePath(0, 100, 500, 100, a!);
    const accountsLabel = offsetEdgePath(500, 100, 0, 100, b!);
    expect(Math.sign(contactsLabel.labelY - 100)).toBe(-Math.sign(accountsLabel.labelY - 100));
  });

  it('shows everything idle and unknown before the first status, and idle once stopped', () => {
    const before = buildFlowGraph(flow(), null);
    expect(before.nodes.every((n) => n.data.capture === 'unknown')).toBe(true);
    expect(before.edges.every((e) => e.data!.health === 'idle' && e.data!.dlqDepth === null)).toBe(true);

    const stopped = buildFlowGraph(flow(), { ...running, running: false, systems: [] });
    expect(stopped.nodes.every((n) => n.data.capture === 'stopped')).toBe(true);
    expect(stopped.edges.every((e) => e.data!.health === 'idle')).toBe(true);
    expect(stopped.edges[0]!.data!.dlqDepth).toBe(4);
  });
});

describe('captureHealth', () => {
  it('says "starting" for a running flow whose system has not begun capturing', () => {
    const system = flow().systems[0]!;
    expect(captureHealth(system, { ...running, systems: [] })).toEqual({ capture: 'starting', error: null });
  });

  it('says "unreachable" with since when and why, while the flow runs', () => {
    const system = flow().systems[1]!;
    const since = new Date(2026, 11, 7, 12, 1).getTime();
    const outage = { systemId: 'billing', name: 'Demo Billing', since, retryAt: since + 20_000, message: 'connect ECONNREFUSED 10.0.0.7:5432' };
    const status: FlowStatus = { ...running, systems: [{ systemId: 'billing', capturing: true, error: null, detail: {}, unreachable: outage }] };
    expect(captureHealth(system, status)).toEqual({ capture: 'unreachable', error: 'Unreachable since 12:01: connect ECONNREFUSED 10.0.0.7:5432' });
    expect(captureHealth(system, { ...status, running: false })).toEqual({ capture: 'stopped', error: null });
  });
});

describe('handleSides', () => {
  it('leaves and enters on the sides facing each other', () => {
    expect(handleSides({ x: 0, y: 0 }, { x: 400, y: 50 })).toEqual({ source: 'right', target: 'left' });
    expect(handleSides({ x: 400, y: 0 }, { x: 0, y: 50 })).toEqual({ source: 'left', target: 'right' });
    expect(handleSides({ x: 0, y: 0 }, { x: 20, y: 300 })).toEqual({ source: 'bottom', target: 'top' });
    expect(handleSides({ x: 0, y: 300 }, { x: 20, y: 0 })).toEqual({ source: 'top', target: 'bottom' });
  });
});
