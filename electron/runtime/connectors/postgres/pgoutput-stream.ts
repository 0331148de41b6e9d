import type { Client } from 'pg';
import { PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import { parserForType, type ArrayElementTypes } from './type-mapping.js';

export interface StreamPluginOptions {
  publication: string;
  arrays: ArrayElementTypes;
  /** Ask the server to skip changes that carry a replication origin (ours); Postgres 16+. */
  skipOriginChanges: boolean;
}

/**
 * pgoutput with our type mapping and origin filter. The stock parser maps values with pg's global
 * type parsers (timestamps become millisecond Dates); we swap each relation's column parsers as the
 * Relation message is parsed, before any row of that relation is.
 */
export class StreamPlugin extends PgoutputPlugin {
  private readonly extra: StreamPluginOptions;

  constructor(extra: StreamPluginOptions) {
    super({ protoVersion: 1, publicationNames: [extra.publication] });
    this.extra = extra;
  }

  override parse(buffer: Buffer): Pgoutput.Message {
    const msg = super.parse(buffer);
    if (msg.tag === 'relation') {
      for (const column of msg.columns) column.parser = parserForType(column.typeOid, this.extra.arrays);
    }
    return msg;
  }

  override start(client: Client, slotName: string, lastLsn: string): Promise<unknown> {
    const options = [`proto_version '1'`, `publication_names '${this.extra.publication.replace(/'/g, "''")}'`];
    if (this.extra.skipOriginChanges) options.push(`origin 'none'`);
    return client.query(`START_REPLICATION SLOT "${slotName}" LOGICAL ${lastLsn} (${options.join(', ')})`);
  }
}
