import { RandomUser, SparkflowErrorCode } from '@sparkflow/contracts';
import { schemaReasons } from './schema-reasons';

describe('schemaReasons', () => {
  it('turns every zod issue into a SCHEMA_INVALID reason with its dotted path', () => {
    const result = RandomUser.pick({ nat: true, login: true }).safeParse({
      nat: 'GBR',
      login: { uuid: 'x', username: '' },
    });
    if (result.success) throw new Error('expected a schema failure');
    const reasons = schemaReasons(result.error);
    expect(reasons.map((r) => [r.code, r.path]).sort()).toEqual([
      [SparkflowErrorCode.SchemaInvalid, 'login.username'],
      [SparkflowErrorCode.SchemaInvalid, 'login.uuid'],
      [SparkflowErrorCode.SchemaInvalid, 'nat'],
    ]);
    expect(reasons.every((r) => r.message.length > 0)).toBe(true);
  });

  it('gives a null path for an issue about the whole payload', () => {
    const result = RandomUser.safeParse('not an object');
    if (result.success) throw new Error('expected a schema failure');
    expect(schemaReasons(result.error)).toEqual([
      { code: SparkflowErrorCode.SchemaInvalid, message: expect.any(String), path: null },
    ]);
  });
});
