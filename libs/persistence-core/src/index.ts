export * from './lib/users/users.repository';
export * from './lib/persist-users/persist-users.use-case';
export * from './lib/persist-users/write-chunks';
