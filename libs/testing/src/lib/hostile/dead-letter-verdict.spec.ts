import { STAGES, SparkflowErrorCode } from '@sparkflow/contracts';
import { reasonsOf } from '@sparkflow/errors';
import { deadLetterProblem, judgesInput, type DeadLetterSeen } from './dead-letter-verdict';

const letter = (stage: string, ...reasons: DeadLetterSeen['reasons']): DeadLetterSeen => ({
  eventId: '5d0c7b62-3f0e-5a51-9a0e-2f4b9e1c7a10',
  stage,
  reasons,
});

describe('deadLetterProblem', () => {
  it('fails a persistence dead letter whose reason is Cassandra refusing the batch as too large', () => {
    // What persistence wrote for large valid people while Cassandra's batch threshold was too low.
    const problem = deadLetterProblem(
      letter('persistence', {
        code: SparkflowErrorCode.CassandraRejected,
        message: 'Cassandra write failed: ResponseError (server code 0x2200): Batch too large',
        path: null,
      }),
    );
    expect(problem).toContain('dead letter 5d0c7b62-3f0e-5a51-9a0e-2f4b9e1c7a10 (stage persistence)');
    expect(problem).toContain('CASSANDRA_REJECTED');
    expect(problem).toContain('Batch too large');
  });

  it('accepts enrichment refusing a field of the record', () => {
    expect(
      deadLetterProblem(
        letter('enrichment', {
          code: SparkflowErrorCode.SchemaInvalid,
          message: 'Invalid email address',
          path: 'payload.email',
        }),
      ),
    ).toBeNull();
  });

  it('accepts ingestion refusing a person of a push', () => {
    expect(
      deadLetterProblem(
        letter('ingestion', {
          code: SparkflowErrorCode.SchemaInvalid,
          message: 'Required',
          path: 'payload.nat',
        }),
      ),
    ).toBeNull();
  });

  it('fails a letter when any one of its reasons is not about the value', () => {
    const problem = deadLetterProblem(
      letter(
        'enrichment',
        { code: SparkflowErrorCode.SemanticInvalid, message: 'born after registering', path: 'payload.dob' },
        { code: SparkflowErrorCode.Unknown, message: 'TypeError: x is undefined', path: null },
      ),
    );
    expect(problem).toContain('UNKNOWN');
    expect(problem).not.toContain('SEMANTIC_INVALID');
  });

  it('fails an error without a code, a timeout, an unknown code and a letter without reasons', () => {
    const uncoded = reasonsOf(new Error('socket hang up'));
    expect(deadLetterProblem(letter('persistence', ...uncoded))).toContain('UNKNOWN');
    expect(
      deadLetterProblem(
        letter('persistence', {
          code: SparkflowErrorCode.CassandraUnavailable,
          message: 'Cassandra write failed: OperationTimedOutError',
          path: null,
        }),
      ),
    ).toContain('CASSANDRA_UNAVAILABLE');
    expect(
      deadLetterProblem(letter('enrichment', { code: 'NOT_A_CODE', message: 'x', path: null })),
    ).toContain('NOT_A_CODE');
    expect(deadLetterProblem(letter('enrichment'))).toContain('gives no reason');
  });
});

describe('judgesInput', () => {
  it('takes the validation codes at every stage', () => {
    for (const stage of STAGES)
      for (const code of [
        SparkflowErrorCode.MalformedJson,
        SparkflowErrorCode.SchemaInvalid,
        SparkflowErrorCode.UnsupportedSchemaVersion,
        SparkflowErrorCode.SemanticInvalid,
      ])
        expect(judgesInput(stage, code)).toBe(true);
  });

  it('takes a store refusing a value only as the audit quarantine, and a record too large only from enrichment', () => {
    expect(STAGES.filter((s) => judgesInput(s, SparkflowErrorCode.PostgresRejected))).toEqual(['audit']);
    expect(STAGES.filter((s) => judgesInput(s, SparkflowErrorCode.RecordTooLarge))).toEqual(['enrichment']);
    expect(STAGES.filter((s) => judgesInput(s, SparkflowErrorCode.CassandraRejected))).toEqual([]);
  });

  it('refuses every outage, upstream failure and unexplained error at every stage', () => {
    const never = [
      SparkflowErrorCode.CassandraUnavailable,
      SparkflowErrorCode.PostgresUnavailable,
      SparkflowErrorCode.BrokerUnavailable,
      SparkflowErrorCode.BrokerRejected,
      SparkflowErrorCode.SourceUnavailable,
      SparkflowErrorCode.SourceInvalidResponse,
      SparkflowErrorCode.Unknown,
    ];
    for (const stage of STAGES) for (const code of never) expect(judgesInput(stage, code)).toBe(false);
  });

  it('refuses a stage that does not exist', () => {
    expect(judgesInput('replay', SparkflowErrorCode.SchemaInvalid)).toBe(false);
  });
});
