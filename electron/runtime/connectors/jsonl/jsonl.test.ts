import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { WriteOp } from '../types.js';
import { jsonlConnector } from './definition.js';
import { RotatingJsonlFile } from './rotating-file.js';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-jsonl-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const lines = (dir: string, ext = /\.jsonl$/) =>
  fs
    .readdirSync(dir)
    .filter((f) => ext.test(f))
    .sort()
    .flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const upsert = (id: string, fields: Record<string, unknown>, key: string | null = null): WriteOp => ({ kind: 'upsert', key, match: { field: 'email', value: `tok_k1_${id}`, normalize: 'exact' }, fields, idempotencyKey: id, sourceTime: 1 });

describe('rotating JSONL file', () => {
  it('publishes by size with an atomic rename; readers see only whole .jsonl files', () => {
    const dir = tmp();
    const f = new RotatingJsonlFile({ folder: dir, entity: 'contacts', maxFileBytes: 1024, maxFileAgeMs: 60_000 });
    for (let i = 0; i < 30; i++) f.append(`${JSON.stringify({ id: `e${i}`, pad: 'x'.repeat(80) })}\n`, [`e${i}`]);
    const names = fs.readdirSync(dir).sort();
    expect(names.filter((n) => n.endsWith('.jsonl')).length).toBeGreaterThanOrEqual(2);
    expect(names.filter((n) => n.endsWith('.part'))).toEqual(['contacts.00000003.jsonl.part']);
    f.close();
    expect(lines(dir).map((l) => l.id)).toEqual(Array.from({ length: 30 }, (_, i) => `e${i}`));
    expect(fs.readdirSync(dir).some((n) => n.endsWith('.part'))).toBe(false);
  });

  it('publishes a quiet part once it is old enough', () => {
    const dir = tmp();
    let now = 0;
    const f = new RotatingJsonlFile({ folder: dir, entity: 'c', maxFileBytes: 1 << 20, maxFileAgeMs: 1000, now: () => now });
    f.append('{"id":"a"}\n', ['a']);
    f.tick();
    expect(lines(dir)).toEqual([]);
    now = 1000;
    f.tick();
    expect(lines(dir)).toEqual([{ id: 'a' }]);
  });

  it('after a kill mid-append, cuts the torn line and remembers the ids of whole ones (part and newest file)', () => {
    const dir = tmp();
    const f = new RotatingJsonlFile({ folder: dir, entity: 'c', maxFileBytes: 30, maxFileAgeMs: 60_000 });
    f.append('{"id":"a","v":"0123456789012345"}\n', ['a']);
    f.append('{"id":"b"}\n', ['b']); // publishes the full part first
    // A torn append: the process died inside write().
    fs.appendFileSync(path.join(dir, 'c.00000002.jsonl.part'), '{"id":"c","v":"tor');
    const again = new RotatingJsonlFile({ folder: dir, entity: 'c', maxFileBytes: 30, maxFileAgeMs: 60_000 });
    expect(fs.readFileSync(path.join(dir, 'c.00000002.jsonl.part'), 'utf8')).toBe('{"id":"b"}\n');
    expect(again.has('a')).toBe(true);
    expect(again.has('b')).toBe(true);
    expect(again.has('c')).toBe(false);
    again.append('{"id":"c"}\n', ['c']);
    again.close();
    expect(lines(dir).map((l) => l.id)).toEqual(['a', 'b', 'c']);
  });


  it('remembers a re-sent op it skipped, even when its line is files back by the next crash', () => {
    const dir = tmp();
    const o = { folder: dir, entity: 'c', maxFileBytes: 1 << 20, maxFileAgeMs: 60_000 };
    const run1 = new RotatingJsonlFile(o);
    run1.append('{"id":"a"}\n', ['a']); // written, then killed before the inbox commit
    run1.publish();
    const run2 = new RotatingJsonlFile(o);
    expect(run2.has('a')).toBe(true);
    run2.append('{"id":"b"}\n', ['b'], ['a', 'b']); // "a" sent again (skipped) with a new "b"; killed again
    run2.publish();
    const run3 = new RotatingJsonlFile(o);
    expect(run3.has('a')).toBe(true);
    expect(run3.has('b')).toBe(true);
  });
});

describe('jsonl-folder connector', () => {
  const open = (dir: string, extra: Record<string, unknown> = {}) => jsonlConnector.create({ config: jsonlConnector.configSchema.parse({ folder: 'feed', entities: ['contacts'], ...extra }), secrets: {}, flowId: 'f', systemId: 'ai', dataDir: dir });

  it('writes one line per op with exact values, keyed by the masked match value, and skips a repeated op', async () => {
    const dir = tmp();
    const c = open(dir);
    const r1 = await c.write('contacts', [upsert('e1', { email: 'tok_k1_x', big: { $dec: '123456789012345678901234567890.5' }, doc: { $json: '{"a": 1, "a": 2}' }, note: null })], 'o');
    expect(r1).toEqual([{ ok: true, key: 'tok_k1_e1', created: true }]);
    // The engine sends the same batch again (a crash before its inbox commit): nothing is written twice.
    expect(await c.write('contacts', [upsert('e1', { email: 'tok_k1_x' })], 'o')).toEqual([{ ok: true, key: 'tok_k1_e1' }]);
    await c.write('contacts', [{ kind: 'delete', key: 'tok_k1_e1', mode: 'hard', idempotencyKey: 'e2', sourceTime: 2 }], 'o');
    await c.close();
    const text = fs.readFileSync(path.join(dir, 'feed', 'contacts.00000001.jsonl'), 'utf8');
    expect(text).toBe(
      '{"id":"e1","op":"upsert","key":"tok_k1_e1","sourceTime":1,"fields":{"email":"tok_k1_x","big":123456789012345678901234567890.5,"doc":{"a": 1, "a": 2},"note":null}}\n' +
        '{"id":"e2","op":"delete","key":"tok_k1_e1","sourceTime":2}\n',
    );
  });

  it('refuses a value JSON cannot hold exactly, by field, and writes the rest', async () => {
    const dir = tmp();
    const c = open(dir);
    const r = await c.write('contacts', [upsert('e1', { x: { $pg: 'float8', text: 'NaN' } }), upsert('e2', { x: 1 })], 'o');
    expect(r[0]).toMatchObject({ ok: false, error: { errorClass: 'validation', message: expect.stringMatching(/^field "x": the float8 value NaN has no exact JSON form/) } });
    expect(r[1]).toMatchObject({ ok: true });
    await c.close();
    expect(lines(path.join(dir, 'feed')).map((l) => l.id)).toEqual(['e2']);
  });

  it('says what to fix in bad settings and in an unwritable folder', async () => {
    expect(jsonlConnector.configSchema.safeParse({ folder: 'x', entities: ['../etc'] }).success).toBe(false);
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'file'), '');
    const c = open(dir, { folder: 'file/feed' });
    const t = await c.testConnection();
    expect(t.ok).toBe(false);
    expect(t.message).toMatch(/^cannot write in .*file\/feed \(ENOTDIR\): choose a folder/);
    await c.close();
  });
});
