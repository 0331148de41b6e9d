import type { StoredForm } from '../types.js';
import type { Db } from './database.js';
import { quoteIdent } from './sql-quote.js';
import type { TableSchema } from './table-schema.js';
import { toSqliteValue, UnstorableValueError } from './values.js';

/** Thrown inside the probe transaction so SQLite rolls the temporary table back. */
class RollBack extends Error {}

/**
 * What each value would become in its column, as SQLite itself stores it: the value is converted as
 * the writer converts it, then inserted into a temporary column of the same declared type (so the
 * column's affinity applies) and read back with quote() and its storage class, e.g. `'1' (text)`
 * for a whole number mapped into a TEXT column. Everything is rolled back; the user's file is not
 * touched (temporary tables live outside it).
 */
export function sqliteStoredForms(db: Db, table: TableSchema, rows: Record<string, unknown>[]): Record<string, StoredForm>[] {
  const out: Record<string, StoredForm>[] = rows.map(() => ({}));
  const probe = db.transaction(() => {
    const probes = new Map<string, { insert: (v: unknown) => void; read: () => { t: string; q: string } }>();
    const probeFor = (declaredType: string) => {
      let p = probes.get(declaredType);
      if (!p) {
        const name = quoteIdent(`_synccanvas_probe_${probes.size}`);
        db.exec(`CREATE TEMP TABLE ${name} (v ${declaredType.replace(/[^A-Za-z0-9_ (),]/g, '')})`);
        const insert = db.prepare(`INSERT INTO temp.${name} (v) VALUES (?)`);
        const read = db.prepare(`SELECT typeof(v) AS t, quote(v) AS q FROM temp.${name}`);
        const clear = db.prepare(`DELETE FROM temp.${name}`);
        p = {
          insert: (v) => {
            clear.run();
            insert.run(v);
          },
          read: () => read.get() as { t: string; q: string },
        };
        probes.set(declaredType, p);
      }
      return p;
    };
    rows.forEach((row, i) => {
      for (const [name, value] of Object.entries(row)) {
        const column = table.columns.find((c) => c.name === name);
        if (!column) {
          out[i]![name] = { refused: `column "${name}" does not exist in table "${table.name}": fix the field mapping` };
          continue;
        }
        let bound;
        try {
          bound = toSqliteValue(value, name, column.declaredType);
        } catch (e) {
          if (!(e instanceof UnstorableValueError)) throw e;
          out[i]![name] = { refused: e.message };
          continue;
        }
        const p = probeFor(column.declaredType);
        p.insert(bound);
        const { t, q } = p.read();
        out[i]![name] = { stored: t === 'null' ? 'NULL' : `${q} (${t})` };
      }
    });
    throw new RollBack();
  });
  try {
    probe();
  } catch (e) {
    if (!(e instanceof RollBack)) throw e;
  }
  return out;
}
