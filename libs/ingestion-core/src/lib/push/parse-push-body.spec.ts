import fc from 'fast-check';
import { randomUserResponse } from '@sparkflow/testing';
import { parsePushBody } from './parse-push-body';

const response = randomUserResponse() as unknown as { results: Record<string, unknown>[] };

const limits = (maxUsers = 10, maxPersonBytes = 256 * 1024) => ({ maxUsers, maxPersonBytes });

describe('parsePushBody', () => {
  it('accepts one user, an array of users, or a whole API response', () => {
    expect(parsePushBody(response.results[0], limits())).toMatchObject({
      ok: true,
      users: [expect.anything()],
    });
    expect(parsePushBody(response.results, limits())).toMatchObject({ ok: true, rejected: [] });
    const whole = parsePushBody(response, limits());
    expect(whole.ok && whole.users.map((u) => u.nat)).toEqual(['GB', 'CA', 'US', 'IE', 'CH']);
  });

  it('accepts people filtered with inc/exc: only login.uuid is required', () => {
    const filtered = structuredClone(response);
    delete filtered.results[0]['registered'];
    filtered.results[1] = { login: { uuid: (filtered.results[1]['login'] as { uuid: string }).uuid } };
    const parsed = parsePushBody(filtered, limits());
    expect(parsed.ok && [parsed.users.length, parsed.rejected.length]).toEqual([5, 0]);
  });

  it('keeps the valid people and rejects each invalid one with its index, login.uuid and every bad field', () => {
    const bad = structuredClone(response);
    bad.results[1]['email'] = 42;
    (bad.results[3]['login'] as Record<string, unknown>)['uuid'] = 'nope';
    bad.results[3]['nat'] = 'GBR';
    const parsed = parsePushBody(bad, limits());
    if (!parsed.ok) throw new Error('expected the valid people to be kept');
    expect(parsed.users.map((u) => u.nat)).toEqual(['GB', 'US', 'CH']);
    expect(parsed.rejected.map((r) => [r.index, r.loginUuid, r.reasons.map((e) => e.path)])).toEqual([
      [1, (bad.results[1]['login'] as { uuid: string }).uuid, ['email']],
      [3, 'nope', ['login.uuid', 'nat']],
    ]);
    expect(parsed.rejected[0].person).toBe(bad.results[1]);
  });

  it('refuses with 400 naming every bad field when nobody in the request can be ingested', () => {
    const bad = structuredClone(response.results.slice(0, 2));
    delete bad[0]['login'];
    bad[1]['email'] = '';
    const parsed = parsePushBody(bad, limits());
    expect(!parsed.ok && [parsed.status, parsed.code, parsed.errors.map((e) => e.path)]).toEqual([
      400,
      'SCHEMA_INVALID',
      ['0.login', '1.email'],
    ]);
  });

  it('refuses more users than the per-request limit, naming the variable and the list at fault', () => {
    const message =
      'at most 2 users per request (INGESTION_MAX_USERS_PER_REQUEST), got 5; send them in several requests';
    // A bare array is the body itself; an API response's list is its `results`.
    expect(parsePushBody(response.results, limits(2))).toEqual({
      ok: false,
      status: 400,
      code: 'SCHEMA_INVALID',
      message,
      errors: [{ path: '', message }],
    });
    expect(parsePushBody(response, limits(2))).toEqual({
      ok: false,
      status: 400,
      code: 'SCHEMA_INVALID',
      message,
      errors: [{ path: 'results', message }],
    });
    expect(parsePushBody(response.results, limits(5)).ok).toBe(true);
  });

  it('refuses with 413 a person too large to cross the pipeline, naming its index, login.uuid and the limit', () => {
    const big = structuredClone(response.results);
    (big[2]['name'] as Record<string, unknown>)['first'] = '"'.repeat(5000);
    const parsed = parsePushBody(big, limits(10, 4000));
    const uuid = (big[2]['login'] as { uuid: string }).uuid;
    expect(!parsed.ok && [parsed.status, parsed.code, parsed.message]).toEqual([
      413,
      'RECORD_TOO_LARGE',
      expect.stringMatching(
        new RegExp(
          `^person 2 \\(login.uuid ${uuid}\\) is \\d+ bytes of JSON; at most 4000 bytes per person .*INGESTION_MAX_PERSON_BYTES`,
        ),
      ),
    ]);
  });

  it('names the person too large to cross the pipeline in its errors, by its place in the body', () => {
    const big = structuredClone(response);
    (big.results[2]['name'] as Record<string, unknown>)['first'] = '"'.repeat(5000);
    const parsed = parsePushBody(big, limits(10, 4000));
    expect(!parsed.ok && parsed.errors).toEqual([
      {
        path: 'results.2',
        message: expect.stringMatching(/^\d+ bytes of JSON; at most 4000 bytes per person$/),
      },
    ]);
    const alone = parsePushBody(big.results[2], limits(10, 4000));
    expect(!alone.ok && alone.errors.map((e) => e.path)).toEqual(['']);
  });

  it('refuses a person nested too deeply to read with 400, naming the person and the field that is', () => {
    let deep: unknown = [];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const people = [response.results[0], { login: { uuid: 'x' }, gender: deep }];
    const parsed = parsePushBody(people, limits());
    expect(!parsed.ok && [parsed.status, parsed.code, parsed.message, parsed.errors]).toEqual([
      400,
      'SCHEMA_INVALID',
      'person 1 is nested too deeply to read',
      [{ path: '1.gender', message: 'nested 200001 levels deep, too deep to read' }],
    ]);
    const wrapped = parsePushBody({ results: people }, limits());
    expect(!wrapped.ok && wrapped.errors.map((e) => e.path)).toEqual(['results.1.gender']);
  });

  it.each([[{ results: { login: { uuid: 'x' } } }], [{ results: null }], [{ results: 'people' }]])(
    'refuses %j with 400 naming results, not the wrapper as one person',
    (body) => {
      const parsed = parsePushBody(body, limits());
      expect(!parsed.ok && [parsed.status, parsed.code, parsed.message, parsed.errors]).toEqual([
        400,
        'SCHEMA_INVALID',
        'results: expected an array of people',
        [
          {
            path: 'results',
            message: expect.stringMatching(/^expected an array of people, got (an object|null|a string)$/),
          },
        ],
      ]);
    },
  );

  it('reads a person that carries a results key as that person', () => {
    const person = { ...response.results[0], results: 'x' };
    expect(parsePushBody(person, limits())).toMatchObject({ ok: true, rejected: [] });
  });

  it.each([[null], ['a string'], [42], [[]], [{ results: [] }]])(
    'rejects %j with a 400 saying what it expects',
    (body) => {
      expect(parsePushBody(body, limits())).toMatchObject({ ok: false, status: 400 });
    },
  );

  describe('whatever each person is', () => {
    const valid = () => fc.constantFrom(...response.results).map((u) => structuredClone(u));
    const hostileValue = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: 'grapheme-composite', maxLength: 40 }),
      fc.constantFrom('\u0000', '\ud800', '\u202e', '🦄', 'x'.repeat(5000), '', ' '),
      fc.double(),
      fc.integer(),
      fc.constant(null),
      fc.boolean(),
      fc.object({ maxDepth: 4 }),
      fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 3 }),
    );
    const paths = [
      'email',
      'nat',
      'gender',
      'name',
      'name.first',
      'login',
      'login.uuid',
      'login.username',
      'dob',
      'dob.date',
      'registered',
      'location',
      'location.postcode',
      'location.coordinates',
      'phone',
      'id',
      'picture',
    ];
    const damaged = fc
      .tuple(valid(), fc.constantFrom(...paths), fc.oneof(hostileValue, fc.constant(undefined)))
      .map(([person, path, value]) => {
        const keys = path.split('.');
        const last = keys.pop() as string;
        let target = person as Record<string, unknown>;
        for (const k of keys) target = target[k] as Record<string, unknown>;
        if (value === undefined) delete target[last];
        else target[last] = value;
        return person;
      });
    const anyPerson = fc.oneof(valid(), damaged, hostileValue);

    it('each person is either ingested or rejected with a reason, never both, never lost, in order', () => {
      fc.assert(
        fc.property(fc.array(anyPerson, { minLength: 1, maxLength: 8 }), (people) => {
          const parsed = parsePushBody(people, limits(10, 1_000_000));
          if (!parsed.ok) {
            // Refused whole only when nobody could be ingested, and then every bad field is named.
            expect(parsed.status).toBe(400);
            expect(parsed.errors.length).toBeGreaterThan(0);
            return;
          }
          const rejected = new Set(parsed.rejected.map((r) => r.index));
          expect(parsed.users.length + rejected.size).toBe(people.length);
          expect(parsed.rejected.every((r) => r.reasons.length > 0 && r.person === people[r.index])).toBe(
            true,
          );
          expect(parsed.users.every((u) => typeof u.login.uuid === 'string')).toBe(true);
        }),
        { seed: 1414, numRuns: 300 },
      );
    });
  });
});
