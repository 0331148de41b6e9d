/** The parts of the browser the token handling touches, passed in so the logic runs anywhere. */
export interface TokenEnvironment {
  location: Pick<Location, 'hash' | 'pathname' | 'search'>;
  history: Pick<History, 'replaceState' | 'state'>;
  /** null where the browser refuses storage (some file:// or privacy settings). */
  sessionStorage: Pick<Storage, 'getItem' | 'setItem'> | null;
}

export const TOKEN_STORAGE_KEY = 'synccanvas.token';

/**
 * Takes the bearer token `synccanvas serve` put in the URL (`#token=…`), keeps it for this tab
 * in sessionStorage so a reload still works, and removes it from the address bar so it does not
 * end up in screenshots, bookmarks or shared links. A token in the URL wins over a stored one:
 * a new `serve` run prints a new token.
 */
export function takeAccessToken(env: TokenEnvironment): string | null {
  const hash = env.location.hash.startsWith('#') ? env.location.hash.slice(1) : env.location.hash;
  const params = new URLSearchParams(hash);
  const fromUrl = params.get('token')?.trim() || null;

  if (fromUrl !== null) {
    try {
      env.sessionStorage?.setItem(TOKEN_STORAGE_KEY, fromUrl);
    } catch {
      // Storage refused: the token still works for this page load, only a reload loses it.
    }
    params.delete('token');
    const rest = params.toString();
    env.history.replaceState(env.history.state, '', `${env.location.pathname}${env.location.search}${rest ? `#${rest}` : ''}`);
    return fromUrl;
  }

  try {
    return env.sessionStorage?.getItem(TOKEN_STORAGE_KEY) || null;
  } catch {
    return null;
  }
}
