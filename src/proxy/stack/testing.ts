// Test support for layers (used only by *.test.ts; compiled into dist with them): a recording mock of the
// inner service and a Ctx with a recording Responder, so a layer test reads "given this request, the layer
// did this to the context, called the inner service (or not) and answered this" without a socket.
// Models: linkerd2-proxy's linkerd/stack mock services, hono's middleware tests.
import type { Service } from './index.js';
import type { Ctx, HeaderMap, Responder } from '../context.js';

/** What a layer under test did to the response. */
export interface Answer {
  status?: number;
  headers?: HeaderMap;
  /** undefined until end(); '' for end() without a body. */
  body?: string;
  ended: boolean;
  destroyed?: Error | true;
}

export interface TestResponder extends Responder {
  readonly answer: Answer;
  /** Marks part of a response as already sent (as the forwarder does once a head went out). */
  sendHead(status: number): void;
}

export function testResponder(): TestResponder {
  const answer: Answer = { ended: false };
  const closers: (() => void)[] = [];
  const r = {
    answer,
    statusCode: 0,
    headersSent: false,
    writableFinished: false,
    writeHead(status: number, headers: HeaderMap) {
      if (r.headersSent) throw new Error('writeHead after the head was sent');
      r.statusCode = status;
      r.headersSent = true;
      answer.status = status;
      answer.headers = headers;
    },
    end(body?: string | Buffer) {
      if (answer.ended) throw new Error('end() called twice');
      answer.ended = true;
      answer.body = body === undefined ? '' : body.toString();
      r.writableFinished = true;
      for (const f of closers.splice(0)) f();
    },
    destroy(err?: Error) {
      answer.destroyed = err ?? true;
      for (const f of closers.splice(0)) f();
    },
    onClose(fn: () => void) {
      closers.push(fn);
    },
    sendHead(status: number) {
      r.statusCode = status;
      r.headersSent = true;
    },
  };
  return r;
}

export interface TestCtxInit {
  method?: string;
  /** Path with an optional "?query". */
  url?: string;
  /** host[:port]; default: the host header, else "svc.test". */
  authority?: string;
  scheme?: string;
  /** Request headers (lower-case names); `ctx.headers` starts as a copy, as the engine makes it. */
  headers?: HeaderMap;
  /** The downstream peer's address. */
  remoteAddress?: string;
}

/** A Ctx as the engine would hand it to the first layer, with a recording responder. */
export function testCtx(init: TestCtxInit = {}): Ctx & { res: TestResponder } {
  const url = init.url ?? '/';
  const qi = url.indexOf('?');
  const headers = init.headers ?? {};
  const res = testResponder();
  const ctx = {
    conn: { remoteAddress: init.remoteAddress ?? '127.0.0.1', remotePort: 40000 },
    res,
    reqHeaders: headers,
    version: '1.1',
    start: process.hrtime.bigint(),
    method: init.method ?? 'GET',
    path: qi < 0 ? url : url.slice(0, qi),
    query: qi < 0 ? '' : url.slice(qi + 1),
    authority: init.authority ?? (typeof headers.host === 'string' ? headers.host : 'svc.test'),
    scheme: init.scheme ?? 'http',
    headers: { ...headers },
  };
  return ctx as unknown as Ctx & { res: TestResponder };
}

/** A recording inner service: what reached it, and what it does (default: answer 200 with "ok"). */
export interface MockInner extends Service<Ctx> {
  readonly calls: Ctx[];
  /** Snapshots of ctx.headers as each call saw them (layers may change them later). */
  readonly headersSeen: HeaderMap[];
}

export function mockInner(behaviour: (ctx: Ctx) => void | Promise<void> = (ctx) => {
  ctx.res.writeHead(200, { 'content-length': '2' });
  ctx.res.end('ok');
}): MockInner {
  const calls: Ctx[] = [];
  const headersSeen: HeaderMap[] = [];
  // Not async: a behaviour that throws synchronously throws out of the service, as a plain layer may.
  const svc = (ctx: Ctx): Promise<void> => {
    calls.push(ctx);
    headersSeen.push({ ...ctx.headers });
    return Promise.resolve(behaviour(ctx));
  };
  return Object.assign(svc, { calls, headersSeen });
}

/** An inner service that fails the way a layer below would: a synchronous throw or a rejection. */
export function failingInner(err: unknown, how: 'reject' | 'throw' = 'reject'): MockInner {
  return mockInner(() => {
    if (how === 'throw') throw err;
    return Promise.reject(err);
  });
}
