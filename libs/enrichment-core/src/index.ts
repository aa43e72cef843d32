export { enrichUser, type EnrichResult } from './lib/enrich-user/enrich-user';
export { EnrichBatchUseCase } from './lib/enrich-batch/enrich-batch.use-case';
