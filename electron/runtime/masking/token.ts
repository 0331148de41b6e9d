import { createHmac } from 'node:crypto';

/**
 * Keyed deterministic tokens (docs/ai-feeds.md): `tok_<keyId>_<HMAC-SHA256 in base64url>`. The same
 * text under the same key always gives the same token, so records still join downstream; without the
 * key a token reveals nothing of the value. The key id is part of the token, so after a rotation a
 * reader can tell old tokens from new ones (they never equal each other).
 */

export const MIN_TOKEN_KEY_BYTES = 32;

export class TokenKeyError extends Error {}

/** The key bytes of a token secret: its UTF-8 text, at least 32 bytes (a shorter one could be guessed). */
export function tokenKeyFromSecret(ref: string, secret: string): Buffer {
  const key = Buffer.from(secret, 'utf8');
  if (key.length < MIN_TOKEN_KEY_BYTES) {
    throw new TokenKeyError(`the token key "${ref}" is ${key.length} bytes; use at least ${MIN_TOKEN_KEY_BYTES} random characters (e.g. \`openssl rand -base64 48\`)`);
  }
  return key;
}

export function tokenFor(text: string, key: Uint8Array, keyId: string): string {
  return `tok_${keyId}_${createHmac('sha256', key).update(text, 'utf8').digest('base64url')}`;
}
