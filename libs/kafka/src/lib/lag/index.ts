export * from './lag';
export * from './offset-commits';
export * from './partition-progress';
export * from './group-lag';
export * from './behind-at';
