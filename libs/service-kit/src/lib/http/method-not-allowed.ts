import { METHODS, type IncomingMessage, type ServerResponse } from 'node:http';
import { SparkflowErrorCode } from '@sparkflow/contracts';
import { refusalBody } from '@sparkflow/errors';

/** What this middleware reads of an Express router's layer (router 2.x, Express 5). */
interface RouterLayer {
  /** The match (an object) when the layer takes the path, else false. */
  match(path: string): unknown;
  route?: { methods: Record<string, boolean | undefined> };
}

/** The part of an Express application it reads: its router, whose stack holds the routes Nest registered. */
export interface RoutedApp {
  router: { stack: RouterLayer[] };
}

/** Whether a layer takes the path; a path it cannot decode (a bad `%` escape) is not one it takes. */
function matches(layer: RouterLayer, path: string): boolean {
  try {
    return Boolean(layer.match(path));
  } catch {
    return false;
  }
}

// A route that takes every method Node knows (the router's `all` registers each of node:http's METHODS) is what Nest mounts its middleware (pino-http, forRoutes) as,
// with `app.all`, on every path or on a module's: it is not an endpoint and says nothing of the methods a
// path answers. An `@All()` handler is such a route too, and answers whatever reaches it.
export const EVERY_METHOD = METHODS.length;

/**
 * The methods the routes registered for `path` answer (as Express dispatches them: a GET route also
 * answers HEAD), upper-case and sorted; `[]` when no route of particular methods matches the path.
 */
export function allowedMethods(app: RoutedApp, path: string): string[] {
  const methods = new Set<string>();
  for (const layer of app.router.stack) {
    if (!layer.route || !matches(layer, path)) continue;
    const declared = Object.keys(layer.route.methods).filter((m) => layer.route?.methods[m]);
    if (declared.length >= EVERY_METHOD || declared.includes('_all')) continue;
    for (const method of declared) methods.add(method.toUpperCase());
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

// As the router reads it: the request target up to its query.
export const pathOf = (req: IncomingMessage) => (req.url ?? '/').split('?')[0];

/**
 * Express middleware: a request whose path has routes, none of them for its method, is answered
 * `405 Method Not Allowed` with an `Allow` header listing the methods those routes answer, in the error
 * model (`refusalBody`: `METHOD_NOT_ALLOWED`, its reason naming `method`). The methods are read from the
 * routes Nest registered on the Express router, at the time of the request, so no list is kept by hand. A
 * path no route has goes on, to the 404 NOT_FOUND of `unknown-route.ts`; so does a request to a path only an
 * `@All()` route takes.
 *
 * It is registered first, before the API key is checked and before a body is read: a 405 tells a caller
 * without a key only that the path exists, which a 404 for the other paths tells as well, and no body is
 * read for a request no route takes.
 */
export function answerWrongMethod(app: RoutedApp) {
  return (
    req: IncomingMessage,
    res: ServerResponse & { status(code: number): { json(body: unknown): void } },
    next: () => void,
  ): void => {
    const path = pathOf(req);
    const allowed = allowedMethods(app, path);
    const method = (req.method ?? 'GET').toUpperCase();
    if (allowed.length === 0 || allowed.includes(method)) return next();
    const allow = allowed.join(', ');
    res.setHeader('allow', allow);
    res
      .status(405)
      .json(
        refusalBody(
          405,
          SparkflowErrorCode.MethodNotAllowed,
          `Method Not Allowed: ${path} answers ${allow}`,
          [{ path: 'method', message: `${method} is not one of ${allow}` }],
        ),
      );
  };
}
