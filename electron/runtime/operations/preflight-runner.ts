import type { MatchingReport, PreflightResult } from '../../../shared/api/contract.js';
import type { FlowDocument } from '../../../shared/flow/schema.js';
import { findConnector } from '../connectors/registry.js';
import type { EntityInfo } from '../connectors/types.js';
import type { OpenedSystem } from '../connectors/system-connections.js';
import { DEFAULT_RETRY } from '../engine/backoff.js';
import { matchingReport } from '../engine/matching-report.js';
import type { SecretStore } from '../secrets/secret-store.js';
import type { Store } from '../store/store.js';
import { loadTokenKeys, tokenKeyRefs } from '../masking/token-keys.js';
import { tokenKeyFromSecret } from '../masking/token.js';
import { preflightEdges, type PreflightFacts, type SystemProbe } from './preflight.js';
import { runPreview } from '../preview-runner.js';
import { directionsOf } from '../engine/sides.js';
import { placesInOtherFlows } from '../workspace/places-in-other-flows.js';

/** How many records per side preflight reads to check match keys. */
const PREFLIGHT_SAMPLES = 1000;
/** How many records per direction preflight previews, as the Preview tab does by default and more. */
const PREVIEW_SAMPLES = 200;
const TEST_TIMEOUT_MS = 10_000;

export type WithSystems = <T>(flow: FlowDocument, ids: string[], fn: (systems: ReadonlyMap<string, OpenedSystem>) => Promise<T>) => Promise<T>;

function timeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e)),
    );
  });
}

/** Gather facts by talking to every system of the flow (one at a time, each failure kept as a finding), then check each edge. */
export async function runPreflight(
  flow: FlowDocument,
  deps: { store: Store; secrets: SecretStore; withSystems: WithSystems; now: number; /** Where relative file paths resolve; with it, the other flows are checked. */ dataDir?: string },
): Promise<PreflightResult> {
  const keychain = await deps.secrets.status();
  const systems = new Map<string, SystemProbe>();
  for (const system of flow.systems) {
    const definition = findConnector(system.kind);
    const secretChecks: SystemProbe['secrets'] = [];
    for (const field of definition?.secretFields ?? []) {
      const ref = system.secretRefs[field.name] ?? null;
      // An optional feature's secret (webhooks are off by default) not chosen: the feature is not in use. When it is
      // on without its secret, the connection test fails and says so.
      if (field.advanced && ref === null) continue;
      const present = ref !== null && keychain.available ? (await deps.secrets.get(ref)) !== null : false;
      secretChecks.push({ field: field.label, ref, present });
    }
    let connection: SystemProbe['connection'];
    let pollIntervalMs = 0;
    let entities: EntityInfo[] | undefined;
    try {
      connection = await deps.withSystems(flow, [system.id], async (opened) => {
        const s = opened.get(system.id);
        if (!s) return { ok: false, message: 'the system could not be opened' };
        pollIntervalMs = s.definition.pollIntervalMs?.(s.config) ?? 0;
        const r = await timeout(s.connector.testConnection(), TEST_TIMEOUT_MS, `system "${system.name}"`);
        // The field types, for the value check; without them that check says so and passes.
        if (r.ok) entities = await timeout(s.connector.discover(), TEST_TIMEOUT_MS, `system "${system.name}"`).catch(() => undefined);
        return { ok: r.ok, message: r.message };
      });
    } catch (e) {
      connection = { ok: false, message: (e as Error).message };
    }
    systems.set(system.id, { connection, secrets: secretChecks, pollIntervalMs, kind: system.kind, ...(entities ? { entities } : {}) });
  }
  const matching = new Map<string, MatchingReport | { error: string }>();
  for (const sync of flow.syncs) {
    if (!systems.get(sync.a.system)?.connection.ok || !systems.get(sync.b.system)?.connection.ok) {
      matching.set(sync.id, { error: 'a system of this edge did not pass its connection test' });
      continue;
    }
    try {
      const report = await deps.withSystems(flow, [sync.a.system, sync.b.system], async (opened) => {
        const [a, b] = await Promise.all([
          opened.get(sync.a.system)!.connector.readSamples(sync.a.entity, PREFLIGHT_SAMPLES + 1),
          opened.get(sync.b.system)!.connector.readSamples(sync.b.entity, PREFLIGHT_SAMPLES + 1),
        ]);
        const truncated = a.length > PREFLIGHT_SAMPLES || b.length > PREFLIGHT_SAMPLES;
        return matchingReport(sync, { a: a.slice(0, PREFLIGHT_SAMPLES), b: b.slice(0, PREFLIGHT_SAMPLES) }, (side, key) => deps.store.links.other(flow.id, sync.id, side, key), truncated);
      });
      matching.set(sync.id, report);
    } catch (e) {
      matching.set(sync.id, { error: (e as Error).message });
    }
  }
  const tokenKeys = new Map<string, { ok: true } | { ok: false; problem: string }>();
  for (const ref of tokenKeyRefs(flow).keys()) {
    try {
      const value = await deps.secrets.get(ref);
      if (value === null) tokenKeys.set(ref, { ok: false, problem: `the token key "${ref}" is in no secret source: run \`synccanvas secrets set ${ref}\` (at least 32 random characters)` });
      else {
        tokenKeyFromSecret(ref, value);
        tokenKeys.set(ref, { ok: true });
      }
    } catch (e) {
      tokenKeys.set(ref, { ok: false, problem: (e as Error).message });
    }
  }
  // The samples are previewed with the real token keys; a missing key is reported by the AI feed check.
  const liveKeys = await loadTokenKeys(flow, deps.secrets).catch(() => new Map<string, Uint8Array>());
  const preview = new Map<string, NonNullable<PreflightFacts['preview']> extends ReadonlyMap<string, infer V> ? V : never>();
  for (const sync of flow.syncs) {
    if (!systems.get(sync.a.system)?.connection.ok || !systems.get(sync.b.system)?.connection.ok) {
      preview.set(sync.id, { error: 'a system of this edge did not pass its connection test' });
      continue;
    }
    try {
      const name = (id: string) => flow.systems.find((s) => s.id === id)?.name ?? id;
      const found = await deps.withSystems(flow, [sync.a.system, sync.b.system], async (opened) => {
        const invalid: { direction: string; record: string; reason: string }[] = [];
        let read = 0;
        for (const direction of directionsOf(sync)) {
          const result = await runPreview(flow, sync.id, PREVIEW_SAMPLES, deps.store, opened, { direction, transformContext: { tokenKeys: liveKeys } });
          read += result.rows.length;
          const [from, to] = direction === 'a-to-b' ? [sync.a.system, sync.b.system] : [sync.b.system, sync.a.system];
          for (const r of result.rows) if (r.action === 'invalid') invalid.push({ direction: `${name(from)} → ${name(to)}`, record: r.label ? `${r.label} (${r.sourceKey})` : r.sourceKey, reason: r.reason ?? 'invalid' });
        }
        return { invalid, read };
      });
      preview.set(sync.id, found);
    } catch (e) {
      preview.set(sync.id, { error: (e as Error).message });
    }
  }
  // Only a running flow on the same tables blocks go-live (starting is refused while it runs); a
  // stopped one is named in the check's detail, so the user knows not to run both.
  const otherFlows = new Map<string, { running: string[]; stopped: string[] }>();
  if (deps.dataDir !== undefined) {
    const stored = deps.store.flows.list().filter((f) => f.flow.id !== flow.id);
    for (const running of [true, false]) {
      const others = stored.filter((f) => f.running === running).map((f) => f.flow);
      for (const found of placesInOtherFlows(flow, others, deps.dataDir)) {
        const entry = otherFlows.get(found.syncId) ?? { running: [], stopped: [] };
        (running ? entry.running : entry.stopped).push(found.message);
        otherFlows.set(found.syncId, entry);
      }
    }
  }
  const edges = preflightEdges(flow, {
    ...(deps.dataDir !== undefined ? { otherFlows } : {}),
    tokenKeys,
    preview,
    systems,
    matching,
    dlqDepth: (syncId) => deps.store.dlq.depth(flow.id, syncId, 'a-to-b') + deps.store.dlq.depth(flow.id, syncId, 'b-to-a'),
    maxAttempts: DEFAULT_RETRY.maxAttempts,
  });
  return { flowId: flow.id, ok: edges.every((e) => e.ok), edges, checkedAt: deps.now, lastGoLive: deps.store.goLive.list(flow.id, 1)[0] ?? null };
}
