import type { DirectionKey } from '../../../shared/api/contract.js';
import type { Side, SyncEdge } from '../../../shared/flow/schema.js';

export function sourceSide(direction: DirectionKey): Side {
  return direction === 'a-to-b' ? 'a' : 'b';
}

export function targetSide(direction: DirectionKey): Side {
  return direction === 'a-to-b' ? 'b' : 'a';
}

export function directionsOf(sync: SyncEdge): DirectionKey[] {
  return sync.direction === 'both' ? ['a-to-b', 'b-to-a'] : [sync.direction];
}
