import { useId, useState } from 'react';
import type { ApiOutputs } from '../../shared/api/contract.js';
import type { SystemNode } from '../../shared/flow/schema.js';
import { errorMessage } from '../api/api-call-error.js';
import { useApp } from '../state/store-context.js';

type Sample = ApiOutputs['connectors.restSample'];
type AuthType = 'none' | 'bearer' | 'api-key' | 'basic';

const AUTH_CHOICES: { type: AuthType; label: string }[] = [
  { type: 'none', label: 'No sign-in' },
  { type: 'bearer', label: 'Bearer token' },
  { type: 'api-key', label: 'API key in a header' },
  { type: 'basic', label: 'User name and password' },
];

/** The secret each sign-in uses; the form shows only that one. */
export function restSecretFor(auth: unknown): string | null {
  const a = (auth ?? { type: 'none' }) as { type?: string; tokenSecret?: string; secret?: string; passwordSecret?: string; clientSecretSecret?: string };
  if (a.type === 'bearer') return a.tokenSecret ?? 'token';
  if (a.type === 'api-key') return a.secret ?? 'apiKey';
  if (a.type === 'basic') return a.passwordSecret ?? 'password';
  if (a.type === 'oauth2-client-credentials') return a.clientSecretSecret ?? 'clientSecret';
  return null;
}

/**
 * "Any REST API" step by step: how to sign in, then a sample request whose answer shows the records
 * and fields to sync; each becomes an entity of the definition (the JSON stays under Advanced settings).
 */
export function RestBuilder({ system }: { system: SystemNode }) {
  const updateSystem = useApp((s) => s.updateSystem);
  const restSample = useApp((s) => s.restSample);
  const id = useId();
  const config = system.config;
  const auth = (config.auth ?? { type: 'none' }) as { type: AuthType; name?: string; username?: string };
  const entities = (Array.isArray(config.entities) ? config.entities : []) as { name: string; fields: unknown[]; read?: { request?: { path?: string } } }[];
  const [path, setPath] = useState('');
  const [busy, setBusy] = useState(false);
  const [sample, setSample] = useState<Sample | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [entityName, setEntityName] = useState('');
  const [key, setKey] = useState('');
  const [chosen, setChosen] = useState<Set<string>>(new Set());

  const setConfig = (patch: Record<string, unknown>, group: string) => updateSystem(system.id, { config: { ...config, ...patch } }, `config.${group}`);
  const setAuth = (type: AuthType) => {
    const next = type === 'api-key' ? { type, in: 'header', name: 'X-API-Key' } : type === 'basic' ? { type, username: '' } : { type };
    setConfig({ auth: next }, 'auth');
  };

  const send = async () => {
    setBusy(true);
    setError(null);
    try {
      const s = await restSample(system.id, path.trim());
      setSample(s);
      setEntityName(entities.some((e) => e.name === s.name) ? `${s.name}_2` : s.name);
      setKey(s.primaryKey);
      setChosen(new Set(s.fields.map((f) => f.name)));
    } catch (e) {
      setSample(null);
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const addEntity = () => {
    if (!sample) return;
    const fields = sample.fields.filter((f) => chosen.has(f.name) || f.name === key).map((f) => ({ name: f.name, type: f.type }));
    const entity = { name: entityName.trim(), primaryKey: key, fields, read: { request: { path: path.trim().split('?')[0], ...(path.includes('?') ? { query: Object.fromEntries(new URLSearchParams(path.split('?')[1])) } : {}), recordsPath: sample.recordsPath } } };
    setConfig({ entities: [...entities.filter((e) => e.name !== entity.name), entity] }, 'entities');
    setSample(null);
    setPath('');
  };

  return (
    <section className="rest-builder" aria-labelledby={`${id}-title`} data-testid="rest-builder">
      <h3 id={`${id}-title`} className="form-section__title">
        Set up step by step
      </h3>
      <ol className="rest-builder__steps">
        <li>
          <label className="field-label" htmlFor={`${id}-auth`}>
            How does the API sign you in?
          </label>
          <select id={`${id}-auth`} className="select" value={auth.type} onChange={(e) => setAuth(e.target.value as AuthType)}>
            {AUTH_CHOICES.map((c) => (
              <option key={c.type} value={c.type}>
                {c.label}
              </option>
            ))}
          </select>
          {auth.type === 'api-key' && (
            <>
              <label className="field-label" htmlFor={`${id}-header`}>
                Header name
              </label>
              <input id={`${id}-header`} className="input" value={auth.name ?? ''} onChange={(e) => setConfig({ auth: { ...auth, name: e.target.value } }, 'auth-header')} spellCheck={false} />
            </>
          )}
          {auth.type === 'basic' && (
            <>
              <label className="field-label" htmlFor={`${id}-user`}>
                User name
              </label>
              <input id={`${id}-user`} className="input" value={auth.username ?? ''} onChange={(e) => setConfig({ auth: { ...auth, username: e.target.value } }, 'auth-user')} spellCheck={false} />
            </>
          )}
          {auth.type !== 'none' && <p className="form-row__hint">Store the key or password in its field above, then send a sample request.</p>}
        </li>
        <li>
          <label className="field-label" htmlFor={`${id}-path`}>
            Sample request: the address that lists records, after the base URL
          </label>
          <div className="secret-row">
            <input id={`${id}-path`} className="input" value={path} placeholder="/v1/customers" onChange={(e) => setPath(e.target.value)} spellCheck={false} />
            <button type="button" className="button button--secondary" disabled={busy || !path.trim().startsWith('/')} onClick={() => void send()}>
              {busy ? 'Sending…' : 'Send sample request'}
            </button>
          </div>
          {error && (
            <p className="issue-list__item" role="alert">
              {error}
            </p>
          )}
        </li>
        {sample && (
          <li data-testid="rest-sample">
            <p className="form-row__hint" role="status">
              Found {sample.count} record{sample.count === 1 ? '' : 's'} {sample.recordsPath ? `under “${sample.recordsPath}”` : 'in the answer'}. Choose the fields to sync:
            </p>
            <ul className="rest-builder__fields">
              {sample.fields.map((f) => (
                <li key={f.name}>
                  <label className="checkbox-row">
                    <input
                      type="checkbox"
                      className="checkbox"
                      checked={chosen.has(f.name) || f.name === key}
                      disabled={f.name === key}
                      onChange={(e) => setChosen((c) => (e.target.checked ? new Set([...c, f.name]) : new Set([...c].filter((x) => x !== f.name))))}
                    />
                    <code>{f.name}</code> <span className="entity-list__meta">{f.type}</span>
                  </label>
                </li>
              ))}
            </ul>
            <div className="entity-pair">
              <div className="form-row">
                <label className="field-label" htmlFor={`${id}-name`}>
                  Entity name
                </label>
                <input id={`${id}-name`} className="input" value={entityName} onChange={(e) => setEntityName(e.target.value)} spellCheck={false} />
              </div>
              <div className="form-row">
                <label className="field-label" htmlFor={`${id}-key`}>
                  Key field
                </label>
                <select id={`${id}-key`} className="select" value={key} onChange={(e) => setKey(e.target.value)}>
                  {sample.fields.map((f) => (
                    <option key={f.name} value={f.name}>
                      {f.name}
                    </option>
                  ))}
                </select>
              </div>
            </div>
            <button type="button" className="button button--primary" disabled={!/^[A-Za-z][A-Za-z0-9_-]*$/.test(entityName.trim())} onClick={addEntity}>
              Add entity “{entityName.trim()}”
            </button>
          </li>
        )}
      </ol>
      {entities.length > 0 && (
        <ul className="entity-list" aria-label="Entities of this API" data-testid="rest-entities">
          {entities.map((e) => (
            <li key={e.name}>
              <code>{e.name}</code> <span className="entity-list__meta">
                {e.fields.length} fields{e.read?.request?.path ? `, read from ${e.read.request.path}` : ''}
              </span>{' '}
              <button type="button" className="button button--small" onClick={() => setConfig({ entities: entities.filter((x) => x.name !== e.name) }, 'entities')} aria-label={`Remove entity ${e.name}`}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
