import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openStoreDatabase } from '../store/database.js';
import { Store } from '../store/store.js';
import { FlowEngine } from './flow-engine.js';
import type { EngineStep } from './engine-hooks.js';
import { MemorySystem } from './test-support/memory-system.js';
import { billingEntities, crmEntities, testFlow } from './test-support/flows.js';
import { replayOn } from './test-support/engine-operations.js';

/**
 * The foundation's guarantees under adversity: random change streams, duplicated deliveries,
 * transient target failures, deterministic validation failures fixed and replayed from the DLQ, and crashes between any two durable steps (restart from the store).
 * Some changes carry only the fields they change, so a change applied while an earlier one of its
 * record sits in the DLQ would leave stale values: later changes must wait behind the failed one.
 * Proves: nothing lost (target equals source), nothing applied twice (beyond re-applying the one
 * batch a crash interrupted after its write), per-key order kept.
 */

const STEPS: EngineStep[] = ['capture:before-commit', 'capture:after-commit', 'apply:before-write', 'apply:after-write', 'apply:after-commit'];

type Cmd =
  | { t: 'edit'; rec: number; field: 'name' | 'plan'; value: string }
  | { t: 'patch'; rec: number; field: 'name' | 'plan'; value: string }
  | { t: 'email'; rec: number; upper: boolean }
  | { t: 'delete'; rec: number }
  | { t: 'capture'; n: number }
  | { t: 'redeliver'; back: number }
  | { t: 'process' }
  | { t: 'crash'; step: EngineStep }
  | { t: 'fail' }
  | { t: 'outage'; steps: number }
  | { t: 'wait'; ms: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant('edit' as const), rec: fc.integer({ min: 0, max: 5 }), field: fc.constantFrom('name' as const, 'plan' as const), value: fc.constantFrom('a', 'b', 'c', 'd') }) },
  // A change that carries only the field it changed: a record fails (the name "d"), later changes arrive.
  { weight: 4, arbitrary: fc.record({ t: fc.constant('patch' as const), rec: fc.integer({ min: 0, max: 2 }), field: fc.constantFrom('name' as const, 'plan' as const), value: fc.constantFrom('a', 'b', 'd') }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('email' as const), rec: fc.integer({ min: 0, max: 5 }), upper: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('delete' as const), rec: fc.integer({ min: 0, max: 5 }) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('capture' as const), n: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('redeliver' as const), back: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 4, arbitrary: fc.constant({ t: 'process' as const }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('crash' as const), step: fc.constantFrom(...STEPS) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'fail' as const }) },
  // The target unreachable for a while (every write and read refused), and time passing so the
  // breaker's probes come due during and after it.
  { weight: 1, arbitrary: fc.record({ t: fc.constant('outage' as const), steps: fc.integer({ min: 1, max: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('wait' as const), ms: fc.constantFrom(500, 2_000, 40_000) }) },
);

/** Few records, many partial edits and the rejected name "d": a record fails, later changes of it arrive. */
const failingRecordCmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ t: fc.constant('edit' as const), rec: fc.integer({ min: 0, max: 1 }), field: fc.constantFrom('name' as const, 'plan' as const), value: fc.constantFrom('a', 'd') }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('patch' as const), rec: fc.integer({ min: 0, max: 1 }), field: fc.constantFrom('name' as const, 'plan' as const), value: fc.constantFrom('a', 'b', 'd') }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('capture' as const), n: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 4, arbitrary: fc.constant({ t: 'process' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('crash' as const), step: fc.constantFrom(...STEPS) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'fail' as const }) },
);

/** Both records exist and are linked before the failures start, so their later changes are partial updates. */
const linkedRecords: Cmd[] = [
  { t: 'edit', rec: 0, field: 'name', value: 'a' },
  { t: 'edit', rec: 1, field: 'name', value: 'a' },
  { t: 'capture', n: 2 },
  { t: 'process' },
];

const OUTAGE = 'simulated outage: connect ECONNREFUSED';

class Crash extends Error {}

async function scenario(cmds: Cmd[], tagsOrigin: boolean, batchSize: number): Promise<void> {
  let now = 1_000_000;
  const clock = { now: () => now };
  const crm = new MemorySystem('crm', () => now, tagsOrigin);
  const billing = new MemorySystem('billing', () => now, tagsOrigin);
  const flow = testFlow();
  const store = new Store(openStoreDatabase(':memory:'));
  const connectors = new Map([
    ['crm', crm.connector(crmEntities)],
    ['billing', billing.connector(billingEntities)],
  ]);
  // Permanent errors are deterministic, as validation is: the target rejects the name "d" until fixed.
  billing.reject = { field: 'full_name', value: 'd' };
  let armed: EngineStep | null = null;
  let afterWriteCrashes = 0;
  const make = () =>
    new FlowEngine({
      store,
      flow,
      connectors,
      clock,
      random: () => 0.5,
      batchSize,
      entities: new Map([
        ['crm', crmEntities],
        ['billing', billingEntities],
      ]),
      hooks: {
        step(s) {
          if (armed === s) {
            armed = null;
            if (s === 'apply:after-write') afterWriteCrashes++;
            throw new Crash(s);
          }
        },
      },
    });
  let engine = make();
  // The source's view of what it delivered and what was acknowledged (= the committed checkpoint).
  let delivered = 0;
  const restart = () => {
    engine = make();
    delivered = Number(store.checkpoints.get('f1', 'crm') ?? 0);
  };
  const guard = async (f: () => Promise<void> | void) => {
    try {
      await f();
    } catch (e) {
      if (!(e instanceof Crash)) throw e;
      restart();
    }
  };
  const capture = (n: number) =>
    guard(() => {
      const changes = crm.changesSince(delivered, n);
      if (changes.length === 0) return;
      const to = delivered + changes.length;
      engine.commitCaptured('crm', { changes, checkpoint: String(to) });
      delivered = to;
    });
  const sourceKeyOf = (idempotencyKey: string) => crm.log[Number(idempotencyKey.split('|')[0]!.split(':')[1]) - 1]!.key;
  const email = (rec: number, upper = false) => (upper ? `User${rec}@Example.com ` : `user${rec}@example.com`);
  let downFor = 0;
  const noAvailabilityInDlq = () => {
    const wrong = store.dlq.select({ filter: { flowId: 'f1' } }).filter((e) => e.message.includes(OUTAGE));
    expect(wrong.map((e) => `${e.errorClass} ${e.key}: ${e.message}`), 'an unavailable target never puts a change in the DLQ').toEqual([]);
  };

  for (const c of cmds) {
    now += 7;
    if (downFor > 0 && --downFor === 0) billing.down = null;
    switch (c.t) {
      case 'edit': {
        const key = `c${c.rec}`;
        const exists = crm.table('contacts').has(key);
        crm.userUpsert('contacts', key, exists ? { [c.field]: c.value } : { email: email(c.rec), name: 'n', plan: 'p', [c.field]: c.value });
        break;
      }
      case 'patch':
        crm.userPatch('contacts', `c${c.rec}`, { [c.field]: c.value });
        break;
      case 'email':
        if (crm.table('contacts').has(`c${c.rec}`)) crm.userUpsert('contacts', `c${c.rec}`, { email: email(c.rec, c.upper) });
        break;
      case 'delete':
        crm.userDelete('contacts', `c${c.rec}`);
        break;
      case 'capture':
        await capture(c.n);
        break;
      case 'redeliver':
        // A source that resends what it already sent (no ack arrived): same event ids.
        await guard(() => {
          const from = Math.max(0, delivered - c.back);
          const changes = crm.changesSince(from, delivered - from);
          if (changes.length) engine.commitCaptured('crm', { changes, checkpoint: String(delivered) });
        });
        break;
      case 'process': {
        // While a record has a failed change in the DLQ, none of its later changes reach the target.
        const failed = new Set(store.dlq.select({ filter: { flowId: 'f1' } }).filter((e) => e.errorClass !== 'conflict').map((e) => e.key));
        const before = billing.writes.length;
        await guard(() => engine.processBatch().then(() => undefined));
        for (const w of billing.writes.slice(before)) expect(failed.has(sourceKeyOf(w.op.idempotencyKey)), `a write to ${w.key} while its record had a failed change`).toBe(false);
        break;
      }
      case 'crash':
        armed = c.step;
        break;
      case 'fail':
        billing.failNext = { count: 1, errorClass: 'transient' };
        break;
      case 'outage':
        billing.down = OUTAGE;
        downFor = c.steps;
        break;
      case 'wait':
        now += c.ms;
        break;
    }
    noAvailabilityInDlq();
  }

  // Quiesce: no more crashes or failures; deliver everything, let retries come due, replay the DLQ.
  armed = null;
  billing.failNext = null;
  billing.down = null;
  billing.reject = null; // the user fixes the target's rule, then replays the DLQ
  for (let round = 0; round < 50; round++) {
    await capture(1000);
    now += 6 * 60_000;
    await engine.drainNow();
    if (replayOn(engine, { filter: {} }) === 0 && store.inbox.pending('f1') === 0 && delivered === crm.log.length) break;
  }
  expect(store.inbox.pending('f1')).toBe(0);
  expect(store.dlq.depthOfFlow('f1')).toBe(0);
  noAvailabilityInDlq();

  // Nothing lost: the target holds exactly the source's live records, field for field.
  const norm = (v: unknown) => String(v).trim().toLowerCase();
  const target = [...billing.table('customers').values()];
  const source = [...crm.table('contacts').values()];
  expect(target.length).toBe(source.length);
  for (const src of source) {
    const matches = target.filter((t) => norm(t.contact_email) === norm(src.email));
    expect(matches).toHaveLength(1);
    expect(matches[0]).toMatchObject({ full_name: src.name, plan_code: src.plan });
  }

  // Nothing applied twice, beyond the batch a crash interrupted between its write and its commit.
  const perKey = new Map<string, number>();
  for (const w of billing.writes) perKey.set(w.op.idempotencyKey, (perKey.get(w.op.idempotencyKey) ?? 0) + 1);
  for (const [, n] of perKey) expect(n).toBeLessThanOrEqual(1 + afterWriteCrashes);

  // Per-key order: writes to one target record follow the source's change order.
  const lastPos = new Map<string, number>();
  for (const w of billing.writes) {
    const pos = Number(w.op.idempotencyKey.split('|')[0]!.split(':')[1]);
    expect(pos).toBeGreaterThanOrEqual(lastPos.get(w.key) ?? 0);
    lastPos.set(w.key, pos);
  }
  // Echo writes: the runtime never wrote back to the source.
  expect(crm.writes).toHaveLength(0);
  store.close();
}

describe('FlowEngine under random streams, duplicates, failures and crashes', () => {
  it('loses nothing, applies nothing twice and keeps per-key order (origin-tagging source)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(cmd, { minLength: 5, maxLength: 60 }), fc.integer({ min: 1, max: 8 }), (cmds, batch) => scenario(cmds, true, batch)), {
      numRuns: Number(process.env.PROPERTY_RUNS ?? 150),
    });
  });

  it('holds a failed record\'s later changes until it is replayed, so no partial change lands on a missing one', async () => {
    await fc.assert(fc.asyncProperty(fc.array(failingRecordCmd, { minLength: 5, maxLength: 40 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), (cmds, batch, tags) => scenario([...linkedRecords, ...cmds], tags, batch)), {
      numRuns: Number(process.env.PROPERTY_RUNS ?? 150),
    });
  });

  it('loses nothing, applies nothing twice and keeps per-key order (untagged source: shadows alone)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(cmd, { minLength: 5, maxLength: 60 }), fc.integer({ min: 1, max: 8 }), (cmds, batch) => scenario(cmds, false, batch)), {
      numRuns: Number(process.env.PROPERTY_RUNS ?? 150),
    });
  });
});
