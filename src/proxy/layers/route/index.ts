// Gateway API HTTPRoute semantics for the data plane: which route a request takes and what its filters do.
// When config arrives, compileRoutes / compileVirtualHosts turn the snapshot's RouteEntry lists into sorted,
// precompiled tables (regexes, weighted splits, filters); per request, selectVirtualHost + matchRoute find
// the route, route.pick() the backend, and the apply* / computeRedirect functions run its filters.
// Pure functions with no I/O; layer.ts wraps them as the stack's route and split layers.

export {
  compileRoutes,
  compileVirtualHosts,
  selectVirtualHost,
  normalizeHost,
  CompiledRoute,
  RouteCompileError,
  PathKind,
  type CompiledBackend,
  type CompiledHeaderMatch,
  type CompiledQueryMatch,
  type CompiledVirtualHosts,
} from './compile.js';
export { matchRoute, prefixMatches, type RequestHeaders } from './match.js';
export { WeightedPicker, compileSplit } from './split.js';
export {
  compileFilterChain,
  applyRequestFilters,
  applyResponseFilters,
  applyHeaderModifier,
  rewritePath,
  computeRedirect,
  EMPTY_CHAIN,
  type FilterChain,
  type HeaderMap,
  type CompiledHeaderModifier,
  type CompiledPathModifier,
  type CompiledRewrite,
  type CompiledRedirect,
  type RedirectRequest,
} from './filters.js';
