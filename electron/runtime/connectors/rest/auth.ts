import type { AuthSpec } from '../definitions/format.js';
import { renderTemplate, type TemplateVars } from '../definitions/template.js';
import { errorForResponse, HttpClient, HttpSyncError } from './http-client.js';
import { syncError } from '../../../../shared/errors.js';

/** Where credentials go on a request. */
export interface AuthParts {
  headers: Record<string, string>;
  query: Record<string, string>;
}

/**
 * Applies a definition's auth to each request. OAuth2 client-credentials tokens are cached until
 * shortly before they expire, refreshed by one request however many callers wait, and dropped
 * after a 401 so the next call fetches a new one.
 */
export class Authenticator {
  private token: { value: string; expiresAt: number } | null = null;
  private refreshing: Promise<string> | null = null;

  constructor(
    private readonly spec: AuthSpec,
    private readonly secrets: Record<string, string>,
    private readonly vars: TemplateVars,
    private readonly http: HttpClient,
    private readonly ca?: string,
  ) {}

  private tokenClient: HttpClient | null = null;

  /** The token endpoint often lives on another origin (an identity provider); it gets its own pool. */
  private clientFor(url: string): HttpClient {
    if (!/^https?:\/\//i.test(url) || new URL(url).origin === this.http.base.origin) return this.http;
    this.tokenClient ??= new HttpClient({ baseUrl: new URL(url).origin, connections: 1, ...(this.ca ? { ca: this.ca } : {}) });
    return this.tokenClient;
  }

  async close(): Promise<void> {
    await this.tokenClient?.close();
  }

  /** Names of the secrets this auth needs that are not set. */
  missingSecrets(): string[] {
    const need: string[] = [];
    const s = this.spec;
    if (s.type === 'bearer') need.push(s.tokenSecret);
    if (s.type === 'api-key') need.push(s.secret);
    if (s.type === 'basic') need.push(s.passwordSecret);
    if (s.type === 'oauth2-client-credentials') need.push(s.clientSecretSecret);
    return need.filter((n) => !this.secrets[n]);
  }

  private secret(name: string): string {
    const v = this.secrets[name];
    if (!v) throw new HttpSyncError(syncError('permanent', `the secret "${name}" is not set; add it in the connection settings`));
    return v;
  }

  async parts(): Promise<AuthParts> {
    const s = this.spec;
    switch (s.type) {
      case 'none':
        return { headers: {}, query: {} };
      case 'bearer':
        return { headers: { authorization: `Bearer ${this.secret(s.tokenSecret)}` }, query: {} };
      case 'api-key':
        return s.in === 'header' ? { headers: { [s.name]: s.prefix + this.secret(s.secret) }, query: {} } : { headers: {}, query: { [s.name]: this.secret(s.secret) } };
      case 'basic': {
        const user = renderTemplate(s.username, this.vars);
        return { headers: { authorization: `Basic ${Buffer.from(`${user}:${this.secret(s.passwordSecret)}`).toString('base64')}` }, query: {} };
      }
      case 'oauth2-client-credentials':
        return { headers: { authorization: `Bearer ${await this.accessToken()}` }, query: {} };
    }
  }

  /** After a 401: true when a fresh credential may help (a cached OAuth token), so the call is worth one retry. */
  invalidate(): boolean {
    if (this.spec.type !== 'oauth2-client-credentials' || !this.token) return false;
    this.token = null;
    return true;
  }

  private accessToken(): Promise<string> {
    if (this.token && this.token.expiresAt > Date.now()) return Promise.resolve(this.token.value);
    this.refreshing ??= this.fetchToken().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async fetchToken(): Promise<string> {
    const s = this.spec;
    if (s.type !== 'oauth2-client-credentials') throw new Error('not an OAuth2 auth');
    const clientId = renderTemplate(s.clientId, this.vars);
    const clientSecret = this.secret(s.clientSecretSecret);
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (s.scope) form.set('scope', s.scope);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (s.clientAuth === 'basic') {
      headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
    } else {
      form.set('client_id', clientId);
      form.set('client_secret', clientSecret);
    }
    const url = renderTemplate(s.tokenUrl, this.vars);
    const res = await this.clientFor(url).send({ method: 'POST', url, headers, body: form.toString() });
    const err = errorForResponse(res, 'OAuth2 token request');
    if (err) throw new HttpSyncError(err.errorClass === 'validation' ? { ...err, errorClass: 'permanent', message: `${err.message}; check the client id and secret` } : err);
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(res.text) as typeof body;
    } catch {
      throw new HttpSyncError(syncError('permanent', 'the OAuth2 token endpoint did not answer JSON', { response: res.text.slice(0, 300) }));
    }
    if (typeof body.access_token !== 'string') throw new HttpSyncError(syncError('permanent', 'the OAuth2 token response has no access_token'));
    const ttlMs = (typeof body.expires_in === 'number' ? body.expires_in : 3600) * 1000;
    // Refresh a little early so a token never expires between our check and the server's.
    this.token = { value: body.access_token, expiresAt: Date.now() + Math.max(0, ttlMs - Math.min(60_000, ttlMs / 10)) };
    return body.access_token;
  }
}
