import { FLOW_SCHEMA_VERSION } from './schema.js';

/**
 * Numbered, explicit up-steps (as tldraw's store migrations): step N turns a version-N document
 * into a version-(N+1) one. Each step is pure and tested; documents are migrated on read and
 * written back only in the current version.
 */
type Json = Record<string, unknown>;
type Step = (doc: Json) => Json;

const ARROWS: Record<string, string> = { '→': 'a-to-b', '->': 'a-to-b', '←': 'b-to-a', '<-': 'b-to-a', '↔': 'both', '<->': 'both' };

/** v1 was the prototype format: arrow symbols for direction and one `owner` system id per field. */
function v1ToV2(doc: Json): Json {
  const syncs = Array.isArray(doc.syncs) ? doc.syncs : [];
  return {
    ...doc,
    schemaVersion: 2,
    syncs: syncs.map((raw) => {
      if (!raw || typeof raw !== 'object') return raw;
      const s = raw as Json;
      const a = s.a as Json | undefined;
      const b = s.b as Json | undefined;
      const direction = typeof s.direction === 'string' ? (ARROWS[s.direction] ?? s.direction) : s.direction;
      const fields = Array.isArray(s.fields)
        ? s.fields.map((f) => {
            if (!f || typeof f !== 'object') return f;
            const field = f as Json;
            let owner = field.owner;
            // v1 named the owning *system id*; v2 names the side, so renaming a system cannot break ownership.
            if (owner !== undefined && owner !== 'a' && owner !== 'b' && owner !== 'shared') {
              if (a && owner === a.system) owner = 'a';
              else if (b && owner === b.system) owner = 'b';
            }
            return { ...field, owner };
          })
        : s.fields;
      return { ...s, direction, fields };
    }),
  };
}

/**
 * v3 marks the AI-feed fields (`class`, `aiFeed`, the masking transforms), optional fields that
 * builds of v2 dropped in silence (or refused, for a transform). A v2 document means the same in v3;
 * builds from before AI feeds wrote none of them, and later v2 builds wrote them with today's meaning.
 */
function v2ToV3(doc: Json): Json {
  return { ...doc, schemaVersion: 3 };
}

export const FLOW_MIGRATIONS: Readonly<Record<number, Step>> = { 1: v1ToV2, 2: v2ToV3 };

export class FlowVersionError extends Error {}

/** Bring a parsed JSON document up to the current schema version (no validation yet). */
export function migrateFlowDocument(input: unknown): unknown {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return input;
  let doc = input as Json;
  const declared = doc.schemaVersion === undefined ? 1 : doc.schemaVersion;
  if (typeof declared !== 'number' || !Number.isInteger(declared) || declared < 1) {
    throw new FlowVersionError(`schemaVersion must be a whole number from 1 to ${FLOW_SCHEMA_VERSION}, got ${JSON.stringify(declared)}`);
  }
  let version: number = declared;
  if (version > FLOW_SCHEMA_VERSION) {
    throw new FlowVersionError(
      `this flow was saved by a newer SyncCanvas (format ${version}); this build reads formats up to ${FLOW_SCHEMA_VERSION}: update the app to open it`,
    );
  }
  while (version < FLOW_SCHEMA_VERSION) {
    const step = FLOW_MIGRATIONS[version];
    if (!step) throw new FlowVersionError(`no migration from schemaVersion ${version}`);
    doc = step(doc);
    version = doc.schemaVersion as number;
  }
  return doc;
}
