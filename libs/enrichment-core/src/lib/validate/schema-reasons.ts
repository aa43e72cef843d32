import { SparkflowErrorCode, type DeadLetterReason } from '@sparkflow/contracts';
import type { z } from 'zod';
import { dottedPath } from './payload-path';

/** One reason per zod issue: zod already collects every bad field, so nothing is dropped here. */
export function schemaReasons(error: z.ZodError): DeadLetterReason[] {
  return error.issues.map((issue) => ({
    code: SparkflowErrorCode.SchemaInvalid,
    message: issue.message,
    path: dottedPath(issue.path),
  }));
}
