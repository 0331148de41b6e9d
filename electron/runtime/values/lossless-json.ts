import { isExactDouble } from './decimal.js';
import { exactDecimal, isBlobHex, isExactDecimal, isJsonText, isPgText } from './exact.js';

/**
 * JSON that keeps every number exactly: a number a double cannot hold (an integer beyond 2^53, a
 * long decimal, -0) becomes `{ $dec: '<its text>' }` instead of a rounded double, and stringify
 * writes it back digit for digit. Bodies without such a number (nearly all) take JSON.parse.
 */

/** Could the text hold a number JSON.parse would round? (16+ digits in a row, an exponent, a minus zero.) */
const RISKY = /\d[\d.]{15}|\d[eE][+-]?\d|(?:^|[:,[])\s*-0(?![1-9])/;

/** SQLite's json_object() prints a REAL with a dot or exponent (`1.0`, `1.0e+20`) and 17 digits. */
const RISKY_SQLITE = /\d{16}|\d\.0(?!\d)|\d[eE][+-]?\d/;

export class JsonSyntaxError extends SyntaxError {}

/**
 * How number tokens become values. `decimal` (JSON from HTTP): a token is a decimal; exact as a
 * double or kept as `{ $dec }`. `sqlite` (rows printed by json_object): a token with a dot or an
 * exponent is a REAL, whose double is its value (17 digits name it), kept as `{ $dec }` when it is
 * whole so it stays a REAL (`1.0` is not the INTEGER `1`); an integer beyond 2^53 is `{ $dec }`.
 */
export type NumberMode = 'decimal' | 'sqlite';

export function parseLosslessJson(text: string, mode: NumberMode = 'decimal'): unknown {
  if (!(mode === 'sqlite' ? RISKY_SQLITE : RISKY).test(text)) return JSON.parse(text) as unknown;
  return new Parser(text, mode).parseDocument();
}

function sqliteNumber(token: string): unknown {
  if (/[.eE]/.test(token)) {
    const n = Number(token);
    if (!Number.isFinite(n)) return exactDecimal(token);
    if (!Number.isInteger(n)) return n;
    // The double's own shortest spelling, still with a dot or exponent so it stays a REAL.
    const shortest = String(n);
    return exactDecimal(/e/.test(shortest) ? shortest : `${shortest}.0`);
  }
  const n = Number(token);
  return Number.isSafeInteger(n) ? n : exactDecimal(token);
}

const WS = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class Parser {
  private pos = 0;
  constructor(
    private readonly src: string,
    private readonly mode: NumberMode,
  ) {}

  parseDocument(): unknown {
    const v = this.value();
    this.ws();
    if (this.pos !== this.src.length) this.fail('unexpected text after the JSON value');
    return v;
  }

  private fail(why: string): never {
    throw new JsonSyntaxError(`${why} at position ${this.pos}`);
  }

  private ws(): void {
    while (this.pos < this.src.length && WS.has(this.src[this.pos]!)) this.pos++;
  }

  private value(): unknown {
    this.ws();
    const ch = this.src[this.pos];
    if (ch === '{') return this.object();
    if (ch === '[') return this.array();
    if (ch === '"') return this.string();
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return this.number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.src.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v;
      }
    }
    return this.fail(ch === undefined ? 'unexpected end of JSON' : `unexpected ${JSON.stringify(ch)}`);
  }

  private number(): unknown {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.src);
    if (!m) this.fail('malformed number');
    this.pos += m[0].length;
    if (this.mode === 'sqlite') return sqliteNumber(m[0]);
    return isExactDouble(m[0]) ? Number(m[0]) : exactDecimal(m[0]);
  }

  private string(): string {
    const start = this.pos;
    this.pos++;
    for (;;) {
      const ch = this.src[this.pos];
      if (ch === undefined) this.fail('unterminated string');
      if (ch === '\\') this.pos += 2;
      else if (ch === '"') break;
      else this.pos++;
    }
    this.pos++;
    // JSON.parse does escapes and rejects control characters exactly as the standard says.
    return JSON.parse(this.src.slice(start, this.pos)) as string;
  }

  private array(): unknown[] {
    this.pos++;
    const out: unknown[] = [];
    this.ws();
    if (this.src[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.ws();
      const ch = this.src[this.pos++];
      if (ch === ']') return out;
      if (ch !== ',') this.fail('expected , or ]');
    }
  }

  private object(): Record<string, unknown> {
    this.pos++;
    const out: Record<string, unknown> = {};
    this.ws();
    if (this.src[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.src[this.pos] !== '"') this.fail('expected a property name');
      const key = this.string();
      this.ws();
      if (this.src[this.pos++] !== ':') this.fail('expected :');
      // defineProperty: a "__proto__" key is data, as with JSON.parse, not a prototype change.
      Object.defineProperty(out, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
      this.ws();
      const ch = this.src[this.pos++];
      if (ch === '}') return out;
      if (ch !== ',') this.fail('expected , or }');
    }
  }
}

export class NotJsonError extends Error {}

/**
 * JSON text of a value, writing `{ $dec }` as its digits and `{ $json }` as its document. A value
 * JSON has no exact form for (NaN, ±Infinity, -0, a Postgres value kept as text) is refused,
 * never turned into null or a rounded number.
 */
export function stringifyLossless(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(v) || Object.is(v, -0)) throw new NotJsonError(`${Object.is(v, -0) ? '-0' : String(v)} has no exact JSON form`);
      return String(v);
    case 'bigint':
      return v.toString();
    case 'object': {
      if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : stringifyLossless(x))).join(',')}]`;
      if (isExactDecimal(v)) return v.$dec;
      if (isJsonText(v)) return v.$json;
      if (isPgText(v)) throw new NotJsonError(`the ${v.$pg} value ${v.text} has no exact JSON form`);
      if (isBlobHex(v)) throw new NotJsonError('bytes have no JSON form');
      if (v instanceof Date) return JSON.stringify(v.toISOString());
      const parts: string[] = [];
      for (const [k, x] of Object.entries(v)) if (x !== undefined) parts.push(`${JSON.stringify(k)}:${stringifyLossless(x)}`);
      return `{${parts.join(',')}}`;
    }
    default:
      throw new NotJsonError(`a ${typeof v} has no JSON form`);
  }
}
