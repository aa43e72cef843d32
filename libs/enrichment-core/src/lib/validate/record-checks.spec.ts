import { SparkflowErrorCode } from '@sparkflow/contracts';
import { aRandomUser, withValue } from '@sparkflow/testing';
import { recordReasons } from './record-checks';

const NOW = new Date('2026-05-01T00:00:00.000Z');
const paths = (payload: unknown) => recordReasons(payload, NOW).map((r) => [r.code, r.path]);

describe('recordReasons', () => {
  it('finds nothing wrong with the fixture users', () => {
    expect(paths(aRandomUser('GB'))).toEqual([]);
    expect(paths(aRandomUser('IE'))).toEqual([]);
  });

  it('names every string holding an unpaired surrogate, which a UTF-8 store would replace', () => {
    const user = withValue(
      withValue(aRandomUser('GB'), 'name.first', 'Zo\ud800'),
      'location.street.name',
      '\udfffX',
    );
    expect(paths(user)).toEqual([
      [SparkflowErrorCode.SemanticInvalid, 'name.first'],
      [SparkflowErrorCode.SemanticInvalid, 'location.street.name'],
    ]);
    expect(paths(withValue(aRandomUser('GB'), 'name.first', 'Zoë 🐳'))).toEqual([]);
  });

  it('reads a payload nested far deeper than any stack without failing', () => {
    let deep: unknown = '\ud800';
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(() => recordReasons({ ...aRandomUser('GB'), extra: deep }, NOW)).not.toThrow();
  });

  it('caps a string postcode at 1,000 characters', () => {
    expect(paths(withValue(aRandomUser('GB'), 'location.postcode', '1'.repeat(1001)))).toEqual([
      [SparkflowErrorCode.SchemaInvalid, 'location.postcode'],
    ]);
    expect(paths(withValue(aRandomUser('GB'), 'location.postcode', '1'.repeat(1000)))).toEqual([]);
  });

  it('leaves an empty required string to the schema, so it is reported once', () => {
    expect(paths(withValue(aRandomUser('GB'), 'name.first', ''))).toEqual([]);
  });

  it('skips checks on fields that are missing or of the wrong type (the schema reports those)', () => {
    expect(paths({})).toEqual([]);
    expect(paths(withValue(aRandomUser('GB'), 'dob.date', 'yesterday'))).toEqual([]);
    expect(paths(withValue(aRandomUser('GB'), 'email', 42))).toEqual([]);
  });

  it('compares dates as instants, whatever their offset', () => {
    const raw = aRandomUser('GB');
    raw.dob.date = '2026-05-01T01:00:00.000+02:00'; // 2026-04-30T23:00Z, before now
    raw.registered.date = '2026-05-01T01:00:00.000+02:00';
    expect(paths(raw)).toEqual([]);
  });
});
