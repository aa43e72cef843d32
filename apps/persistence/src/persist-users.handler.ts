import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS } from '@sparkflow/contracts';
import type { InboundMessage, MessageOutcome } from '@sparkflow/kafka';
import { PersistUsersUseCase } from '@sparkflow/persistence-core';

@Controller()
export class PersistUsersHandler {
  constructor(private readonly persistUsers: PersistUsersUseCase) {}

  @EventPattern(TOPICS.usersEnriched)
  handle(@Payload() batch: InboundMessage[]): Promise<MessageOutcome[]> {
    return this.persistUsers.execute(batch);
  }
}
