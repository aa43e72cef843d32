import { Test } from '@nestjs/testing';
import { RecordEventsUseCase } from '@sparkflow/audit-store';
import { TOPICS } from '@sparkflow/contracts';
import { OK, type InboundMessage } from '@sparkflow/kafka';
import { PATTERN_METADATA } from '@nestjs/microservices/constants';
import { RecordEventsHandler } from './record-events.handler';

describe('RecordEventsHandler', () => {
  it('subscribes to all four topics', () => {
    const patterns = Object.getOwnPropertyNames(RecordEventsHandler.prototype)
      .filter((name) => name !== 'constructor')
      .flatMap(
        (name) =>
          Reflect.getMetadata(
            PATTERN_METADATA,
            RecordEventsHandler.prototype[name as keyof RecordEventsHandler],
          ) as string[],
      );
    expect(patterns.sort()).toEqual(Object.values(TOPICS).sort());
  });

  it('hands each batch to the use case unchanged', async () => {
    const execute = jest.fn().mockResolvedValue([OK]);
    const module = await Test.createTestingModule({
      controllers: [RecordEventsHandler],
      providers: [{ provide: RecordEventsUseCase, useValue: { execute } }],
    }).compile();
    const batch = [{ topic: TOPICS.usersDlq }] as InboundMessage[];
    await expect(module.get(RecordEventsHandler).deadLettered(batch)).resolves.toEqual([OK]);
    expect(execute).toHaveBeenCalledWith(batch);
  });
});
