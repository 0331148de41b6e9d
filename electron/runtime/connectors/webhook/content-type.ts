/**
 * Webhook bodies must be declared JSON: `application/json` or a `+json` type
 * (`application/vnd.acme+json`), in UTF-8. A missing Content-Type is refused too: every vendor we
 * know sends one, and a form-encoded or text body that happens to parse as JSON is a
 * misconfigured sender, not an event. Returns what to fix, or null when acceptable.
 */
export function jsonContentTypeProblem(value: string | undefined): string | null {
  const send = 'send the body as JSON with Content-Type: application/json (or an application/*+json type)';
  if (value === undefined || value.trim() === '') return `the Content-Type header is missing; ${send}`;
  const [type = '', ...params] = value.split(';');
  const media = type.trim().toLowerCase();
  if (media !== 'application/json' && !/^application\/[a-z0-9!#$&^_.-]+\+json$/.test(media)) return `the Content-Type is "${media}"; ${send}`;
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const charset = p.slice(eq + 1).trim().replace(/^"|"$/g, '').toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') return `the body is declared as ${charset}; send JSON in UTF-8 (charset=utf-8, or no charset)`;
  }
  return null;
}
