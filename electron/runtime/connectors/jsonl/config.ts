import { z } from 'zod';

export const JsonlConfigSchema = z.strictObject({
  /** The folder the files go in; a relative path resolves against the workspace's data folder, `~` is home. */
  folder: z
    .string({ error: (issue) => (issue.input === undefined ? 'is missing: give the folder the JSONL files go in, e.g. "ai-feed"' : 'must be a text path to a folder') })
    .trim()
    .min(1, 'give the folder the JSONL files go in, e.g. "ai-feed"'),
  /** Entities offered as targets; each gets its own files, `<entity>.<sequence>.jsonl`. */
  entities: z
    .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'an entity name is a file name: letters, digits, "-" and "_", starting with a letter or digit'))
    .min(1, 'list at least one entity, e.g. ["contacts"]')
    .default(['records']),
  /** A file is closed and published once it reaches this size… */
  maxFileBytes: z.number().int().min(1024, 'must be at least 1024 bytes').max(4 * 1024 ** 3).default(64 * 1024 * 1024),
  /** …or once its first line is this old (so a quiet feed still publishes what it has). */
  maxFileAgeMs: z.number().int().min(100, 'must be at least 100 ms').max(86_400_000, 'must be at most a day').default(60_000),
});

export type JsonlConfig = z.output<typeof JsonlConfigSchema>;

export class JsonlSetupError extends Error {
  override name = 'JsonlSetupError';
}

export function parseJsonlConfig(input: unknown): JsonlConfig {
  const r = JsonlConfigSchema.safeParse(input);
  if (r.success) return r.data;
  throw new JsonlSetupError(`invalid JSONL folder settings — ${r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'settings'}: ${i.message}`).join('; ')}`);
}
