import { type ArgumentsHost, Catch } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { type Observable, throwError } from 'rxjs';

/**
 * A global filter of every service (`bootstrapService` registers it): whatever a Kafka handler throws goes
 * back to the BatchConsumer as it was thrown, which decides from its code whether to wait, retry or
 * dead-letter, and writes its message into the dead letter. Nest's own RPC filter would replace anything
 * but an RpcException with `{ status, message }`: a broker outage read as UNKNOWN, was retried as a bad
 * record and then dead-lettered, and the dead letter's reason said "[object Object]".
 *
 * Over HTTP it answers as Nest's own filter (`BaseExceptionFilter`), as if it were not there: an HttpException
 * keeps its answer, anything else is a 500; nothing is thrown on into express. It needs the HTTP adapter
 * (`new PassErrorsToConsumer(app.getHttpAdapter())`): Nest injects it only into filters it creates itself.
 * A SparkflowException never gets here in either context: SparkflowExceptionFilter is tried first (see
 * `bootstrapService`).
 */
@Catch()
export class PassErrorsToConsumer extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void | Observable<never> {
    if (host.getType() === 'rpc') return throwError(() => exception);
    super.catch(exception, host);
  }
}
