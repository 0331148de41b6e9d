import { z } from 'zod';

/**
 * The poll checkpoint, committed with each batch so the cursor advances only with the inbox commit.
 * `recent` remembers versions read inside the overlap window (so re-reading it emits nothing twice);
 * `known` holds every key's fingerprint where deletes are found by reconciliation.
 */
const EntityStateSchema = z.object({
  cursor: z.number().nullable(),
  /** key → "version|content hash": a second change inside one timestamp tick (Zendesk has 1 s resolution) differs by hash. */
  recent: z.record(z.string(), z.string()),
  known: z.record(z.string(), z.string()).optional(),
});
export type EntityPollState = z.infer<typeof EntityStateSchema>;

const PollStateSchema = z.object({ v: z.literal(1), entities: z.record(z.string(), EntityStateSchema) });
export type PollState = z.infer<typeof PollStateSchema>;

export function emptyEntityState(): EntityPollState {
  return { cursor: null, recent: {} };
}

/** The stored checkpoint, or a fresh state with the reason when it cannot be read (the poll then re-reads everything; eventIds keep that idempotent). */
export function parsePollState(checkpoint: string | null): { state: PollState; notice?: string } {
  if (!checkpoint) return { state: { v: 1, entities: {} } };
  try {
    return { state: PollStateSchema.parse(JSON.parse(checkpoint)) };
  } catch {
    return { state: { v: 1, entities: {} }, notice: 'the stored poll checkpoint was unreadable; re-reading every record once' };
  }
}
