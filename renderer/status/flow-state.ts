import type { FlowStatus } from '../../shared/api/contract.js';

export type FlowStateTone = 'running' | 'stopped' | 'attention' | 'failed';

export interface FlowStateView {
  /** The header pill. */
  label: string;
  tone: FlowStateTone;
  /** The banner's first words when the flow has an error, else null. */
  headline: string | null;
}

/**
 * One reading of a flow's state for the header pill and the error banner, so the two never
 * disagree: the banner once said "The flow stopped with an error" while the pill said Running
 * (a system's capture had failed to start, and the rest of the flow went on).
 */
export function flowStateView(status: Pick<FlowStatus, 'running' | 'error'> | null, summaryRunning = false): FlowStateView {
  const running = status?.running ?? summaryRunning;
  const error = status?.error ?? null;
  if (!error) return running ? { label: 'Running', tone: 'running', headline: null } : { label: 'Stopped', tone: 'stopped', headline: null };
  return running
    ? { label: 'Running with a problem', tone: 'attention', headline: 'The flow is running, but part of it has a problem.' }
    : { label: 'Stopped by an error', tone: 'failed', headline: 'The flow stopped with an error.' };
}
