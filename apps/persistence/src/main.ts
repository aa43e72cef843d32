import './telemetry';
import 'reflect-metadata';
import { runConsumerService } from '@sparkflow/service-kit';
import { PersistenceModule } from './persistence.module';
import { PERSISTENCE_CONFIG, type PersistenceConfig } from './persistence.config';

runConsumerService<PersistenceConfig>({
  name: 'persistence',
  module: PersistenceModule,
  config: PERSISTENCE_CONFIG,
  settings: (c) => ({ port: c.PERSISTENCE_HTTP_PORT, host: c.HTTP_HOST }),
  consumer: (c) => ({ groupId: c.PERSISTENCE_GROUP_ID, stage: 'persistence' }),
});
