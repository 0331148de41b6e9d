import { useState } from 'react';
import { suggestClass } from '../../shared/ai/suggest-class.js';
import { FieldClassSchema, type FieldClass, type FieldMapping, type SyncEdge, type Transform } from '../../shared/flow/schema.js';
import type { ValidationIssue } from '../../shared/flow/validate.js';
import type { DiscoveredField } from '../editor/auto-map.js';
import { issuesAt } from '../editor/issue-targets.js';
import { formatValueMap, newTransform, nextOwner, parseValueMap, TRANSFORM_TYPES, transformSummary, type TransformType } from '../editor/transforms.js';
import { FieldPicker } from './SyncInspector.js';
import { IssueList } from './IssueList.js';

interface Props {
  sync: SyncEdge;
  aName: string;
  bName: string;
  fieldsA: DiscoveredField[];
  fieldsB: DiscoveredField[];
  issues: ValidationIssue[];
  onChange(fields: FieldMapping[], group?: string): void;
}

/** The mapping table: one row per field pair, the owner one click away, transforms in a drawer. */
export function FieldMappingTable({ sync, aName, bName, fieldsA, fieldsB, issues, onChange }: Props) {
  const [open, setOpen] = useState<number | null>(null);
  const set = (i: number, patch: Partial<FieldMapping>, group?: string) => onChange(sync.fields.map((f, j) => (j === i ? { ...f, ...patch } : f)), group);
  const ownerText = (o: FieldMapping['owner']) => (o === 'a' ? `${aName} owns it` : o === 'b' ? `${bName} owns it` : 'Shared by both');
  if (sync.fields.length === 0) return <p className="form-row__hint">No fields mapped yet. Choose both entities, then auto-map or add fields.</p>;

  return (
    <>
      <p className="mapping-owner-help" data-testid="owner-help">
        <strong>Owner</strong> is the system whose value is the truth for a field: its changes are copied to the other side, and an edit made on the other side is
        reported (or undone, see below). A <strong>shared</strong> field takes changes from both sides; when both change it, the conflict rule below decides.
      </p>
      <table className="mapping-table" data-testid="mapping-table">
        <thead>
          <tr>
            <th scope="col">{aName}</th>
            <th scope="col">{bName}</th>
          </tr>
        </thead>
        {sync.fields.map((f, i) => {
          const rowIssues = issuesAt(issues, `fields[${i}]`);
          const transforms = [...f.toB.map((t) => `→ ${transformSummary(t)}`), ...f.toA.map((t) => `← ${transformSummary(t)}`)];
          return (
            // One body per mapping: its two fields on one line, owner and actions on the next, so no name is cut short.
            <tbody key={i} className={`mapping-table__mapping${rowIssues.length ? ' mapping-table__row--invalid' : ''}`} data-testid={`mapping-row-${i}`}>
              <tr>
                <td>
                  <FieldPicker hideLabel label={`${aName} field, row ${i + 1}`} value={f.a} options={fieldsA.map((x) => x.name)} issues={[]} onChange={(a) => set(i, { a })} />
                </td>
                <td>
                  <FieldPicker hideLabel label={`${bName} field, row ${i + 1}`} value={f.b} options={fieldsB.map((x) => x.name)} issues={[]} onChange={(b) => set(i, { b })} />
                </td>
              </tr>
              <tr>
                <td colSpan={2}>
                  <div className="mapping-table__owner-line">
                    <button
                      type="button"
                      className={`owner-toggle owner-toggle--${f.owner}`}
                      onClick={() => set(i, { owner: nextOwner(f.owner, sync.direction) })}
                      aria-label={`Owner of ${f.a || 'this field'}: ${ownerText(f.owner)}. Click to change`}
                      title="Click to change which system owns this field"
                      data-testid={`owner-${i}`}
                    >
                      {/* The arrows are decoration: the button's name holds its words (axe: label-content-name-mismatch). */}
                      {f.owner === 'a' ? (
                        <>
                          {ownerText('a')} <span aria-hidden="true">→</span>
                        </>
                      ) : (
                        <>
                          <span aria-hidden="true">{f.owner === 'b' ? '←' : '↔'}</span> {ownerText(f.owner)}
                        </>
                      )}
                    </button>
                    {sync.aiFeed && <ClassPicker mapping={f} source={sync.direction === 'b-to-a' ? f.b : f.a} row={i} onChange={(c) => set(i, { class: c })} />}
                    <button type="button" className="tool-button tool-button--small" aria-expanded={open === i} aria-label={`Transforms of ${f.a || `row ${i + 1}`}`} title={transforms.join(', ') || 'Add transforms'} onClick={() => setOpen(open === i ? null : i)}>
                      ƒ{f.toA.length + f.toB.length > 0 ? <sup>{f.toA.length + f.toB.length}</sup> : null}
                    </button>
                    <button type="button" className="tool-button tool-button--small" aria-label={`Remove mapping ${f.a || `row ${i + 1}`}`} onClick={() => onChange(sync.fields.filter((_, j) => j !== i))}>
                      ×
                    </button>
                  </div>
                </td>
              </tr>
              {rowIssues.length > 0 && (
                <tr>
                  <td colSpan={2}>
                    <IssueList issues={rowIssues} />
                  </td>
                </tr>
              )}
              {open === i && (
                <tr className="mapping-table__drawer">
                  <td colSpan={2}>
                    {sync.direction !== 'b-to-a' && <TransformList title={`${aName} → ${bName}`} transforms={f.toB} onChange={(toB, g) => set(i, { toB }, g)} />}
                    {sync.direction !== 'a-to-b' && <TransformList title={`${bName} → ${aName}`} transforms={f.toA} onChange={(toA, g) => set(i, { toA }, g)} />}
                    <label className="checkbox-row">
                      <input type="checkbox" className="checkbox" checked={f.required} onChange={(e) => set(i, { required: e.target.checked })} />
                      Required (a record without it goes to the dead-letter queue)
                    </label>
                  </td>
                </tr>
              )}
            </tbody>
          );
        })}
      </table>
    </>
  );
}

function TransformList({ title, transforms, onChange }: { title: string; transforms: Transform[]; onChange(t: Transform[], group?: string): void }) {
  const set = (i: number, t: Transform, group?: string) => onChange(transforms.map((x, j) => (j === i ? t : x)), group);
  return (
    <div className="transform-list">
      <div className="transform-list__title">{title}</div>
      {transforms.map((t, i) => (
        <div key={i} className="transform-item">
          <span className="transform-item__name">{TRANSFORM_TYPES.find((x) => x.type === t.type)?.label}</span>
          <TransformParams transform={t} onChange={(next, group) => set(i, next, `${i}:${group}`)} />
          <button type="button" className="tool-button tool-button--small" aria-label={`Remove ${t.type} transform`} onClick={() => onChange(transforms.filter((_, j) => j !== i))}>
            ×
          </button>
        </div>
      ))}
      <select className="select select--small" aria-label={`Add a transform, ${title}`} value="" onChange={(e) => e.target.value && onChange([...transforms, newTransform(e.target.value as TransformType)])}>
        <option value="">+ Add transform…</option>
        {TRANSFORM_TYPES.map((t) => (
          <option key={t.type} value={t.type}>
            {t.label}
          </option>
        ))}
      </select>
    </div>
  );
}

function TransformParams({ transform: t, onChange }: { transform: Transform; onChange(t: Transform, group: string): void }) {
  const [mapText, setMapText] = useState(t.type === 'value-map' ? formatValueMap(t.map) : '');
  const [mapError, setMapError] = useState<string | null>(null);
  switch (t.type) {
    case 'phone':
      return <input className="input input--short" aria-label="Default country code" value={t.defaultCountryCode} onChange={(e) => /^\d{0,3}$/.test(e.target.value) && onChange({ ...t, defaultCountryCode: e.target.value || '1' }, 'cc')} />;
    case 'date':
      return (
        <select className="select select--small" aria-label="Date format" value={t.format} onChange={(e) => onChange({ ...t, format: e.target.value as typeof t.format }, 'format')}>
          <option value="iso-date">2026-01-31</option>
          <option value="iso-datetime">2026-01-31T09:00:00Z</option>
          <option value="epoch-ms">milliseconds since 1970</option>
        </select>
      );
    case 'default':
      return <input className="input input--short" aria-label="Default value" value={String(t.value)} onChange={(e) => onChange({ ...t, value: e.target.value }, 'value')} />;
    case 'value-map':
      return (
        <div className="transform-item__map">
          <textarea
            className="input input--code"
            rows={3}
            aria-label="Value map, one from=to per line"
            placeholder={'Gold=gold\nSilver=silver'}
            value={mapText}
            onChange={(e) => {
              setMapText(e.target.value);
              const parsed = parseValueMap(e.target.value);
              setMapError(parsed.ok ? null : parsed.message);
              if (parsed.ok) onChange({ ...t, map: parsed.map }, 'map');
            }}
          />
          <select className="select select--small" aria-label="Values not in the map" value={t.otherwise} onChange={(e) => onChange({ ...t, otherwise: e.target.value as typeof t.otherwise }, 'otherwise')}>
            <option value="keep">Other values: keep</option>
            <option value="null">Other values: clear</option>
            <option value="reject">Other values: reject</option>
          </select>
          {mapError && <p className="issue-list__item">{mapError}</p>}
        </div>
      );
    default:
      return null;
  }
}

const CLASS_LABEL: Record<FieldClass, string> = {
  email: 'Email',
  phone: 'Phone',
  'person-name': 'Person name',
  'postal-address': 'Postal address',
  'payment-card': 'Payment card',
  iban: 'IBAN',
  'national-id': 'National id',
  'date-of-birth': 'Date of birth',
  'free-text': 'Free text',
  'not-sensitive': 'Not sensitive',
};

/** What a field holds, for an AI feed: the user's choice; a suggestion from the name until then. */
function ClassPicker({ mapping, source, row, onChange }: { mapping: FieldMapping; source: string; row: number; onChange(c: FieldClass | undefined): void }) {
  const s = mapping.class ? null : suggestClass(source, []);
  return (
    <select
      className="select select--small"
      aria-label={`What ${source || `row ${row + 1}`} holds`}
      data-testid={`class-${row}`}
      value={mapping.class ?? ''}
      title={s ? `Suggested: ${CLASS_LABEL[s.class]} (${s.reason})` : undefined}
      onChange={(e) => onChange(e.target.value ? (e.target.value as FieldClass) : undefined)}
    >
      <option value="">{s ? `Choose… (suggested: ${CLASS_LABEL[s.class]})` : 'Choose…'}</option>
      {FieldClassSchema.options.map((c) => (
        <option key={c} value={c}>
          {CLASS_LABEL[c]}
        </option>
      ))}
    </select>
  );
}
