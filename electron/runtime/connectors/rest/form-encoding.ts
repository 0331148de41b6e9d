import { exactText } from '../../values/exact.js';

/**
 * application/x-www-form-urlencoded the way Stripe reads it: nested objects as `a[b]=`, arrays as
 * `a[0]=`, null as an empty value (which Stripe takes as "unset").
 */
export function formEncode(value: Record<string, unknown>): string {
  const out = new URLSearchParams();
  const walk = (prefix: string, v: unknown) => {
    if (v === undefined) return;
    if (v === null) out.append(prefix, '');
    else if (Array.isArray(v)) v.forEach((x, i) => walk(`${prefix}[${i}]`, x));
    else if (v instanceof Date) out.append(prefix, String(Math.floor(v.getTime() / 1000)));
    else if (exactText(v) !== null) out.append(prefix, exactText(v)!);
    else if (typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(`${prefix}[${k}]`, x);
    else out.append(prefix, String(v));
  };
  for (const [k, v] of Object.entries(value)) walk(k, v);
  return out.toString();
}
