import { describe, expect, it } from 'vitest';
import { flowStateView } from './flow-state.js';

describe('flowStateView', () => {
  it('says Running or Stopped when there is no error', () => {
    expect(flowStateView({ running: true, error: null })).toEqual({ label: 'Running', tone: 'running', headline: null });
    expect(flowStateView({ running: false, error: null })).toEqual({ label: 'Stopped', tone: 'stopped', headline: null });
  });

  it('never pairs a Running pill with a banner saying the flow stopped', () => {
    const view = flowStateView({ running: true, error: 'capture of "crm" failed to start: database is locked' });
    expect(view.label).toBe('Running with a problem');
    expect(view.headline).not.toMatch(/stopped/i);
    expect(view.tone).toBe('attention');
  });

  it('says stopped by an error when the flow is not running', () => {
    const view = flowStateView({ running: false, error: 'boom' });
    expect(view).toEqual({ label: 'Stopped by an error', tone: 'failed', headline: 'The flow stopped with an error.' });
  });

  it('falls back to the flow list before the first status arrives', () => {
    expect(flowStateView(null, true).label).toBe('Running');
    expect(flowStateView(null).label).toBe('Stopped');
  });
});
