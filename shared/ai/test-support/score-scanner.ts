import { scanText } from '../scanner.js';
import type { CorpusCase } from './scanner-corpus.js';

export interface ScannerScore {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
  /** What was found that is not there, and what was missed: `kind "text"`. */
  wrong: string[];
  missed: string[];
}

/** Precision and recall of the scanner over a corpus; a finding counts when kind and exact span match. */
export function scoreScanner(corpus: readonly CorpusCase[]): ScannerScore {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  const wrong: string[] = [];
  const missed: string[] = [];
  for (const c of corpus) {
    const found = scanText(c.text).map((f) => `${f.kind} ${JSON.stringify(c.text.slice(f.start, f.end))}`);
    const want = c.holds.map(([k, v]) => `${k} ${JSON.stringify(v)}`);
    for (const f of found) {
      if (want.includes(f)) tp++;
      else {
        fp++;
        wrong.push(f);
      }
    }
    for (const w of want) {
      if (!found.includes(w)) {
        fn++;
        missed.push(w);
      }
    }
  }
  return { truePositives: tp, falsePositives: fp, falseNegatives: fn, precision: tp / Math.max(1, tp + fp), recall: tp / Math.max(1, tp + fn), wrong, missed };
}
