import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * HMAC-SHA256 over timestamp + raw body, inbound (verify) and outbound (sign).
 * `stripe`: one header `t=<unix s>,v1=<hex>` over `${t}.${body}` (Stripe-Signature).
 * `hmac`: a configurable pair of headers, e.g. `X-Signature: sha256=<hex>` + `X-Timestamp: <unix s>`.
 */
export const SignatureSchemeSchema = z.discriminatedUnion('scheme', [
  z.object({ scheme: z.literal('stripe'), header: z.string().min(1).default('Stripe-Signature') }),
  z.object({
    scheme: z.literal('hmac'),
    signatureHeader: z.string().min(1).default('X-SyncCanvas-Signature'),
    timestampHeader: z.string().min(1).default('X-SyncCanvas-Timestamp'),
    /** Text before the digest in the header, e.g. "sha256=". */
    prefix: z.string().max(20).default(''),
    encoding: z.enum(['hex', 'base64']).default('hex'),
    /** What joins timestamp and body in the signed payload ('' for Zendesk). */
    separator: z.string().max(4).default('.'),
    /** How the timestamp header is written: Unix seconds, or ISO-8601 (Zendesk). */
    timestampFormat: z.enum(['unix', 'iso']).default('unix'),
  }),
]);
export type SignatureScheme = z.infer<typeof SignatureSchemeSchema>;

export type Headers = Record<string, string | string[] | undefined>;

export type VerifyResult =
  | { ok: true; timestampMs: number }
  | { ok: false; reason: 'missing' | 'malformed' | 'mismatch' | 'stale'; message: string };

function digest(secret: string, timestamp: string, separator: string, body: Buffer, encoding: 'hex' | 'base64'): string {
  return createHmac('sha256', secret).update(timestamp).update(separator).update(body).digest(encoding);
}

function equalConstantTime(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Sign `body` now; returns the headers to send. */
export function signPayload(scheme: SignatureScheme, secret: string, body: Buffer | string, nowMs = Date.now()): Record<string, string> {
  const raw = typeof body === 'string' ? Buffer.from(body) : body;
  const t = String(Math.floor(nowMs / 1000));
  if (scheme.scheme === 'stripe') return { [scheme.header]: `t=${t},v1=${digest(secret, t, '.', raw, 'hex')}` };
  if (scheme.timestampFormat === 'iso') {
    const iso = new Date(Math.floor(nowMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    return { [scheme.timestampHeader]: iso, [scheme.signatureHeader]: scheme.prefix + digest(secret, iso, scheme.separator, raw, scheme.encoding) };
  }
  return {
    [scheme.timestampHeader]: t,
    [scheme.signatureHeader]: scheme.prefix + digest(secret, t, scheme.separator, raw, scheme.encoding),
  };
}

/** Verify a signature and its timestamp (± toleranceMs of now, both directions, so a skewed clock cannot pre-date replays). */
export function verifyPayload(
  scheme: SignatureScheme,
  secret: string,
  headers: Headers,
  body: Buffer,
  toleranceMs: number,
  nowMs = Date.now(),
): VerifyResult {
  let t: string;
  let iso = false;
  let candidates: string[];
  let expected: (ts: string) => string;
  if (scheme.scheme === 'stripe') {
    const value = header(headers, scheme.header);
    if (!value) return { ok: false, reason: 'missing', message: `the ${scheme.header} header is missing; sign the request` };
    let ts: string | undefined;
    candidates = [];
    for (const part of value.split(',')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      const k = part.slice(0, eq).trim();
      const v = part.slice(eq + 1).trim();
      if (k === 't') ts = v;
      else if (k === 'v1') candidates.push(v);
    }
    if (!ts || candidates.length === 0) {
      return { ok: false, reason: 'malformed', message: `the ${scheme.header} header must look like "t=<unix seconds>,v1=<hex hmac>"` };
    }
    t = ts;
    expected = (x) => digest(secret, x, '.', body, 'hex');
  } else {
    const sig = header(headers, scheme.signatureHeader);
    const ts = header(headers, scheme.timestampHeader);
    if (!sig || !ts) {
      return { ok: false, reason: 'missing', message: `the ${scheme.signatureHeader} and ${scheme.timestampHeader} headers are required; sign the request` };
    }
    if (!sig.startsWith(scheme.prefix)) {
      return { ok: false, reason: 'malformed', message: `the ${scheme.signatureHeader} header must start with "${scheme.prefix}"` };
    }
    t = ts.trim();
    iso = scheme.timestampFormat === 'iso';
    candidates = [sig.slice(scheme.prefix.length).trim()];
    expected = (x) => digest(secret, x, scheme.separator, body, scheme.encoding);
  }
  if (iso ? !/^\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:?\d\d)$/.test(t) : !/^\d{1,13}$/.test(t)) {
    return { ok: false, reason: 'malformed', message: `the signature timestamp must be ${iso ? 'an ISO-8601 time' : 'Unix seconds'}` };
  }
  const want = expected(t);
  if (!candidates.some((c) => equalConstantTime(c, want))) {
    return { ok: false, reason: 'mismatch', message: 'the signature does not match the body; check the signing secret and sign the raw body unchanged' };
  }
  // Checked after the HMAC so an attacker learns nothing about our clock from unsigned requests.
  const n = iso ? Date.parse(t) : Number(t);
  const timestampMs = iso || n >= 1e11 ? n : n * 1000;
  if (Math.abs(nowMs - timestampMs) > toleranceMs) {
    return {
      ok: false,
      reason: 'stale',
      message: `the signature timestamp is ${Math.round((nowMs - timestampMs) / 1000)} s from now, outside the ±${Math.round(toleranceMs / 1000)} s tolerance; re-sign when sending`,
    };
  }
  return { ok: true, timestampMs };
}
