import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
for (const sync of ['FULL','NORMAL']) {
const db = new Database(mkdtempSync(tmpdir()+'/fs-')+'/x.db');
db.pragma('journal_mode = WAL'); db.pragma('synchronous = '+sync);
db.exec('create table t (a text)');
const ins = db.prepare('insert into t values (?)');
const t0 = performance.now(); let n=0;
while (performance.now()-t0 < 1000) { db.transaction(()=>ins.run('x'))(); n++; }
console.log(sync, 'commits/s', n, 'ms/commit', (1000/n).toFixed(3));
}
