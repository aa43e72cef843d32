import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DynamicModule } from '@nestjs/common';
import { LoggerModule, type Params } from 'nestjs-pino';
import pino from 'pino';
import { logCorrelation } from '@sparkflow/telemetry';
import type { LogLevel } from '../config/service-env';
import { refusalOf } from '../http/refusal-note';

const withRefusal = (res: ServerResponse, line: object) => {
  const refusal = refusalOf(res);
  return refusal ? { ...line, refusal } : line;
};

/** Requests not worth a line each: probes and scrapes, every few seconds. */
const QUIET_PATHS = ['/health', '/metrics'];

/**
 * pino-http's options for a service: one JSON line per entry with `service`, and through the mixin the
 * ids of the record or request in hand (`trace_id`, `span_id`, `event_id`, `batch_id`). A request is
 * one line when it completes, with its method, path and status, never its headers (API keys travel there);
 * a 4xx's line adds `refusal`, the answer's message and first error paths.
 */
export function serviceLoggerOptions(service: string, level: LogLevel): Params['pinoHttp'] {
  return {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: logCorrelation,
    autoLogging: { ignore: (req) => QUIET_PATHS.some((p) => req.url?.startsWith(p) ?? false) },
    customLogLevel: (_req, res, err) =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    // A 4xx line says why: the answer's message and first error paths, clipped (`noteRefusals`), never its body.
    customSuccessObject: (_req, res, line) => withRefusal(res, line),
    customErrorObject: (_req, res, _err, line) => withRefusal(res, line),
    serializers: {
      req: (req: IncomingMessage & { id?: unknown }) => ({ id: req.id, method: req.method, url: req.url }),
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
    },
    // Lines logged while a request is handled carry its id, not the whole request again.
    quietReqLogger: true,
  };
}

/**
 * nestjs-pino as the service's logger, its level from the service's configuration (`LOG_LEVEL`,
 * parsed once under `config`). Bootstrap hands it to Nest with `app.useLogger`.
 */
export function serviceLoggerModule(service: string, config: symbol): DynamicModule {
  return LoggerModule.forRootAsync({
    inject: [config],
    useFactory: (c: { LOG_LEVEL: LogLevel }): Params => ({
      pinoHttp: serviceLoggerOptions(service, c.LOG_LEVEL),
    }),
  });
}
