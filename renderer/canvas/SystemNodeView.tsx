import { Handle, Position, type NodeProps } from '@xyflow/react';
import type { CaptureHealth, SystemFlowNode } from './flow-graph.js';

const CAPTURE_LABEL: Record<CaptureHealth, string> = {
  capturing: 'Capturing',
  starting: 'Starting capture…',
  stopped: 'Not capturing',
  error: 'Capture error',
  unknown: 'Status unknown',
};

const SIDES = [
  ['left', Position.Left],
  ['right', Position.Right],
  ['top', Position.Top],
  ['bottom', Position.Bottom],
] as const;

export function SystemNodeView({ data }: NodeProps<SystemFlowNode>) {
  return (
    <div className={`system-node system-node--${data.capture}`} data-testid="system-node">
      {SIDES.map(([side, position]) => (
        <Handle key={`out-${side}`} id={`out-${side}`} type="source" position={position} isConnectable={false} className="system-node__handle" />
      ))}
      {SIDES.map(([side, position]) => (
        <Handle key={`in-${side}`} id={`in-${side}`} type="target" position={position} isConnectable={false} className="system-node__handle" />
      ))}
      <div className="system-node__kind">{data.kindLabel}</div>
      <div className="system-node__name">{data.name}</div>
      <div className="system-node__capture" title={data.captureError ?? undefined}>
        <span className="status-dot" aria-hidden="true" />
        {CAPTURE_LABEL[data.capture]}
      </div>
      {data.captureError && <div className="system-node__error">{data.captureError}</div>}
    </div>
  );
}
