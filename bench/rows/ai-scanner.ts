import { scanText } from '../../shared/ai/scanner.js';
import { SCANNER_CORPUS } from '../../shared/ai/test-support/scanner-corpus.js';
import { scoreScanner } from '../../shared/ai/test-support/score-scanner.js';
import type { BenchOptions, BenchRow } from '../types.js';

/**
 * The AI-feed free-text scanner (docs/ai-feeds.md): precision and recall on its corpus of cards,
 * IBANs, emails, phones and national ids with near misses, and how fast it reads ticket-like text.
 */
export async function rows(opts: BenchOptions): Promise<BenchRow[]> {
  const s = scoreScanner(SCANNER_CORPUS);
  const note = `${s.truePositives} found, ${s.falsePositives} wrong, ${s.falseNegatives} missed over ${SCANNER_CORPUS.length} texts`;
  // Throughput on notes like a support queue's: mostly prose, some sensitive values.
  const text = SCANNER_CORPUS.map((c) => `Customer wrote about the order yesterday and asked for a refund. ${c.text}. Thanks, the team.`).join('\n');
  const bytes = Buffer.byteLength(text);
  const target = opts.quick ? 0.3 : 2;
  let n = 0;
  const t0 = performance.now();
  while ((performance.now() - t0) / 1000 < target) {
    scanText(text);
    n++;
  }
  const secs = (performance.now() - t0) / 1000;
  return [
    { name: 'AI feed scanner precision (corpus)', value: s.precision, unit: 'ratio', note },
    { name: 'AI feed scanner recall (corpus)', value: s.recall, unit: 'ratio', note: `missed: ${s.missed.join(', ')}` },
    { name: 'AI feed scanner throughput', value: (bytes * n) / secs / 1e6, unit: 'MB/s', note: `${Math.round((SCANNER_CORPUS.length * n) / secs).toLocaleString('en-US')} notes/s of ~${Math.round(bytes / SCANNER_CORPUS.length)} bytes` },
  ];
}
