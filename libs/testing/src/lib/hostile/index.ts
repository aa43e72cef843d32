export * from './strings';
export * from './numbers';
export * from './dates';
export * from './json';
export * from './people';
export * from './records';
export * from './describe';
export * from './dead-letter-verdict';
