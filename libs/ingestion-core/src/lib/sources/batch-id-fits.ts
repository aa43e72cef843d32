import { BATCH_ID_MAX_LENGTH, batchIdProblem } from '@sparkflow/contracts';

const UNITS = `UTF-16 code units (a character outside the Basic Multilingual Plane, such as an emoji, counts 2)`;

/**
 * Why `field`, whose text `part` is in `batchId`, makes the batch id a request would name no batch id the
 * audit can be asked for (`batchIdProblem` of libs/contracts), or null when it is one. The message names the
 * field, its length and the room left for it, in the unit the limit is counted in: UTF-16 code units.
 * `shape` shows the batch id's form, e.g. `synthetic-<seed>-p<page>-n<count>`.
 */
export function batchIdFieldProblem(
  batchId: string,
  field: string,
  part: string,
  shape: string,
): string | null {
  if (batchIdProblem(batchId) === null) return null;
  const room = Math.max(0, BATCH_ID_MAX_LENGTH - (batchId.length - part.length));
  return (
    `\`${field}\` is ${part.length} UTF-16 code units long; at most ${room} fit here, since its batch id ` +
    `${shape} may have at most ${BATCH_ID_MAX_LENGTH} ${UNITS}`
  );
}
