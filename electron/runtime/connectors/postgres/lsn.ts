/** Postgres WAL positions (`16/B374D848`) as bigints, so they compare and subtract exactly. */

const LSN_PATTERN = /^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/;

export function isLsn(text: string): boolean {
  return LSN_PATTERN.test(text);
}

export function parseLsn(text: string): bigint {
  if (!isLsn(text)) throw new Error(`not a Postgres LSN: "${text}" (expected e.g. 0/16B3748)`);
  const [hi, lo] = text.split('/') as [string, string];
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}

export function formatLsn(value: bigint): string {
  const hi = (value >> 32n) & 0xffffffffn;
  const lo = value & 0xffffffffn;
  return `${hi.toString(16).toUpperCase()}/${lo.toString(16).toUpperCase()}`;
}

export function compareLsn(a: string, b: string): number {
  const x = parseLsn(a);
  const y = parseLsn(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * An LSN as the record version change events carry when the row has no version column (the
 * commit LSN, as a number: exact below 2^53, i.e. for the first 8 PiB of WAL).
 */
export function lsnVersion(text: string): number {
  return Number(parseLsn(text));
}
