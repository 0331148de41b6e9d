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
  const ownerName = (o: FieldMapping['owner']) => (o === 'a' ? aName : o === 'b' ? bName : 'Shared');
  if (sync.fields.length === 0) return <p className="form-row__hint">No fields mapped yet. Choose both entities, then auto-map or add fields.</p>;

  return (
    <table className="mapping-table" data-testid="mapping-table">
      <thead>
        <tr>
          <th scope="col">{aName}</th>
          <th scope="col">Owner</th>
          <th scope="col">{bName}</th>
          {sync.aiFeed && <th scope="col">Holds</th>}
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {sync.fields.map((f, i) => {
          const rowIssues = issuesAt(issues, `fields[${i}]`);
          const transforms = [...f.toB.map((t) => `→ ${transformSummary(t)}`), ...f.toA.map((t) => `← ${transformSummary(t)}`)];
          return [
            <tr key={`row-${i}`} className={rowIssues.length ? 'mapping-table__row--invalid' : undefined} data-testid={`mapping-row-${i}`}>
              <td>
                <FieldPicker hideLabel label={`${aName} field, row ${i + 1}`} value={f.a} options={fieldsA.map((x) => x.name)} issues={[]} onChange={(a) => set(i, { a })} />
              </td>
              <td>
                <button
                  type="button"
                  className={`owner-toggle owner-toggle--${f.owner}`}
                  onClick={() => set(i, { owner: nextOwner(f.owner, sync.direction) })}
                  aria-label={`Owner of ${f.a || 'this field'}: ${ownerName(f.owner)}. Change owner`}
                  title="Which system is the truth for this field (click to change)"
                  data-testid={`owner-${i}`}
                >
                  {f.owner === 'a' ? `${aName} →` : f.owner === 'b' ? `← ${bName}` : '↔ Shared'}
                </button>
              </td>
              <td>
                <FieldPicker hideLabel label={`${bName} field, row ${i + 1}`} value={f.b} options={fieldsB.map((x) => x.name)} issues={[]} onChange={(b) => set(i, { b })} />
              </td>
              {sync.aiFeed && (
                <td>
                  <ClassPicker mapping={f} source={sync.direction === 'b-to-a' ? f.b : f.a} row={i} onChange={(c) => set(i, { class: c })} />
                </td>
              )}
              <td className="mapping-table__actions">
                <button type="button" className="tool-button tool-button--small" aria-expanded={open === i} aria-label={`Transforms of ${f.a || `row ${i + 1}`}`} title={transforms.join(', ') || 'Add transforms'} onClick={() => setOpen(open === i ? null : i)}>
                  ƒ{f.toA.length + f.toB.length > 0 ? <sup>{f.toA.length + f.toB.length}</sup> : null}
                </button>
                <button type="button" className="tool-button tool-button--small" aria-label={`Remove mapping ${f.a || `row ${i + 1}`}`} onClick={() => onChange(sync.fields.filter((_, j) => j !== i))}>
                  ×
                </button>
              </td>
            </tr>,
            rowIssues.length > 0 && (
              <tr key={`issues-${i}`}>
                <td colSpan={sync.aiFeed ? 5 : 4}>
                  <IssueList issues={rowIssues} />
                </td>
              </tr>
            ),
            open === i && (
              <tr key={`drawer-${i}`} className="mapping-table__drawer">
                <td colSpan={sync.aiFeed ? 5 : 4}>
                  {sync.direction !== 'b-to-a' && <TransformList title={`${aName} → ${bName}`} transforms={f.toB} onChange={(toB, g) => set(i, { toB }, g)} />}
                  {sync.direction !== 'a-to-b' && <TransformList title={`${bName} → ${aName}`} transforms={f.toA} onChange={(toA, g) => set(i, { toA }, g)} />}
                  <label className="checkbox-row">
                    <input type="checkbox" className="checkbox" checked={f.required} onChange={(e) => set(i, { required: e.target.checked })} />
                    Required (a record without it goes to the dead-letter queue)
                  </label>
                </td>
              </tr>
            ),
          ];
        })}
      </tbody>
    </table>
  );
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
    case 'token':
      return (
        <>
          <input className="input input--short" aria-label="Token key (secret name)" title="The secret that holds the HMAC key (at least 32 characters)" value={t.keyRef} onChange={(e) => /^[A-Za-z0-9._:/-]*$/.test(e.target.value) && onChange({ ...t, keyRef: e.target.value }, 'keyRef')} />
          <input className="input input--short" aria-label="Key id" title="Change it (k1 → k2) when you rotate the key: tokens say which key made them" value={t.keyId} onChange={(e) => /^[a-z0-9]{0,8}$/.test(e.target.value) && onChange({ ...t, keyId: e.target.value }, 'keyId')} />
        </>
      );
    case 'partial':
      return <input className="input input--short" type="number" min={0} max={8} aria-label="Characters kept at the end" value={t.keepLast} onChange={(e) => onChange({ ...t, keepLast: Math.max(0, Math.min(8, Number(e.target.value) || 0)) }, 'keepLast')} />;
    case 'generalize':
      return (
        <select className="select select--small" aria-label="Generalize to" value={t.to} onChange={(e) => onChange({ ...t, to: e.target.value as typeof t.to }, 'to')}>
          <option value="month">date → month</option>
          <option value="year">date → year</option>
          <option value="bucket">number → bucket of {t.bucketSize}</option>
          <option value="city">address → city</option>
        </select>
      );
    case 'scan':
      return (
        <select className="select select--small" aria-label="When the scan finds a value" value={t.action} onChange={(e) => onChange({ ...t, action: e.target.value as typeof t.action }, 'action')}>
          <option value="mask">mask what it finds</option>
          <option value="block">block the record (to the DLQ)</option>
        </select>
      );
    default:
      return null;
  }
}
