import type { LoggerService } from '@nestjs/common';
import pino from 'pino';

/** Nest's logger interface over pino: one JSON line per entry with the service name. */
export class JsonLogger implements LoggerService {
  private readonly pino: pino.Logger;

  constructor(service: string) {
    this.pino = pino({ base: { service }, level: 'info', timestamp: pino.stdTimeFunctions.isoTime });
  }

  log(message: unknown, context?: string): void {
    this.pino.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.pino.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.pino.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.pino.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.pino.trace({ context }, String(message));
  }
}
