import type { Connector } from '../types.js';
import { entityInfo, matchesNormalized } from '../definitions/entity-info.js';
import type { EntitySpec } from '../definitions/format.js';
import { RecentRecords } from '../webhook/recent-records.js';

export interface QueueRecordReads extends Pick<Connector, 'discover' | 'readSamples' | 'readByKeys' | 'findByField'> {
  /** The records seen in messages lately (the source feeds it; reads answer from it). */
  recent: RecentRecords;
  /** The declared entities by name, for the capture's message mapping. */
  entities: ReadonlyMap<string, EntitySpec>;
  /** A declared entity, or an error naming the ones there are. */
  entity(name: string): EntitySpec;
}

/**
 * What a queue system can say about its records. A broker holds messages, not a table to look
 * things up in, so samples, keyed reads and matching answer from the records seen in messages
 * lately, and discovery is the entities the user declared.
 */
export function queueRecordReads(systemLabel: string, declared: readonly EntitySpec[]): QueueRecordReads {
  const recent = new RecentRecords();
  const entities = new Map(declared.map((e) => [e.name, e]));
  const entity = (name: string): EntitySpec => {
    const e = entities.get(name);
    if (!e) throw new Error(`unknown entity "${name}"; this ${systemLabel} system declares ${[...entities.keys()].join(', ')}`);
    return e;
  };
  return {
    recent,
    entities,
    entity,
    async discover() {
      return declared.map(entityInfo);
    },
    async readSamples(name, limit) {
      entity(name);
      return recent.list(name).slice(0, limit);
    },
    async readByKeys(name, keys) {
      entity(name);
      const want = new Set(keys);
      return recent.list(name).filter((r) => want.has(r.key));
    },
    async findByField(name, field, values, normalize) {
      entity(name);
      return recent.list(name).filter((r) => values.some((v) => matchesNormalized(r.fields[field], v, normalize)));
    },
  };
}
