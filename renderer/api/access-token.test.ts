import { describe, expect, it } from 'vitest';
import { takeAccessToken, TOKEN_STORAGE_KEY, type TokenEnvironment } from './access-token.js';

/** A real in-memory Storage and a history that records what the address bar would show. */
function environment(url: string, stored: Record<string, string> = {}, storage: 'ok' | 'none' | 'throws' = 'ok') {
  const parsed = new URL(url);
  const items = new Map(Object.entries(stored));
  const shown: string[] = [];
  const env: TokenEnvironment = {
    location: { hash: parsed.hash, pathname: parsed.pathname, search: parsed.search },
    history: {
      state: { kept: true },
      replaceState(_state: unknown, _unused: string, next?: string | URL | null) {
        shown.push(String(next));
      },
    },
    sessionStorage:
      storage === 'none'
        ? null
        : {
            getItem: (k: string) => {
              if (storage === 'throws') throw new Error('SecurityError');
              return items.get(k) ?? null;
            },
            setItem: (k: string, v: string) => {
              if (storage === 'throws') throw new Error('SecurityError');
              items.set(k, v);
            },
          },
  };
  return { env, items, shown };
}

describe('takeAccessToken', () => {
  it('takes the token from #token=, stores it and removes it from the address bar', () => {
    const { env, items, shown } = environment('http://127.0.0.1:4100/#token=abc123');
    expect(takeAccessToken(env)).toBe('abc123');
    expect(items.get(TOKEN_STORAGE_KEY)).toBe('abc123');
    expect(shown).toEqual(['/']);
  });

  it('keeps the path, query and any other hash parameters when removing the token', () => {
    const { env, shown } = environment('http://127.0.0.1:4100/app/?x=1#view=dlq&token=t0k3n');
    expect(takeAccessToken(env)).toBe('t0k3n');
    expect(shown).toEqual(['/app/?x=1#view=dlq']);
  });

  it('falls back to the token stored for this tab after a reload', () => {
    const { env, shown } = environment('http://127.0.0.1:4100/', { [TOKEN_STORAGE_KEY]: 'from-before' });
    expect(takeAccessToken(env)).toBe('from-before');
    expect(shown).toEqual([]);
  });

  it('prefers a token in the URL over a stored one (a new serve run prints a new token)', () => {
    const { env, items } = environment('http://127.0.0.1:4100/#token=new', { [TOKEN_STORAGE_KEY]: 'old' });
    expect(takeAccessToken(env)).toBe('new');
    expect(items.get(TOKEN_STORAGE_KEY)).toBe('new');
  });

  it('returns null when there is no token anywhere, and treats an empty token as none', () => {
    expect(takeAccessToken(environment('http://127.0.0.1:4100/').env)).toBeNull();
    expect(takeAccessToken(environment('http://127.0.0.1:4100/#token=').env)).toBeNull();
  });

  it('still uses the URL token when storage is refused or absent', () => {
    const throwing = environment('http://127.0.0.1:4100/#token=abc', {}, 'throws');
    expect(takeAccessToken(throwing.env)).toBe('abc');
    expect(throwing.shown).toEqual(['/']);
    expect(takeAccessToken(environment('http://127.0.0.1:4100/', {}, 'throws').env)).toBeNull();
    expect(takeAccessToken(environment('http://127.0.0.1:4100/#token=xyz', {}, 'none').env)).toBe('xyz');
  });

  it('decodes a percent-encoded token', () => {
    expect(takeAccessToken(environment('http://127.0.0.1:4100/#token=a%2Bb').env)).toBe('a+b');
  });
});
