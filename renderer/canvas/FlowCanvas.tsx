import {
  applyNodeChanges,
  Background,
  ConnectionMode,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type Connection,
  type EdgeChange,
  type EdgeTypes,
  type NodeChange,
  type NodeTypes,
  type OnSelectionChangeParams,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { selectedFlowStatus } from '../state/app-store.js';
import { useApp } from '../state/store-context.js';
import { useDraftIssues } from '../state/use-draft-issues.js';
import { CanvasToolbar } from './CanvasToolbar.js';
import { buildFlowGraph, type SyncFlowEdge, type SystemFlowNode } from './flow-graph.js';
import { PALETTE_MIME } from './palette-drag.js';
import { reuseUnchanged } from './stable-elements.js';
import { SyncEdgeView } from './SyncEdgeView.js';
import { SystemNodeView } from './SystemNodeView.js';

const nodeTypes: NodeTypes = { system: SystemNodeView };
const edgeTypes: EdgeTypes = { sync: SyncEdgeView };
// Half a node, so a dropped system lands centred under the pointer.
const DROP_OFFSET = { x: 100, y: 45 };

export function FlowCanvas() {
  const flow = useApp((s) => s.flow);
  const flowError = useApp((s) => s.flowError);
  if (flowError) {
    return (
      <div className="canvas-message canvas-message--error" role="alert">
        <strong>Could not open this flow.</strong> {flowError}
      </div>
    );
  }
  if (!flow) return <div className="canvas-message">Loading flow…</div>;
  return <EditableCanvas key={flow.id} />;
}

function EditableCanvas() {
  const flow = useApp((s) => s.flow)!;
  const status = useApp(selectedFlowStatus);
  const selectedSyncId = useApp((s) => s.selectedSyncId);
  const selectedSystemIds = useApp((s) => s.selectedSystemIds);
  const storeSelection = useMemo(() => new Set(selectedSystemIds), [selectedSystemIds]);
  const kindLabels = useApp((s) => s.kindLabels);
  const entities = useApp((s) => s.entities);
  const connectHint = useApp((s) => s.connectHint);
  const selectSync = useApp((s) => s.selectSync);
  const selectSystem = useApp((s) => s.selectSystem);
  const setCanvasSelection = useApp((s) => s.setCanvasSelection);
  const moveSystems = useApp((s) => s.moveSystems);
  const connect = useApp((s) => s.connect);
  const addSystem = useApp((s) => s.addSystem);
  const removeElements = useApp((s) => s.removeElements);
  const clearConnectHint = useApp((s) => s.clearConnectHint);
  const lastSelection = useRef('');
  // Fit an opened flow once; a new flow's first dropped system must stay where it was dropped.
  const [fitOnOpen] = useState(() => flow.systems.length > 0);
  const issues = useDraftIssues();
  const { screenToFlowPosition } = useReactFlow();

  const discovered = useMemo(() => {
    const out: Record<string, string[]> = {};
    for (const [id, e] of Object.entries(entities)) if (e.state === 'ok') out[id] = e.result.entities.map((x) => x.name);
    return out;
  }, [entities]);
  const issueCounts = useMemo(
    () => ({
      systems: Object.fromEntries(Object.entries(issues.systems).map(([k, v]) => [k, v.length])),
      syncs: Object.fromEntries(Object.entries(issues.syncs).map(([k, v]) => [k, v.length])),
    }),
    [issues],
  );
  const built = useMemo(
    // Node selection lives in React Flow's local nodes (see below), so selecting does not rebuild the graph.
    () => buildFlowGraph(flow, status, { selectedSyncId, kindLabels, discovered, issueCounts }),
    [flow, status, selectedSyncId, kindLabels, discovered, issueCounts],
  );
  // Only what changed since the last build gets a new object (and so a re-render).
  const previous = useRef(built);
  const graph = useMemo(() => {
    const next = { nodes: reuseUnchanged(previous.current.nodes, built.nodes), edges: reuseUnchanged(previous.current.edges, built.edges) };
    previous.current = next;
    return next;
  }, [built]);

  // React Flow moves nodes locally while dragging (only the dragged node re-renders); the document
  // gets the new position once, on drop, as one undo step.
  const [nodes, setNodes] = useState<SystemFlowNode[]>(graph.nodes);
  useEffect(() => {
    // A status push during a drag must not snap the dragged node back to its stored position.
    setNodes((current) => {
      if (current === graph.nodes) return current;
      // Keep what React Flow holds locally: the selection, and the position of a node being dragged.
      const local = new Map(current.filter((n) => n.dragging || n.selected).map((n) => [n.id, n]));
      if (local.size === 0) return graph.nodes;
      return graph.nodes.map((n) => {
        const l = local.get(n.id);
        if (!l) return n;
        return l.dragging ? { ...n, position: l.position, dragging: true, selected: l.selected } : { ...n, selected: true };
      });
    });
  }, [graph.nodes]);

  // A selection the store makes (a dropped or pasted system, a delete) shows on the canvas.
  useEffect(() => {
    setNodes((current) => {
      let changed = false;
      const next = current.map((n) => {
        const selected = storeSelection.has(n.id);
        if (Boolean(n.selected) === selected) return n;
        changed = true;
        return { ...n, selected };
      });
      return changed ? next : current;
    });
  }, [storeSelection]);

  const onNodesChange = useCallback((changes: NodeChange<SystemFlowNode>[]) => {
    setNodes((current) => applyNodeChanges(changes, current));
  }, []);

  const onNodeDragStop = useCallback(
    (_: unknown, _node: SystemFlowNode, dragged: SystemFlowNode[]) => {
      moveSystems(new Map(dragged.map((n) => [n.id, n.position])));
    },
    [moveSystems],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange<SyncFlowEdge>[]) => {
      for (const change of changes) if (change.type === 'select' && change.selected) selectSync(change.id);
    },
    [selectSync],
  );

  const onSelectionChange = useCallback(
    ({ nodes: selected }: OnSelectionChangeParams<SystemFlowNode, SyncFlowEdge>) => {
      const ids = selected.map((n) => n.id);
      // React Flow reports the same selection repeatedly; only a change goes to the store.
      if (ids.join('\u0000') === lastSelection.current) return;
      lastSelection.current = ids.join('\u0000');
      setCanvasSelection(ids);
    },
    [setCanvasSelection],
  );

  const onConnect = useCallback((c: Connection) => void connect(c.source, c.target), [connect]);

  const onDragOver = useCallback((event: DragEvent) => {
    if (!event.dataTransfer.types.includes(PALETTE_MIME)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  }, []);

  const onDrop = useCallback(
    (event: DragEvent) => {
      const kind = event.dataTransfer.getData(PALETTE_MIME);
      if (!kind) return;
      event.preventDefault();
      const p = screenToFlowPosition({ x: event.clientX, y: event.clientY });
      addSystem(kind, { x: p.x - DROP_OFFSET.x, y: p.y - DROP_OFFSET.y });
    },
    [addSystem, screenToFlowPosition],
  );

  return (
    <div className="canvas-wrap" onDragOver={onDragOver} onDrop={onDrop} data-testid="canvas-drop-zone">
      <CanvasToolbar />
      {flow.systems.length === 0 && (
        <div className="canvas-empty" role="note">
          <strong>Drag a system from the palette onto the canvas</strong>
          <span>Then drag from one system&rsquo;s edge handle to another to sync them.</span>
        </div>
      )}
      {connectHint && (
        <div className="canvas-hint" role="status">
          {connectHint}
          <button type="button" className="alert__close" onClick={clearConnectHint} aria-label="Dismiss hint">
            ×
          </button>
        </div>
      )}
      <ReactFlow<SystemFlowNode, SyncFlowEdge>
        nodes={nodes}
        edges={graph.edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onNodeDragStop={onNodeDragStop}
        onSelectionChange={onSelectionChange}
        onNodesDelete={(deleted) => removeElements({ systems: deleted.map((n) => n.id) })}
        onEdgesDelete={(deleted) => removeElements({ syncs: deleted.map((e) => e.id) })}
        onEdgeClick={(_, edge) => selectSync(edge.id)}
        onPaneClick={() => selectSystem(null)}
        onConnect={onConnect}
        connectionMode={ConnectionMode.Loose}
        connectionRadius={60}
        deleteKeyCode={['Delete', 'Backspace']}
        edgesFocusable={false}
        nodesFocusable
        onlyRenderVisibleElements
        fitView={fitOnOpen}
        fitViewOptions={{ padding: 0.25, maxZoom: 1.1 }}
        minZoom={0.1}
        maxZoom={2}
        aria-label={`Canvas of flow ${flow.name}`}
      >
        <Background gap={20} size={1} />
        <Controls showInteractive={false} position="bottom-left" />
        {flow.systems.length > 0 && <MiniMap position="bottom-right" pannable zoomable ariaLabel="Minimap of the flow" nodeBorderRadius={8} nodeColor="#c7d2e4" maskColor="rgb(245 246 248 / 0.7)" style={{ width: 160, height: 110 }} />}
      </ReactFlow>
    </div>
  );
}
