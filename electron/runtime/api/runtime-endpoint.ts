import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * Where a runtime that holds a workspace serves its local API, so a CLI command on the same
 * workspace calls it instead of opening the store behind its back. Written by `synccanvas serve`
 * on loopback, next to the lock file, readable by the workspace's owner only: the token it holds
 * is the local admin's, and whoever can read the workspace folder can read its database anyway.
 */
export const ENDPOINT_FILE = 'runtime-api.json';

const EndpointSchema = z.object({ pid: z.number().int().positive(), url: z.url(), token: z.string().min(16) });
export type RuntimeEndpoint = z.infer<typeof EndpointSchema>;

export function writeRuntimeEndpoint(workspaceDir: string, endpoint: RuntimeEndpoint): () => void {
  const file = path.join(workspaceDir, ENDPOINT_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(endpoint), { mode: 0o600 });
  fs.renameSync(tmp, file);
  return () => {
    try {
      if (readRuntimeEndpoint(workspaceDir)?.pid === endpoint.pid) fs.unlinkSync(file);
    } catch {
      /* already gone */
    }
  };
}

/** The endpoint of the runtime with pid `holder` (the lock's), or null: none written, another process's, or unreadable. */
export function readRuntimeEndpoint(workspaceDir: string, holder?: number): RuntimeEndpoint | null {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(path.join(workspaceDir, ENDPOINT_FILE), 'utf8'));
  } catch {
    return null;
  }
  const parsed = EndpointSchema.safeParse(raw);
  if (!parsed.success) return null;
  // A file left by a killed runtime names a pid that no longer holds the lock.
  if (holder !== undefined && parsed.data.pid !== holder) return null;
  return parsed.data;
}
