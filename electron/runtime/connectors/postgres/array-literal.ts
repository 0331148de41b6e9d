/** Postgres array text format (`{1,"a b",NULL,{2,3}}`), both ways. */

export type ElementParser = (text: string) => unknown;

export function parseArrayLiteral(text: string, parseElement: ElementParser): unknown[] {
  let source = text;
  // A lower bound other than 1 is printed as a dimension prefix: `[0:2]={…}`.
  if (source.startsWith('[')) source = source.slice(source.indexOf('=') + 1);
  let pos = 0;
  const parseLevel = (): unknown[] => {
    if (source[pos] !== '{') throw new Error(`malformed array literal at ${pos}: ${text}`);
    pos++;
    const out: unknown[] = [];
    if (source[pos] === '}') {
      pos++;
      return out;
    }
    for (;;) {
      const ch = source[pos];
      if (ch === '{') {
        out.push(parseLevel());
      } else if (ch === '"') {
        pos++;
        let value = '';
        while (source[pos] !== '"') {
          if (pos >= source.length) throw new Error(`unterminated quoted element in array literal: ${text}`);
          if (source[pos] === '\\') pos++;
          value += source[pos];
          pos++;
        }
        pos++;
        out.push(parseElement(value));
      } else {
        const start = pos;
        while (pos < source.length && source[pos] !== ',' && source[pos] !== '}') pos++;
        const raw = source.slice(start, pos).trim();
        out.push(raw === 'NULL' ? null : parseElement(raw));
      }
      const sep = source[pos];
      pos++;
      if (sep === '}') return out;
      if (sep !== ',') throw new Error(`malformed array literal at ${pos - 1}: ${text}`);
    }
  };
  return parseLevel();
}

export type ElementEncoder = (value: unknown) => string;

export function formatArrayLiteral(values: readonly unknown[], encodeElement: ElementEncoder): string {
  const parts = values.map((v) => {
    if (v === null || v === undefined) return 'NULL';
    if (Array.isArray(v)) return formatArrayLiteral(v, encodeElement);
    return `"${encodeElement(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  });
  return `{${parts.join(',')}}`;
}
