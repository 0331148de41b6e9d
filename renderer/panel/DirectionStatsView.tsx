import type { DirectionStats } from '../../shared/api/contract.js';
import { formatAge, formatCount, formatLag, formatRate } from '../format/format-stats.js';
import { LiveValue } from './LiveValue.js';
import { TermHint } from '../glossary/TermHint.js';
import type { Term } from '../glossary/terms.js';

interface Props {
  from: string;
  to: string;
  stats: DirectionStats | null;
  now: number;
}

/** One running direction of a sync: lag percentiles first, then the counters. */
export function DirectionStatsView({ from, to, stats, now }: Props) {
  const key = stats?.direction ?? 'unknown';
  const headingId = `direction-${key}-heading`;
  const counters: [label: string, field: keyof DirectionStats, hint: string, term?: Term][] = [
    ['Applied', 'applied', 'Changes written to the target'],
    ['Errors', 'errors', 'Failed attempts, including ones that were retried'],
    ['Conflicts', 'conflicts', 'Concurrent edits sent to review'],
    ['Echoes suppressed', 'echoesSuppressed', 'Changes the sync itself wrote, dropped to prevent loops', 'echoes'],
    ['Ownership violations', 'ownershipViolations', 'Changes to a field by a system that does not own it', 'ownership'],
    ['Tombstones', 'tombstones', 'Deletes remembered so a late poll or echo cannot bring the record back'],
    ['DLQ depth', 'dlqDepth', 'Events waiting in the dead-letter queue', 'dlq'],
    ['Pending in the inbox', 'pending', 'Captured events not yet applied', 'inbox'],
  ];

  return (
    <section className="direction-stats" aria-labelledby={headingId} data-testid={`direction-${key}`}>
      <h3 id={headingId} className="direction-stats__title">
        {from} → {to}
      </h3>
      <div className="lag-grid" role="group" aria-label="Lag percentiles">
        {(['p50', 'p95', 'p99'] as const).map((p) => (
          <div key={p} className="lag-grid__cell">
            <div className="lag-grid__label">Lag {p}</div>
            <div className="lag-grid__value">
              <LiveValue text={formatLag(stats?.lagMs[p])} testId={`stat-${key}-lag-${p}`} />
            </div>
          </div>
        ))}
      </div>
      <TermHint term="lagP99" />
      <dl className="stat-list">
        <div className="stat-list__row">
          <dt>Events/s</dt>
          <dd>
            <LiveValue text={formatRate(stats?.eventsPerSec)} testId={`stat-${key}-eventsPerSec`} />
          </dd>
        </div>
        {counters.map(([label, field, hint, term]) => {
          const value = stats ? (stats[field] as number) : null;
          const alarming = (field === 'errors' || field === 'dlqDepth' || field === 'conflicts') && (value ?? 0) > 0;
          return (
            <div key={field} className={`stat-list__row${alarming ? ' stat-list__row--alert' : ''}`} title={hint}>
              <dt>
                {label}
                {term && <TermHint term={term} />}
              </dt>
              <dd>
                <LiveValue text={formatCount(value)} testId={`stat-${key}-${field}`} />
              </dd>
            </div>
          );
        })}
      </dl>
      <p className="direction-stats__foot">Last applied {formatAge(stats?.lastAppliedAt, now)}</p>
    </section>
  );
}
