export {
  earliestBirthOn,
  generateResponse,
  generateUsers,
  type SyntheticOptions,
} from './lib/synthetic/user.generator';
export { NATIONALITIES, type Nationality } from './lib/synthetic/nationalities';
export {
  RandomUserClient,
  type PageQuery,
  type RandomUserClientDeps,
  type RandomUserClientOptions,
} from './lib/client/randomuser.client';
export { SourceError } from './lib/client/source.error';
export {
  startFixtureServer,
  type FixtureFault,
  type FixtureServer,
  type FixtureServerOptions,
} from './lib/fixture-server/fixture.server';
