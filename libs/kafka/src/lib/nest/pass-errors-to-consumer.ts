import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { type Observable, throwError } from 'rxjs';

/**
 * For a class of Kafka handlers (`@UseFilters(PassErrorsToConsumer)`): whatever a handler throws goes back
 * to the BatchConsumer as it was thrown, which decides from its code whether to wait, retry or
 * dead-letter, and writes its message into the dead letter. Nest's own RPC filter would replace anything
 * but an RpcException with `{ status, message }`: a broker outage read as UNKNOWN, was retried as a bad
 * record and then dead-lettered, and the dead letter's reason said "[object Object]".
 */
@Catch()
export class PassErrorsToConsumer implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}
