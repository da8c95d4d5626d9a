// The processes the side-by-side scenarios measure weft against, all from Debian: the upstream app (an nginx
// serving small and large bodies), and nginx and haproxy as the anchors of ../shared/bench, both as a single
// plain reverse proxy and as the mTLS mesh hop of ../shared/bench/meshhop.sh (same directives; only the
// ports differ: every run picks free ones, so two benches on one machine cannot answer each other's load).
// Every process is started in the foreground as a child of the bench, so it can be stopped even on errors.
import { spawn, execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { track } from './mesh.mjs';

export const TOOLS = ['wrk', 'hey', 'nginx', 'haproxy', 'taskset'];

/** Installs what the bench needs from Debian when missing (the README promises a fresh machine works). */
export function ensureTools() {
  const missing = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length === 0) return;
  console.log(`installing nginx-light haproxy wrk hey from Debian (missing: ${missing.join(' ')})`);
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  execFileSync('sh', ['-c', `${sudo}apt-get update -qq && ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light haproxy wrk hey util-linux`], { stdio: 'inherit' });
}

/** Versions of the tools, for the results file. */
export function toolVersions() {
  const v = (cmd, args, re) => { const r = spawnSync(cmd, args, { encoding: 'utf8' }); return re.exec(`${r.stdout}${r.stderr}`)?.[1] ?? null; };
  return {
    nginx: v('nginx', ['-v'], /nginx\/(\S+)/),
    haproxy: v('haproxy', ['-v'], /version (\S+)/),
    wrk: v('wrk', ['-v'], /wrk (\S+)/),
  };
}

/** Response and request body sizes of scenario 3. */
export const BODIES = { '1k': 1024, '64k': 64 * 1024 };

/**
 * The upstream app: `GET /` answers as the anchors' nginx-upstream.conf does ("hello from upstream"),
 * `GET /1k` and `/64k` serve files of those sizes, and any POST gets a short 200 once its body is read.
 * Unlike the anchors' file it has no `reuseport`: a second nginx on the same port fails instead of
 * silently taking half the load.
 */
export function writeAppConf(dir, port) {
  const www = path.join(dir, 'www');
  mkdirSync(www, { recursive: true });
  for (const [name, size] of Object.entries(BODIES)) writeFileSync(path.join(www, name), Buffer.alloc(size, 'b'), { mode: 0o644 });
  // nginx started by root serves as `nobody`: the temp dir (mkdtemp: 0700) must be readable, and its
  // temp-file directories creatable, by that user.
  chmodSync(dir, 0o755);
  chmodSync(www, 0o755);
  const file = path.join(dir, 'app.conf');
  writeFileSync(file, `worker_processes 1; pid ${dir}/app.pid; error_log ${dir}/app.err;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_buffer_size 128k;
  server { listen 127.0.0.1:${port}; keepalive_requests 1000000;
    location / {
      if ($request_method = POST) { return 200 "ok\\n"; }
      return 200 "hello from upstream\\n"; }
    location ~ ^/(1k|64k)$ {
      if ($request_method = POST) { return 200 "ok\\n"; }
      default_type application/octet-stream; root ${www}; } }
}
`);
  return file;
}

/**
 * nginx as the anchors run it. `hop`: the mTLS mesh hop (client-side proxy on `port` -> mTLS on `inPort` ->
 * server-side proxy -> app), directives as in meshhop.sh; else one plain HTTP/1 reverse proxy `port` -> app.
 * `client_body_buffer_size` is the one addition: it keeps a 64 KiB request body in memory (haproxy and weft
 * stream it) instead of writing it to a temporary file, which would measure the disk rather than the proxy.
 */
export function writeNginxConf(dir, { port, appPort, hop, inPort, certs: K }) {
  const file = path.join(dir, hop ? 'nginx-hop.conf' : 'nginx-plain.conf');
  const common = `worker_processes 1; pid ${dir}/nginx-proxy.pid; error_log ${dir}/nginx-proxy.err;
events { worker_connections 4096; }
http { access_log off; client_body_buffer_size 128k;
  upstream app { server 127.0.0.1:${appPort}; keepalive 64; }`;
  writeFileSync(file, hop ? `${common}
  upstream inbound { server 127.0.0.1:${inPort}; keepalive 64; }
  server { listen 127.0.0.1:${port}; keepalive_requests 1000000;
    location / { proxy_pass https://inbound; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_ssl_certificate ${K}/client.crt; proxy_ssl_certificate_key ${K}/client.key;
      proxy_ssl_trusted_certificate ${K}/ca.crt; proxy_ssl_verify on; proxy_ssl_name server; proxy_ssl_session_reuse on; } }
  server { listen 127.0.0.1:${inPort} ssl; keepalive_requests 1000000;
    ssl_certificate ${K}/server.crt; ssl_certificate_key ${K}/server.key; ssl_client_certificate ${K}/ca.crt; ssl_verify_client on;
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
` : `${common}
  server { listen 127.0.0.1:${port}; keepalive_requests 1000000;
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
`);
  return file;
}

/** haproxy as the anchors run it: one thread; the mTLS hop of meshhop.sh, or one plain proxy. */
export function writeHaproxyCfg(dir, { port, appPort, hop, inPort, certs: K }) {
  const file = path.join(dir, hop ? 'haproxy-hop.cfg' : 'haproxy-plain.cfg');
  const head = 'global\n  nbthread 1\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n  option http-keep-alive\n';
  const app = `backend app\n  http-reuse always\n  server a1 127.0.0.1:${appPort}\n`;
  writeFileSync(file, hop
    ? `${head}frontend out\n  bind 127.0.0.1:${port}\n  default_backend toinbound\nbackend toinbound\n  http-reuse always\n  server in1 127.0.0.1:${inPort} ssl crt ${K}/client.pem ca-file ${K}/ca.crt verify required sni str(server) verifyhost server
frontend in\n  bind 127.0.0.1:${inPort} ssl crt ${K}/server.pem ca-file ${K}/ca.crt verify required\n  default_backend app\n${app}`
    : `${head}frontend plain\n  bind 127.0.0.1:${port}\n  default_backend app\n${app}`);
  return file;
}

/**
 * Starts `cmd args` in the foreground pinned to `cpu` (taskset execs it: the child's pid is the program's).
 * Returns its pid and a stop() that waits for the exit, SIGKILL after 5 s.
 */
export function startPinned(cpu, cmd, args) {
  const child = spawn('taskset', ['-c', String(cpu), cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err = (err + d).slice(-4000); });
  child.on('error', (e) => { err += `${cmd}: ${e.message}`; }); // shows in the caller's "did not answer" error
  const exited = new Promise((r) => { child.once('exit', r); child.once('error', r); });
  const stop = track(async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  });
  return { pid: child.pid, stderr: () => err, running: () => child.exitCode === null && child.signalCode === null, stop };
}

export const startNginx = (cpu, conf, dir) => startPinned(cpu, 'nginx', ['-c', conf, '-p', `${dir}/`, '-g', 'daemon off;']);
export const startHaproxy = (cpu, cfg) => startPinned(cpu, 'haproxy', ['-f', cfg]);
