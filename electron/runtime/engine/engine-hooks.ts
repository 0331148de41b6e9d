/**
 * Named points between the engine's durable steps. Tests throw from a hook to simulate a crash
 * exactly there, then restart a fresh engine on the same store.
 */
export type EngineStep =
  | 'capture:before-commit'
  | 'capture:after-commit'
  | 'apply:before-write'
  | 'apply:after-write'
  | 'apply:after-commit';

export interface EngineHooks {
  step?(step: EngineStep): void;
}
