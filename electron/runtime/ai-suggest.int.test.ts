import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openRuntime } from './runtime.js';
import { MemorySecretStore } from './secrets/memory-store.js';

/**
 * Class suggestions for an AI feed from a real (draft) system's samples: values win over names, each
 * suggestion says why by counting, and no sample value comes back.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-ai-suggest-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('ai.suggestClasses', () => {
  it('suggests from sample values read from the system, then from names', async () => {
    const db = new Database(path.join(dir, 'crm.db'));
    db.exec('CREATE TABLE people (id INTEGER PRIMARY KEY, contact TEXT, ref TEXT, remarks TEXT, plan TEXT, updated_at TEXT)');
    const ins = db.prepare('INSERT INTO people (contact, ref, remarks, plan, updated_at) VALUES (?, ?, ?, ?, ?)');
    ins.run('ann@example.com', 'GB82WEST12345698765432', 'Called her at +1 415 555 0132 about the refund', 'pro', '2024-01-01');
    ins.run('bob@example.org', 'DE89370400440532013000', 'All good, renewal next month as agreed on the phone', 'free', '2024-01-02');
    db.close();
    const runtime = await openRuntime({ workspaceDir: path.join(dir, 'ws'), resume: false, secrets: new MemorySecretStore() });
    try {
      const r = await runtime.api['ai.suggestClasses']({ system: { id: 'crm', name: 'CRM', kind: 'sqlite', config: { path: path.join(dir, 'crm.db') } }, entity: 'people', fields: ['contact', 'ref', 'remarks', 'plan', 'updated_at'] });
      expect(r).toEqual({
        samples: 2,
        suggestions: [
          { class: 'email', reason: '2 of 2 samples are email addresses' },
          { class: 'iban', reason: '2 of 2 samples pass the IBAN mod-97 check' },
          { class: 'free-text', reason: 'the name "remarks" suggests free-text' },
          null,
          { class: 'not-sensitive', reason: 'the name "updated_at" is an id, time, status or amount' },
        ],
      });
      expect(JSON.stringify(r)).not.toMatch(/example|GB82|415/);
      await expect(runtime.api['ai.suggestClasses']({ system: { id: 'crm', name: 'CRM', kind: 'sqlite', config: { path: path.join(dir, 'crm.db') } }, entity: 'nope', fields: ['x'] })).rejects.toThrow(/could not read samples of nope/);
    } finally {
      await runtime.close({ drainMs: 0 });
    }
  });
});
