import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS } from '@sparkflow/contracts';
import { EnrichBatchUseCase } from '@sparkflow/enrichment-core';
import type { InboundMessage, MessageOutcome } from '@sparkflow/kafka';

@Controller()
export class EnrichUsersHandler {
  constructor(private readonly enrich: EnrichBatchUseCase) {}

  @EventPattern(TOPICS.usersRaw)
  handle(@Payload() batch: InboundMessage[]): Promise<MessageOutcome[]> {
    return this.enrich.execute(batch);
  }
}
