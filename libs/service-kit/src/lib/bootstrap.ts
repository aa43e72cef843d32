import type { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { CustomTransportStrategy } from '@nestjs/microservices';
import { bodyBudget, sizeInBytes } from './body-budget';
import { JsonLogger } from './json-logger';
import { SparkflowExceptionFilter } from './sparkflow-exception.filter';

export interface ServiceBootstrap {
  name: string;
  module: unknown;
  port: number;
  /** Interface to bind (HTTP_HOST). */
  host: string;
  /** The Kafka consumer side, when the service consumes. */
  transport?: (app: INestApplication) => CustomTransportStrategy;
  bodyLimit?: string;
  /** Request bodies read and parsed at once, at most (e.g. `20mb`); beyond it 503 + Retry-After. */
  bodiesInFlight?: string;
}

/** Starts a service: JSON logs, HTTP on its port, the Kafka transport, and a clean stop on SIGTERM. */
export async function bootstrapService(b: ServiceBootstrap): Promise<INestApplication> {
  const logger: LoggerService = new JsonLogger(b.name);
  const app = await NestFactory.create<NestExpressApplication>(b.module as never, {
    logger,
    bodyParser: !b.bodyLimit,
  });
  if (b.bodyLimit) {
    // Registered before the parser, so a request over the budget is refused before its body is read.
    if (b.bodiesInFlight) app.use(bodyBudget(sizeInBytes(b.bodiesInFlight), sizeInBytes(b.bodyLimit)));
    app.useBodyParser('json', { limit: b.bodyLimit });
  }
  // One error model: a SparkflowException becomes the HTTP status its code maps to, never a bare 500.
  app.useGlobalFilters(new SparkflowExceptionFilter());
  app.enableShutdownHooks();
  if (b.transport) {
    app.connectMicroservice({ strategy: b.transport(app) }, { inheritAppConfig: true });
    await app.startAllMicroservices();
  }
  await app.listen(b.port, b.host);
  logger.log(`${b.name} listening on http://${b.host}:${b.port}`);
  return app;
}
