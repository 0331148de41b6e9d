import type { FlowDocument } from '../../../shared/flow/schema.js';
import type { SecretStore } from '../secrets/secret-store.js';
import { tokenKeyFromSecret } from './token.js';

/** Secret names of every token transform in the flow, with where each is used (for messages). */
export function tokenKeyRefs(flow: FlowDocument): Map<string, string[]> {
  const refs = new Map<string, string[]>();
  for (const sync of flow.syncs) {
    for (const m of sync.fields) {
      for (const t of [...m.toA, ...m.toB]) {
        if (t.type === 'token') refs.set(t.keyRef, [...(refs.get(t.keyRef) ?? []), `${sync.name ?? sync.id} / ${m.a}`]);
      }
    }
  }
  return refs;
}

export class TokenKeyMissingError extends Error {}

/**
 * Loads the token keys a flow uses from the secret provider chain, once at start: a key missing or too
 * short stops the start with what to fix, rather than dead-lettering every record later.
 */
export async function loadTokenKeys(flow: FlowDocument, secrets: SecretStore): Promise<Map<string, Uint8Array>> {
  const keys = new Map<string, Uint8Array>();
  for (const [ref, uses] of tokenKeyRefs(flow)) {
    const value = await secrets.get(ref);
    if (value === null) {
      const looked = secrets.whereMissing ? ` (looked in ${secrets.whereMissing(ref)})` : '';
      throw new TokenKeyMissingError(`the token key "${ref}" (used by ${uses.join(', ')}) is in no secret source${looked}: run \`synccanvas secrets set ${ref}\` with at least 32 random characters`);
    }
    keys.set(ref, tokenKeyFromSecret(ref, value));
  }
  return keys;
}
