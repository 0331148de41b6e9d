import { useId, useMemo, useState } from 'react';
import type { ConnectorKindInfo } from '../../shared/api/contract.js';
import type { SystemNode } from '../../shared/flow/schema.js';
import { configFields, configValue, withConfigValue, type ConfigField } from '../editor/config-form.js';
import { issuesAt } from '../editor/issue-targets.js';
import { useApp } from '../state/store-context.js';
import { useDraftIssues } from '../state/use-draft-issues.js';
import { ConfigInput } from './ConfigInput.js';
import { RestBuilder, restSecretFor } from './RestBuilder.js';
import { IssueList } from './IssueList.js';

export function SystemInspector({ system }: { system: SystemNode }) {
  const connectors = useApp((s) => s.connectors);
  const updateSystem = useApp((s) => s.updateSystem);
  const removeElements = useApp((s) => s.removeElements);
  const testSystem = useApp((s) => s.testSystem);
  const discover = useApp((s) => s.discover);
  const listChoices = useApp((s) => s.listChoices);
  const test = useApp((s) => s.tests[system.id]);
  const entities = useApp((s) => s.entities[system.id]);
  const issues = useDraftIssues().systems[system.id] ?? [];
  const connector = connectors.find((c) => c.kind === system.kind);
  const fields = useMemo(() => configFields(connector?.configJsonSchema), [connector]);
  const nameId = useId();
  // Any REST API: the step-by-step builder writes auth and entities; their JSON is the advanced view.
  const rest = system.kind === 'rest';
  const builderOwned = (f: ConfigField) => rest && (f.name === 'auth' || f.name === 'entities');
  const required = fields.filter((f) => f.required && !builderOwned(f));
  const advanced = fields.filter((f) => !f.required || builderOwned(f));
  const restSecret = rest ? restSecretFor(system.config.auth) : null;
  const secretIsAdvanced = (f: { name: string; advanced?: boolean }) => (rest ? f.name !== restSecret : Boolean(f.advanced));
  const mainSecrets = connector?.secretFields.filter((f) => !secretIsAdvanced(f)) ?? [];
  const advancedSecrets = connector?.secretFields.filter(secretIsAdvanced) ?? [];
  const advancedIssues = advanced.some((f) => issuesAt(issues, `config.${f.name.split('.')[0]}`).length > 0);
  const input = (field: ConfigField) => (
    <ConfigInput
      key={`${system.id}:${field.name}`}
      field={field}
      value={configValue(system.config, field.name)}
      issues={issuesAt(issues, `config.${field.name}`)}
      listChoices={field.format === 'broker-choice' ? () => listChoices(system.id, field.name) : undefined}
      onChange={(value) => updateSystem(system.id, { config: withConfigValue(system.config, field.name, value) }, `config.${field.name}`)}
    />
  );

  return (
    <div className="inspector" data-testid="system-inspector">
      <div className="inspector__header">
        <div>
          <div className="inspector__eyebrow">{connector?.label ?? system.kind}</div>
          <h2 className="side-panel__title">{system.name}</h2>
        </div>
        <button type="button" className="button button--danger-quiet" onClick={() => removeElements({ systems: [system.id] })}>
          Delete system
        </button>
      </div>
      {!connector && <p className="issue-list__item">This workspace has no connector of kind “{system.kind}”: the system cannot run until one is installed.</p>}

      <div className="form-row">
        <label className="field-label" htmlFor={nameId}>
          Name
        </label>
        <input id={nameId} className="input" value={system.name} onChange={(e) => updateSystem(system.id, { name: e.target.value }, 'name')} aria-invalid={issuesAt(issues, 'name').length > 0} />
        <IssueList issues={issuesAt(issues, 'name')} />
      </div>

      <fieldset className="form-section">
        <legend>Connection</legend>
        {required.map(input)}
        {(mainSecrets.length > 0 || (rest && connector)) && <SecretFields system={system} fields={mainSecrets} showKeychainNote />}
        {rest && <RestBuilder system={system} />}
        {(advanced.length > 0 || advancedSecrets.length > 0) && (
          // Settings with a working default wait behind a toggle: a newcomer fills in what is asked and tests.
          <details className="advanced-settings" open={advancedIssues || undefined} data-testid="advanced-settings">
            <summary>Advanced settings</summary>
            {advanced.map(input)}
            {advancedSecrets.length > 0 && <SecretFields system={system} fields={advancedSecrets} showKeychainNote={false} />}
          </details>
        )}
        <div className="form-actions">
          <button type="button" className="button button--secondary" onClick={() => void testSystem(system.id)} disabled={test?.state === 'running'}>
            {test?.state === 'running' ? 'Testing…' : 'Test connection'}
          </button>
        </div>
        {test?.state === 'done' && (
          <div className={`test-result test-result--${test.result.ok ? 'ok' : 'failed'}`} role="status" data-testid="test-result">
            <strong>{test.result.ok ? 'Connected.' : 'Connection failed.'}</strong>{' '}
            {/* The failing check below already says it: the same sentence twice read as two problems. */}
            {test.result.checks.some((c) => c.message === test.result.message) ? null : test.result.message}
            {test.result.checks.length > 0 && (
              <ul className="test-result__checks">
                {test.result.checks.map((c) => (
                  <li key={c.name} className={c.ok ? 'check--ok' : 'check--failed'}>
                    <span aria-hidden="true">{c.ok ? '✓' : '✗'}</span> {c.name}: {c.message}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
      </fieldset>

      <section className="form-section" aria-labelledby={`${nameId}-entities`}>
        <div className="form-section__head">
          <h3 id={`${nameId}-entities`} className="form-section__title">
            Entities
          </h3>
          <button type="button" className="button button--small" onClick={() => void discover(system.id)} disabled={entities?.state === 'loading'}>
            {entities?.state === 'loading' ? 'Loading…' : entities ? 'Refresh' : 'Discover'}
          </button>
        </div>
        {entities?.state === 'error' && <p className="issue-list__item">{entities.message}</p>}
        {entities?.state === 'ok' && (
          <ul className="entity-list" data-testid="entity-list">
            {entities.result.entities.map((e) => (
              <li key={e.name}>
                <code>{e.name}</code> <span className="entity-list__meta">{e.fields.length} fields, key {e.keyField}</span>
              </li>
            ))}
          </ul>
        )}
        {!entities && <p className="form-row__hint">Fill in the connection, then discover the tables or objects this system offers.</p>}
      </section>

      <ConnectTo system={system} />
      <IssueList issues={issues.filter((i) => i.path === '' || i.path === 'id' || i.path === 'kind')} />
    </div>
  );
}

/** Write-only secret inputs: the value goes to the OS keychain and is never read back. */
function SecretFields({ system, fields, showKeychainNote }: { system: SystemNode; fields: ConnectorKindInfo['secretFields']; showKeychainNote: boolean }) {
  const setSecret = useApp((s) => s.setSecret);
  const secretStatus = useApp((s) => s.secretStatus);
  const keychain = useApp((s) => s.workspace?.keychain ?? null);
  const available = secretStatus?.available ?? keychain?.available ?? true;
  const message = secretStatus?.message ?? keychain?.message ?? '';
  return (
    <div className="secret-fields" data-testid="secret-fields">
      {!available && showKeychainNote && (
        <p className="keychain-note" role="status" data-testid="keychain-unavailable">
          <strong>Keychain unavailable:</strong> passwords cannot be saved on this computer right now.
          <details className="alert__details">
            <summary>Technical details</summary>
            {message}
          </details>
        </p>
      )}
      {fields.map((f) => (
        <SecretInput
          key={f.name}
          label={f.label}
          description={f.description}
          stored={Boolean(system.secretRefs[f.name] && secretStatus?.present[system.secretRefs[f.name]!])}
          source={(system.secretRefs[f.name] && secretStatus?.sources?.[system.secretRefs[f.name]!]) || null}
          disabled={!available}
          onStore={(v) => setSecret(system.id, f.name, v)}
        />
      ))}
    </div>
  );
}

/** Where a secret's value comes from, in the user's words (the runtime asks these sources in this order). */
const SOURCE_TEXT: Record<SecretSource, string> = {
  environment: '✓ Given by an environment variable (it wins over a stored value)',
  folder: '✓ Given by a file in the secrets folder',
  vault: '✓ Stored in the encrypted vault (never shown again)',
  keychain: '✓ Stored in the keychain (never shown again)',
};
type SecretSource = 'environment' | 'folder' | 'vault' | 'keychain';

function SecretInput({ label, description, stored, source, disabled, onStore }: { label: string; description?: string; stored: boolean; source: SecretSource | null; disabled: boolean; onStore(value: string): Promise<boolean> }) {
  const id = useId();
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const store = async () => {
    setBusy(true);
    // The typed value is dropped whatever happens: it lives only in the keychain.
    const ok = await onStore(value);
    setBusy(false);
    if (ok) setValue('');
  };
  return (
    <div className="form-row">
      <label className="field-label" htmlFor={id}>
        {label} <span className="field-label__hint">— stored in the OS keychain (or the encrypted vault on a server)</span>
      </label>
      <div className="secret-row">
        <input
          id={id}
          className="input"
          type="password"
          autoComplete="off"
          value={value}
          disabled={disabled}
          placeholder={stored ? '•••••••• (stored; type to replace)' : 'Not set'}
          onChange={(e) => setValue(e.target.value)}
          aria-describedby={`${id}-state`}
        />
        <button type="button" className="button button--secondary" disabled={disabled || busy || value.length === 0} onClick={() => void store()}>
          {busy ? 'Storing…' : 'Store'}
        </button>
      </div>
      <p id={`${id}-state`} className={`form-row__hint${stored ? ' secret-state--stored' : ''}`} data-testid="secret-state">
        {stored ? SOURCE_TEXT[source ?? 'keychain'] : 'Not stored yet'}
        {description ? ` · ${description}` : ''}
      </p>
    </div>
  );
}

/** The keyboard path to a new sync: pick the other system instead of drawing the edge. */
function ConnectTo({ system }: { system: SystemNode }) {
  const systems = useApp((s) => s.flow?.systems ?? []);
  const connect = useApp((s) => s.connect);
  const others = systems.filter((s) => s.id !== system.id);
  const [target, setTarget] = useState('');
  const id = useId();
  if (others.length === 0) return null;
  return (
    <div className="form-row">
      <label className="field-label" htmlFor={id}>
        Sync with another system
      </label>
      <div className="secret-row">
        <select id={id} className="select" value={target} onChange={(e) => setTarget(e.target.value)}>
          <option value="">Choose a system…</option>
          {others.map((o) => (
            <option key={o.id} value={o.id}>
              {o.name}
            </option>
          ))}
        </select>
        <button type="button" className="button button--secondary" disabled={!target} onClick={() => connect(system.id, target)}>
          Add sync
        </button>
      </div>
    </div>
  );
}
