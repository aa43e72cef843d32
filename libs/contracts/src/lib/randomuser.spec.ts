import response from '../fixtures/randomuser-response.json';
import { RandomUser, RandomUserResponse } from './randomuser';

const users = response.results;
const byNat = (nat: string) => structuredClone(users.find((u) => u.nat === nat)!);

describe('RandomUser (randomuser.me API 1.4 shape)', () => {
  it('accepts a whole API response', () => {
    const parsed = RandomUserResponse.parse(response);
    expect(parsed.results).toHaveLength(5);
    expect(parsed.info.version).toBe('1.4');
  });

  it.each([
    ['GB', 'EC1A 1BB'],
    ['CA', 'K1A 0B1'],
    ['IE', 'D02 X285'],
  ])('keeps the alphanumeric %s postcode as a string', (nat, postcode) => {
    expect(RandomUser.parse(byNat(nat)).location?.postcode).toBe(postcode);
  });

  it('keeps a numeric postcode as a number', () => {
    expect(RandomUser.parse(byNat('US')).location?.postcode).toBe(94306);
  });

  it('accepts a null id.value', () => {
    expect(RandomUser.parse(byNat('IE')).id?.value).toBeNull();
  });

  it('reads coordinates and timezone offset as strings', () => {
    const user = RandomUser.parse(byNat('CA'));
    expect(user.location?.coordinates?.latitude).toBe('45.4215');
    expect(user.location?.timezone?.offset).toBe('-5:00');
  });

  it('keeps non-ASCII names as given', () => {
    expect(RandomUser.parse(byNat('CH')).name).toEqual({ title: 'Madame', first: 'Zoé', last: 'Müller' });
  });

  it('names every bad field at once', () => {
    const bad = byNat('GB') as Record<string, unknown> & { login: Record<string, unknown> };
    bad.login.uuid = 'not-a-uuid';
    bad.dob = { date: 'yesterday', age: 'old' };
    bad.email = '';
    const result = RandomUser.safeParse(bad);
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual(['dob.age', 'dob.date', 'email', 'login.uuid']);
  });

  it('accepts a person filtered with inc/exc: every top-level field but login may be absent', () => {
    const user = byNat('GB');
    const onlyLogin = { login: { uuid: user.login.uuid } };
    expect(RandomUser.parse(onlyLogin)).toEqual(onlyLogin);
    const noRegistered: Record<string, unknown> = byNat('US');
    delete noRegistered['registered'];
    delete noRegistered['picture'];
    expect(RandomUser.safeParse(noRegistered).success).toBe(true);
  });

  it('requires login.uuid, the key a person is stored under', () => {
    const user = byNat('GB') as Record<string, unknown>;
    delete user['login'];
    expect(RandomUser.safeParse(user).error!.issues.map((i) => i.path.join('.'))).toEqual(['login']);
    expect(
      RandomUser.safeParse({ login: { username: 'x' } }).error!.issues.map((i) => i.path.join('.')),
    ).toEqual(['login.uuid']);
  });

  it('rejects a postcode that is neither a string nor an integer', () => {
    const bad = byNat('US') as { location: { postcode: unknown } };
    bad.location.postcode = { code: 94306 };
    expect(RandomUser.safeParse(bad).success).toBe(false);
  });
});
