// Fault injection: a FaultInjection object (weft.dev/v1alpha1, Istio's HTTPFaultInjection) that route rules
// use through a Gateway API ExtensionRef filter. What both planes share: how a filter names it, the gRPC
// status names an abort may use, and the form the snapshot carries to the proxy that runs the route.
import type { FaultInjection, HeaderMatch } from './types.js';
import { MAX_TIMER_MS, parseGatewayDuration } from './traffic.js';

/** The one ExtensionRef weft implements: { group: weft.dev, kind: FaultInjection, name }. */
export const FAULT_REF = { group: 'weft.dev', kind: 'FaultInjection' } as const;

/** Whether a route filter is an ExtensionRef to a FaultInjection. */
export function isFaultRef(f: { type: string; extensionRef?: { group: string; kind: string } }): boolean {
  return f.type === 'ExtensionRef' && f.extensionRef?.group === FAULT_REF.group && f.extensionRef.kind === FAULT_REF.kind;
}

/** gRPC status codes by name, the index being the code (grpc/doc/statuscodes.md). */
export const GRPC_CODE_NAMES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE',
  'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
] as const;

/** A gRPC status given as a name ("UNAVAILABLE", any case) or a number (14); undefined when it is neither. */
export function grpcCodeOf(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && v < GRPC_CODE_NAMES.length ? v : undefined;
  const i = (GRPC_CODE_NAMES as readonly string[]).indexOf(v.toUpperCase());
  return i < 0 ? undefined : i;
}

/** A rule's fault as the proxy runs it (RouteEntry.fault). */
export interface FaultSnap {
  /** "<namespace>/<name>" of the FaultInjection. */
  ref: string;
  /**
   * The FaultInjection does not exist: requests the rule matches get 500 filter-not-found, since the Gateway API
   * says an ExtensionRef that cannot be resolved must not be skipped.
   */
  missing?: true;
  delay?: { ms: number; percent: number };
  /** Exactly one of httpStatus and grpcStatus. */
  abort?: { httpStatus?: number; grpcStatus?: number; percent: number };
  /** Only requests carrying these headers are faulted; absent: every request of the rule. */
  headers?: HeaderMatch[];
}

/** The FaultSnap of a rule's filter naming `ref` ("<namespace>/<name>"), from that object if it exists. */
export function faultSnapOf(ref: string, fi: FaultInjection | undefined): FaultSnap {
  if (fi === undefined) return { ref, missing: true };
  const { delay, abort, match } = fi.spec;
  const out: FaultSnap = { ref };
  if (delay !== undefined) {
    out.delay = { ms: Math.min(parseGatewayDuration(delay.fixedDelay) ?? 0, MAX_TIMER_MS), percent: delay.percentage ?? 100 };
  }
  if (abort !== undefined) {
    const grpc = abort.grpcStatus === undefined ? undefined : grpcCodeOf(abort.grpcStatus);
    out.abort = { ...(abort.httpStatus !== undefined ? { httpStatus: abort.httpStatus } : {}), ...(grpc !== undefined ? { grpcStatus: grpc } : {}), percent: abort.percentage ?? 100 };
  }
  if (match?.headers !== undefined && match.headers.length > 0) out.headers = match.headers.map((h) => ({ type: h.type ?? 'Exact', name: h.name, value: h.value }));
  return out;
}
