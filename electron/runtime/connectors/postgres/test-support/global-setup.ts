import type { TestProject } from 'vitest/node';
import { startEmbeddedServer, type EmbeddedServerInfo } from './embedded-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresServer: EmbeddedServerInfo;
  }
}

/** One embedded Postgres for every Postgres test file of a run (vitest.config.ts globalSetup). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startEmbeddedServer();
  project.provide('postgresServer', { host: server.host, port: server.port, user: server.user, password: server.password });
  return () => server.stop();
}
