import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EntitySpecSchema } from '../definitions/format.js';
import { captureRecorder } from '../definitions/contract-servers/capture-recorder.js';
import { ApiCaller } from './api-caller.js';
import { Authenticator } from './auth.js';
import { HttpClient } from './http-client.js';
import { PollScheduleSchema, pollIntervalMs, startPoller } from './poller.js';

let server: Server | null = null;
let http: HttpClient | null = null;
afterEach(async () => {
  await http?.close();
  await new Promise((r) => (server ? server.close(r) : r(null)));
});

async function api(records: () => unknown[], status: () => number = () => 200) {
  server = createServer((_q, r) => {
    const code = status();
    if (code !== 200) {
      r.writeHead(code, { 'retry-after': '2' });
      r.end('{"error":"down for maintenance"}');
      return;
    }
    r.end(JSON.stringify({ data: records() }));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  http = new HttpClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  return new ApiCaller(http, new Authenticator({ type: 'none' }, {}, {}, http), {});
}

const entity = EntitySpecSchema.parse({
  name: 'rows',
  primaryKey: 'id',
  cursorField: 'at',
  cursorFormat: 'epoch-ms',
  fields: [{ name: 'id', type: 'string' }, { name: 'at', type: 'integer' }],
  read: { request: { path: '/rows', recordsPath: 'data' }, overlapMs: 1000 },
});

describe('poll schedule', () => {
  it('runs on a cron schedule (with a seconds field) and reports its longest gap for tombstone TTLs', async () => {
    const rows = [{ id: 'a', at: 1_000_000 }];
    const caller = await api(() => rows);
    const rec = captureRecorder(['rows']);
    const p = await startPoller({ api: caller, entities: [entity], vars: {}, eventIdPrefix: 's:', schedule: PollScheduleSchema.parse({ mode: 'cron', cron: '* * * * * *' }) }, rec.ctx);
    await rec.waitFor(() => rec.changes().length === 1);
    rows.push({ id: 'b', at: 1_000_500 });
    await rec.waitFor(() => rec.changes().length === 2, 3000);
    await p.stop();
    expect(pollIntervalMs({ mode: 'cron', cron: '*/15 * * * *' })).toBe(900_000);
    expect(pollIntervalMs({ mode: 'cron', cron: '0 2 * * 1-5' })).toBe(3 * 86_400_000);
    expect(() => PollScheduleSchema.parse({ mode: 'cron', cron: 'every minute' })).toThrow(/five fields/);
  });

  it('commits the cursor with its batch; an old checkpoint replays the same eventIds, a records late inside the overlap is still caught', async () => {
    const rows = [
      { id: 'a', at: 10_000 },
      { id: 'b', at: 20_000 },
    ];
    const caller = await api(() => rows);
    const rec = captureRecorder(['rows']);
    const p = await startPoller({ api: caller, entities: [entity], vars: {}, eventIdPrefix: 's:', schedule: { mode: 'off' } }, rec.ctx);
    await p.pollNow();
    expect(rec.batches).toHaveLength(1);
    const first = rec.batches[0]!;
    expect(JSON.parse(first.checkpoint!).entities.rows.cursor).toBe(20_000);
    // A row committed late with a time inside the overlap window (cursor − 1 s) is still delivered.
    rows.push({ id: 'late', at: 19_500 }, { id: 'old', at: 5_000 });
    await p.pollNow();
    expect(rec.changes().map((c) => c.key)).toEqual(['a', 'b', 'late']);
    await p.stop();

    // A crash before the second commit: the runtime restarts from the first checkpoint.
    const again = captureRecorder(['rows'], first.checkpoint);
    const p2 = await startPoller({ api: caller, entities: [entity], vars: {}, eventIdPrefix: 's:', schedule: { mode: 'off' } }, again.ctx);
    await p2.pollNow();
    await p2.stop();
    expect(again.changes().map((c) => c.eventId)).toEqual([rec.changes()[2]!.eventId]);
  });

  it('reports its source unreachable while the API answers 503, and reachable again once a poll succeeds', async () => {
    let code = 503;
    const caller = await api(() => [{ id: 'a', at: 1_000_000 }], () => code);
    const rec = captureRecorder(['rows']);
    const reports: ({ message: string; retryInMs?: number } | null)[] = [];
    const p = await startPoller({ api: caller, entities: [entity], vars: {}, eventIdPrefix: 's:', schedule: { mode: 'off' } }, { ...rec.ctx, reportAvailability: (r) => reports.push(r) });
    await p.pollNow();
    expect(reports).toHaveLength(1);
    expect(reports[0]!.message).toMatch(/unavailable \(503\)/);
    expect(reports[0]!.retryInMs).toBeGreaterThan(0);
    expect(rec.changes()).toHaveLength(0);
    code = 200;
    await p.pollNow();
    expect(reports.at(-1)).toBeNull();
    expect(rec.changes().map((c) => c.key)).toEqual(['a']);
    await p.stop();
  });
});
