import { describe, expect, it } from 'vitest';
import { nextLink } from './pagination.js';
import { parseRetryAfter } from './retry-after.js';
import { errorForException, errorForResponse } from './http-client.js';

describe('HTTP header parsing', () => {
  it('Retry-After: seconds, decimals, HTTP dates, garbage', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('2.0', now)).toBe(2000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });

  it('Link: picks rel="next" among several, with or without quotes', () => {
    expect(nextLink('<https://s/x?page_info=a>; rel="previous", <https://s/x?page_info=b>; rel="next"')).toBe('https://s/x?page_info=b');
    expect(nextLink('<https://s/p2>; rel=next')).toBe('https://s/p2');
    expect(nextLink('<https://s/p1>; rel="prev"')).toBeNull();
    expect(nextLink(undefined)).toBeNull();
  });

  it('classifies responses: 429/502/503/504 unavailable, other 5xx and 408 transient, 400/422 validation, 401/404 permanent', () => {
    const r = (status: number, headers: Record<string, string> = {}) => errorForResponse({ status, headers, text: `  body\n of ${status} ` }, 'op');
    expect(r(200)).toBeNull();
    expect(r(429, { 'retry-after': '5' })).toMatchObject({ errorClass: 'unavailable', retryAfterMs: 5000, response: 'body of 429' });
    expect(r(429)).toMatchObject({ errorClass: 'unavailable', retryAfterMs: 1000 });
    expect(r(503, { 'retry-after': '2' })).toMatchObject({ errorClass: 'unavailable', retryAfterMs: 2000 });
    expect(r(502)).toMatchObject({ errorClass: 'unavailable' });
    expect(r(504)).toMatchObject({ errorClass: 'unavailable' });
    expect(r(503, { 'retry-after': new Date(Date.now() + 60_000).toUTCString() })!.retryAfterMs).toBeGreaterThan(55_000);
    expect(r(500)).toMatchObject({ errorClass: 'transient' });
    expect(r(501)).toMatchObject({ errorClass: 'transient' });
    expect(r(408)).toMatchObject({ errorClass: 'transient' });
    expect(r(422)).toMatchObject({ errorClass: 'validation', response: 'body of 422' });
    expect(r(401)!.message).toMatch(/check the API token/);
    expect(r(404)).toMatchObject({ errorClass: 'permanent' });
  });

  it('classifies network failures as unavailable and a TLS refusal as permanent', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']) {
      expect(errorForException(Object.assign(new Error('fetch failed'), { cause: { code, message: `${code} 127.0.0.1:9` } }), 'op'), code).toMatchObject({ errorClass: 'unavailable' });
      expect(errorForException(Object.assign(new Error(`connect ${code}`), { code }), 'op').errorClass, code).toBe('unavailable');
    }
    expect(errorForException(Object.assign(new Error('x'), { code: 'ERR_SSL_UNSUPPORTED_PROTOCOL' }), 'op').errorClass).toBe('permanent');
    expect(errorForException(new Error('unable to verify the first certificate'), 'op').errorClass).toBe('permanent');
  });
});
