import { Handle, Position, useConnection, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { CaptureHealth, SystemFlowNode } from './flow-graph.js';

const CAPTURE_LABEL: Record<CaptureHealth, string> = {
  capturing: 'Capturing',
  starting: 'Starting capture…',
  stopped: 'Not capturing',
  error: 'Capture error',
  unreachable: 'Unreachable, retrying',
  unknown: 'Not running yet',
};

const SIDES = [
  ['left', Position.Left],
  ['right', Position.Right],
  ['top', Position.Top],
  ['bottom', Position.Bottom],
] as const;

const MAX_ENTITIES = 4;

function SystemNodeViewImpl({ id, data, selected }: NodeProps<SystemFlowNode>) {
  const extra = data.entities.length - MAX_ENTITIES;
  // Only a change of this boolean re-renders the node, not every pointer move of a drag.
  const dropTarget = useConnection((c) => c.inProgress && c.fromNode.id !== id);
  return (
    <div className={`system-node system-node--${data.capture}${selected ? ' system-node--selected' : ''}${data.issueCount ? ' system-node--invalid' : ''}${dropTarget ? ' system-node--drop-target' : ''}`} data-testid="system-node">
      {/* The whole node is a drop target while an edge is being drawn (letting go anywhere on it connects);
          it takes no pointer events otherwise, so clicks and drags reach the node. */}
      <Handle id="in-body" type="target" position={Position.Left} isConnectableStart={false} className="system-node__body-target" />
      {/* Targets first so the source handles, which start a new edge, sit on top. */}
      {SIDES.map(([side, position]) => (
        <Handle key={`in-${side}`} id={`in-${side}`} type="target" position={position} isConnectableStart={false} className="system-node__handle system-node__handle--in" />
      ))}
      {SIDES.map(([side, position]) => (
        <Handle key={`out-${side}`} id={`out-${side}`} type="source" position={position} className={`system-node__handle system-node__handle--out system-node__handle--${side}`} title="Drag to another system to add a sync" />
      ))}
      <div className="system-node__top">
        <span className="system-node__kind">{data.kindLabel}</span>
        {data.issueCount > 0 && (
          <span className="issue-badge" title={`${data.issueCount} problem${data.issueCount === 1 ? '' : 's'} to fix: select the system to see them`}>
            {data.issueCount}
          </span>
        )}
      </div>
      <div className="system-node__name">{data.name}</div>
      {data.entities.length > 0 && (
        <ul className="system-node__entities" aria-label="Entities">
          {data.entities.slice(0, MAX_ENTITIES).map((e) => (
            <li key={e}>{e}</li>
          ))}
          {extra > 0 && <li className="system-node__more">+{extra}</li>}
        </ul>
      )}
      <div className="system-node__capture" title={data.captureError ?? undefined}>
        <span className="status-dot" aria-hidden="true" />
        {CAPTURE_LABEL[data.capture]}
      </div>
      {data.captureError && <div className="system-node__error">{data.captureError}</div>}
    </div>
  );
}

export const SystemNodeView = memo(SystemNodeViewImpl);
