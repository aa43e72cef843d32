import { SparkflowErrorCode } from '@sparkflow/contracts';
import { refusalBody } from './refusal-body';

describe('refusalBody', () => {
  it('gives every part of the request at fault a reason of the refusal code, and errors the same without codes', () => {
    const body = refusalBody(400, SparkflowErrorCode.SchemaInvalid, 'invalid request', [
      { path: 'from', message: 'Invalid ISO date' },
      { path: '', message: 'expected an object' },
    ]);
    expect(body).toEqual({
      statusCode: 400,
      code: 'SCHEMA_INVALID',
      message: 'invalid request',
      reasons: [
        { code: 'SCHEMA_INVALID', message: 'Invalid ISO date', path: 'from' },
        { code: 'SCHEMA_INVALID', message: 'expected an object', path: '' },
      ],
      errors: [
        { path: 'from', message: 'Invalid ISO date' },
        { path: '', message: 'expected an object' },
      ],
    });
  });

  it('gives a refusal about no part of the request one reason with path null, and errors none, as before', () => {
    expect(refusalBody(503, SparkflowErrorCode.PostgresUnavailable, 'the store did not answer')).toEqual({
      statusCode: 503,
      code: 'POSTGRES_UNAVAILABLE',
      message: 'the store did not answer',
      reasons: [{ code: 'POSTGRES_UNAVAILABLE', message: 'the store did not answer', path: null }],
      errors: [],
    });
  });

  it("refuses a status that is not the code's own", () => {
    expect(() => refusalBody(400, SparkflowErrorCode.PostgresUnavailable, 'x')).toThrow(
      'refusalBody: POSTGRES_UNAVAILABLE is answered with 503, not 400',
    );
  });
});
