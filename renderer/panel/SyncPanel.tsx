import type { DirectionStats } from '../../shared/api/contract.js';
import { formatAge, formatDuration } from '../format/format-stats.js';
import { directionArrow, directionLabel, directionsOf, HEALTH_LABEL, syncTitle, tierDetail } from '../format/sync-labels.js';
import { edgeHealth } from '../canvas/flow-graph.js';
import { selectedFlowStatus } from '../state/app-store.js';
import { useApp } from '../state/store-context.js';
import { useNow } from '../state/use-now.js';
import { DirectionStatsView } from './DirectionStatsView.js';
import { EdgeOperationsBar } from '../ops/EdgeOperationsBar.js';
import { UnreachableNote } from '../status/UnreachableNote.js';
import { ExplanationsToggle } from '../glossary/TermHint.js';

/** The selected edge (the first one until the user picks another) with live per-direction stats. */
export function SyncPanel() {
  const flow = useApp((s) => s.flow);
  const status = useApp(selectedFlowStatus);
  const selectedSyncId = useApp((s) => s.selectedSyncId);
  const selectSync = useApp((s) => s.selectSync);
  const statusAt = useApp((s) => s.statusAt);
  const statusError = useApp((s) => s.statusError);
  const now = useNow(1000);

  if (!flow) return null;
  const sync = flow.syncs.find((s) => s.id === selectedSyncId) ?? flow.syncs[0];
  if (!sync) return <p className="side-panel__empty">This flow has no syncs yet. Draw an edge between two systems to add one.</p>;

  const systemName = (id: string) => flow.systems.find((s) => s.id === id)?.name ?? id;
  const aName = systemName(sync.a.system);
  const bName = systemName(sync.b.system);
  const syncStatus = status?.syncs.find((s) => s.syncId === sync.id);
  const health = edgeHealth(sync, syncStatus, status);
  const statsFor = (d: DirectionStats['direction']) => syncStatus?.directions.find((x) => x.direction === d) ?? null;

  return (
    <section className="side-panel__section" aria-labelledby="sync-panel-title" data-testid="sync-panel">
      <div className="side-panel__header">
        <h2 id="sync-panel-title" className="side-panel__title">
          {syncTitle(sync)}
        </h2>
        <span className={`pill pill--health-${health}`} data-testid="sync-health">
          <span className="pill__dot" aria-hidden="true" />
          {HEALTH_LABEL[health]}
        </span>
      </div>

      {flow.syncs.length > 1 && (
        <div className="side-panel__field">
          <label className="field-label" htmlFor="sync-select">
            Sync
          </label>
          <select id="sync-select" className="select" value={sync.id} onChange={(e) => selectSync(e.target.value)}>
            {flow.syncs.map((s) => (
              <option key={s.id} value={s.id}>
                {syncTitle(s)}
              </option>
            ))}
          </select>
        </div>
      )}

      <dl className="sync-facts">
        <div>
          <dt>Systems</dt>
          <dd>
            {aName} <span className="sync-facts__entity">{sync.a.entity}</span> {directionArrow(sync.direction)} {bName}{' '}
            <span className="sync-facts__entity">{sync.b.entity}</span>
          </dd>
        </div>
        <div>
          <dt>Runs</dt>
          <dd>
            {directionLabel(sync.direction)}, {tierDetail(sync.latency)}
            {sync.enabled ? '' : ' (disabled)'}
          </dd>
        </div>
        <div title="How long a delete is remembered so that no poll or late echo brings the record back">
          <dt>Deletes</dt>
          <dd>
            remembered for <span data-testid="tombstone-ttl">{syncStatus ? formatDuration(syncStatus.tombstoneTtlMs) : '—'}</span>
          </dd>
        </div>
      </dl>

      {health === 'unreachable' && (
        <p className="sync-unreachable">
          <UnreachableNote outages={syncStatus?.unreachable ?? []} detail className="sync-unreachable__note" testId="sync-unreachable" />
          <span className="sync-unreachable__hint">Changes wait in the inbox and apply by themselves once it answers; nothing goes to the DLQ for this.</span>
        </p>
      )}

      <EdgeOperationsBar syncId={sync.id} />
      <div className="side-panel__explain">
        <ExplanationsToggle />
      </div>

      {directionsOf(sync.direction).map((d) => (
        <DirectionStatsView key={d} from={d === 'a-to-b' ? aName : bName} to={d === 'a-to-b' ? bName : aName} stats={statsFor(d)} now={now} />
      ))}

      {syncStatus && syncStatus.unknownFields.length > 0 && (
        <section className="unknown-fields" aria-labelledby="unknown-fields-title">
          <h3 id="unknown-fields-title" className="direction-stats__title">
            Unknown fields (ignored)
          </h3>
          <ul>
            {syncStatus.unknownFields.map((f) => (
              <li key={`${f.system}.${f.field}`}>
                <code>{f.field}</code> from {systemName(f.system)}: seen {f.count}×, first {formatAge(f.firstSeen, now)}
              </li>
            ))}
          </ul>
        </section>
      )}

      <p className="side-panel__foot" aria-live="off">
        {statusError ? (
          <span className="text-error">Live status unavailable: {statusError}</span>
        ) : statusAt ? (
          <>Updated {formatAge(statusAt, now)}</>
        ) : (
          'Waiting for status…'
        )}
      </p>
    </section>
  );
}
