import { Controller, UseFilters } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS } from '@sparkflow/contracts';
import { EnrichBatchUseCase } from '@sparkflow/enrichment-core';
import { type InboundMessage, type MessageOutcome, PassErrorsToConsumer } from '@sparkflow/kafka';

@Controller()
// What a handler throws reaches the consumer as thrown, so its code decides the record's fate.
@UseFilters(PassErrorsToConsumer)
export class EnrichUsersHandler {
  constructor(private readonly enrich: EnrichBatchUseCase) {}

  @EventPattern(TOPICS.usersRaw)
  handle(@Payload() batch: InboundMessage[]): Promise<MessageOutcome[]> {
    return this.enrich.execute(batch);
  }
}
