import { useEffect, useId, useState } from 'react';
import { contractOf, contractProblems } from '../../shared/ai/contract.js';
import { feedProblems, feedSide } from '../../shared/ai/feed-policy.js';
import { suggestClass } from '../../shared/ai/suggest-class.js';
import type { SyncEdge } from '../../shared/flow/schema.js';
import { errorMessage } from '../api/api-call-error.js';
import { useApp } from '../state/store-context.js';

/**
 * The AI-feed policy of an edge (docs/ai-feeds.md): the switch, what still blocks go-live, suggested
 * classes for the user to confirm, and the schema contract (generated, or edited and stored).
 */
export function AiFeedSection({ sync, onChange }: { sync: SyncEdge; onChange(patch: Partial<SyncEdge>, group?: string): void }) {
  const id = useId();
  const generated = JSON.stringify(contractOf(sync), null, 2);
  const [text, setText] = useState(generated);
  const [error, setError] = useState<string | null>(null);
  const [suggested, setSuggested] = useState<string | null>(null);
  const suggestClasses = useApp((s) => s.suggestClasses);
  // The generated contract follows the mapping until the user edits it.
  useEffect(() => {
    if (!sync.aiFeed?.contract) setText(generated);
  }, [generated, sync.aiFeed?.contract]);

  const problems = feedProblems(sync);
  const { source } = feedSide(sync);
  const unclassified = sync.fields.filter((m) => !m.class);
  // From names and sample values read from the source; from names alone when it cannot be read.
  const suggest = async () => {
    try {
      setSuggested(await suggestClasses(sync.id));
    } catch (e) {
      onChange({
        fields: sync.fields.map((m) => {
          if (m.class) return m;
          const s = suggestClass(m[source], []);
          return s ? { ...m, class: s.class } : m;
        }),
      });
      setSuggested(`suggested from the names only (the samples could not be read: ${errorMessage(e)})`);
    }
  };

  return (
    <fieldset className="form-section" data-testid="ai-feed-section">
      <legend>AI feed</legend>
      <label className="checkbox-row">
        <input type="checkbox" className="checkbox" data-testid="ai-feed-toggle" checked={Boolean(sync.aiFeed)} onChange={(e) => onChange({ aiFeed: e.target.checked ? {} : undefined })} />
        This edge feeds an AI tool: every field classified, sensitive ones masked, every record checked before it is sent
      </label>
      {sync.aiFeed && (
        <>
          <div className="form-actions">
            <button type="button" className="button button--secondary" disabled={unclassified.length === 0} onClick={() => void suggest()} title="Classes from field names and sample values; check each before going live">
              Suggest classes{unclassified.length ? ` (${unclassified.length} unclassified)` : ''}
            </button>
          </div>
          {suggested && (
            <p className="form-row__hint" role="status" data-testid="ai-feed-suggested">
              {suggested}
            </p>
          )}
          {problems.length > 0 ? (
            <ul className="issue-list" role="list" data-testid="ai-feed-problems" aria-label="What blocks this AI feed from going live">
              {problems.map((p) => (
                <li key={p.message} className="issue-list__item">
                  {p.message}
                </li>
              ))}
            </ul>
          ) : (
            <p className="form-row__hint" data-testid="ai-feed-ready">
              Every field is classified and every sensitive one masked.
            </p>
          )}
          <details className="alert__details">
            <summary>Schema contract (JSON Schema){sync.aiFeed.contract ? ' — edited' : ' — generated from the mapping'}</summary>
            <textarea
              id={`${id}-contract`}
              className="input input--code"
              rows={12}
              aria-label="Schema contract"
              value={text}
              onChange={(e) => {
                setText(e.target.value);
                let parsed: unknown;
                try {
                  parsed = JSON.parse(e.target.value);
                } catch (err) {
                  setError(`not JSON: ${(err as Error).message}`);
                  return;
                }
                const bad = contractProblems(parsed);
                setError(bad.length ? bad.join('; ') : null);
                if (bad.length === 0) onChange({ aiFeed: { contract: parsed as Record<string, unknown> } }, 'contract');
              }}
            />
            {error && <p className="issue-list__item">{error}</p>}
            {sync.aiFeed.contract && (
              <button type="button" className="button button--small" onClick={() => onChange({ aiFeed: {} })}>
                Use the generated contract
              </button>
            )}
          </details>
        </>
      )}
    </fieldset>
  );
}
