import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main, EXIT } from './cli.js';
import { DEMO_FLOW } from './demo/demo-flow.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) }, out, err };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('synccanvas CLI arguments and flow validation', () => {
  it('validates a good flow file and reports it in JSON', async () => {
    const file = path.join(dir, 'good.flow.json');
    fs.writeFileSync(file, JSON.stringify(DEMO_FLOW));
    const c = capture();
    expect(await main(['validate', file, '--json'], c.io)).toBe(EXIT.ok);
    expect(JSON.parse(c.out[0]!)).toEqual({ ok: true, flowId: 'demo', migratedFrom: null, issues: [] });
  });

  it('names the path and the fix for a bad flow, and exits 1', async () => {
    const bad = structuredClone(DEMO_FLOW) as unknown as { syncs: { direction: string; fields: { owner: string }[] }[] };
    bad.syncs[0]!.direction = 'sideways';
    const file = path.join(dir, 'bad.flow.json');
    fs.writeFileSync(file, JSON.stringify(bad));
    const c = capture();
    expect(await main(['validate', file], c.io)).toBe(EXIT.failed);
    expect(c.err.join('\n')).toContain('syncs[0].direction: must be one of "a-to-b", "b-to-a", "both"');
  });

  it('reports malformed JSON with the parser message', async () => {
    const file = path.join(dir, 'broken.flow.json');
    fs.writeFileSync(file, '{"schemaVersion": 2, ');
    const c = capture();
    expect(await main(['validate', file, '--json'], c.io)).toBe(EXIT.failed);
    const res = JSON.parse(c.out[0]!) as { ok: boolean; issues: { path: string; message: string }[] };
    expect(res.ok).toBe(false);
    expect(res.issues[0]!.message).toMatch(/is not valid JSON/);
  });

  it('reads a v1 (prototype) flow through the migration', async () => {
    const v1 = structuredClone(DEMO_FLOW) as unknown as Record<string, unknown> & { syncs: Record<string, unknown>[] };
    delete v1.schemaVersion;
    v1.syncs[0]!.direction = '↔';
    const file = path.join(dir, 'v1.flow.json');
    fs.writeFileSync(file, JSON.stringify(v1));
    const c = capture();
    expect(await main(['validate', file, '--json'], c.io)).toBe(EXIT.ok);
    expect(JSON.parse(c.out[0]!)).toMatchObject({ ok: true, migratedFrom: 1 });
  });

  it.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [['validate'], /missing the flow file/],
    [['run', 'x.json', '--wat'], /Unknown option '--wat'/],
    [['dlq', 'list', '--class', 'weird'], /--class must be one of transient, permanent, conflict, validation/],
    [['dlq', 'replay'], /say which entries to replay/],
    [['dlq', 'explode'], /unknown dlq action "explode"/],
    [['serve', '--port', 'abc'], /--port must be a whole number from 0 to 65535/],
    [['run', 'x.json', '--inbox-limit', '5'], /--inbox-limit must be a whole number from 100 to 100000000/],
    [['serve', '--inbox-limit', 'lots'], /--inbox-limit must be a whole number from 100 to 100000000/],
    [['preview', 'x.json'], /missing --sync ID/],
  ])('rejects bad arguments %j with exit 2 and a hint', async (argv, message) => {
    const c = capture();
    expect(await main(argv, c.io)).toBe(EXIT.usage);
    expect(c.err.join('\n')).toMatch(message);
    expect(c.err.join('\n')).toContain('synccanvas --help');
  });

  it('says there is no workspace instead of creating one for read commands', async () => {
    const c = capture();
    expect(await main(['status', '--workspace', path.join(dir, 'nowhere')], c.io)).toBe(EXIT.unavailable);
    expect(c.err.join('\n')).toMatch(/no workspace at/);
    expect(fs.existsSync(path.join(dir, 'nowhere'))).toBe(false);
  });

  it('refuses to delete the data key, and forget needs to know whose data (and a workspace)', async () => {
    const c = capture();
    expect(await main(['secrets', 'delete', 'synccanvas/data-key', '--workspace', path.join(dir, 'nowhere')], c.io)).toBe(EXIT.usage);
    expect(c.err.join('\n')).toMatch(/"synccanvas\/data-key" is the key that opens the workspaces' encrypted customer data/);
    const f = capture();
    expect(await main(['forget', '--system', 'crm', '--workspace', path.join(dir, 'nowhere')], f.io)).toBe(EXIT.usage);
    expect(f.err.join('\n')).toMatch(/say whose data to erase: --system S --key K/);
    const w = capture();
    expect(await main(['forget', '--system', 'crm', '--key', '1', '--workspace', path.join(dir, 'nowhere')], w.io)).toBe(EXIT.unavailable);
    expect(w.err.join('\n')).toMatch(/no workspace at/);
    expect(fs.existsSync(path.join(dir, 'nowhere'))).toBe(false);
  });

  it('refuses to run a file that does not exist, writing nothing', async () => {
    const ws = path.join(dir, 'ws-missing');
    const c = capture();
    expect(await main(['run', path.join(dir, 'missing.flow.json'), '--workspace', ws], c.io)).toBe(EXIT.failed);
    expect(c.err.join('\n')).toMatch(/no such file/);
    expect(fs.existsSync(ws)).toBe(false);
  });
});
