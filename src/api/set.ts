// Checks across the objects of one input (one `weft up -f` set, one `weft apply`): identities, the one
// Mesh, ports that cannot work, regular expressions, and references between objects that are both present.
// A reference to an object outside the set is not an error here: it may already be in the store.

import { linearRegExpProblem } from '../util/linear-regexp.js';
import { ConfigError, formatPath, sortErrors, type PathSeg } from './errors.js';
import type { Loaded } from './load.js';
import type { Issue } from './source.js';
import { keyOf, type AnyResource, type AuthorizationPolicy, type Gateway, type GRPCRoute, type HTTPRoute, type Service, type SourceRef } from './types.js';
import { portProtocol } from './protocol.js';
import { checkFaultRefs } from './kinds/fault-injection.js';

/** `context`: objects already stored (for checks that look across objects: a policy and the Service it names). */
export function validateSet(objects: Loaded[], context: readonly AnyResource[] = []): ConfigError[] {
  const errors: ConfigError[] = [];
  const report = (l: Loaded, issue: Issue) => errors.push(errorAt(l, issue));

  // Identity: kind/namespace/name once.
  const byKey = new Map<string, Loaded>();
  for (const l of objects) {
    const k = keyOf(l.resource);
    const first = byKey.get(k);
    if (first === undefined) {
      byKey.set(k, l);
      continue;
    }
    const r = l.resource;
    report(l, {
      path: ['metadata', 'name'], code: 'duplicate',
      message: `${r.kind} ${r.metadata.namespace === undefined ? '' : `${r.metadata.namespace}/`}${r.metadata.name} is defined twice`,
      hint: `first defined at ${where(first.source)}`,
    });
  }

  const meshes = objects.filter((l) => l.resource.kind === 'Mesh');
  for (const l of meshes.slice(1)) {
    if (keyOf(l.resource) === keyOf(meshes[0].resource)) continue; // already reported as a duplicate
    report(l, { path: ['kind'], code: 'duplicate', message: 'only one Mesh is allowed', hint: `the Mesh ${meshes[0].resource.metadata.name} is defined at ${where(meshes[0].source)}` });
  }
  const defaultNs = (meshes[0]?.resource.kind === 'Mesh' ? meshes[0].resource.spec.defaults?.namespace : undefined) ?? 'default';
  const nsOf = (r: { metadata: { namespace?: string } }) => r.metadata.namespace ?? defaultNs;

  for (const l of objects) {
    const r = l.resource;
    if (r.kind === 'Workload' && r.spec.port !== 0 && r.spec.replicas > 1) {
      report(l, {
        path: ['spec', 'port'], code: 'conflict',
        message: `a fixed port cannot be shared by ${r.spec.replicas} replicas`,
        hint: 'set port: 0 to let the runtime pick a free port for each replica, or replicas: 1',
      });
    }
    if (r.kind === 'HTTPRoute') checkRegexes(r, (issue) => report(l, issue));
  }

  // References between objects of the set.
  const services = new Map<string, Service>();
  const gateways = new Map<string, Gateway>();
  for (const l of objects) {
    const r = l.resource;
    if (r.kind === 'Service') services.set(`${nsOf(r)}/${r.metadata.name}`, r);
    if (r.kind === 'Gateway') gateways.set(`${nsOf(r)}/${r.metadata.name}`, r);
  }
  for (const l of objects) {
    if (l.resource.kind !== 'HTTPRoute' && l.resource.kind !== 'GRPCRoute') continue;
    checkReferences(l.resource, nsOf(l.resource), services, gateways, (issue) => report(l, issue));
  }

  checkGatewayPorts(objects.filter((l) => l.resource.kind === 'Gateway'), report);

  // A listener's certificate: a Secret of this input or already stored, in the Gateway's own namespace.
  const setKeys = new Set(objects.map((l) => keyOf(l.resource)));
  const secrets = new Set([...objects.map((l) => l.resource), ...context.filter((r) => !setKeys.has(keyOf(r)))]
    .filter((r) => r.kind === 'Secret').map((r) => `${nsOf(r)}/${r.metadata.name}`));
  for (const l of objects) {
    if (l.resource.kind === 'Gateway') checkCertificateRefs(l.resource, nsOf(l.resource), secrets, (issue) => report(l, issue));
  }
  // A rule's FaultInjection (an ExtensionRef filter): in this input or already stored, in the route's namespace.
  const faults = new Set([...objects.map((l) => l.resource), ...context.filter((r) => !setKeys.has(keyOf(r)))]
    .filter((r) => r.kind === 'FaultInjection').map((r) => `${nsOf(r)}/${r.metadata.name}`));
  for (const l of objects) {
    if (l.resource.kind === 'HTTPRoute' || l.resource.kind === 'GRPCRoute') checkFaultRefs(l.resource, nsOf(l.resource), faults, (issue) => report(l, issue));
  }

  // One TrafficPolicy per Service: two would leave which budget applies to chance.
  const policyOf = new Map<string, Loaded>();
  for (const l of objects) {
    const r = l.resource;
    if (r.kind !== 'TrafficPolicy') continue;
    const target = `${nsOf(r)}/${r.spec.targetRef.name}`;
    const first = policyOf.get(target);
    if (first === undefined) policyOf.set(target, l);
    else report(l, { path: ['spec', 'targetRef', 'name'], code: 'conflict', message: `Service ${target} already has TrafficPolicy ${first.resource.metadata.name}`, hint: `defined at ${where(first.source)}; merge the two` });
  }

  // AuthorizationPolicy fields that only HTTP has, on a port that is opaque TCP.
  const inSet = new Set(objects.map((l) => keyOf(l.resource)));
  const allServices = [...objects.map((l) => l.resource), ...context.filter((r) => !inSet.has(keyOf(r)))].filter((r): r is Service => r.kind === 'Service');
  for (const l of objects) {
    if (l.resource.kind === 'AuthorizationPolicy') checkTcpPolicy(l.resource, nsOf(l.resource), allServices.filter((s) => nsOf(s) === nsOf(l.resource)), (issue) => report(l, issue));
  }

  // A RateLimitPolicy's target: in this input or already stored (a policy on nothing would protect nothing).
  const known = new Set([...objects.map((l) => l.resource), ...context].map((r) => `${r.kind}/${nsOf(r)}/${r.metadata.name}`));
  for (const l of objects) {
    const r = l.resource;
    if (r.kind !== 'RateLimitPolicy') continue;
    const t = r.spec.targetRef;
    if (known.has(`${t.kind}/${nsOf(r)}/${t.name}`)) continue;
    const near = [...known].filter((k) => k.startsWith(`${t.kind}/${nsOf(r)}/`)).map((k) => k.slice(`${t.kind}/${nsOf(r)}/`.length));
    report(l, {
      path: ['spec', 'targetRef', 'name'], code: 'reference',
      message: `${t.kind} ${nsOf(r)}/${t.name} does not exist`,
      hint: near.length === 0 ? `namespace ${nsOf(r)} has no ${t.kind}; define it in the same input or apply it first` : `namespace ${nsOf(r)} has ${t.kind} ${near.sort().join(', ')}`,
    });
  }
  return sortErrors(errors);
}

const HTTP_ONLY = ['methods', 'notMethods', 'paths', 'notPaths', 'hosts', 'notHosts'] as const;

/**
 * A rule that names a port which is opaque TCP (a Service port, or its targetPort, with appProtocol tcp or
 * a server-first port) cannot also match HTTP methods, paths or hosts: a TCP connection has none, so the
 * rule could never apply as written.
 */
function checkTcpPolicy(p: AuthorizationPolicy, _ns: string, services: Service[], report: (i: Issue) => void): void {
  const tcpPorts = new Map<string, string>();
  for (const s of services) {
    for (const sp of s.spec.ports) {
      if (portProtocol(sp) !== 'tcp') continue;
      const why = `Service ${s.metadata.name} port ${sp.port} is opaque TCP (${sp.appProtocol !== undefined ? `appProtocol ${sp.appProtocol}` : 'a server-first port'})`;
      tcpPorts.set(String(sp.port), why);
      if (typeof sp.targetPort === 'number') tcpPorts.set(String(sp.targetPort), why);
    }
  }
  if (tcpPorts.size === 0) return;
  (p.spec.rules ?? []).forEach((rule, i) => (rule.to ?? []).forEach((t, j) => {
    const op = t.operation;
    const port = (op.ports ?? []).find((x) => tcpPorts.has(x));
    if (port === undefined) return;
    for (const f of HTTP_ONLY) {
      if (op[f] === undefined) continue;
      report({
        path: ['spec', 'rules', i, 'to', j, 'operation', f], code: 'protocol',
        message: `${f} applies to HTTP only, and port ${port} is TCP: ${tcpPorts.get(port)}`,
        hint: 'match TCP connections by source (principals, namespaces, ipBlocks) and ports only, or put the HTTP fields in a rule for an HTTP port',
      });
    }
  }));
}

function where(s: SourceRef): string {
  return `${s.file}:${s.line}:${s.column}`;
}

export function errorAt(l: Loaded, issue: Issue): ConfigError {
  const pos = l.locate?.(issue.at ?? issue.path, issue.key === true && issue.at === undefined) ?? l.source;
  return new ConfigError({
    file: pos.file, line: pos.line, column: pos.column, path: formatPath(issue.path), message: issue.message, code: issue.code,
    ...(issue.hint !== undefined ? { hint: issue.hint } : {}),
  });
}

/** Regular expressions are JavaScript RegExp syntax without flags, limited to what runs in linear time (as the proxy compiles them). */
function checkRegexes(r: HTTPRoute, report: (i: Issue) => void): void {
  const tryCompile = (value: string, path: PathSeg[]) => {
    const reason = linearRegExpProblem(value);
    if (reason !== undefined) report({ path, code: 'regex', message: `invalid regular expression: ${reason}`, hint: 'JavaScript RegExp syntax, compiled without flags, without backreferences or lookahead' });
  };
  r.spec.rules.forEach((rule, i) => rule.matches.forEach((m, j) => {
    const at: PathSeg[] = ['spec', 'rules', i, 'matches', j];
    if (m.path.type === 'RegularExpression') tryCompile(m.path.value, [...at, 'path', 'value']);
    (m.headers ?? []).forEach((h, k) => { if (h.type === 'RegularExpression') tryCompile(h.value, [...at, 'headers', k, 'value']); });
    (m.queryParams ?? []).forEach((q, k) => { if (q.type === 'RegularExpression') tryCompile(q.value, [...at, 'queryParams', k, 'value']); });
  }));
}

/** A route's parents, mirror targets and backends against the Services and Gateways of the set. */
function checkReferences(r: HTTPRoute | GRPCRoute, ns: string, services: Map<string, Service>, gateways: Map<string, Gateway>, report: (i: Issue) => void): void {
  r.spec.parentRefs.forEach((p, i) => {
    const at: PathSeg[] = ['spec', 'parentRefs', i];
    const key = `${p.namespace ?? ns}/${p.name}`;
    if (p.kind === 'Gateway') {
      const g = gateways.get(key);
      if (g === undefined) return;
      const ls = g.spec.listeners;
      if (p.sectionName !== undefined && !ls.some((l) => l.name === p.sectionName)) {
        report({ path: [...at, 'sectionName'], code: 'reference', message: `Gateway ${key} has no listener named "${p.sectionName}"`, hint: `listeners: ${ls.map((l) => l.name).join(', ')}` });
      }
      if (p.port !== undefined && !ls.some((l) => l.port === p.port && (p.sectionName === undefined || l.name === p.sectionName))) {
        report({ path: [...at, 'port'], code: 'reference', message: `Gateway ${key} has no listener on port ${p.port}${p.sectionName === undefined ? '' : ` named "${p.sectionName}"`}`, hint: `listener ports: ${ls.map((l) => l.port).join(', ')}` });
      }
    } else {
      const s = services.get(key);
      if (s === undefined) return;
      const ps = s.spec.ports;
      if (p.sectionName !== undefined && !ps.some((x) => x.name === p.sectionName)) {
        report({ path: [...at, 'sectionName'], code: 'reference', message: `Service ${key} has no port named "${p.sectionName}"`, hint: portList(s) });
      }
      if (p.port !== undefined && !ps.some((x) => x.port === p.port)) {
        report({ path: [...at, 'port'], code: 'reference', message: `Service ${key} has no port ${p.port}`, hint: portList(s) });
      }
    }
  });
  // A mirror's target is a backend like any other: its Service must have the port.
  const rules: (HTTPRoute | GRPCRoute)['spec']['rules'][number][] = r.spec.rules;
  rules.forEach((rule, i) => (rule.filters ?? []).forEach((f, k) => {
    if (f.type !== 'RequestMirror') return;
    const b = f.requestMirror.backendRef;
    const at: PathSeg[] = ['spec', 'rules', i, 'filters', k, 'requestMirror', 'backendRef'];
    const s = services.get(`${b.namespace ?? ns}/${b.name}`);
    if (s === undefined) return;
    if (b.port === undefined && s.spec.ports.length > 1) report({ path: [...at, 'port'], at, code: 'required', message: `is required: Service ${b.namespace ?? ns}/${b.name} has ${s.spec.ports.length} ports`, hint: portList(s) });
    else if (b.port !== undefined && !s.spec.ports.some((x) => x.port === b.port)) report({ path: [...at, 'port'], code: 'reference', message: `Service ${b.namespace ?? ns}/${b.name} has no port ${b.port}`, hint: portList(s) });
  }));
  rules.forEach((rule, i) => (rule.backendRefs ?? []).forEach((b, k) => {
    const at: PathSeg[] = ['spec', 'rules', i, 'backendRefs', k];
    const key = `${b.namespace ?? ns}/${b.name}`;
    const s = services.get(key);
    if (s === undefined) return;
    const ps = s.spec.ports;
    if (b.port === undefined && ps.length > 1) {
      report({ path: [...at, 'port'], at, code: 'required', message: `is required: Service ${key} has ${ps.length} ports`, hint: portList(s) });
    } else if (b.port !== undefined && !ps.some((x) => x.port === b.port)) {
      report({ path: [...at, 'port'], code: 'reference', message: `Service ${key} has no port ${b.port}`, hint: portList(s) });
    }
  }));
}

function portList(s: Service): string {
  return `its ports: ${s.spec.ports.map((p) => (p.name === undefined ? String(p.port) : `${p.port} (${p.name})`)).join(', ')}`;
}

/** Two Gateways cannot both bind one port on one address (0.0.0.0 / :: overlap every address). */
function checkGatewayPorts(gws: Loaded[], report: (l: Loaded, i: Issue) => void): void {
  const taken: { addr: string; port: number; owner: string }[] = [];
  const wildcard = (a: string) => a === '0.0.0.0' || a === '::';
  for (const l of gws) {
    const g = l.resource as Gateway;
    const addr = g.spec.addresses?.[0]?.value ?? '127.0.0.1';
    const mine: { addr: string; port: number; owner: string }[] = [];
    g.spec.listeners.forEach((ls, i) => {
      const clash = taken.find((t) => t.port === ls.port && (t.addr === addr || wildcard(t.addr) || wildcard(addr)));
      if (clash !== undefined) {
        report(l, { path: ['spec', 'listeners', i, 'port'], code: 'conflict', message: `port ${ls.port} on ${addr} is already used by ${clash.owner}`, hint: 'give each Gateway its own ports' });
      }
      mine.push({ addr, port: ls.port, owner: `Gateway ${g.metadata.namespace ?? ''}${g.metadata.namespace === undefined ? '' : '/'}${g.metadata.name} listener ${ls.name}` });
    });
    taken.push(...mine);
  }
}

/**
 * certificateRefs name a Secret in the Gateway's namespace that exists. Another namespace would need a
 * ReferenceGrant from the Secret's owner (Gateway API), which weft does not implement, so it is refused.
 */
function checkCertificateRefs(g: Gateway, ns: string, secrets: Set<string>, report: (i: Issue) => void): void {
  g.spec.listeners.forEach((l, i) => (l.tls?.certificateRefs ?? []).forEach((r, j) => {
    const at: PathSeg[] = ['spec', 'listeners', i, 'tls', 'certificateRefs', j];
    if (r.namespace !== undefined && r.namespace !== ns) {
      report({
        path: [...at, 'namespace'], code: 'reference',
        message: `Secret ${r.namespace}/${r.name} is in another namespace than the Gateway (${ns}); that needs a ReferenceGrant, which weft does not implement`,
        hint: `put the Secret in namespace ${ns}, or leave namespace out`,
      });
      return;
    }
    if (!secrets.has(`${ns}/${r.name}`)) {
      const near = [...secrets].filter((k) => k.startsWith(`${ns}/`)).map((k) => k.slice(ns.length + 1));
      report({
        path: [...at, 'name'], code: 'reference',
        message: `Secret ${ns}/${r.name} does not exist`,
        hint: near.length === 0 ? `namespace ${ns} has no Secret; add one of type kubernetes.io/tls (weft apply, or in the same file)` : `namespace ${ns} has ${near.join(', ')}`,
      });
    }
  }));
}
