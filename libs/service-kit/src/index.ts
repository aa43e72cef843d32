// First: loads @nestjs/common without building its console logger's date format (5.4 MB of ICU pages per service).
import './lib/bootstrap/nest-date-format';

// What every SparkFlow service is built from, by role:
// configuration — the environment fragments each service's config composes, and the module that parses it once;
export * from './lib/config/service-env';
export * from './lib/config/service-config.module';
// http — the answer to a request Node cannot read, the API key guard, the request-body budget, the JSON body's
// options, the 400 of a path that does not decode, the 404 of a path no route takes and the error model's
// exception filter;
export * from './lib/http/api-key.guard';
export * from './lib/http/body-budget';
export * from './lib/http/client-error';
export * from './lib/http/json-body';
export * from './lib/http/method-not-allowed';
export * from './lib/http/refusal-note';
export * from './lib/http/undecodable-path';
export * from './lib/http/unknown-route';
export * from './lib/http/sparkflow-exception.filter';
// health — /health/live and /health/ready (Terminus) over the service's readiness checks;
export * from './lib/health/health.controller';
export * from './lib/health/readiness.indicator';
// observability — the pino logger (JSON lines with trace and record ids), /metrics and the telemetry's shutdown;
export * from './lib/observability/service-logger';
export * from './lib/observability/metrics.controller';
export * from './lib/observability/telemetry-lifecycle';
// bootstrap — a service's start, its Kafka transport and the providers every module starts from.
export * from './lib/bootstrap/bootstrap';
export * from './lib/bootstrap/run-service';
export * from './lib/bootstrap/service-providers';
