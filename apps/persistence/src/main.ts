import './telemetry';
import 'reflect-metadata';
import { KAFKA, runConsumerService } from '@sparkflow/service-kit';
import { PersistenceModule } from './persistence.module';
import { loadPersistenceConfig } from './persistence.config';

const config = loadPersistenceConfig();

runConsumerService({
  name: 'persistence',
  module: PersistenceModule,
  port: config.PERSISTENCE_HTTP_PORT,
  host: config.HTTP_HOST,
  kafka: KAFKA,
  stallAfterS: config.KAFKA_STALL_AFTER_S,
  consumer: { groupId: config.PERSISTENCE_GROUP_ID, stage: 'persistence' },
});
