import { Background, Controls, ReactFlow, type EdgeChange, type EdgeTypes, type NodeTypes } from '@xyflow/react';
import { useCallback, useMemo } from 'react';
import { selectedFlowStatus } from '../state/app-store.js';
import { useApp } from '../state/store-context.js';
import { buildFlowGraph, type SyncFlowEdge, type SystemFlowNode } from './flow-graph.js';
import { SyncEdgeView } from './SyncEdgeView.js';
import { SystemNodeView } from './SystemNodeView.js';

const nodeTypes: NodeTypes = { system: SystemNodeView };
const edgeTypes: EdgeTypes = { sync: SyncEdgeView };

export function FlowCanvas() {
  const flow = useApp((s) => s.flow);
  const flowError = useApp((s) => s.flowError);
  const status = useApp(selectedFlowStatus);
  const selectedSyncId = useApp((s) => s.selectedSyncId);
  const kindLabels = useApp((s) => s.kindLabels);
  const selectSync = useApp((s) => s.selectSync);

  const graph = useMemo(() => (flow ? buildFlowGraph(flow, status, { selectedSyncId, kindLabels }) : null), [flow, status, selectedSyncId, kindLabels]);

  // Edges are reached by keyboard through their label buttons (one tab stop, visible focus); a
  // selection React Flow makes itself (e.g. a click on the line) arrives as a change.
  const onEdgesChange = useCallback(
    (changes: EdgeChange<SyncFlowEdge>[]) => {
      for (const change of changes) if (change.type === 'select' && change.selected) selectSync(change.id);
    },
    [selectSync],
  );

  if (flowError) {
    return (
      <div className="canvas-message canvas-message--error" role="alert">
        <strong>Could not open this flow.</strong> {flowError}
      </div>
    );
  }
  if (!flow || !graph) return <div className="canvas-message">Loading flow…</div>;
  if (flow.systems.length === 0) {
    return <div className="canvas-message">This flow has no systems yet.</div>;
  }

  return (
    <ReactFlow<SystemFlowNode, SyncFlowEdge>
      key={flow.id}
      nodes={graph.nodes}
      edges={graph.edges}
      nodeTypes={nodeTypes}
      edgeTypes={edgeTypes}
      onEdgesChange={onEdgesChange}
      onEdgeClick={(_, edge) => selectSync(edge.id)}
      nodesDraggable={false}
      nodesConnectable={false}
      edgesFocusable={false}
      nodesFocusable
      fitView
      fitViewOptions={{ padding: 0.25, maxZoom: 1.1 }}
      minZoom={0.3}
      maxZoom={2}
      aria-label={`Canvas of flow ${flow.name}`}
    >
      <Background gap={20} size={1} />
      <Controls showInteractive={false} position="bottom-left" />
    </ReactFlow>
  );
}
