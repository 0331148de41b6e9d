import type { ConnectorDefinition } from '../types.js';
import { parseSqliteConfig, resolveDatabasePath, SqliteConfigSchema, type SqliteConfig } from './config.js';
import { removeCaptureResources } from './change-log.js';
import { openUserDatabase } from './database.js';
import { createSqliteConnector } from './connector.js';

export type { SqliteConfig } from './config.js';

export const sqliteConnector: ConnectorDefinition<SqliteConfig> = {
  kind: 'sqlite',
  label: 'SQLite database',
  description: 'A SQLite database file on this computer. Changes are captured by triggers into a change log inside the file, within milliseconds.',
  configSchema: SqliteConfigSchema,
  secretFields: [],
  captureModes: ['trigger'],
  pollIntervalMs: (config) => config.pollIntervalMs,
  // Re-parsed so defaults apply and a bad config fails here with a sentence, whoever called us.
  create: (ctx) => createSqliteConnector({ ...ctx, config: parseSqliteConfig(ctx.config) }),
  async dropCaptureResources(ctx) {
    const config = parseSqliteConfig(ctx.config);
    const db = openUserDatabase(resolveDatabasePath(config.path, ctx.dataDir));
    try {
      return removeCaptureResources(db, `${ctx.flowId}:${ctx.systemId}`);
    } finally {
      db.close();
    }
  },
};
