import { groupOfUrl, profileShares, sharesTable, type CpuProfile } from './cpu-profile-shares';

const BUILD = 'file:///repo/.sparkflow/enrichment/build';
const KAFKAJS = 'file:///repo/node_modules/kafkajs/src/protocol/encoder.js';

/** A profile of nodes given as [id, parent, functionName, url]; samples as [nodeId, microseconds]. */
function profile(nodes: [number, number | null, string, string][], samples: [number, number][]): CpuProfile {
  return {
    nodes: nodes.map(([id, , functionName, url]) => ({
      id,
      callFrame: { functionName, url },
      children: nodes.filter(([, up]) => up === id).map(([child]) => child),
    })),
    samples: samples.map(([id]) => id),
    timeDeltas: samples.map(([, us]) => us),
  };
}

describe('groupOfUrl', () => {
  it.each([
    [KAFKAJS, 'kafkajs'],
    ['file:///repo/node_modules/@opentelemetry/core/build/src/x.js', '@opentelemetry/core'],
    ['file:///repo/node_modules/a/node_modules/zod/v4/core.js', 'zod'],
    ['node:internal/stream_base_commons', 'Node core'],
    [`${BUILD}/libs/kafka/src/lib/consumer/parse-event.js`, 'SparkFlow libs/kafka'],
    [`${BUILD}/apps/enrichment/src/main.js`, 'SparkFlow apps/enrichment'],
    ['file:///elsewhere/x.js', 'other'],
  ])('%s is %s', (url, group) => expect(groupOfUrl(url)).toBe(group));
});

describe('profileShares', () => {
  const shares = profileShares(
    profile(
      [
        [1, null, '(root)', ''],
        [2, 1, '(idle)', ''],
        [3, 1, '(garbage collector)', ''],
        [4, 1, '', `${BUILD}/apps/enrichment/src/main.js`],
        [5, 4, 'require', 'node:internal/modules/cjs/loader'],
        [6, 5, 'compiled', 'file:///repo/node_modules/zod/v4/core.js'],
        [7, 1, 'parseEvent', `${BUILD}/libs/kafka/src/lib/consumer/parse-event.js`],
        [8, 7, 'parse', ''], // JSON.parse: no source file, charged to its caller
        [9, 1, 'encode', KAFKAJS],
        [10, 9, 'copy', 'node:buffer'],
        [11, 1, 'onStreamRead', 'node:internal/stream_base_commons'],
        [12, 1, 'patchedRequire', 'file:///repo/node_modules/require-in-the-middle/index.js'],
      ],
      [
        [2, 5000], // idle
        [6, 4000], // a module loaded at start-up
        [12, 500], // a require resolved at run time
        [3, 2000],
        [8, 3000],
        [7, 1000],
        [9, 1000],
        [10, 2000],
        [11, 1000],
      ],
    ),
  );

  it('names the service from its main module, and leaves idle and module loading out of busy time', () => {
    expect(shares.service).toBe('enrichment');
    expect(shares.loadingMs).toBe(4.5);
    expect(shares.busyMs).toBe(10);
  });

  it('charges a frame without a source file to its caller, and Node core where it was spent', () => {
    expect(shares.groups).toEqual([
      { group: 'SparkFlow libs/kafka', ms: 4 },
      { group: 'Node core', ms: 3 },
      { group: 'V8 garbage collection', ms: 2 },
      { group: 'kafkajs', ms: 1 },
    ]);
  });

  it('charges Node core to the package that called it, and keeps what no package called', () => {
    expect(shares.askedBy).toEqual([
      { group: 'SparkFlow libs/kafka', ms: 4 },
      { group: 'kafkajs', ms: 3 },
      { group: 'V8 garbage collection', ms: 2 },
      { group: 'Node core', ms: 1 },
    ]);
  });

  it('prints each group of at least 1 % of busy time', () => {
    expect(sharesTable([shares], 'askedBy')).toBe(
      [
        '| service | busy | shares of busy CPU |',
        '|---|---:|---|',
        '| enrichment | 0.0 s | SparkFlow libs/kafka 40 %; kafkajs 30 %; V8 garbage collection 20 %; Node core 10 % |',
      ].join('\n'),
    );
  });
});
