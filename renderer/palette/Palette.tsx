import { useReactFlow } from '@xyflow/react';
import type { DragEvent } from 'react';
import { PALETTE_MIME } from '../canvas/palette-drag.js';
import { useApp } from '../state/store-context.js';

const KIND_ICON: Record<string, string> = { sqlite: 'DB', postgres: 'PG', webhook: 'WH', rest: 'API', hubspot: 'HS', stripe: 'ST', zendesk: 'ZD', shopify: 'SH', nats: 'NATS', 'redis-streams': 'RS', rabbitmq: 'MQ' };

/** Connector kinds to drag onto the canvas; Enter or a click adds one in the middle of the view. */
export function Palette() {
  const connectors = useApp((s) => s.connectors);
  const addSystem = useApp((s) => s.addSystem);
  const hasFlow = useApp((s) => s.flow !== null);
  const { screenToFlowPosition } = useReactFlow();

  const addAtCentre = (kind: string) => {
    const pane = document.querySelector('.react-flow')?.getBoundingClientRect();
    const p = pane ? screenToFlowPosition({ x: pane.left + pane.width / 2, y: pane.top + pane.height / 2 }) : { x: 0, y: 0 };
    addSystem(kind, { x: p.x - 100, y: p.y - 45 });
  };

  const onDragStart = (event: DragEvent, kind: string) => {
    event.dataTransfer.setData(PALETTE_MIME, kind);
    event.dataTransfer.effectAllowed = 'copy';
  };

  return (
    <nav className="palette" aria-labelledby="palette-title">
      <h2 id="palette-title" className="palette__title">
        Systems
      </h2>
      <p className="palette__hint">Drag onto the canvas</p>
      {connectors.length === 0 && <p className="palette__hint">No connectors available.</p>}
      <ul className="palette__list">
        {connectors.map((c) => (
          <li key={c.kind}>
            <button
              type="button"
              className="palette-item"
              draggable={hasFlow}
              disabled={!hasFlow}
              onDragStart={(e) => onDragStart(e, c.kind)}
              onClick={() => addAtCentre(c.kind)}
              title={c.description}
              data-testid={`palette-${c.kind}`}
            >
              <span className={`palette-item__icon palette-item__icon--${c.kind}`} aria-hidden="true">
                {KIND_ICON[c.kind] ?? c.kind.slice(0, 2).toUpperCase()}
              </span>
              {/* The name is the visible text with a hidden verb, so speech input ("click SQLite database") finds it. */}
              <span className="visually-hidden">Add </span>
              <span className="palette-item__label">{c.label}</span>
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
