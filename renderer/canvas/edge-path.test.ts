import { describe, expect, it } from 'vitest';
import { labelOffset, offsetEdgePath } from './edge-path.js';

describe('offsetEdgePath', () => {
  it('draws a straight line with the label in the middle when there is no offset', () => {
    expect(offsetEdgePath(0, 0, 100, 50, 0)).toEqual({ path: 'M 0,0 L 100,50', labelX: 50, labelY: 25 });
  });

  it('bends parallel edges to either side by exactly the offset at their midpoint', () => {
    const up = offsetEdgePath(0, 100, 200, 100, -40);
    const down = offsetEdgePath(0, 100, 200, 100, 40);
    expect(up.path.startsWith('M 0,100 Q ')).toBe(true);
    expect(up.labelX).toBeCloseTo(100);
    expect(up.labelY).toBeCloseTo(60);
    expect(down.labelY).toBeCloseTo(140);
  });

  it('survives a zero-length edge', () => {
    const p = offsetEdgePath(10, 10, 10, 10, 30);
    expect(Number.isFinite(p.labelX) && Number.isFinite(p.labelY)).toBe(true);
  });
});

describe('labelOffset', () => {
  it('puts the label above a straight horizontal edge and beside a vertical one', () => {
    expect(labelOffset(0, 0, 200, 0, 100, 0)).toBe('translate(-50%, calc(-100% - 10px))');
    expect(labelOffset(0, 0, 0, 200, 0, 100)).toBe('translate(10px, -50%)');
  });

  it('puts the label on the outside of a bend', () => {
    const down = offsetEdgePath(0, 100, 200, 100, 40);
    const up = offsetEdgePath(0, 100, 200, 100, -40);
    expect(labelOffset(0, 100, 200, 100, down.labelX, down.labelY)).toBe('translate(-50%, 10px)');
    expect(labelOffset(0, 100, 200, 100, up.labelX, up.labelY)).toBe('translate(-50%, calc(-100% - 10px))');
    const left = offsetEdgePath(100, 0, 100, 300, 40);
    expect(labelOffset(100, 0, 100, 300, left.labelX, left.labelY)).toBe('translate(calc(-100% - 10px), -50%)');
  });
});
