// Where objects come from, on a real control plane: a watched file owns what it defines (`weft apply` and
// `weft delete` of those are refused with the file and line), objects applied through the API survive the
// file's saves until the file starts defining them, and `weft apply` warns about dangling references.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { TestControl } from './helpers/control.js';
import type { ObjectRow, SourceConflict, CheckResult } from '../src/api/control-api.js';

const svc = (name: string, app = name) => `apiVersion: v1
kind: Service
metadata: { name: ${name} }
spec:
  selector: { app: ${app} }
  ports: [{ port: 80 }]
`;
const wl = (name: string) => `apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: { name: ${name}, labels: { app: ${name} } }
spec: { command: node, args: [app.mjs] }
`;
const mesh = `apiVersion: weft.dev/v1alpha1
kind: Mesh
metadata: { name: src }
spec: { trustDomain: src.local }
`;
// web's Service starts on line 11 of the watched file.
const FILE = [mesh, wl('web'), svc('web')].join('---\n');

let c: TestControl;
before(async () => {
  c = new TestControl(FILE);
  await c.start();
});
after(async () => {
  await c?.stop();
});

const objects = async (kind?: string) => (await c.api<ObjectRow[]>('GET', `/v1/objects${kind ? `?kind=${kind}` : ''}`)).body;
const write = (name: string, text: string) => {
  const f = path.join(c.dir, name);
  writeFileSync(f, text);
  return f;
};

test('objects list their source with the line each is defined on', async () => {
  const rows = await objects('Service');
  assert.deepEqual(rows.map((r) => [r.metadata.name, r.source]), [['web', `file:${c.file}:11`]]);
  const all = await objects();
  assert.equal(all.find((r) => r.kind === 'Workload')!.source, `file:${c.file}:6`);
});

test('apply of an object the watched file defines is refused with 409, naming file:line, and changes nothing', async () => {
  const conflict = `Service default/web is defined in ${c.file}:11; edit that file instead (weft apply cannot change what a watched file defines)`;
  const r = await c.api<SourceConflict>('POST', '/v1/apply', { text: [svc('web', 'changed'), svc('newone')].join('---\n'), file: 'x.yaml' });
  assert.equal(r.status, 409);
  assert.deepEqual(r.body.errors, [conflict]);
  const rows = await objects('Service');
  assert.deepEqual(rows.map((x) => x.metadata.name), ['web'], 'the whole request is refused: newone is not applied either');
  assert.deepEqual((rows[0].spec as { selector: unknown }).selector, { app: 'web' });

  const cli = await c.cli(['apply', '-f', write('web.yaml', svc('web', 'changed'))]);
  assert.equal(cli.code, 1);
  assert.equal(cli.stderr, `${conflict}\n${path.join(c.dir, 'web.yaml')}: rejected, nothing applied\n`);
});

test('delete of an object the watched file defines is refused; delete of a missing object exits 1', async () => {
  const r = await c.cli(['delete', '-f', write('del-web.yaml', svc('web'))]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Service default\/web is defined in .*mesh\.yaml:11; edit that file instead \(weft delete cannot change what a watched file defines\)/);
  assert.equal((await objects('Service')).length, 1);

  const missing = await c.cli(['delete', '-f', write('del-missing.yaml', svc('ghost'))]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'Service/default/ghost not found\n');
  const ignored = await c.cli(['delete', '--ignore-not-found', '-f', path.join(c.dir, 'del-missing.yaml')]);
  assert.equal(ignored.code, 0, ignored.stderr);
});

test('an object applied through the API survives saves of the file, until the file defines it', async () => {
  const applied = await c.cli(['apply', '-f', write('extra.yaml', svc('extra', 'web'))]);
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal(applied.stdout, 'Service/default/extra configured\n');

  // An unrelated edit of the file: extra stays, owned by the API.
  const log1 = await c.save(FILE.replace('ports: [{ port: 80 }]', 'ports: [{ port: 80, name: http }]'));
  assert.match(log1, /reloaded/);
  let extra = (await objects('Service')).find((r) => r.metadata.name === 'extra');
  assert.equal(extra?.source, 'api');

  // The file starts defining it: the file takes it over, and says so.
  const log2 = await c.save([FILE, svc('extra', 'web')].join('---\n'));
  assert.match(log2, /Service default\/extra was applied through the API; .*mesh\.yaml now defines it, so the file owns it from now on/);
  extra = (await objects('Service')).find((r) => r.metadata.name === 'extra');
  assert.equal(extra?.source, `file:${c.file}:18`);
  const refused = await c.cli(['apply', '-f', path.join(c.dir, 'extra.yaml')]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /Service default\/extra is defined in .*mesh\.yaml:18/);

  // Back to the original file: objects it no longer defines go with it.
  await c.save(FILE);
  assert.deepEqual((await objects('Service')).map((r) => r.metadata.name), ['web']);
});

test('apply warns about dangling references but applies; check FAILs naming the route and the missing Service', async () => {
  const route = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: to-nowhere }
spec:
  parentRefs: [{ kind: Service, name: web, port: 80 }]
  rules:
  - backendRefs: [{ name: nosuch, port: 80 }]
`;
  const r = await c.cli(['apply', '-f', write('route.yaml', route)]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'HTTPRoute/default/to-nowhere configured\n');
  assert.match(r.stderr, /^warning: HTTPRoute default\/to-nowhere: rules\[0\]\.backendRefs\[0\] names Service default\/nosuch, which does not exist \(requests this rule sends there fail with 500 backend-not-found/);

  const checks = (await c.api<CheckResult[]>('GET', '/v1/check')).body;
  const refs = checks.find((x) => x.check === 'routes point at Services, ports and Gateways that exist')!;
  assert.equal(refs.status, 'FAIL');
  assert.match(refs.message, /HTTPRoute default\/to-nowhere: .*Service default\/nosuch/);
  assert.ok(refs.hint);

  // Deleting what a route points at warns too.
  await c.cli(['apply', '-f', write('nosuch.yaml', svc('nosuch', 'web'))]);
  const okNow = (await c.api<CheckResult[]>('GET', '/v1/check')).body.find((x) => x.check === refs.check)!;
  assert.equal(okNow.status, 'PASS', okNow.message);
  const del = await c.cli(['delete', '-f', path.join(c.dir, 'nosuch.yaml')]);
  assert.equal(del.code, 0, del.stderr);
  assert.match(del.stderr, /^warning: HTTPRoute default\/to-nowhere: .*names Service default\/nosuch, which does not exist/);
  await c.cli(['delete', '-f', path.join(c.dir, 'route.yaml')]);
});

test('a GRPCRoute is applied, listed by weft get (any case, plural) and deleted like any kind; its dangling backend is warned about', async () => {
  const route = `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: greeter }
spec:
  parentRefs: [{ kind: Service, name: web, port: 80 }]
  rules:
  - matches: [{ method: { service: helloworld.Greeter, method: SayHello } }]
    backendRefs: [{ name: greeter-v2, port: 80 }]
`;
  const r = await c.cli(['apply', '-f', write('grpc.yaml', route)]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'GRPCRoute/default/greeter configured\n');
  assert.match(r.stderr, /^warning: GRPCRoute default\/greeter: rules\[0\]\.backendRefs\[0\] names Service default\/greeter-v2, which does not exist/);
  const got = await c.cli(['get', 'grpcroutes', '-o', 'json']);
  assert.equal(got.code, 0, got.stderr);
  const rows = JSON.parse(got.stdout) as ObjectRow[];
  assert.deepEqual(rows.map((x) => [x.kind, x.metadata.name, x.source]), [['GRPCRoute', 'greeter', 'api']]);
  assert.deepEqual((rows[0].spec as { rules: { matches: unknown[] }[] }).rules[0].matches, [{ method: { type: 'Exact', service: 'helloworld.Greeter', method: 'SayHello' } }]);
  const bad = await c.cli(['apply', '-f', write('grpc-bad.yaml', route.replace('SayHello', 'Say/Hello'))]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /grpc-bad\.yaml:7:\d+ spec\.rules\[0\]\.matches\[0\]\.method\.method: must be a gRPC method name/);
  const del = await c.cli(['delete', '-f', path.join(c.dir, 'grpc.yaml')]);
  assert.equal(del.code, 0, del.stderr);
  assert.deepEqual(await objects('GRPCRoute'), []);
});

test('check FAILs naming a crash-looping app from the runtime report, and WARNs about its restarts', async () => {
  const ref = { name: 'crash-0', kind: 'sidecar', workload: 'crash', namespace: 'default', serviceAccount: 'default' };
  const report = (restarts: number) => ({
    endpoints: [], proxies: [ref],
    processes: [{ proxy: 'crash-0', role: 'app', pid: null, running: false, ready: false, restarts, lastExit: 'code 1' }],
  });
  assert.equal((await c.api('PUT', '/v1/registry/test-runtime', report(0))).status, 200);
  assert.equal((await c.api('PUT', '/v1/registry/test-runtime', report(3))).status, 200);
  const checks = (await c.api<CheckResult[]>('GET', '/v1/check')).body;
  const ready = checks.find((x) => x.check === 'every app is running and ready')!;
  assert.equal(ready.status, 'FAIL');
  assert.equal(ready.message, 'not ready: crash (crash-0) (not running, 3 restarts, last exit: code 1)');
  const restarts = checks.find((x) => x.check === 'no process restarted recently')!;
  assert.equal(restarts.status, 'WARN');
  assert.match(restarts.message, /crash-0 app 3×/);
  // The expected proxy never connected: STALE, a warning.
  assert.equal(checks.find((x) => x.check === 'every proxy is connected and SYNCED')!.status, 'WARN');
  await c.api('PUT', '/v1/registry/test-runtime', { endpoints: [], proxies: [], processes: [] });
});

test('validation reports per-object and cross-object errors of one apply together', async () => {
  const bad = [svc('a').replace('port: 80', 'port: 0'), svc('b'), svc('b')].join('---\n');
  const r = await c.api<{ errors: string[] }>('POST', '/v1/apply', { text: bad, file: 'bad.yaml' });
  assert.equal(r.status, 400);
  assert.equal(r.body.errors.length, 2, r.body.errors.join('\n'));
  assert.match(r.body.errors[0], /^bad\.yaml:6:\d+ spec\.ports\[0\]\.port: must be >= 1/);
  assert.match(r.body.errors[1], /^bad\.yaml:17:\d+ metadata\.name: Service default\/b is defined twice/);
  assert.deepEqual((await objects('Service')).map((x) => x.metadata.name), ['web']);
});

test('a request over the API body limit is named as such by the CLI', async () => {
  const big = write('big.yaml', `# ${'x'.repeat(5 * 1024 * 1024)}\n${svc('big')}`);
  const r = await c.cli(['apply', '-f', big]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /over the control API's limit of 4 MiB/);
  assert.doesNotMatch(r.stderr, /cannot reach/);
});
