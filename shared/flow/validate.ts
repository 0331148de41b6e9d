import type { z } from 'zod';
import { FlowDocumentSchema, type FlowDocument } from './schema.js';
import { FlowVersionError, migrateFlowDocument } from './migrate.js';

export interface ValidationIssue {
  /** Where the problem is, e.g. `syncs[0].fields[2].owner`. */
  path: string;
  message: string;
}

export type FlowParseResult = { ok: true; flow: FlowDocument; migratedFrom?: number } | { ok: false; issues: ValidationIssue[] };

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(document)';
}

export function zodIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((i) => ({ path: formatPath(i.path), message: describeIssue(i) }));
}

function describeIssue(i: z.core.$ZodIssue): string {
  if (i.code === 'invalid_type') {
    const received = (i as { input?: unknown }).input;
    if (received === undefined) return `is missing: add a ${i.expected}`;
    const got = Array.isArray(received) ? 'an array' : received === null ? 'null' : typeof received === 'object' ? 'an object' : `a ${typeof received}`;
    return `must be ${/^[aeiou]/.test(i.expected) ? 'an' : 'a'} ${i.expected}, not ${got}`;
  }
  if (i.code === 'invalid_value' && 'values' in i) {
    return `must be one of ${(i.values as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  }
  if (i.code === 'invalid_union' && 'note' in i && i.note === 'No matching discriminator') {
    return `has an unknown "${String((i as { discriminator?: string }).discriminator ?? 'type')}": check the spelling`;
  }
  if (i.code === 'unrecognized_keys') return `has unknown keys ${i.keys.map((k) => `"${k}"`).join(', ')}: remove them`;
  return i.message;
}

/** Parse a flow document from already-parsed JSON: migrate, then validate. Never throws. */
export function parseFlowDocument(input: unknown): FlowParseResult {
  const from = input && typeof input === 'object' ? (input as { schemaVersion?: unknown }).schemaVersion : undefined;
  let migrated: unknown;
  try {
    migrated = migrateFlowDocument(input);
  } catch (e) {
    if (e instanceof FlowVersionError) return { ok: false, issues: [{ path: 'schemaVersion', message: e.message }] };
    throw e;
  }
  if (!migrated || typeof migrated !== 'object' || Array.isArray(migrated)) {
    return { ok: false, issues: [{ path: '(document)', message: 'a flow document is a JSON object with schemaVersion, id, name, systems and syncs' }] };
  }
  const result = FlowDocumentSchema.safeParse(migrated, { reportInput: true });
  if (!result.success) return { ok: false, issues: zodIssues(result.error) };
  const migratedFrom = typeof from === 'number' && from !== result.data.schemaVersion ? from : from === undefined ? 1 : undefined;
  return migratedFrom === undefined ? { ok: true, flow: result.data } : { ok: true, flow: result.data, migratedFrom };
}

/** Parse flow document text (a `*.flow.json` file). Never throws. */
export function parseFlowText(text: string): FlowParseResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, issues: [{ path: '(file)', message: `is not valid JSON (${(e as Error).message}): fix the syntax and try again` }] };
  }
  return parseFlowDocument(json);
}

export function formatIssues(issues: ValidationIssue[]): string {
  return issues.map((i) => `  ${i.path}: ${i.message}`).join('\n');
}
