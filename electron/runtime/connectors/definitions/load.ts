import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DefinitionSchema, type Definition } from './format.js';

export class DefinitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DefinitionError';
  }
}

/** A definition from its JSON or YAML text (YAML is a superset of JSON), with every problem named by path. */
export function loadDefinition(text: string, source = 'definition'): Definition {
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true });
  } catch (e) {
    throw new DefinitionError(`${source} is not valid YAML/JSON: ${(e as Error).message}`);
  }
  return parseDefinition(doc, source);
}

export function parseDefinition(doc: unknown, source = 'definition'): Definition {
  const r = DefinitionSchema.safeParse(doc);
  if (!r.success) throw new DefinitionError(`${source} has problems:\n${z.prettifyError(r.error)}`);
  return r.data;
}
