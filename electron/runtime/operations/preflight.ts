import { tablesInTwoSyncs } from '../../../shared/flow/tables-in-two-syncs.js';
import type { MatchingReport, PreflightCheck, PreflightEdge } from '../../../shared/api/contract.js';
import type { FlowDocument, SyncEdge } from '../../../shared/flow/schema.js';
import type { EntityInfo } from '../connectors/types.js';
import { contractProblems } from '../../../shared/ai/contract.js';
import { feedProblems } from '../../../shared/ai/feed-policy.js';
import { tombstoneTtlMs } from '../engine/routes.js';
import { conversionOf } from '../../../shared/values/conversions.js';
import { matchUniquenessGaps } from '../../../shared/flow/match-uniqueness.js';
import { directionsOf, targetSide } from '../engine/sides.js';

/** What preflight found out about one system by talking to it. */
export interface SystemProbe {
  connection: { ok: boolean; message: string };
  /** Connector secret field → whether its keychain secret is set (absent: the field has no reference). */
  secrets: { field: string; ref: string | null; present: boolean }[];
  /** Longest polling interval of its connector (0 when pushed). */
  pollIntervalMs: number;
  /** Connector kind and discovered entities (absent when discovery failed), for the value check. */
  kind?: string;
  entities?: EntityInfo[];
}

export interface PreflightFacts {
  systems: ReadonlyMap<string, SystemProbe>;
  /** Matching reports of the samples per sync id (missing: the samples could not be read, with why). */
  matching: ReadonlyMap<string, MatchingReport | { error: string }>;
  dlqDepth: (syncId: string) => number;
  maxAttempts: number;
  /** Token keys (secret names) the flow's masking uses: whether each is set and long enough, or what is wrong. */
  tokenKeys?: ReadonlyMap<string, { ok: true } | { ok: false; problem: string }>;
  /**
   * What the preview finds per sync id, each direction: sample records it would refuse (Invalid),
   * so preflight never says ready while the preview lists such rows. Absent: not previewed.
   */
  preview?: ReadonlyMap<string, { invalid: { direction: string; record: string; reason: string }[]; read: number } | { error: string }>;
  /** Per sync id, tables it shares unsafely with other flows of the workspace, in plain words (placesInOtherFlows): running flows block go-live, stopped ones are named. Absent: not checked. */
  otherFlows?: ReadonlyMap<string, { running: string[]; stopped: string[] }>;
}

const fmtMs = (ms: number) => (ms >= 3_600_000 ? `${Number((ms / 3_600_000).toFixed(1))} h` : ms >= 1000 ? `${Number((ms / 1000).toFixed(1))} s` : `${ms} ms`);

function ownership(flow: FlowDocument, sync: SyncEdge): PreflightCheck {
  const label = 'Every field has an owner or a conflict policy';
  const name = (side: 'a' | 'b') => flow.systems.find((s) => s.id === sync[side].system)?.name ?? sync[side].system;
  if (sync.direction !== 'both') return { id: 'ownership', label, ok: true, detail: `one-way edge: ${name(sync.direction === 'a-to-b' ? 'a' : 'b')} owns every field` };
  const shared = sync.fields.filter((f) => f.owner === 'shared');
  const policy = sync.conflictPolicy.mode === 'prefer' ? `${name(sync.conflictPolicy.side)} preferred within ${fmtMs(sync.conflictPolicy.windowMs)}` : `newest wins, ${fmtMs(sync.conflictPolicy.skewToleranceMs)} tolerance`;
  const byA = sync.fields.filter((f) => f.owner === 'a').length;
  const byB = sync.fields.filter((f) => f.owner === 'b').length;
  // Newest-wins with no tolerance lets clock skew decide shared fields silently: make the user choose.
  if (shared.length > 0 && sync.conflictPolicy.mode === 'newest-wins' && sync.conflictPolicy.skewToleranceMs === 0) {
    return { id: 'ownership', label, ok: false, detail: `${shared.map((f) => `"${f.a}"`).join(', ')} ${shared.length === 1 ? 'is' : 'are'} shared under newest-wins with no skew tolerance: give each an owner, or set a tolerance or a preferred side` };
  }
  return { id: 'ownership', label, ok: true, detail: `${byA} owned by ${name('a')}, ${byB} by ${name('b')}, ${shared.length} shared (${policy})` };
}

function matchKeys(sync: SyncEdge, report: MatchingReport | { error: string } | undefined): PreflightCheck {
  const label = 'Match keys are unique in the samples';
  if (!report) return { id: 'match-keys', label, ok: false, detail: 'the samples were not read' };
  if ('error' in report) return { id: 'match-keys', label, ok: false, detail: `the samples could not be read: ${report.error}` };
  const dups = [...report.duplicates.a.map((d) => `${sync.a.entity}.${sync.matchKey.a} "${d.value}" (${d.keys.length} records)`), ...report.duplicates.b.map((d) => `${sync.b.entity}.${sync.matchKey.b} "${d.value}" (${d.keys.length} records)`)];
  if (dups.length > 0) return { id: 'match-keys', label, ok: false, detail: `duplicate match values: ${dups.slice(0, 5).join('; ')}${dups.length > 5 ? ` and ${dups.length - 5} more` : ''} — merge or fix them first` };
  return { id: 'match-keys', label, ok: true, detail: `${report.read.a + report.read.b} sample records, no duplicate ${sync.matchKey.a}/${sync.matchKey.b}; ${report.matched + report.alreadyLinked} paired across the two sides` };
}

function secrets(flow: FlowDocument, sync: SyncEdge, facts: PreflightFacts): PreflightCheck {
  const label = 'Secrets are present';
  const missing: string[] = [];
  let total = 0;
  for (const side of ['a', 'b'] as const) {
    const probe = facts.systems.get(sync[side].system);
    const name = flow.systems.find((s) => s.id === sync[side].system)?.name ?? sync[side].system;
    for (const s of probe?.secrets ?? []) {
      total++;
      if (!s.present) missing.push(`${name}: ${s.field}${s.ref ? ` ("${s.ref}")` : ' (no secret chosen)'}`);
    }
  }
  if (missing.length > 0) return { id: 'secrets', label, ok: false, detail: `missing in the keychain: ${missing.join('; ')} — enter them in the system's settings` };
  return { id: 'secrets', label, ok: true, detail: total === 0 ? 'these systems need no secrets' : `${total} secret${total === 1 ? '' : 's'} in the keychain` };
}

function connections(flow: FlowDocument, sync: SyncEdge, facts: PreflightFacts): PreflightCheck {
  const label = 'Connections tested';
  const failed: string[] = [];
  for (const side of ['a', 'b'] as const) {
    const probe = facts.systems.get(sync[side].system);
    const name = flow.systems.find((s) => s.id === sync[side].system)?.name ?? sync[side].system;
    if (!probe) failed.push(`${name}: not tested`);
    else if (!probe.connection.ok) failed.push(`${name}: ${probe.connection.message}`);
  }
  if (failed.length > 0) return { id: 'connections', label, ok: false, detail: failed.join('; ') };
  return { id: 'connections', label, ok: true, detail: 'both systems answered the connection test' };
}

function dlq(sync: SyncEdge, facts: PreflightFacts): PreflightCheck {
  const depth = facts.dlqDepth(sync.id);
  return {
    id: 'dlq',
    label: 'Dead-letter queue active',
    ok: true,
    detail: `failed changes are retried up to ${facts.maxAttempts} times, then kept in the DLQ for replay${depth > 0 ? `; ${depth} waiting now` : ''}`,
  };
}

/** A target field written by two edges (or the same edge both ways through different fields) flaps and can loop. */
function loopPrevention(flow: FlowDocument, sync: SyncEdge): PreflightCheck {
  const label = 'Loop prevention active';
  const writers = new Map<string, string[]>();
  for (const other of flow.syncs) {
    if (!other.enabled) continue;
    for (const direction of directionsOf(other)) {
      const t = targetSide(direction);
      for (const f of other.fields) {
        const k = `${other[t].system}.${other[t].entity}.${f[t]}`;
        writers.set(k, [...(writers.get(k) ?? []), other.id]);
      }
    }
  }
  const clashes: string[] = [];
  for (const direction of directionsOf(sync)) {
    const t = targetSide(direction);
    for (const f of sync.fields) {
      const k = `${sync[t].system}.${sync[t].entity}.${f[t]}`;
      const ids = new Set(writers.get(k) ?? []);
      if (ids.size > 1) clashes.push(`${k} (edges ${[...ids].map((i) => `"${i}"`).join(', ')})`);
    }
  }
  if (clashes.length > 0) return { id: 'loop-prevention', label, ok: false, detail: `written by more than one edge, so changes can bounce between them: ${[...new Set(clashes)].join('; ')} — let one edge own each field` };
  const shared = tablesInTwoSyncs(flow).filter((t) => t.syncs.includes(sync.id));
  if (shared.length > 0) return { id: 'loop-prevention', label, ok: false, detail: shared.map((t) => t.message).join(' ') };
  return {
    id: 'loop-prevention',
    label,
    ok: true,
    detail: sync.direction === 'both' ? 'own writes are recognised by origin tag and per-field shadows, so echoes are dropped; no field is written by two edges' : 'one-way edge; no field is written by two edges',
  };
}

function otherFlows(sync: SyncEdge, found: ReadonlyMap<string, { running: string[]; stopped: string[] }>): PreflightCheck {
  const label = 'No other flow syncs these tables';
  const { running, stopped } = found.get(sync.id) ?? { running: [], stopped: [] };
  if (running.length > 0) return { id: 'other-flows', label, ok: false, detail: `${running.join(' ')} Stop that flow first: both cannot run at once.` };
  if (stopped.length > 0) return { id: 'other-flows', label, ok: true, detail: `${stopped.join(' ')} That flow is stopped; starting it while this one runs will be refused.` };
  return { id: 'other-flows', label, ok: true, detail: 'no other flow of this workspace writes into these tables or reads what this edge writes' };
}

function tombstones(sync: SyncEdge, facts: PreflightFacts): PreflightCheck {
  const label = 'Tombstone TTL ≥ longest poll interval';
  const longest = Math.max(sync.pollIntervalMs, facts.systems.get(sync.a.system)?.pollIntervalMs ?? 0, facts.systems.get(sync.b.system)?.pollIntervalMs ?? 0);
  const ttl = tombstoneTtlMs(longest);
  if (sync.deletePolicy.mode === 'ignore') return { id: 'tombstone-ttl', label, ok: true, detail: 'deletes are ignored on this edge' };
  return { id: 'tombstone-ttl', label, ok: ttl >= longest, detail: `deletes are remembered for ${fmtMs(ttl)}; the longest poll interval is ${fmtMs(longest)}` };
}

/** Mapped pairs whose values do not all arrive unchanged (docs/values.md), from the discovered field types. */
function valueFidelity(sync: SyncEdge, facts: PreflightFacts): PreflightCheck {
  const label = 'Mapped values convert exactly';
  const fields = (side: 'a' | 'b') => facts.systems.get(sync[side].system)?.entities?.find((e) => e.name === sync[side].entity)?.fields;
  const probe = (side: 'a' | 'b') => facts.systems.get(sync[side].system);
  const lossy: string[] = [];
  const refusing: string[] = [];
  let checked = 0;
  for (const direction of directionsOf(sync)) {
    const t = targetSide(direction);
    const s = t === 'a' ? 'b' : 'a';
    const from = fields(s);
    const to = fields(t);
    if (!from || !to) continue;
    for (const m of sync.fields) {
      if (m.owner !== s && m.owner !== 'shared') continue;
      if ((t === 'b' ? m.toB : m.toA).length > 0) continue; // a transform changes the value on purpose
      const sf = from.find((x) => x.name === m[s]);
      const tf = to.find((x) => x.name === m[t]);
      if (!sf || !tf) continue;
      checked++;
      const c = conversionOf({ kind: probe(s)?.kind ?? '', field: sf }, { kind: probe(t)?.kind ?? '', field: tf });
      const pair = `${sync[s].entity}.${sf.name} (${sf.nativeType ?? sf.type}) → ${sync[t].entity}.${tf.name} (${tf.nativeType ?? tf.type}): ${c.why}`;
      if (c.exactness === 'lossy') lossy.push(pair);
      else if (c.exactness === 'refuses') refusing.push(pair);
    }
  }
  if (checked === 0) return { id: 'value-fidelity', label, ok: true, detail: 'the field types could not be read; values are still checked on every write' };
  if (lossy.length > 0) return { id: 'value-fidelity', label, ok: false, detail: `the target would change values without an error: ${lossy.join('; ')}${refusing.length > 0 ? `. Refused when they do not fit (to the DLQ): ${refusing.join('; ')}` : ''}` };
  if (refusing.length > 0) return { id: 'value-fidelity', label, ok: true, detail: `${checked - refusing.length} of ${checked} mapped fields convert exactly; values the target cannot hold exactly go to the DLQ with their reason: ${refusing.join('; ')}` };
  return { id: 'value-fidelity', label, ok: true, detail: `all ${checked} mapped fields convert exactly` };
}

/**
 * Whether the systems records are created in keep the match value unique (a unique index): without
 * one, a record someone creates there at the moment SyncCanvas creates the same one can exist twice.
 * Our own writers never duplicate (the Postgres writer locks the value and inserts only where none
 * holds it), so this warns with the statement to run instead of blocking go-live. Only connectors
 * that can tell (Postgres) report it; for others the check is left out.
 */
function matchUnique(flow: FlowDocument, sync: SyncEdge, facts: PreflightFacts): PreflightCheck | null {
  const label = 'Match values are unique where records are created';
  const name = (side: 'a' | 'b') => flow.systems.find((s) => s.id === sync[side].system)?.name ?? sync[side].system;
  const fields = (side: 'a' | 'b') => facts.systems.get(sync[side].system)?.entities?.find((e) => e.name === sync[side].entity)?.fields;
  const { checked, gaps } = matchUniquenessGaps(sync, { a: name('a'), b: name('b') }, { a: fields('a'), b: fields('b') });
  if (checked.length === 0) return null;
  if (gaps.length > 0) return { id: 'match-unique', label, ok: true, warn: true, detail: gaps.map((g) => g.message).join(' ') };
  const how = sync.matchKey.normalize === 'lowercase-trim' ? ' (ignoring case, as this edge matches)' : '';
  return { id: 'match-unique', label, ok: true, detail: `${checked.map((t) => `${name(t)} keeps ${sync[t].entity}.${sync.matchKey[t]} unique${how}`).join('; ')}, so a record is never created there twice` };
}

/** An AI feed (docs/ai-feeds.md): every field classified, every sensitive one masked, the contract valid, token keys set. */
function aiFeed(sync: SyncEdge, facts: PreflightFacts): PreflightCheck | null {
  if (!sync.aiFeed) return null;
  const label = 'AI feed: every field classified, sensitive fields masked';
  const problems = feedProblems(sync).map((p) => p.message);
  if (sync.aiFeed.contract) problems.push(...contractProblems(sync.aiFeed.contract).map((p) => `the contract: ${p}`));
  const refs = new Set(sync.fields.flatMap((m) => [...m.toA, ...m.toB]).flatMap((t) => (t.type === 'token' ? [t.keyRef] : [])));
  for (const ref of refs) {
    const k = facts.tokenKeys?.get(ref);
    if (!k) problems.push(`the token key "${ref}" was not checked`);
    else if (!k.ok) problems.push(k.problem);
  }
  if (problems.length > 0) return { id: 'ai-feed', label, ok: false, detail: problems.join('; ') };
  const sensitive = sync.fields.filter((m) => m.class !== 'not-sensitive').length;
  return { id: 'ai-feed', label, ok: true, detail: `${sync.fields.length} fields classified, ${sensitive} sensitive and masked; every record is checked against the ${sync.aiFeed.contract ? 'edited' : 'generated'} contract and the scanner` };
}

function previewClean(sync: SyncEdge, facts: PreflightFacts): PreflightCheck {
  const label = 'Sample records sync without being refused';
  const found = facts.preview?.get(sync.id);
  if (!found) return { id: 'preview-clean', label, ok: false, detail: 'the samples were not previewed' };
  if ('error' in found) return { id: 'preview-clean', label, ok: false, detail: `the samples could not be previewed: ${found.error}` };
  if (found.invalid.length > 0) {
    const shown = found.invalid.slice(0, 3).map((r) => `${r.record} (${r.direction}): ${r.reason}`);
    return {
      id: 'preview-clean',
      label,
      ok: false,
      detail: `the preview lists ${found.invalid.length} record${found.invalid.length === 1 ? '' : 's'} as Invalid: ${shown.join('; ')}${found.invalid.length > 3 ? ` and ${found.invalid.length - 3} more` : ''} — fix them (see Preview) or the mapping first`,
    };
  }
  return { id: 'preview-clean', label, ok: true, detail: `${found.read} sample record${found.read === 1 ? '' : 's'} previewed, none would be refused` };
}

/** The go-live checklist of every edge of a flow, from facts gathered by talking to its systems. */
export function preflightEdges(flow: FlowDocument, facts: PreflightFacts): PreflightEdge[] {
  return flow.syncs.map((sync) => {
    const checks = [ownership(flow, sync), matchKeys(sync, facts.matching.get(sync.id)), ...[matchUnique(flow, sync, facts)].filter((c) => c !== null), secrets(flow, sync, facts), connections(flow, sync, facts), dlq(sync, facts), loopPrevention(flow, sync), tombstones(sync, facts), valueFidelity(sync, facts), ...(facts.preview ? [previewClean(sync, facts)] : [])];
    if (facts.otherFlows) checks.push(otherFlows(sync, facts.otherFlows));
    const feed = aiFeed(sync, facts);
    if (feed) checks.push(feed);
    return { syncId: sync.id, name: sync.name ?? sync.id, ok: checks.every((c) => c.ok), checks };
  });
}
