// Mesh configurations shared by integration tests.
import { ECHO } from './mesh.js';

export function securityYaml(gwPort: number): string {
  const wl = (name: string, sa: string) => `---
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: { name: ${name}, labels: { app: ${name} } }
spec:
  command: ${process.execPath}
  args: [${JSON.stringify(ECHO)}]
  serviceAccount: ${sa}
  readinessProbe: { httpGet: { path: /healthz } }
---
apiVersion: v1
kind: Service
metadata: { name: ${name} }
spec:
  selector: { app: ${name} }
  ports: [{ port: 80 }]
`;
  return `apiVersion: weft.dev/v1alpha1
kind: Mesh
metadata: { name: sec }
spec: { trustDomain: sec.local }
${wl('api', 'api-sa')}${wl('admin', 'admin-sa')}${wl('client', 'client-sa')}---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge }
spec:
  listeners: [{ name: http, port: ${gwPort}, protocol: HTTP }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: edge }
spec:
  parentRefs: [{ name: edge }]
  rules:
  - matches: [{ path: { type: PathPrefix, value: /call } }]
    backendRefs: [{ name: client, port: 80 }]
  - backendRefs: [{ name: api, port: 80 }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-admin-paths }
spec:
  selector: { matchLabels: { app: api } }
  action: DENY
  rules:
  - to: [{ operation: { paths: ["/admin*"] } }]
`;
}


// Pieces for tests that write their own mesh: one document each, joined with "---".

export function meshDoc(name: string, trustDomain = `${name}.local`): string {
  return `apiVersion: weft.dev/v1alpha1
kind: Mesh
metadata: { name: ${name} }
spec: { trustDomain: ${trustDomain} }
`;
}

/** A Workload labelled app=<name>; `probe` is an HTTP readiness path (none: the runtime's TCP check). */
export function workloadDoc(name: string, o: { command?: string; args: string[]; probe?: string; app?: string; env?: Record<string, string>; replicas?: number; restartPolicy?: string; serviceAccount?: string; locality?: { region: string; zone?: string } }): string {
  return `apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: { name: ${name}, labels: { app: ${o.app ?? name} } }
spec:
  command: ${o.command ?? process.execPath}
  args: ${JSON.stringify(o.args)}
${o.env !== undefined ? `  env: ${JSON.stringify(o.env)}\n` : ''}${o.restartPolicy !== undefined ? `  restartPolicy: ${o.restartPolicy}\n` : ''}${o.serviceAccount !== undefined ? `  serviceAccount: ${o.serviceAccount}\n` : ''}${o.replicas !== undefined ? `  replicas: ${o.replicas}\n` : ''}${o.probe !== undefined ? `  readinessProbe: { httpGet: { path: ${o.probe} } }\n` : ''}${o.locality !== undefined ? `  locality: ${JSON.stringify(o.locality)}\n` : ''}`;
}

/** A Service selecting app=<name>, with the ports given as YAML flow mappings. */
export function serviceDoc(name: string, ports: string[] = ['{ port: 80 }']): string {
  return `apiVersion: v1
kind: Service
metadata: { name: ${name} }
spec:
  selector: { app: ${name} }
  ports: [${ports.join(', ')}]
`;
}

/** The Gateway `edge` with one HTTP listener on `port`. */
export function gatewayDoc(port: number, listener = 'http'): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge }
spec: { listeners: [{ name: ${listener}, port: ${port}, protocol: HTTP }] }
`;
}

/** A Gateway on `port` and one HTTPRoute sending everything to `service` port 80. */
export function edgeDocs(port: number, service: string): string {
  return `${gatewayDoc(port)}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${service} }
spec: { parentRefs: [{ name: edge }], rules: [{ backendRefs: [{ name: ${service}, port: 80 }] }] }
`;
}

export const docs = (...parts: string[]): string => parts.join('---\n');
