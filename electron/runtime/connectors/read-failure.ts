import type { SyncError } from '../../../shared/errors.js';

/**
 * A failed read (e.g. `findByField`) with its class, so that the engine, which reads before it
 * writes, can tell an unreachable system (pause the edge) from a record-level problem.
 */
export class ReadFailure extends Error {
  constructor(readonly error: SyncError) {
    super(error.message);
  }
}
