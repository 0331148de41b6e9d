import { z } from 'zod';
import type { ApiErrorBody, RuntimeEvent } from '../../../shared/api/contract.js';

/**
 * Messages between the desktop shell (Electron main) and the runtime in its own process
 * (utilityProcess, or a forked Node process in tests). The runtime validates what it receives; the
 * shell trusts only the shapes below.
 */
export const ToHostSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('open'), workspaceDir: z.string().min(1), demo: z.boolean().default(false) }),
  z.object({ type: z.literal('call'), id: z.number().int(), method: z.string().min(1).max(100), input: z.unknown() }),
  z.object({ type: z.literal('close'), drainMs: z.number().int().min(0).max(60_000).default(5_000) }),
]);
export type ToHost = z.input<typeof ToHostSchema>;

export type CallOutcome = { ok: true; value: unknown } | { ok: false; error: ApiErrorBody['error'] };

export type FromHost =
  | { type: 'ready'; workspaceDir: string }
  | { type: 'result'; id: number; result: CallOutcome }
  | { type: 'event'; event: RuntimeEvent }
  | { type: 'closed' }
  | { type: 'failed'; message: string };

/** One side of the channel: utilityProcess's parentPort, or process.send/on('message') when forked. */
export interface HostChannel {
  onMessage(listener: (message: unknown) => void): void;
  post(message: FromHost): void;
}
