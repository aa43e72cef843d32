import { readinessProblems } from './health-api';

describe('readinessProblems', () => {
  it('is empty for a ready service', () => {
    const ready = {
      status: 'ok',
      info: { kafka: { status: 'up' } },
      error: {},
      details: { kafka: { status: 'up' } },
    };
    expect(readinessProblems(JSON.stringify(ready))).toBe('');
  });

  it('names each check that is down with its reason', () => {
    const down = {
      status: 'error',
      info: { kafka: { status: 'up' } },
      error: {
        cassandra: { status: 'down', message: 'All host(s) tried' },
        consumer: { status: 'down', message: 'not started' },
      },
      details: {
        kafka: { status: 'up' },
        cassandra: { status: 'down', message: 'All host(s) tried' },
        consumer: { status: 'down', message: 'not started' },
      },
    };
    expect(readinessProblems(JSON.stringify(down))).toBe(
      'cassandra: All host(s) tried; consumer: not started',
    );
  });

  it('says a stopping service is shutting down', () => {
    expect(readinessProblems('{"status":"shutting_down","info":{},"error":{},"details":{}}')).toBe(
      'shutting down',
    );
  });

  it('gives back a body that is not a readiness answer, cut short', () => {
    expect(readinessProblems('Bad Gateway')).toBe('Bad Gateway');
    expect(readinessProblems('x'.repeat(300))).toBe(`${'x'.repeat(200)}…`);
  });
});
