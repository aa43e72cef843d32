import type { IncomingMessage } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { NO_ROUTE_REASON_PATH, SparkflowErrorCode } from '@sparkflow/contracts';
import { type RefusalBody, refusalBody } from '@sparkflow/errors';
import { pathOf } from './method-not-allowed';

/** The most of a request's path a 404 quotes. */
const MAX_QUOTED_PATH = 100;

/**
 * The 404 of a request no route takes, in the one error model: `NOT_FOUND`, its reason naming `path`
 * (`NO_ROUTE_REASON_PATH`; a route's own 404 names its parameter). It quotes the method and the path only
 * (never the query, which may carry anything), the path clipped and JSON-quoted, so a control character
 * is escaped as it is in any JSON string.
 */
export function unknownRouteBody(req: IncomingMessage): RefusalBody<404> {
  const path = pathOf(req);
  const quoted = JSON.stringify(path.length > MAX_QUOTED_PATH ? `${path.slice(0, MAX_QUOTED_PATH)}…` : path);
  const method = (req.method ?? 'GET').toUpperCase();
  return refusalBody(404, SparkflowErrorCode.NotFound, `Not Found: no route takes ${method} ${quoted}`, [
    { path: NO_ROUTE_REASON_PATH, message: `no route takes ${quoted}` },
  ]);
}

/** The Express handler of a request no route takes: the 404 of `unknownRouteBody`. */
export function answerUnknownRoute(
  req: IncomingMessage,
  res: { status(code: number): { json(body: unknown): void } },
): void {
  res.status(404).json(unknownRouteBody(req));
}

/**
 * Puts `answerUnknownRoute` where Nest puts its own handler of a request no route takes, which answers
 * `{statusCode: 404, message: "Cannot GET /x", error: "Not Found"}`, without a code and quoting the whole
 * URL. Nest registers it as the app starts (`init`, after the routes, as the last handler of the express
 * app), through the HTTP adapter's `setNotFoundHandler`: that is what is replaced here, so this must be
 * called before the app starts. A route's own 404 (an audit look-up of an event it has not seen) is the
 * route's answer, and is unchanged.
 */
export function answerUnknownRoutes(app: NestExpressApplication): void {
  const adapter = app.getHttpAdapter();
  adapter.setNotFoundHandler = () => app.use(answerUnknownRoute);
}
