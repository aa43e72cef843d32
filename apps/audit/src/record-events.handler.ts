import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS } from '@sparkflow/contracts';
import { RecordEventsUseCase } from '@sparkflow/audit-store';
import type { InboundMessage, MessageOutcome } from '@sparkflow/kafka';

/**
 * The topics that settle or start an event land in the audit; one use case handles them all. users.enriched
 * is not read: each event's enriched stage comes with persistence's ack or dead letter (ADR 0013).
 */
@Controller()
export class RecordEventsHandler {
  constructor(private readonly recordEvents: RecordEventsUseCase) {}

  @EventPattern(TOPICS.usersRaw)
  raw(@Payload() batch: InboundMessage[]): Promise<MessageOutcome[]> {
    return this.recordEvents.execute(batch);
  }

  @EventPattern(TOPICS.usersDlq)
  deadLettered(@Payload() batch: InboundMessage[]): Promise<MessageOutcome[]> {
    return this.recordEvents.execute(batch);
  }

  @EventPattern(TOPICS.usersPersisted)
  persisted(@Payload() batch: InboundMessage[]): Promise<MessageOutcome[]> {
    return this.recordEvents.execute(batch);
  }
}
