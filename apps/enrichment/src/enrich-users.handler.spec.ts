import { Test } from '@nestjs/testing';
import { EnrichBatchUseCase } from '@sparkflow/enrichment-core';
import { OK, type InboundMessage } from '@sparkflow/kafka';
import { EnrichUsersHandler } from './enrich-users.handler';

describe('EnrichUsersHandler', () => {
  it('hands the whole batch to the use case and returns its outcomes', async () => {
    const execute = jest.fn().mockResolvedValue([OK]);
    const module = await Test.createTestingModule({
      controllers: [EnrichUsersHandler],
      providers: [{ provide: EnrichBatchUseCase, useValue: { execute } }],
    }).compile();
    const batch = [{ offset: '1' }] as InboundMessage[];
    await expect(module.get(EnrichUsersHandler).handle(batch)).resolves.toEqual([OK]);
    expect(execute).toHaveBeenCalledWith(batch);
  });
});
