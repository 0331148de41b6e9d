import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { syncError } from '../../../../shared/errors.js';
import { NotJsonError, stringifyLossless } from '../../values/lossless-json.js';
import type { Connector, ConnectorDefinition, WriteOp, WriteResult } from '../types.js';
import { parseJsonlConfig, JsonlConfigSchema, type JsonlConfig } from './config.js';
import { RotatingJsonlFile } from './rotating-file.js';

/** `~` is home; a relative folder resolves against the workspace's data folder. */
export function resolveFolder(folder: string, dataDir: string, home: string = os.homedir()): string {
  const expanded = folder === '~' ? home : /^~[\\/]/.test(folder) ? path.join(home, folder.slice(2)) : folder;
  return path.resolve(dataDir, expanded);
}

/** The key of a record written here: the linked key, else the (masked) match value. */
function keyOf(op: Extract<WriteOp, { kind: 'upsert' }>): string | null {
  if (op.key !== null) return op.key;
  const v = op.match?.value;
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

/**
 * A write-only target: each write becomes one JSON line, `{"id","op","key","sourceTime","fields"}`, in
 * rotating files (rotating-file.ts). Values are written exactly (docs/values.md): long decimals as
 * their digits, JSON documents as themselves; a value JSON cannot hold exactly is refused by field.
 */
export const jsonlConnector: ConnectorDefinition<JsonlConfig> = {
  kind: 'jsonl-folder',
  label: 'JSONL files (folder)',
  description: 'Writes each record as a JSON line into rotating files in a folder, the common input of retrieval indexes and AI tools. Files appear whole (written, synced, then renamed); a crash never leaves a partial or repeated line.',
  configSchema: JsonlConfigSchema,
  secretFields: [],
  captureModes: ['none'],
  pollIntervalMs: () => 0,
  create(ctx) {
    const config = parseJsonlConfig(ctx.config);
    const folder = resolveFolder(config.folder, ctx.dataDir);
    const files = new Map<string, RotatingJsonlFile>();
    const fileOf = (entity: string): RotatingJsonlFile => {
      if (!config.entities.includes(entity)) throw new Error(`unknown entity "${entity}"; this folder takes ${config.entities.join(', ')}`);
      let f = files.get(entity);
      if (!f) {
        f = new RotatingJsonlFile({ folder, entity, maxFileBytes: config.maxFileBytes, maxFileAgeMs: config.maxFileAgeMs });
        files.set(entity, f);
      }
      return f;
    };
    const timer = setInterval(() => {
      for (const f of files.values()) {
        try {
          f.tick();
        } catch {
          /* publishing is tried again on the next tick and before the next write */
        }
      }
    }, Math.max(50, Math.floor(config.maxFileAgeMs / 4)));
    timer.unref();

    const connector: Connector = {
      async testConnection() {
        try {
          fs.mkdirSync(folder, { recursive: true });
          const probe = path.join(folder, `.synccanvas-probe-${process.pid}`);
          fs.writeFileSync(probe, 'ok');
          fs.rmSync(probe);
          return { ok: true, message: `files go to ${folder}`, checks: [{ name: 'folder', ok: true, message: `${folder} is writable` }] };
        } catch (e) {
          const message = `cannot write in ${folder} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): choose a folder this user may write to`;
          return { ok: false, message, checks: [{ name: 'folder', ok: false, message }] };
        }
      },
      async discover() {
        // Any field may be written: the AI feed's contract, not a table, says what a record holds.
        return config.entities.map((name) => ({ name, keyField: 'key', fields: [], openFields: true }));
      },
      async readSamples() {
        return [];
      },
      async readByKeys() {
        return [];
      },
      async findByField() {
        return [];
      },
      async startCapture() {
        throw new Error('a JSONL folder is a target only: it has nothing to capture');
      },
      async write(entity, ops) {
        const file = fileOf(entity);
        let lines = '';
        const ids: string[] = [];
        const results: WriteResult[] = ops.map((op) => {
          if (op.kind === 'delete') {
            if (!file.has(op.idempotencyKey)) {
              lines += `${JSON.stringify({ id: op.idempotencyKey, op: 'delete', key: op.key, sourceTime: op.sourceTime })}\n`;
              ids.push(op.idempotencyKey);
            }
            return { ok: true, key: op.key };
          }
          const key = keyOf(op);
          if (key === null) return { ok: false, error: syncError('validation', 'the record has no key for the JSONL file: map the match key') };
          if (file.has(op.idempotencyKey)) return { ok: true, key };
          let fields: string;
          try {
            fields = stringifyLossless({ ...(op.key === null ? (op.insertOnly ?? {}) : {}), ...op.fields });
          } catch (e) {
            if (e instanceof NotJsonError) {
              const bad = Object.entries(op.fields).find(([, v]) => {
                try {
                  stringifyLossless(v);
                  return false;
                } catch {
                  return true;
                }
              });
              return { ok: false, error: syncError('validation', `field "${bad?.[0] ?? '?'}": ${e.message}; a JSONL file cannot hold it exactly`) };
            }
            throw e;
          }
          lines += `{"id":${JSON.stringify(op.idempotencyKey)},"op":"upsert","key":${JSON.stringify(key)},"sourceTime":${op.sourceTime},"fields":${fields}}\n`;
          ids.push(op.idempotencyKey);
          return { ok: true, key, created: op.key === null };
        });
        file.append(lines, ids, ops.map((op) => op.idempotencyKey));
        return results;
      },
      async close() {
        clearInterval(timer);
        for (const f of files.values()) f.close();
        files.clear();
      },
    };
    return connector;
  },
};
