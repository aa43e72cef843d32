import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { type Observable, throwError } from 'rxjs';
import type { DeadLetterReason, SparkflowErrorCode } from '@sparkflow/contracts';
import { SparkflowException, httpStatus } from '@sparkflow/errors';

export interface SparkflowErrorBody {
  statusCode: number;
  code: SparkflowErrorCode;
  message: string;
  reasons: DeadLetterReason[];
}

/**
 * Answers a SparkflowException thrown by any route with the status its code maps to (`httpStatus`) and
 * `{code, message, reasons}`, so an upstream API that is down is a 502 SOURCE_UNAVAILABLE, not a bare 500.
 * In a Kafka handler (the transport inherits the app's filters) the exception goes back unchanged: the
 * consumer decides from the same code what to do with the record.
 */
@Catch(SparkflowException)
export class SparkflowExceptionFilter implements ExceptionFilter<SparkflowException> {
  private readonly logger = new Logger('SparkflowExceptionFilter');

  catch(exception: SparkflowException, host: ArgumentsHost): void | Observable<never> {
    if (host.getType() !== 'http') return throwError(() => exception);
    const status = httpStatus(exception.code);
    const body: SparkflowErrorBody = {
      statusCode: status,
      code: exception.code,
      message: exception.message,
      reasons: exception.reasons,
    };
    if (status >= 500) this.logger.warn(`${exception.code}: ${exception.message}`);
    host.switchToHttp().getResponse<Response>().status(status).json(body);
  }
}
