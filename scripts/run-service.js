// Runs a service's TypeScript entry point with SWC (decorator metadata, tsconfig paths), no build step:
//   node scripts/run-service.js apps/<app>/src/main.ts
const path = require('node:path');
process.env.SWC_NODE_PROJECT = path.join(__dirname, '..', 'tsconfig.base.json');
require('@swc-node/register');
require(path.resolve(process.argv[2]));
