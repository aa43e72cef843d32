import { STAGES, SparkflowErrorCode, TOPICS } from '@sparkflow/contracts';
import { reasonsOf } from '@sparkflow/errors';
import { deadLetterProblem, firstReaders, judgesInput, type DeadLetterSeen } from './dead-letter-verdict';

const letter = (stage: string, ...reasons: DeadLetterSeen['reasons']): DeadLetterSeen => ({
  eventId: '5d0c7b62-3f0e-5a51-9a0e-2f4b9e1c7a10',
  stage,
  reasons,
});

const batchTooLarge = {
  code: SparkflowErrorCode.CassandraRejected,
  message: 'Cassandra write failed: ResponseError (server code 0x2200): Batch too large',
  path: null,
};

describe('deadLetterProblem', () => {
  it('fails a persistence dead letter whose reason is Cassandra refusing the batch as too large', () => {
    // What persistence wrote for large valid people while Cassandra's batch threshold was too low: for a
    // pushed person, and for an enriched record written straight onto users.enriched.
    for (const entry of ['ingestion', TOPICS.usersEnriched] as const) {
      const problem = deadLetterProblem(letter('persistence', batchTooLarge), entry);
      expect(problem).toContain('dead letter 5d0c7b62-3f0e-5a51-9a0e-2f4b9e1c7a10 (stage persistence)');
      expect(problem).toContain('CASSANDRA_REJECTED');
      expect(problem).toContain('Batch too large');
    }
  });

  it('accepts enrichment refusing a field of a pushed person', () => {
    expect(
      deadLetterProblem(
        letter('enrichment', {
          code: SparkflowErrorCode.SchemaInvalid,
          message: 'Invalid email address',
          path: 'payload.email',
        }),
        'ingestion',
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
        'ingestion',
      ),
    ).toBeNull();
  });

  it('accepts the consumer of a topic refusing a record written onto it, and the audit quarantine', () => {
    const invalid = { code: SparkflowErrorCode.SchemaInvalid, message: 'Required', path: 'payload.userId' };
    expect(deadLetterProblem(letter('persistence', invalid), TOPICS.usersEnriched)).toBeNull();
    const quarantine = {
      code: SparkflowErrorCode.PostgresRejected,
      message: 'PostgreSQL refused the audit row: 22021 invalid byte sequence for encoding "UTF8": 0x00',
      path: null,
    };
    expect(deadLetterProblem(letter('audit', quarantine), TOPICS.usersRaw)).toBeNull();
    // Ingestion makes the ids and headers of a pushed person: the audit refusing them is ingestion's fault.
    expect(deadLetterProblem(letter('audit', quarantine), 'ingestion')).toContain('entered at ingestion');
  });

  it('fails a later stage refusing what an earlier stage made, whatever the code', () => {
    const invalid = {
      code: SparkflowErrorCode.SchemaInvalid,
      message: 'Expected string',
      path: 'payload.email',
    };
    expect(deadLetterProblem(letter('persistence', invalid), 'ingestion')).toContain(
      'which only ingestion or enrichment may refuse',
    );
    expect(deadLetterProblem(letter('persistence', invalid), TOPICS.usersRaw)).toContain(
      'which only enrichment or audit may refuse',
    );
  });

  it('fails a letter when any one of its reasons is not about the value', () => {
    const problem = deadLetterProblem(
      letter(
        'enrichment',
        { code: SparkflowErrorCode.SemanticInvalid, message: 'born after registering', path: 'payload.dob' },
        { code: SparkflowErrorCode.Unknown, message: 'TypeError: x is undefined', path: null },
      ),
      'ingestion',
    );
    expect(problem).toContain('UNKNOWN');
    expect(problem).not.toContain('SEMANTIC_INVALID');
  });

  it('fails an error without a code, a timeout, an unknown code and a letter without reasons', () => {
    const uncoded = reasonsOf(new Error('socket hang up'));
    expect(deadLetterProblem(letter('persistence', ...uncoded), TOPICS.usersEnriched)).toContain('UNKNOWN');
    expect(
      deadLetterProblem(
        letter('persistence', {
          code: SparkflowErrorCode.CassandraUnavailable,
          message: 'Cassandra write failed: OperationTimedOutError',
          path: null,
        }),
        TOPICS.usersEnriched,
      ),
    ).toContain('CASSANDRA_UNAVAILABLE');
    expect(
      deadLetterProblem(
        letter('enrichment', { code: 'NOT_A_CODE', message: 'x', path: null }),
        TOPICS.usersRaw,
      ),
    ).toContain('NOT_A_CODE');
    expect(deadLetterProblem(letter('enrichment'), TOPICS.usersRaw)).toContain('gives no reason');
  });
});

describe('firstReaders', () => {
  it('names a reader for every topic a record can be written onto', () => {
    for (const topic of Object.values(TOPICS)) expect(firstReaders(topic).length).toBeGreaterThan(0);
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
