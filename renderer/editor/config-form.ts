/**
 * A connector's settings form, generated from its config JSON Schema (zod's toJSONSchema on the
 * runtime side). Scalars, enums and string lists get their own controls; nested objects and unions
 * are edited as JSON, so every setting the connector accepts can be reached from the form.
 */
export type ConfigFieldKind = 'text' | 'integer' | 'number' | 'boolean' | 'enum' | 'list' | 'json';

export interface ConfigField {
  name: string;
  label: string;
  kind: ConfigFieldKind;
  required: boolean;
  options: string[];
  defaultValue: unknown;
  description: string | null;
  /** The allowed range of a number (from the schema's minimum/maximum), checked as the user types. */
  minimum: number | null;
  maximum: number | null;
  /**
   * "file-path": a path on the runtime's machine, edited with a file picker. "broker-choice": a name
   * the system itself holds (a stream, a consumer group), typed or picked from the list it gives.
   */
  format: string | null;
}

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  items?: JsonSchema;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  format?: string;
  title?: string;
};

/** "pollIntervalMs" → "Poll interval (ms)", "sslRootCertPath" → "SSL root cert path". */
export function humanize(name: string): string {
  const unit = /Ms$/.test(name) ? ' (ms)' : /Sec$/.test(name) ? ' (s)' : /Bytes$/.test(name) ? ' (bytes)' : '';
  const stem = name.replace(/(Ms|Sec|Bytes)$/, '');
  const words = stem
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase()
    .replace(/\b(ssl|url|id|api|dlq|wal)\b/g, (w) => w.toUpperCase());
  return words.charAt(0).toUpperCase() + words.slice(1) + unit;
}

function kindOf(schema: JsonSchema): { kind: ConfigFieldKind; options: string[] } {
  if (Array.isArray(schema.enum) && schema.enum.every((v) => typeof v === 'string')) return { kind: 'enum', options: schema.enum as string[] };
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === 'string') return { kind: 'text', options: [] };
  if (type === 'integer') return { kind: 'integer', options: [] };
  if (type === 'number') return { kind: 'number', options: [] };
  if (type === 'boolean') return { kind: 'boolean', options: [] };
  if (type === 'array' && schema.items?.type === 'string') return { kind: 'list', options: [] };
  return { kind: 'json', options: [] };
}

/** An object of plain settings with known names (a definition's `vars`, a webhook listener): one input each, not JSON. */
function isScalarGroup(p: JsonSchema): boolean {
  const props = Object.values(p.properties ?? {}).filter((x) => x.const === undefined);
  return p.type === 'object' && props.length > 0 && props.every((x) => ['text', 'integer', 'number', 'boolean', 'enum'].includes(kindOf(x).kind));
}

/** "vars" holds the named settings of a definition (Shop, Subdomain): their own names are the labels. */
const UNPREFIXED_GROUPS = new Set(['vars']);

export function configFields(jsonSchema: unknown): ConfigField[] {
  const schema = (jsonSchema ?? {}) as JsonSchema;
  const required = new Set(schema.required ?? []);
  const field = (name: string, p: JsonSchema, isRequired: boolean): ConfigField => {
    const { kind, options } = kindOf(p);
    const [group, sub] = name.split('.', 2) as [string, string | undefined];
    const label = p.title ?? (sub === undefined ? humanize(group) : UNPREFIXED_GROUPS.has(group) ? humanize(sub) : `${humanize(group)}: ${humanize(sub).toLowerCase()}`);
    return { name, label, kind, options, required: isRequired, defaultValue: p.default, description: p.description ?? null, minimum: p.minimum ?? p.exclusiveMinimum ?? null, maximum: p.maximum ?? p.exclusiveMaximum ?? null, format: p.format ?? null };
  };
  return (
    Object.entries(schema.properties ?? {})
      .filter(([, p]) => p.const === undefined)
      .flatMap(([name, p]) => {
        if (!isScalarGroup(p)) return [field(name, p, required.has(name))];
        const inner = new Set(p.required ?? []);
        // Inside an optional group, nothing is required on its own: the group's defaults apply.
        return Object.entries(p.properties!)
          .filter(([, q]) => q.const === undefined)
          .map(([sub, q]) => field(`${name}.${sub}`, q, inner.has(sub) && q.default === undefined));
      })
      // Required settings first: they are what a newcomer must fill in.
      .sort((x, y) => Number(y.required) - Number(x.required))
  );
}

/** A setting's stored value; a dotted name ("vars.shop") reads inside an object. */
export function configValue(config: Record<string, unknown>, name: string): unknown {
  const [head, sub] = name.split('.', 2) as [string, string | undefined];
  if (sub === undefined) return config[head];
  const group = config[head];
  return group && typeof group === 'object' ? (group as Record<string, unknown>)[sub] : undefined;
}

/** The text an input shows for a stored value. */
export function fieldText(field: ConfigField, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (field.kind === 'list') return Array.isArray(value) ? value.join(', ') : String(value);
  if (field.kind === 'json') return JSON.stringify(value, null, 2);
  return String(value);
}

export type ParsedField = { ok: true; value: unknown } | { ok: false; message: string };

/** What an input's text stores; `undefined` removes the key so the connector's default applies. */
export function parseFieldText(field: ConfigField, text: string): ParsedField {
  const t = text.trim();
  if (t === '') return field.required ? { ok: false, message: `${field.label} is required` } : { ok: true, value: undefined };
  switch (field.kind) {
    case 'integer':
    case 'number': {
      const n = Number(t);
      if (!Number.isFinite(n)) return { ok: false, message: `${field.label} must be a number` };
      if (field.kind === 'integer' && !Number.isInteger(n)) return { ok: false, message: `${field.label} must be a whole number` };
      if ((field.minimum !== null && n < field.minimum) || (field.maximum !== null && n > field.maximum)) return { ok: false, message: `${field.label} must be ${rangeText(field)}` };
      return { ok: true, value: n };
    }
    case 'boolean':
      return { ok: true, value: t === 'true' };
    case 'list':
      return {
        ok: true,
        value: t
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      };
    case 'json':
      try {
        return { ok: true, value: JSON.parse(t) as unknown };
      } catch (e) {
        return { ok: false, message: `${field.label} is not valid JSON: ${(e as Error).message}` };
      }
    default:
      return { ok: true, value: text };
  }
}

/** The listed names to offer under a typed text: those containing it (any case), the typed one itself left out. */
export function offeredChoices(listed: string[], typed: string): string[] {
  const t = typed.trim().toLowerCase();
  return listed.filter((name) => name.toLowerCase() !== t && name.toLowerCase().includes(t));
}

/** The allowed range in words: "between 10 and 60,000", "at least 1", "at most 64"; empty without one. */
export function rangeText(field: Pick<ConfigField, 'minimum' | 'maximum'>): string {
  const n = (x: number) => x.toLocaleString('en-US');
  if (field.minimum !== null && field.maximum !== null) return `between ${n(field.minimum)} and ${n(field.maximum)}`;
  if (field.minimum !== null) return `at least ${n(field.minimum)}`;
  if (field.maximum !== null) return `at most ${n(field.maximum)}`;
  return '';
}

/** Sets or removes one key of a config object; a dotted name ("vars.shop") inside an object, dropped once empty. */
export function withConfigValue(config: Record<string, unknown>, name: string, value: unknown): Record<string, unknown> {
  const [head, sub] = name.split('.', 2) as [string, string | undefined];
  if (sub !== undefined) {
    const current = config[head];
    const group = withConfigValue(current && typeof current === 'object' ? (current as Record<string, unknown>) : {}, sub, value);
    return withConfigValue(config, head, Object.keys(group).length > 0 ? group : undefined);
  }
  const next = { ...config };
  if (value === undefined) delete next[name];
  else next[name] = value;
  return next;
}

/** The keychain name a system's secret is stored under; stable so re-entering replaces it. */
export function secretName(flowId: string, systemId: string, field: string): string {
  return `synccanvas/${flowId}/${systemId}/${field}`;
}
