// The whole track: 80 cards, 16 per module, in curriculum order.
import type { Card, ModuleId } from './types.js';
import { MESH } from './mesh.js';
import { TRAFFIC } from './traffic.js';
import { SECURITY } from './security.js';
import { RESILIENCE } from './resilience.js';
import { OBSERVABILITY } from './observability.js';

export type { Card, ModuleId, ModuleInfo } from './types.js';
export { MODULES } from './types.js';

export const CARDS: readonly Card[] = [...MESH, ...TRAFFIC, ...SECURITY, ...RESILIENCE, ...OBSERVABILITY];

const byId = new Map(CARDS.map((c) => [c.id, c]));

export function cardById(id: string): Card | undefined {
  return byId.get(id);
}

export function cardsOf(module: ModuleId): Card[] {
  return CARDS.filter((c) => c.module === module);
}
