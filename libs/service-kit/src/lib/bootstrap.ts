import type { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { CustomTransportStrategy } from '@nestjs/microservices';
import { JsonLogger } from './json-logger';

export interface ServiceBootstrap {
  name: string;
  module: unknown;
  port: number;
  /** Interface to bind (HTTP_HOST). */
  host: string;
  /** The Kafka consumer side, when the service consumes. */
  transport?: (app: INestApplication) => CustomTransportStrategy;
  bodyLimit?: string;
}

/** Starts a service: JSON logs, HTTP on its port, the Kafka transport, and a clean stop on SIGTERM. */
export async function bootstrapService(b: ServiceBootstrap): Promise<INestApplication> {
  const logger: LoggerService = new JsonLogger(b.name);
  const app = await NestFactory.create<NestExpressApplication>(b.module as never, {
    logger,
    bodyParser: !b.bodyLimit,
  });
  if (b.bodyLimit) {
    app.useBodyParser('json', { limit: b.bodyLimit });
  }
  app.enableShutdownHooks();
  if (b.transport) {
    app.connectMicroservice({ strategy: b.transport(app) }, { inheritAppConfig: true });
    await app.startAllMicroservices();
  }
  await app.listen(b.port, b.host);
  logger.log(`${b.name} listening on http://${b.host}:${b.port}`);
  return app;
}
