// Layer combinators: the request path is a stack of layers, each wrapping the service inside it.
// No mesh knowledge lives here; the builders in inbound/ and outbound/ decide what goes in a stack.

/** Handles one request. It settles when the response has been handed off (or failed). */
export type Service<C> = (ctx: C) => Promise<void>;

/** Wraps an inner service in one concern. Called once when a stack is built, never per request. */
export type Layer<C> = (inner: Service<C>) => Service<C>;

/**
 * Folds layers around a terminal service, outermost first, so `stack([a, b], t)` handles a request as
 * a(b(t)). Checked: every layer must return a service, so a broken layer fails when config is applied,
 * not on the first request.
 */
export function stack<C>(layers: ReadonlyArray<Layer<C>>, terminal: Service<C>): Service<C> {
  if (typeof terminal !== 'function') throw new TypeError('stack: terminal service is not a function');
  let svc = terminal;
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i];
    if (typeof layer !== 'function') throw new TypeError(`stack: layer ${i} is not a function`);
    const next = layer(svc);
    if (typeof next !== 'function') throw new TypeError(`stack: layer ${i} (${layer.name || 'anonymous'}) did not return a service`);
    svc = next;
  }
  return svc;
}

/**
 * Like `stack`, but with (ctx, next) middleware, for layers that are easier to write that way.
 * `next` may be called at most once per request: a second call rejects instead of dispatching twice.
 */
export type Middleware<C> = (ctx: C, next: () => Promise<void>) => Promise<void>;
export function fromMiddleware<C>(mw: Middleware<C>): Layer<C> {
  return (inner) => (ctx) => {
    let called = false;
    return mw(ctx, () => {
      if (called) return Promise.reject(new Error('next() called more than once'));
      called = true;
      return inner(ctx);
    });
  };
}
