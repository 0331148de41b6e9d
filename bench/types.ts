/** One benchmark row as printed and written to bench/out/latest.json. */
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  /** The bare ceiling measured in the same run (e.g. raw insert rate), where the row has one. */
  ceiling?: number;
  /** value / ceiling (or the target ratio the issue names, e.g. vs a baseline). */
  ratio?: number;
  note?: string;
}

export interface BenchOptions {
  quick: boolean;
}

/** A bench module exports `rows(opts)`; bench/run.ts runs every module in bench/rows/. */
export type BenchModule = { rows(opts: BenchOptions): Promise<BenchRow[]> };
