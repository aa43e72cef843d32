import { Controller, Module, UseFilters } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type CustomTransportStrategy, EventPattern, Server } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import { PassErrorsToConsumer } from './pass-errors-to-consumer';

const thrown = Object.assign(new Error('the broker is not reachable'), { name: 'KafkaJSConnectionError' });

@Controller()
class Laundered {
  @EventPattern('laundered')
  handle(): never {
    throw thrown;
  }
}

@Controller()
@UseFilters(PassErrorsToConsumer)
class PassedOn {
  @EventPattern('passed-on')
  handle(): never {
    throw thrown;
  }
}

@Module({ controllers: [Laundered, PassedOn] })
class HandlersModule {}

/** A transport that only registers the handlers, so the test calls them as KafkaBatchServer does. */
class Registry extends Server implements CustomTransportStrategy {
  listen(callback: () => void): void {
    callback();
  }
  close(): void {
    /* nothing to close */
  }
  on(): void {
    /* no events */
  }
  unwrap<T>(): T {
    return undefined as T;
  }
}

async function failureOf(server: Registry, pattern: string): Promise<unknown> {
  const handler = server.getHandlerByPattern(pattern)!;
  try {
    const result: unknown = await handler([]);
    if (isObservable(result)) await lastValueFrom(result);
  } catch (e) {
    return e;
  }
  throw new Error('the handler did not fail');
}

describe('PassErrorsToConsumer', () => {
  const server = new Registry();
  let app: Awaited<ReturnType<typeof NestFactory.createMicroservice>>;
  beforeAll(async () => {
    app = await NestFactory.createMicroservice(HandlersModule, { strategy: server, logger: false });
    await app.listen();
  });
  afterAll(() => app.close());

  it("hands a handler's error to the consumer as it was thrown", async () => {
    expect(await failureOf(server, 'passed-on')).toBe(thrown);
  });

  it('is needed: without it Nest replaces the error with an object that keeps neither its type nor message', async () => {
    const failure = await failureOf(server, 'laundered');
    expect(failure).not.toBe(thrown);
    expect(failure).not.toBeInstanceOf(Error);
    expect(JSON.stringify(failure)).not.toContain('the broker is not reachable');
  });
});
