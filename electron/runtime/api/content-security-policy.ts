/**
 * The one Content-Security-Policy for the UI, in Electron (session headers) and in browser mode (HTTP
 * headers): scripts only from the app itself, no eval, no plugins, no framing, no form posts.
 * Inline styles stay allowed because React Flow positions nodes with style attributes.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
