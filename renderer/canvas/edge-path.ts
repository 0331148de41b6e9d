/**
 * A straight edge, or a gentle quadratic curve bent sideways by `offset` px so parallel edges
 * between the same two systems stay apart. Returns the SVG path and where the label sits
 * (the curve's midpoint, not the control point).
 */
export function offsetEdgePath(
  sx: number,
  sy: number,
  tx: number,
  ty: number,
  offset: number,
): { path: string; labelX: number; labelY: number } {
  const mx = (sx + tx) / 2;
  const my = (sy + ty) / 2;
  if (offset === 0) return { path: `M ${sx},${sy} L ${tx},${ty}`, labelX: mx, labelY: my };
  const dx = tx - sx;
  const dy = ty - sy;
  const length = Math.hypot(dx, dy) || 1;
  // Unit normal to the source→target line; the control point sits at twice the wanted bulge,
  // since a quadratic curve's midpoint is halfway between the chord and its control point.
  const nx = -dy / length;
  const ny = dx / length;
  const cx = mx + nx * offset * 2;
  const cy = my + ny * offset * 2;
  return {
    path: `M ${sx},${sy} Q ${cx},${cy} ${tx},${ty}`,
    labelX: 0.25 * sx + 0.5 * cx + 0.25 * tx,
    labelY: 0.25 * sy + 0.5 * cy + 0.25 * ty,
  };
}

const LABEL_GAP = 10;

/**
 * Where an edge's label box goes relative to its anchor point: beside the line rather than on
 * it, so the coloured edge and its arrows stay visible. A curved (parallel) edge gets its label on
 * the outside of its bend, so the labels of parallel edges never sit on a neighbour's line. Returns
 * the CSS translate that moves the box from the anchor.
 */
export function labelOffset(sx: number, sy: number, tx: number, ty: number, labelX: number, labelY: number): string {
  let bx = labelX - (sx + tx) / 2;
  let by = labelY - (sy + ty) / 2;
  if (Math.abs(bx) < 0.5 && Math.abs(by) < 0.5) {
    // Straight edge: above a horizontal-ish line, to the right of a vertical-ish one.
    if (Math.abs(tx - sx) >= Math.abs(ty - sy)) [bx, by] = [0, -1];
    else [bx, by] = [1, 0];
  }
  if (Math.abs(by) >= Math.abs(bx)) {
    return by < 0 ? `translate(-50%, calc(-100% - ${LABEL_GAP}px))` : `translate(-50%, ${LABEL_GAP}px)`;
  }
  return bx > 0 ? `translate(${LABEL_GAP}px, -50%)` : `translate(calc(-100% - ${LABEL_GAP}px), -50%)`;
}
