import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { type Observable, throwError } from 'rxjs';
import type { DeadLetterReason, SparkflowErrorCode } from '@sparkflow/contracts';
import { SparkflowException, disposition, httpStatus } from '@sparkflow/errors';

export interface SparkflowErrorBody {
  statusCode: number;
  code: SparkflowErrorCode;
  message: string;
  reasons: DeadLetterReason[];
}

/** The documented error body of a SparkflowException: `{statusCode, code, message, reasons}`. */
export function sparkflowErrorBody(exception: SparkflowException): SparkflowErrorBody {
  return {
    statusCode: httpStatus(exception.code),
    code: exception.code,
    message: exception.message,
    reasons: exception.reasons,
  };
}

/** Seconds a client waits before sending again a request a dependency's outage failed. */
const RETRY_AFTER_S = '1';

/**
 * Answers a SparkflowException thrown by any route with the status its code maps to (`httpStatus`) and
 * `{code, message, reasons}`, so an upstream API that is down is a 502 SOURCE_UNAVAILABLE, not a bare 500,
 * and a failure that waits for a dependency (a Kafka outage: 503 BROKER_UNAVAILABLE) carries Retry-After.
 * In a Kafka handler (the transport inherits the app's filters) the exception goes back unchanged: the
 * consumer decides from the same code what to do with the record.
 */
@Catch(SparkflowException)
export class SparkflowExceptionFilter implements ExceptionFilter<SparkflowException> {
  private readonly logger = new Logger('SparkflowExceptionFilter');

  catch(exception: SparkflowException, host: ArgumentsHost): void | Observable<never> {
    if (host.getType() !== 'http') return throwError(() => exception);
    const body = sparkflowErrorBody(exception);
    const status = body.statusCode;
    if (status >= 500) this.logger.warn(`${exception.code}: ${exception.message}`);
    const res = host.switchToHttp().getResponse<Response>();
    // A dependency that is down (Kafka, Cassandra, PostgreSQL) comes back: the client may send it again.
    if (disposition(exception.code) === 'wait') res.setHeader('retry-after', RETRY_AFTER_S);
    res.status(status).json(body);
  }
}
