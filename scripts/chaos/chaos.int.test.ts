import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { usePostgres } from '../../electron/runtime/connectors/postgres/test-support/use-postgres.js';
import { REPO_ROOT } from '../../electron/runtime/test-support/synccanvas-process.js';
import { runTrials } from './run-trials.js';
import { formatTable } from './trial.js';

/**
 * The short form of `npm run chaos`: one quick trial of each kind (Postgres one-way, Postgres
 * two-way, SQLite two-way), each with a fresh pair of databases, a seeded writer and at least one
 * SIGKILL; the Postgres ones may also cut the network or refuse connections. Every trial must lose,
 * duplicate, mismatch and dead-letter nothing, and catch up. CHAOS_SEED replays a failing run.
 */
const db = usePostgres('chaos');
const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 1_000_000));

describe('fault-injection trials (short form of npm run chaos)', () => {
  it(`each kind of trial ends with nothing lost, duplicated, mismatched or dead-lettered (seed ${seed})`, async () => {
    expect(fs.existsSync(path.join(REPO_ROOT, 'dist/runtime/cli.js')), 'run `npm run build` first').toBe(true);
    const results = await runTrials(db().server, { trials: 3, seed, quick: true });
    const table = formatTable(results);
    console.log(`chaos seed ${seed}\n${table}`);
    for (const r of results) {
      expect(r.changes, `trial ${r.trial}: the writer made changes`).toBeGreaterThan(50);
      expect(r.loggedWrites, `trial ${r.trial}: the write log saw the runtime's writes`).toBeGreaterThan(0);
      expect({ trial: r.trial, kind: r.kind, seed: r.seed, faults: r.faults, lost: r.lost, duplicated: r.duplicated, mismatched: r.mismatched, deadLettered: r.deadLettered, caughtUp: r.catchUpSeconds !== null }, `${table}\n${r.detail ?? ''}`).toEqual({
        trial: r.trial,
        kind: r.kind,
        seed: r.seed,
        faults: r.faults,
        lost: 0,
        duplicated: 0,
        mismatched: 0,
        deadLettered: 0,
        caughtUp: true,
      });
    }
  }, 240_000);

  it('the counters see a lost record, a changed record and a second write of one change', async () => {
    const [r] = await runTrials(db().server, { trials: 1, seed, quick: true, kind: 'pg-one-way', sabotage: true });
    expect(r!.catchUpSeconds, r!.detail).not.toBeNull();
    expect({ lost: r!.lost, mismatched: r!.mismatched, duplicated: r!.duplicated }).toEqual({ lost: 1, mismatched: 1, duplicated: 1 });
  }, 120_000);
});
