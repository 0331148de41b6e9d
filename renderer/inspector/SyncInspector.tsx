import { useEffect, useId, useState } from 'react';
import type { ConflictPolicy, DeletePolicy, Direction, FieldMapping, Latency, SyncEdge } from '../../shared/flow/schema.js';
import type { ValidationIssue } from '../../shared/flow/validate.js';
import { matchUniquenessGaps, type UniquenessGap } from '../../shared/flow/match-uniqueness.js';
import { autoMapFields, suggestMatchKey, type DiscoveredField } from '../editor/auto-map.js';
import { duplicatePair } from '../editor/connect-rules.js';
import { CRON_PRESETS, describeCron } from '../editor/cron-helper.js';
import { issuesAt } from '../editor/issue-targets.js';
import { ownersForDirection } from '../editor/transforms.js';
import { useApp } from '../state/store-context.js';
import { useDraftIssues } from '../state/use-draft-issues.js';
import { AiFeedSection } from './AiFeedSection.js';
import { FieldMappingTable } from './FieldMappingTable.js';
import { lossyPairs } from './lossy-pairs.js';
import { IssueList } from './IssueList.js';
import { EdgeOperationsBar } from '../ops/EdgeOperationsBar.js';

const DIRECTIONS: { value: Direction; arrow: string; label: (a: string, b: string) => string }[] = [
  { value: 'a-to-b', arrow: '→', label: (_a, b) => `To ${b}` },
  { value: 'b-to-a', arrow: '←', label: (a) => `To ${a}` },
  { value: 'both', arrow: '↔', label: () => 'Two-way' },
];

export function SyncInspector({ sync }: { sync: SyncEdge }) {
  const flow = useApp((s) => s.flow)!;
  const updateSync = useApp((s) => s.updateSync);
  const removeElements = useApp((s) => s.removeElements);
  const discover = useApp((s) => s.discover);
  const entitiesA = useApp((s) => s.entities[sync.a.system]);
  const entitiesB = useApp((s) => s.entities[sync.b.system]);
  const issues = useDraftIssues().syncs[sync.id] ?? [];
  const id = useId();
  const aName = flow.systems.find((s) => s.id === sync.a.system)?.name ?? sync.a.system;
  const bName = flow.systems.find((s) => s.id === sync.b.system)?.name ?? sync.b.system;

  const configuredA = Object.keys(flow.systems.find((s) => s.id === sync.a.system)?.config ?? {}).length > 0;
  const configuredB = Object.keys(flow.systems.find((s) => s.id === sync.b.system)?.config ?? {}).length > 0;
  useEffect(() => {
    if (!entitiesA && configuredA) void discover(sync.a.system);
    if (!entitiesB && configuredB) void discover(sync.b.system);
  }, [sync.a.system, sync.b.system, entitiesA, entitiesB, configuredA, configuredB, discover]);

  const entityNames = (e: typeof entitiesA) => (e?.state === 'ok' ? e.result.entities.map((x) => x.name) : []);
  const fieldsOf = (e: typeof entitiesA, entity: string): DiscoveredField[] => (e?.state === 'ok' ? (e.result.entities.find((x) => x.name === entity)?.fields ?? []) : []);
  const fieldsA = fieldsOf(entitiesA, sync.a.entity);
  const fieldsB = fieldsOf(entitiesB, sync.b.entity);
  const update = (patch: Partial<SyncEdge>, group?: string) => updateSync(sync.id, patch, group);
  const duplicate = duplicatePair(flow, sync.id);

  const autoMap = () => {
    const fields = autoMapFields(fieldsA, fieldsB, sync.direction, sync.fields);
    const key = sync.matchKey.a && sync.matchKey.b ? null : suggestMatchKey(fields);
    update({ fields, ...(key ? { matchKey: { ...sync.matchKey, ...key } } : {}) });
  };

  return (
    <div className="inspector" data-testid="sync-inspector">
      <div className="inspector__header">
        <div>
          <div className="inspector__eyebrow">Sync</div>
          <h2 className="side-panel__title">
            {aName} {DIRECTIONS.find((d) => d.value === sync.direction)?.arrow} {bName}
          </h2>
        </div>
        <button type="button" className="button button--danger-quiet" onClick={() => removeElements({ syncs: [sync.id] })}>
          Delete sync
        </button>
      </div>

      <EdgeOperationsBar syncId={sync.id} />

      <div className="form-row">
        <label className="field-label" htmlFor={`${id}-name`}>
          Name <span className="field-label__hint">— optional</span>
        </label>
        <input id={`${id}-name`} className="input" value={sync.name ?? ''} placeholder={`${sync.a.entity || 'entity'} ↔ ${sync.b.entity || 'entity'}`} onChange={(e) => update({ name: e.target.value || undefined }, 'name')} />
      </div>

      <fieldset className="form-section">
        <legend>Entities</legend>
        <div className="entity-pair">
          <EntityPicker label={`${aName} entity`} value={sync.a.entity} options={entityNames(entitiesA)} loading={entitiesA?.state === 'loading'} error={entitiesA?.state === 'error' ? entitiesA.message : null} issues={issuesAt(issues, 'a')} onChange={(entity) => update({ a: { ...sync.a, entity }, fields: [], matchKey: { ...sync.matchKey, a: '' } })} />
          <EntityPicker label={`${bName} entity`} value={sync.b.entity} options={entityNames(entitiesB)} loading={entitiesB?.state === 'loading'} error={entitiesB?.state === 'error' ? entitiesB.message : null} issues={issuesAt(issues, 'b')} onChange={(entity) => update({ b: { ...sync.b, entity }, fields: [], matchKey: { ...sync.matchKey, b: '' } })} />
        </div>
        {duplicate && <p className="issue-list__item">Another sync already connects these two entities: edit that one instead, or pick other entities.</p>}
      </fieldset>

      <fieldset className="form-section">
        <legend>Direction</legend>
        <div className="segmented" role="radiogroup" aria-label="Direction">
          {DIRECTIONS.map((d) => (
            <button
              key={d.value}
              type="button"
              role="radio"
              aria-checked={sync.direction === d.value}
              className={`segmented__item${sync.direction === d.value ? ' segmented__item--on' : ''}`}
              onClick={() => update({ direction: d.value, fields: ownersForDirection(sync.fields, d.value) })}
              title={d.value === 'both' ? `Both ways between ${aName} and ${bName}` : d.value === 'a-to-b' ? `From ${aName} to ${bName} only` : `From ${bName} to ${aName} only`}
              data-testid={`direction-${d.value}`}
            >
              <span aria-hidden="true" className="segmented__arrow">
                {d.arrow}
              </span>{' '}
              {d.label(aName, bName)}
            </button>
          ))}
        </div>
      </fieldset>

      <fieldset className="form-section">
        <legend>Match records by</legend>
        <div className="entity-pair">
          <FieldPicker label={`${aName} field`} value={sync.matchKey.a} options={fieldsA.map((f) => f.name)} issues={issuesAt(issues, 'matchKey.a')} onChange={(a) => update({ matchKey: { ...sync.matchKey, a } })} />
          <FieldPicker label={`${bName} field`} value={sync.matchKey.b} options={fieldsB.map((f) => f.name)} issues={issuesAt(issues, 'matchKey.b')} onChange={(b) => update({ matchKey: { ...sync.matchKey, b } })} />
        </div>
        <label className="checkbox-row">
          <input type="checkbox" className="checkbox" checked={sync.matchKey.normalize === 'lowercase-trim'} onChange={(e) => update({ matchKey: { ...sync.matchKey, normalize: e.target.checked ? 'lowercase-trim' : 'exact' } })} />
          Ignore case and surrounding spaces (e.g. emails)
        </label>
        <MatchUniqueWarning gaps={matchUniquenessGaps(sync, { a: aName, b: bName }, { a: fieldsA, b: fieldsB }).gaps} />
      </fieldset>

      <fieldset className="form-section">
        <legend>Fields</legend>
        <div className="form-actions">
          <button type="button" className="button button--secondary" onClick={autoMap} disabled={fieldsA.length === 0 || fieldsB.length === 0} title="Pair fields with the same or similar names and compatible types">
            Auto-map fields
          </button>
          <button type="button" className="button button--small" onClick={() => update({ fields: [...sync.fields, { a: '', b: '', owner: sync.direction === 'b-to-a' ? 'b' : 'a', toB: [], toA: [], required: false }] })}>
            Add field
          </button>
        </div>
        <LossyWarning
          pairs={lossyPairs(
            sync,
            { a: flow.systems.find((s) => s.id === sync.a.system)?.kind ?? '', b: flow.systems.find((s) => s.id === sync.b.system)?.kind ?? '' },
            { a: aName, b: bName },
            { a: fieldsA, b: fieldsB },
          )}
        />
        <FieldMappingTable sync={sync} aName={aName} bName={bName} fieldsA={fieldsA} fieldsB={fieldsB} issues={issues} onChange={(fields: FieldMapping[], group?: string) => update({ fields }, group)} />
        <IssueList issues={issues.filter((i) => i.path === 'fields')} />
      </fieldset>

      <AiFeedSection sync={sync} onChange={update} />

      <LatencyEditor latency={sync.latency} issues={issuesAt(issues, 'latency')} onChange={(latency, group) => update({ latency }, group)} />

      <fieldset className="form-section">
        <legend>When records change on both sides or are deleted</legend>
        <PolicyEditors sync={sync} aName={aName} bName={bName} onChange={update} />
      </fieldset>

      <label className="checkbox-row">
        <input type="checkbox" className="checkbox" checked={sync.enabled} onChange={(e) => update({ enabled: e.target.checked })} />
        Sync enabled
      </label>
      <IssueList issues={issues.filter((i) => i.path === '' || i.path === 'id')} />
    </div>
  );
}

function EntityPicker({ label, value, options, loading, error, issues, onChange }: { label: string; value: string; options: string[]; loading: boolean; error: string | null; issues: ValidationIssue[]; onChange(v: string): void }) {
  const id = useId();
  return (
    <div className="form-row">
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      {options.length > 0 || loading ? (
        <select id={id} className="select" value={value} onChange={(e) => onChange(e.target.value)} aria-invalid={issues.length > 0}>
          <option value="">{loading ? 'Loading…' : 'Choose…'}</option>
          {options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      ) : (
        <input id={id} className="input" value={value} onChange={(e) => onChange(e.target.value)} placeholder="entity name" aria-invalid={issues.length > 0} />
      )}
      {error && <p className="form-row__hint">Could not list entities: {error}</p>}
      <IssueList issues={issues} />
    </div>
  );
}

export function FieldPicker({ label, value, options, issues, onChange, hideLabel }: { label: string; value: string; options: string[]; issues: ValidationIssue[]; onChange(v: string): void; hideLabel?: boolean }) {
  const id = useId();
  const all = value && !options.includes(value) ? [value, ...options] : options;
  return (
    <div className="form-row">
      <label className={hideLabel ? 'visually-hidden' : 'field-label'} htmlFor={id}>
        {label}
      </label>
      {all.length > 0 ? (
        <select id={id} className="select" value={value} onChange={(e) => onChange(e.target.value)} aria-invalid={issues.length > 0}>
          <option value="">Choose…</option>
          {all.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      ) : (
        <input id={id} className="input" value={value} onChange={(e) => onChange(e.target.value)} placeholder="field" aria-invalid={issues.length > 0} />
      )}
      <IssueList issues={issues} />
    </div>
  );
}

function LatencyEditor({ latency, issues, onChange }: { latency: Latency; issues: ValidationIssue[]; onChange(l: Latency, group?: string): void }) {
  const id = useId();
  const [cronText, setCronText] = useState(latency.tier === 'batch' ? latency.cron : '*/15 * * * *');
  const cron = describeCron(cronText);
  const tiers: { tier: Latency['tier']; label: string; hint: string; make(): Latency }[] = [
    { tier: 'real-time', label: 'Real-time', hint: 'within seconds', make: () => ({ tier: 'real-time' }) },
    { tier: 'near-real-time', label: 'Near-real-time', hint: 'batched in a window', make: () => ({ tier: 'near-real-time', windowMs: 5000 }) },
    { tier: 'batch', label: 'Batch', hint: 'on a schedule', make: () => ({ tier: 'batch', cron: cronText }) },
  ];
  return (
    <fieldset className="form-section">
      <legend>Latency tier</legend>
      <div className="segmented" role="radiogroup" aria-label="Latency tier">
        {tiers.map((t) => (
          <button key={t.tier} type="button" role="radio" aria-checked={latency.tier === t.tier} className={`segmented__item${latency.tier === t.tier ? ' segmented__item--on' : ''}`} onClick={() => latency.tier !== t.tier && onChange(t.make())} title={t.hint} data-testid={`tier-${t.tier}`}>
            {t.label}
          </button>
        ))}
      </div>
      {latency.tier === 'near-real-time' && (
        <div className="form-row">
          <label className="field-label" htmlFor={`${id}-window`}>
            Window (seconds)
          </label>
          <input id={`${id}-window`} className="input input--short" type="number" min={0.1} max={3600} step={0.5} value={latency.windowMs / 1000} onChange={(e) => Number.isFinite(e.target.valueAsNumber) && onChange({ tier: 'near-real-time', windowMs: Math.round(e.target.valueAsNumber * 1000) }, 'window')} />
        </div>
      )}
      {latency.tier === 'batch' && (
        <div className="form-row">
          <label className="field-label" htmlFor={`${id}-preset`}>
            Schedule
          </label>
          <select id={`${id}-preset`} className="select" value={CRON_PRESETS.some((p) => p.cron === latency.cron) ? latency.cron : ''} onChange={(e) => e.target.value && (setCronText(e.target.value), onChange({ tier: 'batch', cron: e.target.value }))}>
            <option value="">Custom…</option>
            {CRON_PRESETS.map((p) => (
              <option key={p.cron} value={p.cron}>
                {p.label}
              </option>
            ))}
          </select>
          <label className="field-label" htmlFor={`${id}-cron`}>
            Cron expression
          </label>
          <input
            id={`${id}-cron`}
            className="input input--code"
            value={cronText}
            onChange={(e) => {
              setCronText(e.target.value);
              if (describeCron(e.target.value).ok) onChange({ tier: 'batch', cron: e.target.value.trim() }, 'cron');
            }}
            aria-invalid={!cron.ok}
          />
          <p className={cron.ok ? 'form-row__hint' : 'issue-list__item'}>{cron.ok ? cron.text : cron.message}</p>
        </div>
      )}
      <IssueList issues={issues} />
    </fieldset>
  );
}

function PolicyEditors({ sync, aName, bName, onChange }: { sync: SyncEdge; aName: string; bName: string; onChange(p: Partial<SyncEdge>, group?: string): void }) {
  const id = useId();
  const conflictValue = sync.conflictPolicy.mode === 'prefer' ? `prefer-${sync.conflictPolicy.side}` : 'newest-wins';
  const setConflict = (v: string) => {
    const policy: ConflictPolicy = v === 'newest-wins' ? { mode: 'newest-wins', skewToleranceMs: 5000 } : { mode: 'prefer', side: v === 'prefer-a' ? 'a' : 'b', windowMs: 5000 };
    onChange({ conflictPolicy: policy });
  };
  const setDelete = (mode: DeletePolicy['mode']) => onChange({ deletePolicy: mode === 'soft' ? { mode: 'soft' } : { mode } });
  return (
    <>
      <div className="form-row">
        <label className="field-label" htmlFor={`${id}-conflict`}>
          Conflicts (both sides edited a shared field)
        </label>
        <select id={`${id}-conflict`} className="select" value={conflictValue} onChange={(e) => setConflict(e.target.value)}>
          <option value="newest-wins">Newest change wins</option>
          <option value="prefer-a">{aName} wins</option>
          <option value="prefer-b">{bName} wins</option>
        </select>
      </div>
      <div className="form-row">
        <label className="field-label" htmlFor={`${id}-delete`}>
          Deletes
        </label>
        <select id={`${id}-delete`} className="select" value={sync.deletePolicy.mode} onChange={(e) => setDelete(e.target.value as DeletePolicy['mode'])}>
          <option value="hard">Delete on the other side too</option>
          <option value="soft">Mark as deleted (soft delete)</option>
          <option value="ignore">Ignore deletes</option>
        </select>
        {sync.deletePolicy.mode === 'soft' && (
          <div className="entity-pair">
            <input className="input" aria-label={`${aName} deleted-flag field`} placeholder={`${aName} flag field`} value={sync.deletePolicy.aField ?? ''} onChange={(e) => onChange({ deletePolicy: { ...sync.deletePolicy, mode: 'soft', aField: e.target.value || undefined } }, 'soft-a')} />
            <input className="input" aria-label={`${bName} deleted-flag field`} placeholder={`${bName} flag field`} value={(sync.deletePolicy as { bField?: string }).bField ?? ''} onChange={(e) => onChange({ deletePolicy: { ...sync.deletePolicy, mode: 'soft', bField: e.target.value || undefined } }, 'soft-b')} />
          </div>
        )}
      </div>
      <div className="form-row">
        <label className="field-label" htmlFor={`${id}-owner`}>
          When a system changes a field it does not own
        </label>
        <select id={`${id}-owner`} className="select" value={sync.ownershipViolation} onChange={(e) => onChange({ ownershipViolation: e.target.value as SyncEdge['ownershipViolation'] })}>
          <option value="report">Count it as a violation</option>
          <option value="revert">Count it and write the owner&rsquo;s value back</option>
        </select>
      </div>
    </>
  );
}

/** Match fields a target does not keep unique as the edge matches: named with the statement to run (preflight warns too). */
function MatchUniqueWarning({ gaps }: { gaps: UniquenessGap[] }) {
  if (gaps.length === 0) return null;
  return (
    <div className="alert alert--warning" role="status" data-testid="match-unique-warning">
      <span className="alert__text">
        <strong>A record could be created twice.</strong>
        <ul>
          {gaps.map((g) => (
            <li key={g.side}>
              {g.problem}:
              <br />
              <code className="match-unique-sql">{g.sql}</code>
            </li>
          ))}
        </ul>
      </span>
    </div>
  );
}

/** Mapped pairs the target would change without an error, named before go-live (preflight fails on them too). */
function LossyWarning({ pairs }: { pairs: ReturnType<typeof lossyPairs> }) {
  if (pairs.length === 0) return null;
  return (
    <div className="alert alert--warning" role="status" data-testid="lossy-pairs">
      <span className="alert__text">
        <strong>Some values would change on the way.</strong> The target would store them differently without an error:
        <ul>
          {pairs.map((p) => (
            <li key={`${p.from}>${p.to}`}>
              {p.from} → {p.to}: {p.why}
            </li>
          ))}
        </ul>
        Change the target field&rsquo;s type or map to another field; preflight will not pass until then.
      </span>
    </div>
  );
}
