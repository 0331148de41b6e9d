import { createHash } from 'node:crypto';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { FLOW_SCHEMA_VERSION, FlowDocumentSchema } from './schema.js';
import { FLOW_MIGRATIONS } from './migrate.js';

/**
 * The shape of each released flow format, as the SHA-256 of its JSON Schema. zod drops keys it does
 * not know, so a field added without a new version is dropped by every older build that opens the
 * document — and saved back without it (that is how builds from before AI feeds lost `aiFeed`).
 *
 * When this fails you changed the format. If an older build could misread a document of the new
 * shape (a new key, a new enum value, a changed meaning), bump FLOW_SCHEMA_VERSION, add the up-step
 * in migrate.ts and add the new version's fingerprint below. If it cannot (a looser limit, a zod
 * upgrade that writes the same schema differently), replace the current version's fingerprint.
 */
const FINGERPRINTS: Record<number, string> = {
  3: 'eaeffe407b95da83112358f50ada98140aa11c8767fd7ad39887142c39f24e98',
};

const fingerprint = (): string => createHash('sha256').update(JSON.stringify(z.toJSONSchema(FlowDocumentSchema, { io: 'input' }))).digest('hex');

describe('flow format version', () => {
  it('the format of this build is the one recorded for its version (changed formats get a new version)', () => {
    expect(fingerprint(), `flow format ${FLOW_SCHEMA_VERSION} changed shape: see the comment at the top of format-fingerprint.test.ts`).toBe(FINGERPRINTS[FLOW_SCHEMA_VERSION]);
  });

  it('every older version has an up-step, so every document ever saved still opens', () => {
    for (let v = 1; v < FLOW_SCHEMA_VERSION; v++) expect(FLOW_MIGRATIONS[v], `migration from ${v}`).toBeTypeOf('function');
  });
});
