import type { Pgoutput } from 'pg-logical-replication';
import { RUNTIME_ORIGIN_PREFIX } from '../../../../shared/events.js';
import type { CapturedChange } from '../types.js';
import { encodeKey, keyColumns, type TableInfo } from './catalog.js';
import { entityName } from './names.js';

/**
 * Turns decoded pgoutput messages into CapturedChanges, one transaction at a time. Knows nothing
 * about sockets or acknowledgements, so it is tested with hand-made messages.
 */

export interface DecodedSegment {
  changes: CapturedChange[];
  notices: string[];
  /** Resume point once this segment is committed: the commit end LSN, or the last one before it. */
  checkpoint: string;
  /** True when this segment closes its transaction. */
  endsTransaction: boolean;
}

interface OpenTransaction {
  commitLsn: string;
  /** The commit LSN as 16 hex digits: change positions compare as strings (see positionOf). */
  positionPrefix: string;
  sourceTime: number;
  origin: string;
  index: number;
  changes: CapturedChange[];
  notices: string[];
}

export interface DecoderOptions {
  systemId: string;
  tables: TableInfo[];
  versionColumn?: string;
  /** Cut an open transaction into segments of this many changes so memory stays bounded. */
  maxSegmentChanges: number;
  /** Where the last completed transaction ended (the resume point for a partial segment). */
  resumeLsn: string;
}

interface RelationPlan {
  entity: string;
  /** False for a table the flow no longer reads (still in WAL decoded before the publication changed). */
  captured: boolean;
  key: string[];
  /** REPLICA IDENTITY FULL without any key: the whole row is the identity. */
  wholeRow: boolean;
}

/** Milliseconds for a version column value, or undefined when it is not a usable version. */
export function versionOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value !== '') {
    if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  return undefined;
}

function lsnNumber(lsn: string): number {
  const [hi, lo] = lsn.split('/') as [string, string];
  return parseInt(hi, 16) * 2 ** 32 + parseInt(lo, 16);
}

/** An LSN (`16/B374D848`) as 16 upper-case hex digits, so that LSNs compare as strings. */
function lsnHex(lsn: string): string {
  const [hi = '0', lo = '0'] = lsn.split('/');
  return hi.toUpperCase().padStart(8, '0') + lo.toUpperCase().padStart(8, '0');
}

/**
 * The next change's position: commit LSN, then index in the transaction (8 hex digits). Transactions
 * arrive in commit order and a restart sends a transaction again from its first change, so positions
 * grow strictly and the runtime drops a redelivery by the last position it committed.
 */
function positionOf(tx: OpenTransaction): string {
  return `${tx.positionPrefix}:${tx.index.toString(16).padStart(8, '0')}`;
}

export class ChangeDecoder {
  private tx: OpenTransaction | null = null;
  private readonly plans = new Map<number, RelationPlan>();
  private readonly tablesByEntity: Map<string, TableInfo>;
  private resumeLsn: string;

  constructor(private readonly options: DecoderOptions) {
    this.tablesByEntity = new Map(options.tables.map((t) => [t.entity, t]));
    this.resumeLsn = options.resumeLsn;
  }

  get inTransaction(): boolean {
    return this.tx !== null;
  }

  /** Drop a half-received transaction (the stream broke); the server sends it again. */
  reset(resumeLsn: string): void {
    this.tx = null;
    this.resumeLsn = resumeLsn;
  }

  /** Feed one message; returns the segments that became complete. */
  push(msg: Pgoutput.Message): DecodedSegment[] {
    switch (msg.tag) {
      case 'begin':
        this.tx = {
          commitLsn: msg.commitLsn ?? '0/0',
          positionPrefix: lsnHex(msg.commitLsn ?? '0/0'),
          // commitTime is µs since the Unix epoch.
          sourceTime: Number((msg.commitTime as bigint) / 1000n),
          origin: 'user',
          index: 0,
          changes: [],
          notices: [],
        };
        return [];
      case 'origin':
        // Servers before 16 cannot filter origins; pass our own tag on so the engine drops the echo.
        // The writer names its origin `<origin>@<system>` (see writer.ts); the event carries `<origin>`.
        if (this.tx && msg.originName.startsWith(RUNTIME_ORIGIN_PREFIX)) {
          const at = msg.originName.lastIndexOf('@');
          this.tx.origin = at > 0 ? msg.originName.slice(0, at) : msg.originName;
        }
        return [];
      case 'relation':
        this.plans.set(msg.relationOid, this.planFor(msg));
        return [];
      case 'insert':
        this.emit(msg.relation, 'upsert', msg.new);
        return this.cutIfLarge();
      case 'update': {
        const plan = this.plan(msg.relation);
        const before = msg.key ?? msg.old;
        if (before && plan.key.every((k) => before[k] !== undefined)) {
          const oldKey = this.keyOf(plan, before);
          if (oldKey !== this.keyOf(plan, msg.new)) this.emitDelete(msg.relation, before);
        }
        this.emit(msg.relation, 'upsert', msg.new);
        return this.cutIfLarge();
      }
      case 'delete':
        this.emitDelete(msg.relation, (msg.key ?? msg.old) as Record<string, unknown>);
        return this.cutIfLarge();
      case 'truncate': {
        const names = msg.relations.filter(Boolean).map((r) => entityName(r.schema, r.name));
        this.tx?.notices.push(
          `TRUNCATE of ${names.join(', ')} (commit ${this.tx.commitLsn}): the removed rows are not synced as deletes; ` +
            `remove them in the other systems by hand or re-run the initial snapshot.`,
        );
        return [];
      }
      case 'commit': {
        const tx = this.tx;
        this.tx = null;
        const checkpoint = msg.commitEndLsn ?? this.resumeLsn;
        this.resumeLsn = checkpoint;
        if (!tx) return [];
        return [{ changes: tx.changes, notices: tx.notices, checkpoint, endsTransaction: true }];
      }
      default:
        return [];
    }
  }

  private planFor(rel: Pgoutput.MessageRelation): RelationPlan {
    const entity = entityName(rel.schema, rel.name);
    const table = this.tablesByEntity.get(entity);
    const names = new Set(rel.columns.map((c) => c.name));
    let key = table ? keyColumns(table) : [];
    if (key.length === 0 || !key.every((k) => names.has(k))) key = rel.keyColumns;
    const wholeRow = rel.replicaIdentity === 'full' && (!table || keyColumns(table).length === 0);
    return { entity, captured: table !== undefined, key: wholeRow ? rel.columns.map((c) => c.name) : key, wholeRow };
  }

  private plan(rel: Pgoutput.MessageRelation): RelationPlan {
    let plan = this.plans.get(rel.relationOid);
    if (!plan) {
      plan = this.planFor(rel);
      this.plans.set(rel.relationOid, plan);
    }
    return plan;
  }

  private keyOf(plan: RelationPlan, row: Record<string, unknown>): string {
    return encodeKey(plan.key.map((k) => row[k] ?? null));
  }

  private nextEventId(tx: OpenTransaction): string {
    return `pg:${this.options.systemId}:${tx.commitLsn}:${tx.index++}`;
  }

  private versionFor(tx: OpenTransaction, row: Record<string, unknown>): number {
    const column = this.options.versionColumn;
    const own = column ? versionOf(row[column]) : undefined;
    // The commit LSN only grows, so it orders this source's changes when the row has no version.
    return own ?? lsnNumber(tx.commitLsn);
  }

  private emit(rel: Pgoutput.MessageRelation, op: 'upsert', row: Record<string, unknown>): void {
    const tx = this.tx;
    if (!tx) return;
    const plan = this.plan(rel);
    if (!plan.captured) return;
    const fields: Record<string, unknown> = {};
    // An unchanged TOASTed value arrives as undefined: leave it out rather than null it.
    for (const name in row) if (row[name] !== undefined) fields[name] = row[name];
    tx.changes.push({
      // Before nextEventId, which moves the index on.
      position: positionOf(tx),
      eventId: this.nextEventId(tx),
      entity: plan.entity,
      key: this.keyOf(plan, row),
      op,
      fields,
      sourceTime: tx.sourceTime,
      origin: tx.origin,
      version: this.versionFor(tx, row),
    });
  }

  private emitDelete(rel: Pgoutput.MessageRelation, before: Record<string, unknown>): void {
    const tx = this.tx;
    if (!tx) return;
    const plan = this.plan(rel);
    if (!plan.captured) return;
    const fields: Record<string, unknown> = {};
    for (const name in before) if (before[name] !== undefined) fields[name] = before[name];
    tx.changes.push({
      position: positionOf(tx),
      eventId: this.nextEventId(tx),
      entity: plan.entity,
      key: this.keyOf(plan, before),
      op: 'delete',
      fields,
      sourceTime: tx.sourceTime,
      origin: tx.origin,
      version: lsnNumber(tx.commitLsn),
    });
  }

  private cutIfLarge(): DecodedSegment[] {
    const tx = this.tx;
    if (!tx || tx.changes.length < this.options.maxSegmentChanges) return [];
    const changes = tx.changes;
    tx.changes = [];
    // Committing part of a transaction must not move the resume point past it: a restart then
    // receives the whole transaction again, and the same eventIds dedupe what was already taken.
    return [{ changes, notices: [], checkpoint: this.resumeLsn, endsTransaction: false }];
  }
}
