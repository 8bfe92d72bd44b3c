import type { Condition, Testbox, TestboxNote } from '../schema/types.js';
import type { Change } from './plan-types.js';

/** The conditions already recorded for the box's current request. */
export function currentConditions(box: Testbox, note: TestboxNote | undefined): Condition[] {
  return note && note.request === box.request ? note.conditions : [];
}

/** True when the current request already carries a condition of `type`. */
export function hasCondition(box: Testbox, note: TestboxNote | undefined, ...types: string[]): boolean {
  return currentConditions(box, note).some((c) => types.includes(c.type));
}

/** A change that appends `condition` to the box's note for its current request. */
export function addCondition(box: Testbox, note: TestboxNote | undefined, condition: Condition): Change {
  return {
    op: 'write-note',
    box: box.name,
    action: box.action,
    note: { apiVersion: 'tbx/v1', kind: 'TestboxNote', name: box.name, request: box.request!, conditions: [...currentConditions(box, note), condition] },
  };
}
