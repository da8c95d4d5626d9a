// One replica of a Workload: its app process beside its sidecar. What the app is given to run (its
// environment) and how its readiness is probed; the supervisor (up.ts) starts and stops them.
import http from 'node:http';
import net from 'node:net';
import type { Workload, Service } from '../api/types.js';
import type { ProxyRef } from '../api/control-api.js';
import type { ProxyPorts } from '../api/proxy-ipc.js';
import { portProtocol } from '../api/protocol.js';
import type { RotatingFile } from './logs.js';
import type { PortReservation } from './ports.js';
import type { Proc } from './procs.js';

export interface Replica {
  ref: ProxyRef;
  /** namespace/name of its Workload. */
  key: string;
  index: number;
  workload: Workload;
  /** templateOf(workload) and the rollout-restart time it was started under. */
  template: string;
  restartAt: string | undefined;
  baseDir: string;
  services: Service[];
  appPort: number;
  /** Holds appPort (when the runtime chose it) until the app is first started: src/runtime/ports.ts says why. */
  appPortHold?: PortReservation;
  proxy: Proc;
  app: Proc;
  appLog: RotatingFile;
  ports?: ProxyPorts;
  ready: boolean;
  /** Out of rotation and on its way out: no restarts, reported not ready. */
  removing: boolean;
  /** Its app exited and its restartPolicy keeps it down (a one-shot job): how it exited. */
  completed?: string;
  probeTimer?: NodeJS.Timeout;
}

/**
 * What the app runs with: the parent's environment, the Workload's env, PORT, HTTP_PROXY to its sidecar and
 * one <SERVICE>_URL per Service port of its namespace (for clients that ignore HTTP_PROXY, as Node's fetch
 * does): http:// for HTTP ports, tcp:// for opaque TCP ones. Pure.
 */
export function appEnvironment(r: Pick<Replica, 'ports' | 'workload' | 'appPort' | 'ref' | 'services'>, host: string, parent: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const p = r.ports!;
  const proxyUrl = `http://${host}:${p.outbound}`;
  const env: NodeJS.ProcessEnv = {
    ...parent,
    ...r.workload.spec.env,
    PORT: String(r.appPort),
    HTTP_PROXY: proxyUrl, http_proxy: proxyUrl,
    NO_PROXY: 'localhost,127.0.0.1,::1', no_proxy: 'localhost,127.0.0.1,::1',
    WEFT_WORKLOAD: r.ref.workload, WEFT_REPLICA: r.ref.name, WEFT_NAMESPACE: r.ref.namespace,
  };
  // Captured: the app calls services by name and iptables brings its connections to the sidecar.
  if (r.workload.spec.capture !== undefined) {
    for (const k of ['HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy']) delete env[k];
    return env;
  }
  for (const s of r.services) {
    if ((s.metadata.namespace ?? 'default') !== r.ref.namespace) continue;
    const base = envName(s.metadata.name);
    s.spec.ports.forEach((sp, idx) => {
      const port = p.upstreams[`${s.metadata.name}.${r.ref.namespace}:${sp.port}`];
      if (port === undefined) return;
      // An opaque TCP port (appProtocol tcp, or a server-first port such as 6379) is a byte tunnel.
      const url = `${portProtocol(sp) === 'tcp' ? 'tcp' : 'http'}://${host}:${port}`;
      if (idx === 0) env[`${base}_URL`] = url;
      if (sp.name) env[`${base}_${envName(sp.name)}_URL`] = url;
    });
  }
  return env;
}

export function envName(s: string): string {
  return s.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/**
 * Probes the app's readiness (its readinessProbe's HTTP path, else a TCP connect) every period, every 50 ms
 * until the first success so a fresh replica joins fast; `changed` hears each flip of r.ready.
 */
export function startProbe(r: Replica, stopped: () => boolean, changed: (ok: boolean) => void): void {
  const rp = r.workload.spec.readinessProbe;
  const period = (rp?.periodSeconds ?? 1) * 1000;
  let fast = 0;
  const tick = () => {
    if (stopped()) return;
    const done = (ok: boolean) => {
      if (r.removing) return;
      if (ok !== r.ready) {
        r.ready = ok;
        changed(ok);
      }
      const next = !r.ready && fast++ < 100 ? 50 : period;
      r.probeTimer = setTimeout(tick, next);
      r.probeTimer.unref();
    };
    if (rp) {
      const req = http.get({ host: '127.0.0.1', port: r.appPort, path: rp.httpGet.path, timeout: 1000, agent: false }, (res) => {
        res.resume();
        done((res.statusCode ?? 500) < 400);
      });
      req.on('error', () => done(false));
      req.on('timeout', () => req.destroy());
    } else {
      const s = net.connect(r.appPort, '127.0.0.1');
      s.once('connect', () => { s.destroy(); done(true); });
      s.once('error', () => done(false));
    }
  };
  tick();
}
