/**
 * One-line plain-words explanations of the words the app uses that an office manager would not
 * know. Shown beside the word until the user hides them (see explanations-store.ts).
 */
export const TERMS = {
  echoes: 'Our own writes seen coming back; dropped so records do not bounce back and forth.',
  ownership: 'A system changed a field another system owns; the owner’s value is put back.',
  lagP99: 'Lag p99: how long the slowest 1 in 100 changes took to reach the other side (p50: a typical change).',
  inbox: 'Changes captured and stored safely, waiting to be written.',
  dlq: 'Dead-letter queue: changes the other side refused, waiting for you to fix and replay.',
} as const;

export type Term = keyof typeof TERMS;
