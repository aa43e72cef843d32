import type { ArgumentsHost } from '@nestjs/common';
import { isObservable, lastValueFrom } from 'rxjs';
import { SparkflowErrorCode } from '@sparkflow/contracts';
import { SparkflowException } from '@sparkflow/errors';
import { SparkflowExceptionFilter } from './sparkflow-exception.filter';

function httpHost() {
  const sent: { status?: number; body?: unknown; headers: Record<string, string> } = { headers: {} };
  const res = {
    setHeader(name: string, value: string) {
      sent.headers[name] = value;
    },
    status(code: number) {
      sent.status = code;
      return res;
    },
    json(body: unknown) {
      sent.body = body;
    },
  };
  const host = { getType: () => 'http', switchToHttp: () => ({ getResponse: () => res }) };
  return { host: host as unknown as ArgumentsHost, sent };
}

describe('SparkflowExceptionFilter', () => {
  it('answers an upstream failure with 502 and its code, message and reasons', () => {
    const { host, sent } = httpHost();
    new SparkflowExceptionFilter().catch(
      new SparkflowException(
        SparkflowErrorCode.SourceUnavailable,
        'GET https://randomuser.me/api/ answered HTTP 503',
      ),
      host,
    );
    expect(sent.status).toBe(502);
    expect(sent.body).toEqual({
      statusCode: 502,
      code: 'SOURCE_UNAVAILABLE',
      message: 'GET https://randomuser.me/api/ answered HTTP 503',
      reasons: [
        {
          code: 'SOURCE_UNAVAILABLE',
          message: 'GET https://randomuser.me/api/ answered HTTP 503',
          path: null,
        },
      ],
    });
  });

  it('answers each code with the status the table maps it to', () => {
    const { host, sent } = httpHost();
    new SparkflowExceptionFilter().catch(
      new SparkflowException(SparkflowErrorCode.SchemaInvalid, 'bad'),
      host,
    );
    expect(sent.status).toBe(400);
  });

  it('asks the client to send again (Retry-After) when a dependency is down, and only then', () => {
    const down = httpHost();
    new SparkflowExceptionFilter().catch(
      new SparkflowException(SparkflowErrorCode.BrokerUnavailable, 'producing 1000 records to users.raw: …'),
      down.host,
    );
    expect(down.sent.status).toBe(503);
    expect(down.sent.headers).toEqual({ 'retry-after': '1' });
    const refused = httpHost();
    new SparkflowExceptionFilter().catch(
      new SparkflowException(SparkflowErrorCode.RecordTooLarge, 'too large'),
      refused.host,
    );
    expect(refused.sent.status).toBe(413);
    expect(refused.sent.headers).toEqual({});
  });

  it('hands the exception back unchanged outside HTTP (a Kafka handler)', async () => {
    const error = new SparkflowException(SparkflowErrorCode.CassandraUnavailable, 'down');
    const host = { getType: () => 'rpc' } as unknown as ArgumentsHost;
    const result = new SparkflowExceptionFilter().catch(error, host);
    expect(isObservable(result)).toBe(true);
    await expect(lastValueFrom(result as never)).rejects.toBe(error);
  });
});
