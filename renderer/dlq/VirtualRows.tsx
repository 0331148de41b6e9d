import { useEffect, useRef, useState, type ReactNode } from 'react';
import { visibleRows } from './windowing.js';

/** A fixed-row-height list that renders only the rows on screen; tells its owner which rows those are. */
export function VirtualRows({ total, rowHeight, render, onRange, label }: { total: number; rowHeight: number; render: (index: number) => ReactNode; onRange: (start: number, end: number) => void; label: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(400);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => setHeight(el.clientHeight || 400);
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const win = visibleRows(scrollTop, height, rowHeight, total);
  useEffect(() => onRange(win.start, win.end), [win.start, win.end, onRange]);

  const rows: ReactNode[] = [];
  for (let i = win.start; i < win.end; i++) rows.push(render(i));
  return (
    <div ref={ref} className="vrows" role="rowgroup" aria-label={label} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
      <div className="vrows__spacer" style={{ height: win.height }}>
        <div className="vrows__window" style={{ transform: `translateY(${win.offsetY}px)` }}>
          {rows}
        </div>
      </div>
    </div>
  );
}
