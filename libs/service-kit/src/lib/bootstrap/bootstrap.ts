import type { Server } from 'node:http';
import { type INestApplication, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { CustomTransportStrategy } from '@nestjs/microservices';
import { Logger } from 'nestjs-pino';
import { bodyBudget, keyBeforeBody, sizeInBytes } from '../http/body-budget';
import { answerClientErrors } from '../http/client-error';
import { acceptedBodiesOnly, answerBodyFaults, jsonBodyOptions } from '../http/json-body';
import { type RoutedApp, answerWrongMethod } from '../http/method-not-allowed';
import { noteRefusals } from '../http/refusal-note';
import { answerUndecodablePath } from '../http/undecodable-path';
import { answerUnknownRoutes } from '../http/unknown-route';
import { serviceLoggerModule } from '../observability/service-logger';
import { SparkflowExceptionFilter } from '../http/sparkflow-exception.filter';
import { PassErrorsToConsumer } from './pass-errors-to-consumer';

/** How a service serves HTTP, read from its parsed configuration. */
export interface ServiceSettings {
  port: number;
  /** Interface to bind (HTTP_HOST). */
  host: string;
  /** Largest JSON body accepted (default 100kb). */
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

export interface ServiceBootstrap<C> {
  name: string;
  module: Type;
  /** The token under which the module provides its configuration (see `serviceConfigModule`). */
  config: symbol;
  settings: (config: C) => ServiceSettings;
  /** The Kafka consumer side, when the service consumes. */
  transport?: (app: INestApplication, config: C) => CustomTransportStrategy;
}

@Module({})
class ServiceRootModule {}

/** Starts a service: JSON logs, HTTP on its port, the Kafka transport, and a clean stop on SIGTERM. */
export async function bootstrapService<C>(b: ServiceBootstrap<C>): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    { module: ServiceRootModule, imports: [b.module, serviceLoggerModule(b.name, b.config)] },
    // Lines from the start are held for the pino logger; a failed start (a bad variable) is thrown to
    // the caller, which says why on stderr, instead of aborting the process or printing Nest's own lines.
    { logger: false, bufferLogs: true, bodyParser: false, abortOnError: false },
  );
  const logger = app.get(Logger);
  app.useLogger(logger);
  const config = app.get<C>(b.config);
  const s = b.settings(config);
  useServiceHttp(app, s.bodyLimit ?? '100kb', s);
  app.enableShutdownHooks();
  if (b.transport) {
    // inheritAppConfig: the transport gets this app's ApplicationConfig object itself, so the global filters
    // above; its handlers' filters are read now, as it is connected, so they must be registered before.
    app.connectMicroservice({ strategy: b.transport(app, config) }, { inheritAppConfig: true });
    await app.startAllMicroservices();
  }
  const server = app.getHttpServer() as Server;
  if (s.headersTimeoutMs !== undefined) server.headersTimeout = s.headersTimeoutMs;
  if (s.requestTimeoutMs !== undefined) server.requestTimeout = s.requestTimeoutMs;
  await app.listen(s.port, s.host);
  logger.log(`${b.name} listening on http://${s.host}:${s.port}`);
  return app;
}

/** What refuses a request before its body is read, from the service's settings. */
export type BeforeBody = Pick<ServiceSettings, 'apiKeys' | 'bodiesInFlight' | 'bodyIdleTimeoutMs'>;

/**
 * How every service reads and answers HTTP: the answer to a request Node cannot read, the note of each 4xx
 * for its log line, the 405 of a method a
 * path's routes do not take, what must refuse a request before its body is read (no key, a path that does
 * not decode, over the budget), the JSON body parser and the answer to its faults, the 404 of a path no
 * route takes, and the one error model. Specs that build a module's app by hand call it too, before the
 * app starts, so they answer as the service does.
 */
export function useServiceHttp(
  app: NestExpressApplication,
  bodyLimit: string,
  before: BeforeBody = {},
): void {
  // A request Node cannot read (a malformed request line or header, headers too large, a timeout) never
  // reaches express: the server answers it in the error model, in place of Node's bare 400 without a body.
  answerClientErrors(app.getHttpServer() as Server);
  // So the log line of a 4xx says why (see serviceLoggerOptions); before anything that may answer one.
  app.use(noteRefusals);
  // Before anything else answers, so a method no route of the path takes is answered 405 before the API key
  // is checked or a body read: it tells a caller without a key only that the path exists (see
  // answerWrongMethod). Express's types leave the router's layers untyped: RoutedApp names what is read.
  const routed = app.getHttpAdapter().getInstance() as unknown as RoutedApp;
  app.use(answerWrongMethod(routed));
  // Before the parser, so a request without a key or over the budget is refused before its body is read.
  if (before.apiKeys) app.use(keyBeforeBody(before.apiKeys));
  // A path segment that does not decode is a 400 in the error model, naming it, before a body is read;
  // left to the router, decoding a route's parameter fails with Express's own 400, which has no `code`.
  app.use(answerUndecodablePath(routed));
  if (before.bodiesInFlight) {
    const budget = sizeInBytes(before.bodiesInFlight);
    app.use(bodyBudget(budget, sizeInBytes(bodyLimit), before.bodyIdleTimeoutMs));
  }
  app.use(acceptedBodiesOnly);
  app.useBodyParser('json', jsonBodyOptions(bodyLimit));
  app.use(answerBodyFaults);
  // A request no route takes is 404 NOT_FOUND in the error model, in place of Nest's own 404 without a code
  // (registered as the app starts, so this must come before).
  answerUnknownRoutes(app);
  // One error model: a SparkflowException becomes the HTTP status its code maps to, never a bare 500, and
  // whatever a Kafka handler of any class throws reaches the consumer as thrown (PassErrorsToConsumer;
  // over HTTP it is Nest's own filter). Order matters: Nest lists a handler's filters global, class, method,
  // reverses the list and takes the first whose @Catch() matches (`create` of @nestjs/core's
  // RouterExceptionFilters and @nestjs/microservices' ExceptionFiltersContext, then
  // selectExceptionFilterMetadata), so of these two the one registered last, SparkflowExceptionFilter,
  // is tried first and the catch-all takes only what it does not.
  app.useGlobalFilters(new PassErrorsToConsumer(app.getHttpAdapter()), new SparkflowExceptionFilter());
}
