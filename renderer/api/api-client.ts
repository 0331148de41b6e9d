import type { ApiTransport, RuntimeEvent } from '../../shared/api/contract.js';

/** The one way the UI reaches the runtime: typed calls plus the runtime's pushed events. */
export interface ApiClient extends ApiTransport {
  readonly mode: 'ipc' | 'http';
  /** Listens to RuntimeEvent pushes; returns the function that stops listening. */
  onEvent(listener: (event: RuntimeEvent) => void): () => void;
}
