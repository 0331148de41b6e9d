/**
 * `{name}` placeholders in paths, query values and headers of a definition. Values placed in a
 * URL path are percent-encoded so a key like `a/b` cannot walk to another endpoint.
 */
import { exactText } from '../../values/exact.js';

export type TemplateVars = Record<string, unknown>;

const PLACEHOLDER = /\{([A-Za-z0-9_.]+)\}/g;

export function renderTemplate(template: string, vars: TemplateVars, encode: (s: string) => string = (s) => s): string {
  return template.replace(PLACEHOLDER, (_m, name: string) => {
    const value = lookup(vars, name);
    if (value === undefined || value === null) throw new Error(`the template "${template}" needs {${name}}, which has no value`);
    // An exact value (a big id, json text) goes in by its digits or text, never "[object Object]".
    return encode(exactText(value) ?? String(value));
  });
}

export function renderPath(template: string, vars: TemplateVars): string {
  return renderTemplate(template, vars, encodeURIComponent);
}

export function templateNames(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

function lookup(vars: TemplateVars, name: string): unknown {
  if (name in vars) return vars[name];
  let cur: unknown = vars;
  for (const part of name.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
