import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * HMAC-SHA256 webhook signatures, inbound (verify) and outbound (sign). Vendor presets name the
 * vendor's own headers and signed payload; `hmac` and `body-hmac` are the configurable forms.
 *
 * Timestamped schemes (stripe, t-v1, slack, hmac) sign the time with the body, so a stale
 * signature is refused by the clock. Body-only schemes (github, shopify, body-hmac) carry no time:
 * only the durable delivery ledger (receiver) stops a replay of them.
 */
export const SignatureSchemeSchema = z.discriminatedUnion('scheme', [
  /** `Stripe-Signature: t=<unix s>,v1=<hex>[,v1=<hex>…]` over `${t}.${body}`. */
  z.object({ scheme: z.literal('stripe'), header: z.string().min(1).default('Stripe-Signature') }),
  /** The same `t=…,v1=…` format under a header of the sender's choosing. */
  z.object({ scheme: z.literal('t-v1'), header: z.string().min(1).default('X-Signature') }),
  /** `X-Hub-Signature-256: sha256=<hex>` over the raw body; the legacy SHA-1 `X-Hub-Signature` is ignored. */
  z.object({ scheme: z.literal('github'), header: z.string().min(1).default('X-Hub-Signature-256') }),
  /** `X-Shopify-Hmac-Sha256: <base64>` over the raw body. */
  z.object({ scheme: z.literal('shopify'), header: z.string().min(1).default('X-Shopify-Hmac-Sha256') }),
  /** `X-Slack-Signature: v0=<hex>` over `v0:${X-Slack-Request-Timestamp}:${body}`. */
  z.object({
    scheme: z.literal('slack'),
    signatureHeader: z.string().min(1).default('X-Slack-Signature'),
    timestampHeader: z.string().min(1).default('X-Slack-Request-Timestamp'),
  }),
  /** One header holding an HMAC of the raw body alone. */
  z.object({
    scheme: z.literal('body-hmac'),
    header: z.string().min(1),
    /** Text before the digest in the header, e.g. "sha256=". */
    prefix: z.string().max(20).default(''),
    encoding: z.enum(['hex', 'base64']).default('hex'),
  }),
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

/** `timestampMs` is null for body-only schemes, which sign no time. */
export type VerifyResult =
  | { ok: true; timestampMs: number | null }
  | { ok: false; reason: 'missing' | 'malformed' | 'mismatch' | 'stale'; message: string };

type Encoding = 'hex' | 'base64';

/** Every scheme reduced to one of three shapes. */
type Spec =
  | { shape: 't-v1'; header: string; format: string }
  | { shape: 'pair'; signatureHeader: string; timestampHeader: string; prefix: string; encoding: Encoding; lead: string; separator: string; iso: boolean }
  | { shape: 'body'; header: string; prefix: string; encoding: Encoding };

function specOf(s: SignatureScheme): Spec {
  switch (s.scheme) {
    case 'stripe':
    case 't-v1':
      return { shape: 't-v1', header: s.header, format: `"t=<unix seconds>,v1=<hex hmac>"` };
    case 'github':
      return { shape: 'body', header: s.header, prefix: 'sha256=', encoding: 'hex' };
    case 'shopify':
      return { shape: 'body', header: s.header, prefix: '', encoding: 'base64' };
    case 'body-hmac':
      return { shape: 'body', header: s.header, prefix: s.prefix, encoding: s.encoding };
    case 'slack':
      return { shape: 'pair', signatureHeader: s.signatureHeader, timestampHeader: s.timestampHeader, prefix: 'v0=', encoding: 'hex', lead: 'v0:', separator: ':', iso: false };
    case 'hmac':
      return {
        shape: 'pair',
        signatureHeader: s.signatureHeader,
        timestampHeader: s.timestampHeader,
        prefix: s.prefix,
        encoding: s.encoding,
        lead: '',
        separator: s.separator,
        iso: s.timestampFormat === 'iso',
      };
  }
}

/** Whether the scheme signs a timestamp (and so refuses stale signatures by itself). */
export function isTimestamped(s: SignatureScheme): boolean {
  return specOf(s).shape !== 'body';
}

function digest(secret: string, parts: readonly (string | Buffer)[], encoding: Encoding): string {
  const h = createHmac('sha256', secret);
  for (const p of parts) h.update(p);
  return h.digest(encoding);
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
  const spec = specOf(scheme);
  const t = String(Math.floor(nowMs / 1000));
  if (spec.shape === 't-v1') return { [spec.header]: `t=${t},v1=${digest(secret, [t, '.', raw], 'hex')}` };
  if (spec.shape === 'body') return { [spec.header]: spec.prefix + digest(secret, [raw], spec.encoding) };
  const ts = spec.iso ? new Date(Math.floor(nowMs / 1000) * 1000).toISOString().replace('.000Z', 'Z') : t;
  return {
    [spec.timestampHeader]: ts,
    [spec.signatureHeader]: spec.prefix + digest(secret, [spec.lead, ts, spec.separator, raw], spec.encoding),
  };
}

const MISMATCH = 'the signature does not match the body; check the signing secret and sign the raw body unchanged';

/**
 * Verify a signature and, for timestamped schemes, its timestamp (± toleranceMs of now, both
 * directions, so a skewed clock cannot pre-date replays).
 */
export function verifyPayload(
  scheme: SignatureScheme,
  secret: string,
  headers: Headers,
  body: Buffer,
  toleranceMs: number,
  nowMs = Date.now(),
): VerifyResult {
  const spec = specOf(scheme);
  if (spec.shape === 'body') {
    const sig = header(headers, spec.header);
    if (!sig) return { ok: false, reason: 'missing', message: `the ${spec.header} header is missing; sign the request` };
    if (!sig.startsWith(spec.prefix)) return { ok: false, reason: 'malformed', message: `the ${spec.header} header must start with "${spec.prefix}"` };
    const want = digest(secret, [body], spec.encoding);
    return equalConstantTime(sig.slice(spec.prefix.length).trim(), want) ? { ok: true, timestampMs: null } : { ok: false, reason: 'mismatch', message: MISMATCH };
  }
  let t: string;
  let iso = false;
  let candidates: string[];
  let expected: (ts: string) => string;
  if (spec.shape === 't-v1') {
    const value = header(headers, spec.header);
    if (!value) return { ok: false, reason: 'missing', message: `the ${spec.header} header is missing; sign the request` };
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
      return { ok: false, reason: 'malformed', message: `the ${spec.header} header must look like ${spec.format}` };
    }
    t = ts;
    expected = (x) => digest(secret, [x, '.', body], 'hex');
  } else {
    const sig = header(headers, spec.signatureHeader);
    const ts = header(headers, spec.timestampHeader);
    if (!sig || !ts) {
      return { ok: false, reason: 'missing', message: `the ${spec.signatureHeader} and ${spec.timestampHeader} headers are required; sign the request` };
    }
    if (!sig.startsWith(spec.prefix)) {
      return { ok: false, reason: 'malformed', message: `the ${spec.signatureHeader} header must start with "${spec.prefix}"` };
    }
    t = ts.trim();
    iso = spec.iso;
    candidates = [sig.slice(spec.prefix.length).trim()];
    expected = (x) => digest(secret, [spec.lead, x, spec.separator, body], spec.encoding);
  }
  if (iso ? !/^\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:?\d\d)$/.test(t) : !/^\d{1,13}$/.test(t)) {
    return { ok: false, reason: 'malformed', message: `the signature timestamp must be ${iso ? 'an ISO-8601 time' : 'Unix seconds'}` };
  }
  const want = expected(t);
  if (!candidates.some((c) => equalConstantTime(c, want))) return { ok: false, reason: 'mismatch', message: MISMATCH };
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
