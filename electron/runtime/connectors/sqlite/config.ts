import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

export const SqliteConfigSchema = z.strictObject({
  /** The database file; a relative path resolves against the connector's data folder. */
  path: z
    .string({ error: (issue) => (issue.input === undefined ? 'is missing: give the path of the SQLite database file, e.g. "crm.db"' : 'must be a text path to the database file') })
    .trim()
    .min(1, 'give the path of the SQLite database file, e.g. "crm.db"')
    // The form offers a file picker for it and shows the absolute path it resolves to.
    .meta({ format: 'file-path' }),
  pollIntervalMs: z
    .number()
    .int('must be a whole number of milliseconds')
    .min(10, 'must be at least 10 ms')
    .max(60_000, 'must be at most 60000 ms (one minute)')
    .default(50),
  /** Only these tables are offered for syncing; all tables with a primary key when omitted. */
  tables: z.array(z.string().min(1, 'a table name must not be empty')).min(1, 'list at least one table, or leave "tables" out to offer every table').optional(),
});

export type SqliteConfig = z.output<typeof SqliteConfigSchema>;

export class SqliteSetupError extends Error {
  override name = 'SqliteSetupError';
}

/** Parses connector settings, turning zod issues into one sentence per problem. */
export function parseSqliteConfig(input: unknown): SqliteConfig {
  const result = SqliteConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'settings'}: ${i.message}`);
  throw new SqliteSetupError(`invalid SQLite settings — ${problems.join('; ')}`);
}

/**
 * The database file a path names: `~` is the user's home folder (people type `~/Documents/crm.db`;
 * taken literally it named a folder called "~"); a relative path resolves against the workspace's
 * data folder, and the connection test says the full path so nobody is surprised where that is.
 */
export function resolveDatabasePath(configPath: string, dataDir: string, home: string = os.homedir()): string {
  const expanded = configPath === '~' ? home : /^~[\\/]/.test(configPath) ? path.join(home, configPath.slice(2)) : configPath;
  return path.resolve(dataDir, expanded);
}
