/**
 * A record key as one subject token (NATS) or routing-key word (AMQP): letters, digits, `_` and `-`
 * pass; every other byte (`.`, `*`, `>`, `#`, spaces, non-ASCII) becomes `%XX`, so distinct keys stay
 * distinct tokens and a key can never add a level or a wildcard to the subject.
 */
export function keyToken(key: string): string {
  if (key === '') return '%';
  let out = '';
  for (const byte of Buffer.from(key, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
