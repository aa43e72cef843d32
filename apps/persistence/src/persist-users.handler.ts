import { Controller, UseFilters } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS } from '@sparkflow/contracts';
import { type InboundMessage, type MessageOutcome, PassErrorsToConsumer } from '@sparkflow/kafka';
import { PersistUsersUseCase } from '@sparkflow/persistence-core';

@Controller()
// What a handler throws reaches the consumer as thrown, so its code decides the record's fate.
@UseFilters(PassErrorsToConsumer)
export class PersistUsersHandler {
  constructor(private readonly persistUsers: PersistUsersUseCase) {}

  @EventPattern(TOPICS.usersEnriched)
  handle(@Payload() batch: InboundMessage[]): Promise<MessageOutcome[]> {
    return this.persistUsers.execute(batch);
  }
}
