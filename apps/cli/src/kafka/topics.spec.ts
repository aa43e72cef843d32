import { judgedGroups, type GroupLag } from './topics';

const group = (groupId: string, members: number, stalled = true): GroupLag => ({
  groupId,
  state: members ? 'Stable' : 'Empty',
  members,
  lag: 5,
  lagSeconds: 120,
  stalled,
  partitions: [],
});

describe('the groups topics describe --fail-on-stall judges', () => {
  const stages = ['sparkflow-enrichment', 'sparkflow-persistence', 'sparkflow-audit'];
  const groups = [
    group('sparkflow-enrichment', 0), // its service is down: still judged
    group('sparkflow-audit', 2),
    group('someones-reader', 1),
    group('left-by-a-test', 0),
  ];

  it('judges the stage groups, empty or not, and every group with members; not one nobody reads in', () => {
    expect(judgedGroups(groups, [], stages).map((g) => g.groupId)).toEqual([
      'sparkflow-enrichment',
      'sparkflow-audit',
      'someones-reader',
    ]);
  });

  it('judges exactly the named groups, whatever their state', () => {
    expect(judgedGroups(groups, ['left-by-a-test'], stages).map((g) => g.groupId)).toEqual([
      'left-by-a-test',
    ]);
  });
});
