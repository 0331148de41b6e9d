import { memo } from 'react';
import { BaseEdge, EdgeLabelRenderer, type EdgeProps } from '@xyflow/react';
import { formatCount, formatLag } from '../format/format-stats.js';
import { directionArrow, directionKeyArrow, HEALTH_LABEL } from '../format/sync-labels.js';
import { useAppStore } from '../state/store-context.js';
import { labelOffset, offsetEdgePath } from './edge-path.js';
import type { SyncFlowEdge } from './flow-graph.js';
import { openOperations } from '../ops/ops-store.js';
import { UnreachableNote } from '../status/UnreachableNote.js';

function SyncEdgeViewImpl({ id, sourceX, sourceY, targetX, targetY, data, selected }: EdgeProps<SyncFlowEdge>) {
  // The store itself, not a subscription: 300 edges must not re-run a selector on every store change.
  const store = useAppStore();
  if (!data) return null;
  const { path, labelX, labelY } = offsetEdgePath(sourceX, sourceY, targetX, targetY, data.offset);
  const markerId = `sync-arrow-${id}`;
  const marker = `url(#${markerId})`;
  const towardsB = data.direction !== 'b-to-a';
  const towardsA = data.direction !== 'a-to-b';
  // A straight edge's label sits between the two boxes: never wider than the gap, so it does not cover the target.
  const gap = Math.abs(targetX - sourceX) >= Math.abs(targetY - sourceY) ? Math.abs(targetX - sourceX) - 16 : Infinity;
  const maxWidth = data.offset === 0 && Number.isFinite(gap) ? Math.max(150, gap) : 280;

  return (
    <g className={`sync-edge sync-edge--${data.health}${selected ? ' sync-edge--selected' : ''}${data.enabled ? '' : ' sync-edge--disabled'}`}>
      <defs>
        {/* Defined inside the edge so the arrow takes the edge's health colour from CSS. */}
        <marker id={markerId} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="14" markerHeight="14" markerUnits="userSpaceOnUse" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" className="sync-edge__arrow" />
        </marker>
      </defs>
      <BaseEdge id={id} path={path} className="sync-edge__path" markerEnd={towardsB ? marker : undefined} markerStart={towardsA ? marker : undefined} interactionWidth={24} />
      <EdgeLabelRenderer>
        <button
          type="button"
          className={`sync-label sync-label--${data.health}${selected ? ' sync-label--selected' : ''}${data.issueCount ? ' sync-label--invalid' : ''} nodrag nopan`}
          style={{ transform: `translate(${labelX}px, ${labelY}px) ${labelOffset(sourceX, sourceY, targetX, targetY, labelX, labelY)}`, maxWidth }}
          onClick={() => store.getState().selectSync(id)}
          aria-pressed={selected}
          data-testid={`edge-label-${id}`}
        >
          <span className="sync-label__head">
            <span className="sync-label__arrow" aria-hidden="true">
              {directionArrow(data.direction)}
            </span>
            <span className="sync-label__title" title={data.title}>{data.title}</span>
            {/* The button's name is its visible text with these words added, never a different text (axe: label-content-name-mismatch). */}
            <span className="visually-hidden">
              : {data.aName} {directionArrow(data.direction)} {data.bName}, {HEALTH_LABEL[data.health]},
            </span>
            <span className={`tier-badge tier-badge--${data.tier}`}>{data.tier}</span>
            {data.issueCount > 0 && (
              <span className="issue-badge" title="This sync has problems to fix: open its settings">
                {data.issueCount}
              </span>
            )}
          </span>
          {data.owners && (
            <span className="sync-label__owners" data-testid={`edge-owners-${id}`} title="Which system is the truth for how many of the mapped fields">
              {data.owners}
            </span>
          )}
          <span className="sync-label__stats">
            {data.lags.map((lag) => (
              <span key={lag.direction} className="sync-label__lag" title={`Lag p50, ${lag.direction === 'a-to-b' ? `${data.aName} to ${data.bName}` : `${data.bName} to ${data.aName}`}`}>
                <span aria-hidden="true">{directionKeyArrow(lag.direction)}</span>{' '}
                <span data-testid={`edge-lag-${id}-${lag.direction}`}>{formatLag(lag.lagP50)}</span>
              </span>
            ))}
            <span
              className={`sync-label__dlq${data.dlqDepth ? ' sync-label__dlq--nonzero' : ''}`}
              data-testid={`edge-dlq-${id}`}
              title="Open the dead-letter queue of this edge"
              onClick={(e) => {
                // The badge opens the DLQ inspector on this edge instead of only selecting it.
                e.stopPropagation();
                store.getState().selectSync(id);
                openOperations('dlq', { syncId: id });
              }}
            >
              DLQ {formatCount(data.dlqDepth)}
            </span>
          </span>
          <UnreachableNote outages={data.unreachable} className="sync-label__unreachable" testId={`edge-unreachable-${id}`} />
          <span className="visually-hidden">. Show details</span>
        </button>
      </EdgeLabelRenderer>
    </g>
  );
}

export const SyncEdgeView = memo(SyncEdgeViewImpl);
