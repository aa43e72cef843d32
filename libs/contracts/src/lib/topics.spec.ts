import { TOPICS, TOPIC_SPECS, topicSpec } from './topics';

describe('topics', () => {
  it('declares exactly one spec per topic name', () => {
    expect(TOPIC_SPECS.map((s) => s.name).sort()).toEqual(Object.values(TOPICS).sort());
  });

  it('uses the dotted names the rest of the stack expects', () => {
    expect(TOPICS).toEqual({
      usersRaw: 'users.raw',
      usersEnriched: 'users.enriched',
      usersDlq: 'users.dlq',
      usersPersisted: 'users.persisted',
    });
  });

  it('keeps dead letters longer than the data they explain', () => {
    expect(topicSpec(TOPICS.usersDlq).retentionMs).toBeGreaterThan(topicSpec(TOPICS.usersRaw).retentionMs);
  });

  it('states the largest record each topic accepts', () => {
    for (const spec of TOPIC_SPECS) expect(spec.maxMessageBytes).toBeGreaterThanOrEqual(1024 * 1024);
  });
});
