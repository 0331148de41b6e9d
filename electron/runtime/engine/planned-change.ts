import type { WriteResult } from '../connectors/types.js';
import type { InboxRow } from '../store/inbox.js';
import type { Decision } from './decide.js';
import type { FlowRoute } from './routes.js';

/**
 * One record's change on its way through a batch: planned (decided), matched, written, settled.
 * Each step fills in what it learns; settling reads all of it in one transaction.
 */
export interface PlannedChange {
  /** The inbox rows this change stands for (several when a near-real-time window coalesced them). */
  rows: InboxRow[];
  route: FlowRoute;
  decision: Decision;
  sourceSystem: string;
  targetSystem: string;
  sourceEntity: string;
  targetEntity: string;
  linkedKey: string | null;
  opResult?: WriteResult;
  revertResult?: WriteResult;
  finishedAt?: number;
}
