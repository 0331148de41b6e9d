import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { CapturedBatch, CaptureHandle, Connector } from '../types.js';
import { sqliteConnector } from './definition.js';

/** Test-only helpers: a temp folder with a real database file, a connector on it and a recording sink. */

export interface TempDb {
  dir: string;
  file: string;
  /** A separate connection standing in for another program writing to the file. */
  outside: Database.Database;
  cleanup(): void;
}

export function tempDb(schemaSql: string, name = 'test.db'): TempDb {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synccanvas-sqlite-'));
  const file = path.join(dir, name);
  const outside = new Database(file);
  outside.pragma('journal_mode = WAL');
  outside.exec(schemaSql);
  return {
    dir,
    file,
    outside,
    cleanup() {
      outside.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function connectorFor(t: TempDb, config: Record<string, unknown> = {}): Connector {
  return sqliteConnector.create({
    config: { path: path.basename(t.file), pollIntervalMs: 10, ...config } as never,
    secrets: {},
    flowId: 'flow1',
    systemId: 'sys1',
    dataDir: t.dir,
  });
}

export interface Recorder {
  batches: CapturedBatch[];
  changes(): CapturedBatch['changes'];
  /** Makes the next `n` sink calls reject (nothing committed). */
  failNext(n: number): void;
  rejected: number;
  sink(batch: CapturedBatch): Promise<void>;
}

export function recorder(): Recorder {
  let failures = 0;
  const r: Recorder = {
    batches: [],
    rejected: 0,
    changes: () => r.batches.flatMap((b) => b.changes),
    failNext(n) {
      failures = n;
    },
    async sink(batch) {
      await new Promise((res) => setTimeout(res, 1));
      if (failures > 0) {
        failures--;
        r.rejected++;
        throw new Error('inbox unavailable (test)');
      }
      r.batches.push(batch);
    },
  };
  return r;
}

export async function capture(connector: Connector, rec: Recorder, entities: string[], checkpoint: string | null = null): Promise<CaptureHandle> {
  return connector.startCapture({ entities, checkpoint, sink: (b) => rec.sink(b), signal: new AbortController().signal });
}

export async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 5));
  }
}

export function changeLogCount(t: TempDb): number {
  return t.outside.prepare('SELECT count(*) FROM _synccanvas_changes').pluck().get() as number;
}
