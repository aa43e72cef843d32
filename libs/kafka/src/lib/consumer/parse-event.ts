import { isUtf8 } from 'node:buffer';
import type { z } from 'zod';
import { SCHEMA_VERSION, SparkflowErrorCode, type DeadLetterReason } from '@sparkflow/contracts';
import { SparkflowException } from '@sparkflow/errors';
import type { InboundMessage } from './inbound-message';

/** Zod issues as dead-letter reasons, one per issue, each naming its field. */
export function reasonsFromZod(
  error: z.ZodError,
  code = SparkflowErrorCode.SchemaInvalid,
): DeadLetterReason[] {
  return error.issues.map((issue) => ({
    code,
    message: issue.message,
    path: issue.path.length ? issue.path.map(String).join('.') : null,
  }));
}

/**
 * Decodes a record's value through its contract. Throws a SparkflowException that names every
 * problem: not UTF-8 JSON (MALFORMED_JSON), another schema version, or each invalid field.
 */
export function parseEvent<S extends z.ZodType>(schema: S, message: InboundMessage): z.infer<S> {
  if (!message.value?.length) {
    throw new SparkflowException(SparkflowErrorCode.MalformedJson, 'the record has no value');
  }
  if (!isUtf8(message.value)) {
    throw new SparkflowException(SparkflowErrorCode.MalformedJson, 'the value is not valid UTF-8');
  }
  const text = message.value.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new SparkflowException(
      SparkflowErrorCode.MalformedJson,
      `the value is not JSON: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  const version = (json as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (version !== undefined && version !== SCHEMA_VERSION) {
    throw new SparkflowException(
      SparkflowErrorCode.UnsupportedSchemaVersion,
      `schema version ${JSON.stringify(version)} is not supported (this build reads ${SCHEMA_VERSION})`,
      {
        reasons: [
          {
            code: SparkflowErrorCode.UnsupportedSchemaVersion,
            message: `schemaVersion ${JSON.stringify(version)}`,
            path: 'schemaVersion',
          },
        ],
      },
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const reasons = reasonsFromZod(parsed.error);
    throw new SparkflowException(SparkflowErrorCode.SchemaInvalid, `${reasons.length} invalid field(s)`, {
      reasons,
    });
  }
  return parsed.data;
}
