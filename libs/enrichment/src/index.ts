export { enrichUser, type EnrichResult } from './lib/enrich-user/enrich-user.use-case';
export { EnrichBatchUseCase } from './lib/enrich-batch/enrich-batch.use-case';
