import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePushBody } from './parse-push-body';

const response = JSON.parse(
  readFileSync(join(__dirname, '../../../../contracts/src/fixtures/randomuser-response.json'), 'utf8'),
) as { results: Record<string, unknown>[] };

describe('parsePushBody', () => {
  it('accepts one user, an array of users, or a whole API response', () => {
    expect(parsePushBody(response.results[0], 10)).toMatchObject({ ok: true, users: [expect.anything()] });
    expect(parsePushBody(response.results, 10)).toMatchObject({ ok: true });
    const whole = parsePushBody(response, 10);
    expect(whole.ok && whole.users.map((u) => u.nat)).toEqual(['GB', 'CA', 'US', 'IE', 'CH']);
  });

  it('names every invalid field of every user, with its index in the request', () => {
    const bad = structuredClone(response);
    delete bad.results[1]['email'];
    (bad.results[3]['login'] as Record<string, unknown>)['uuid'] = 'nope';
    const parsed = parsePushBody(bad, 10);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.errors.map((e) => e.path)).toEqual([
      'results.1.email',
      'results.3.login.uuid',
    ]);
  });

  it('refuses more users than the per-request limit', () => {
    const parsed = parsePushBody(response.results, 2);
    expect(!parsed.ok && parsed.errors[0].message).toBe('at most 2 users per request, got 5');
  });

  it.each([[null], ['a string'], [42], [[]]])('rejects %j with a message saying what it expects', (body) => {
    expect(parsePushBody(body, 10).ok).toBe(false);
  });
});
