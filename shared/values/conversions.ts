/** What a conversion needs to know of a field: the connector's field info (its portable and native types). */
export interface FieldTypes {
  type: string;
  nativeType?: string;
}

/**
 * Which conversions between systems keep every value (docs/values.md). `exact`: every value the
 * source type holds arrives unchanged. `refuses`: some values have no exact form in the target; those
 * are refused into the DLQ (validation) with field, value and type, never rounded. `lossy`: the target
 * itself would change some values without an error (Postgres rounds numeric into float8 or to a
 * smaller scale, drops a time zone into timestamp), so preflight asks the user to change the mapping.
 */
export type Exactness = 'exact' | 'refuses' | 'lossy';

export interface Conversion {
  exactness: Exactness;
  why: string;
}

export interface FieldSide {
  /** Connector kind: postgres, sqlite, webhook, or a definition's kind (HTTP/JSON). */
  kind: string;
  field: FieldTypes;
}

type Family = 'postgres' | 'sqlite' | 'json';
const familyOf = (kind: string): Family => (kind === 'postgres' ? 'postgres' : kind === 'sqlite' ? 'sqlite' : 'json');

const PG_INT_BITS: Record<string, number> = { int2: 16, smallint: 16, int4: 32, integer: 32, int8: 64, bigint: 64, oid: 32 };
const exact = (why: string): Conversion => ({ exactness: 'exact', why });
const refuses = (why: string): Conversion => ({ exactness: 'refuses', why });
const lossy = (why: string): Conversion => ({ exactness: 'lossy', why });

function nativeOf(side: FieldSide): string {
  return (side.field.nativeType ?? '').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** How values of the source field arrive in the target field. */
export function conversionOf(from: FieldSide, to: FieldSide): Conversion {
  const ff = familyOf(from.kind);
  const tf = familyOf(to.kind);
  const fn = nativeOf(from);
  const tn = nativeOf(to);
  const ft = from.field.type;
  const tt = to.field.type;
  if (ff === tf && fn !== '' && fn === tn) return exact(`same type (${fn}): the source's own representation is written`);
  if (tt === 'unknown' || tt === 'json' && tf !== 'postgres') return exact('the target column takes any value as it is');
  if (tt === 'string') {
    if (tf === 'postgres' && /^(character varying|varchar|character|char|bpchar)\(\d+\)$/.test(tn)) return refuses(`${tn} refuses text longer than its limit`);
    return exact('text of the value, as the source printed it');
  }
  if (ft === 'integer' && tt === 'integer') {
    const fb = ff === 'postgres' ? (PG_INT_BITS[fn] ?? 64) : ff === 'sqlite' ? 64 : Infinity;
    const tb = tf === 'postgres' ? (PG_INT_BITS[tn] ?? 64) : tf === 'sqlite' ? 64 : Infinity;
    return fb <= tb ? exact('every integer of the source fits') : refuses(`integers beyond the ${tb}-bit range of ${tn || 'the target'} are refused`);
  }
  if ((ft === 'integer' || ft === 'number') && tt === 'number') {
    if (tf === 'postgres' && (tn === 'double precision' || tn === 'float8' || tn === 'real' || tn === 'float4')) {
      return ft === 'integer' && (PG_INT_BITS[fn] ?? 64) <= 32 ? exact('every int4 fits a double') : lossy(`Postgres rounds to ${tn} without an error: map to numeric or text`);
    }
    if (tf === 'postgres' && tn.startsWith('numeric(')) return lossy(`Postgres rounds to the column's scale (${tn}) without an error: widen it to numeric`);
    if (tf === 'postgres' && tn === 'money') return lossy('money rounds to cents without an error: map to numeric');
    if (tf === 'sqlite') return refuses('a REAL holds about 16 significant digits; longer decimals and integers beyond 2^53 are refused');
    if (ff === 'postgres' && (fn === 'numeric' || fn.startsWith('numeric(') || fn === 'double precision' || fn === 'real')) return refuses('NaN and ±Infinity have no JSON number form and are refused; every other value keeps its digits');
    return exact('decimal digits are kept as they are');
  }
  if ((ft === 'datetime' || ft === 'date') && (tt === 'datetime' || tt === 'date')) {
    if (tf === 'postgres' && ft === 'datetime' && tt === 'date') return lossy('Postgres drops the time of day into a date without an error');
    if (tf === 'postgres' && fn === 'timestamp with time zone' && tn === 'timestamp without time zone') return lossy('the time zone is dropped (the UTC wall clock is kept): map to timestamptz');
    if (tf === 'postgres') return refuses('times Postgres cannot read are refused');
    return exact('the source\'s text of the time (microseconds, infinity and BC dates included)');
  }
  if (ft === 'boolean' && (tt === 'boolean' || tt === 'integer')) return exact('true/false or 1/0');
  if (ft === 'array' && tt === 'array') return exact('element by element');
  if (ft === 'array' && tt === 'json') return refuses('arrays with explicit lower bounds have no JSON form and are refused');
  if (ft === 'json' && tt === 'json') return exact('the document text is written as it is');
  return refuses(`${ft} values the ${tt} column cannot read are refused`);
}
