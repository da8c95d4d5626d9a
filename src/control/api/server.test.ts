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
