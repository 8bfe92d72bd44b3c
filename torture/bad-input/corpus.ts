import type { BadCase } from './case.js';
import { crossCases, conflictCases, unknownKeyCases } from './cross.js';
import { injectionCases, layoutCases, traversalCases } from './structure.js';
import { binaryCases, hugeCases, syntaxCases } from './syntax.js';
import { typeCases, valueCases } from './values.js';

/** Every hand-written and generated bad-input case. */
export function corpus(): BadCase[] {
  return [...syntaxCases, ...binaryCases, ...hugeCases, ...typeCases, ...valueCases, ...injectionCases, ...traversalCases, ...layoutCases, ...crossCases, ...conflictCases, ...unknownKeyCases];
}
