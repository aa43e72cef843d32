import { Test } from '@nestjs/testing';
import { PersistUsersUseCase } from '@sparkflow/persistence-core';
import { OK, type InboundMessage } from '@sparkflow/kafka';
import { PersistUsersHandler } from './persist-users.handler';

describe('PersistUsersHandler', () => {
  it('hands the whole batch to the use case and returns its outcomes', async () => {
    const execute = jest.fn().mockResolvedValue([OK, OK]);
    const module = await Test.createTestingModule({
      controllers: [PersistUsersHandler],
      providers: [{ provide: PersistUsersUseCase, useValue: { execute } }],
    }).compile();
    const batch = [{ offset: '1' }, { offset: '2' }] as InboundMessage[];
    await expect(module.get(PersistUsersHandler).handle(batch)).resolves.toEqual([OK, OK]);
    expect(execute).toHaveBeenCalledWith(batch);
  });
});
