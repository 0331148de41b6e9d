import { renderPath, renderTemplate, type TemplateVars } from '../definitions/template.js';
import type { ListRequest } from './pagination.js';

interface RequestSpec {
  method: ListRequest['method'];
  path: string;
  query: Record<string, string>;
  body?: unknown;
  recordsPath: string;
}

/** Placeholders in every string of a JSON body template (a search filter's `{value}`). */
export function renderBody(body: unknown, vars: TemplateVars): unknown {
  if (typeof body === 'string') {
    // A lone placeholder keeps the value's own type (a number stays a number).
    const whole = /^\{([A-Za-z0-9_.]+)\}$/.exec(body);
    if (whole && whole[1]! in vars) return vars[whole[1]!];
    return renderTemplate(body, vars);
  }
  if (Array.isArray(body)) return body.map((b) => renderBody(b, vars));
  if (body && typeof body === 'object') return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, renderBody(v, vars)]));
  return body;
}

export function renderQuery(q: Record<string, string>, vars: TemplateVars): Record<string, string> {
  // Keys may be placeholders too (`{field}: "{value}"` filters by whichever field is matched).
  return Object.fromEntries(Object.entries(q).map(([k, v]) => [renderTemplate(k, vars), renderTemplate(v, vars)]));
}

/** A definition's request with its placeholders filled in. */
export function listRequest(spec: RequestSpec, vars: TemplateVars): ListRequest {
  return {
    method: spec.method,
    path: renderPath(spec.path, vars),
    query: renderQuery(spec.query, vars),
    recordsPath: spec.recordsPath,
    ...(spec.body !== undefined ? { body: JSON.stringify(renderBody(spec.body, vars)) } : {}),
  };
}
