import type { Server } from 'node:http';
import type { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { CustomTransportStrategy } from '@nestjs/microservices';
import { bodyBudget, keyBeforeBody, sizeInBytes } from '../http/body-budget';
import { JsonLogger } from '../observability/json-logger';
import { SparkflowExceptionFilter } from '../http/sparkflow-exception.filter';

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
  /** When given, a request with a body needs one of these keys in `x-api-key` before its body is read. */
  apiKeys?: readonly string[];
  /** A body silent this long while being read is cut off with 408, releasing its share of the budget. */
  bodyIdleTimeoutMs?: number;
  /** Node's `headersTimeout` and `requestTimeout`: how long a client may take to send headers, and all of it. */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/** Starts a service: JSON logs, HTTP on its port, the Kafka transport, and a clean stop on SIGTERM. */
export async function bootstrapService(b: ServiceBootstrap): Promise<INestApplication> {
  const logger: LoggerService = new JsonLogger(b.name);
  const app = await NestFactory.create<NestExpressApplication>(b.module as never, {
    logger,
    bodyParser: !b.bodyLimit,
  });
  if (b.bodyLimit) {
    // Registered before the parser, so a request without a key or over the budget is refused before its body is read.
    if (b.apiKeys) app.use(keyBeforeBody(b.apiKeys));
    if (b.bodiesInFlight) {
      app.use(bodyBudget(sizeInBytes(b.bodiesInFlight), sizeInBytes(b.bodyLimit), b.bodyIdleTimeoutMs));
    }
    app.useBodyParser('json', { limit: b.bodyLimit });
  }
  // One error model: a SparkflowException becomes the HTTP status its code maps to, never a bare 500.
  app.useGlobalFilters(new SparkflowExceptionFilter());
  app.enableShutdownHooks();
  if (b.transport) {
    app.connectMicroservice({ strategy: b.transport(app) }, { inheritAppConfig: true });
    await app.startAllMicroservices();
  }
  const server = app.getHttpServer() as Server;
  if (b.headersTimeoutMs !== undefined) server.headersTimeout = b.headersTimeoutMs;
  if (b.requestTimeoutMs !== undefined) server.requestTimeout = b.requestTimeoutMs;
  await app.listen(b.port, b.host);
  logger.log(`${b.name} listening on http://${b.host}:${b.port}`);
  return app;
}
