import type { SourceRecord } from '../types.js';

/**
 * A push-only source cannot be read back, so samples for preview and matching come from the last
 * records it delivered (in memory, a few per entity).
 */
export class RecentRecords {
  private readonly byEntity = new Map<string, Map<string, SourceRecord>>();

  constructor(private readonly perEntity = 50) {}

  remember(entity: string, record: SourceRecord): void {
    let m = this.byEntity.get(entity);
    if (!m) this.byEntity.set(entity, (m = new Map()));
    m.delete(record.key);
    m.set(record.key, record);
    if (m.size > this.perEntity) m.delete(m.keys().next().value!);
  }

  forget(entity: string, key: string): void {
    this.byEntity.get(entity)?.delete(key);
  }

  list(entity: string): SourceRecord[] {
    return [...(this.byEntity.get(entity)?.values() ?? [])].reverse();
  }
}
