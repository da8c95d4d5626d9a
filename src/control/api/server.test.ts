import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startApi, type ApiHandlers } from './server.js';
import { call, ControlError } from '../client.js';
import { CONTROL_API_MAX_BODY } from '../../api/control-api.js';

const TOKEN = 't0ken';

async function withApi(fn: (url: string, port: number, applied: string[]) => Promise<void>): Promise<void> {
  const applied: string[] = [];
  const h = {
    apply: async (text: string) => {
      applied.push(text);
      return { status: 200, body: { applied: [], unchanged: [], revision: 1 } };
    },
  } as unknown as ApiHandlers;
  const api = await startApi(h, TOKEN, '127.0.0.1', 0, () => {});
  try {
    await fn(`http://127.0.0.1:${api.port}`, api.port, applied);
  } finally {
    await api.close();
  }
}

/** A raw HTTP/1.1 POST that sends its whole body whatever the server does, and returns what came back. */
function rawPost(port: number, bodyBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (got += d));
    s.on('close', () => resolve(got));
    s.on('error', (e) => (got !== '' ? resolve(got) : reject(e)));
    s.write(`POST /v1/apply HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${TOKEN}\r\ncontent-type: application/json\r\ncontent-length: ${bodyBytes}\r\n\r\n`);
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let left = bodyBytes;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void s.once('drain', pump);
      }
    };
    pump();
  });
}

test('a body over the limit is answered 413 naming the limit, and nothing is applied', async () => {
  await withApi(async (_url, port, applied) => {
    const answer = await rawPost(port, CONTROL_API_MAX_BODY + 1024 * 1024);
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.match(answer, /"error": "request body over the control API's limit of 4 MiB"/);
    assert.deepEqual(applied, []);
  });
});

test('a body under the limit still goes through', async () => {
  await withApi(async (url, _port, applied) => {
    await call({ url, token: TOKEN }, 'POST', '/v1/apply', { text: 'x'.repeat(1024 * 1024), file: 'a.yaml' });
    assert.equal(applied.length, 1);
  });
});

test('the client names the limit instead of "cannot reach control plane"', async () => {
  await withApi(async (url, _port, applied) => {
    await assert.rejects(call({ url, token: TOKEN }, 'POST', '/v1/apply', { text: 'x'.repeat(CONTROL_API_MAX_BODY), file: 'big.yaml' }), (e: unknown) => {
      assert.ok(e instanceof ControlError);
      assert.equal(e.status, 413);
      assert.match(e.message, /^request body of 4 MiB is over the control API's limit of 4 MiB/);
      assert.doesNotMatch(e.message, /cannot reach/);
      return true;
    });
    assert.deepEqual(applied, []);
  });
});

/** An API whose handlers record their calls; `fail` makes status() throw, as a bug in a handler would. */
async function withHandlers(fn: (url: string, calls: string[], logs: string[]) => Promise<void>): Promise<void> {
  const calls: string[] = [];
  const logs: string[] = [];
  const h = {
    status: () => {
      calls.push('status');
      return { ok: true };
    },
    stat: async (by: string, windowMs: number, backends?: boolean) => {
      calls.push(`stat ${by} ${windowMs} ${backends}`);
      return [];
    },
    proxyConfig: (name: string) => (name === 'web-0' ? { name } : undefined),
    explain: () => {
      throw new Error('not reached with bad JSON');
    },
    caRotate: async () => {
      throw new Error('ca exploded');
    },
  } as unknown as ApiHandlers;
  const api = await startApi(h, TOKEN, '127.0.0.1', 0, (m) => logs.push(m));
  try {
    await fn(`http://127.0.0.1:${api.port}`, calls, logs);
  } finally {
    await api.close();
  }
}

async function raw(url: string, method: string, p: string, opts: { token?: string | null; body?: string } = {}): Promise<{ status: number; body: { error?: string } & Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? TOKEN}`;
  const r = await fetch(url + p, { method, headers, body: opts.body });
  return { status: r.status, body: await r.json() as { error?: string } };
}

test('auth: no token, a wrong token of any length and a non-Bearer scheme are 401, and no handler runs', async () => {
  await withHandlers(async (url, calls) => {
    for (const token of [null, 'wrong', 't0kem', `${TOKEN}x`, '']) {
      const r = await raw(url, 'GET', '/v1/status', { token });
      assert.equal(r.status, 401, `token ${token}`);
      assert.equal(r.body.error, 'missing or wrong admin token');
    }
    const basic = await fetch(`${url}/v1/status`, { headers: { authorization: `Basic ${TOKEN}` } });
    assert.equal(basic.status, 401);
    await basic.body?.cancel();
    assert.deepEqual(calls, []);
    const ok = await raw(url, 'GET', '/v1/status');
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { ok: true });
    assert.deepEqual(calls, ['status']);
  });
});

test('auth: /healthz needs no token, every other path does (even unknown ones)', async () => {
  await withHandlers(async (url) => {
    assert.deepEqual(await raw(url, 'GET', '/healthz', { token: null }), { status: 200, body: { status: 'ok' } });
    assert.equal((await raw(url, 'GET', '/v1/nothing-here', { token: null })).status, 401);
    assert.equal((await raw(url, 'GET', '/', { token: null })).status, 401);
  });
});

test('unknown paths are 404 naming the path', async () => {
  await withHandlers(async (url) => {
    const v2 = await raw(url, 'GET', '/v2/status');
    assert.equal(v2.status, 404);
    assert.equal(v2.body.error, 'no such endpoint /v2/status');
    const nope = await raw(url, 'GET', '/v1/nope');
    assert.equal(nope.status, 404);
    assert.equal(nope.body.error, 'no such endpoint GET /v1/nope');
    const proxy = await raw(url, 'GET', '/v1/proxies/db-0/config');
    assert.equal(proxy.status, 404);
    assert.equal(proxy.body.error, 'no proxy named db-0');
    assert.deepEqual(await raw(url, 'GET', '/v1/proxies/web-0/config'), { status: 200, body: { name: 'web-0' } });
  });
});

test('a known path with a method it does not take is refused (404 naming the method) and no handler runs', async () => {
  // The API has no separate 405: a method/path pair it does not serve is "no such endpoint".
  await withHandlers(async (url, calls) => {
    for (const [method, p] of [['DELETE', '/v1/status'], ['POST', '/v1/status'], ['PUT', '/v1/stat'], ['GET', '/v1/apply'], ['GET', '/v1/registry/local']]) {
      const r = await raw(url, method, p, { body: method === 'GET' ? undefined : '{}' });
      assert.equal(r.status, 404, `${method} ${p}`);
      assert.equal(r.body.error, `no such endpoint ${method} ${p}`);
    }
    assert.deepEqual(calls, []);
  });
});

test('bad input is 400: malformed JSON, a bad window, a bad "by"', async () => {
  await withHandlers(async (url, calls, logs) => {
    const json = await raw(url, 'POST', '/v1/authz/explain', { body: '{not json' });
    assert.equal(json.status, 400);
    assert.match(json.body.error!, /JSON/);
    const win = await raw(url, 'GET', '/v1/stat?window=soon');
    assert.equal(win.status, 400);
    assert.equal(win.body.error, 'window must look like 30s, 5m or 1h, got "soon"');
    const by = await raw(url, 'GET', '/v1/stat?by=pod');
    assert.equal(by.status, 400);
    assert.equal(by.body.error, 'by must be "service" or "workload", got "pod"');
    assert.deepEqual(calls, []);
    assert.equal((await raw(url, 'GET', '/v1/stat?by=workload&window=5m&backends=1')).status, 200);
    assert.deepEqual(calls, ['stat workload 300000 true']);
    assert.equal(logs.length, 1, 'the window SyntaxError is logged as an api error');
  });
});

test('a handler that throws is a 500 with its message, logged', async () => {
  await withHandlers(async (url, _calls, logs) => {
    const r = await raw(url, 'POST', '/v1/ca/rotate', { body: '' });
    assert.equal(r.status, 500);
    assert.equal(r.body.error, 'ca exploded');
    assert.ok(logs.some((l) => l === 'api error on POST /v1/ca/rotate: ca exploded'), logs.join('\n'));
  });
});

test('joining needs no admin token; everything else on the plain API does', async () => {
  const h = {
    join: async (b: { token: string }) => (b.token === 'good' ? { status: 200, body: { host: 'b' } } : { status: 403, body: { error: 'join token unknown' } }),
    objects: () => [],
  } as unknown as ApiHandlers;
  const api = await startApi(h, TOKEN, '127.0.0.1', 0, () => {});
  const req = async (method: string, p: string, auth?: string, body?: unknown) => {
    const r = await fetch(`http://127.0.0.1:${api.port}${p}`, { method, headers: { ...(auth ? { authorization: `Bearer ${auth}` } : {}), 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return r.status;
  };
  try {
    assert.equal(await req('POST', '/v1/join', undefined, { token: 'good', host: 'b' }), 200);
    assert.equal(await req('POST', '/v1/join', undefined, { token: 'bad', host: 'b' }), 403);
    assert.equal(await req('GET', '/v1/objects'), 401);
    assert.equal(await req('GET', '/v1/objects', 'host.b.anything'), 401, 'no bearer credential stands for a host');
    assert.equal(await req('GET', '/v1/objects', TOKEN), 200);
  } finally {
    await api.close();
  }
});
