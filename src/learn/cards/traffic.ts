// Module 2: traffic. Sources checked for every fact: docs/learn.md lists them.
import type { Card } from './types.js';

export const TRAFFIC: Card[] = [
  {
    id: 'traffic/l7-routing',
    module: 2,
    question:
      'Why can a mesh send /api/v2 to one backend and /api/v1 to another, when a plain Kubernetes Service cannot?',
    options: [
      'It gives each path its own ClusterIP, which kube-proxy then routes',
      'Its proxies parse HTTP and decide per request',
      'It rewrites DNS answers depending on the path being requested',
      'It opens a separate TCP connection for every path a client uses',
    ],
    answer: 1,
    explanation:
      'A Service with kube-proxy balances at L4: it sees connections, IPs and ports, never paths. Mesh ' +
      'proxies speak HTTP (and HTTP/2, gRPC), so each request can be matched on method, path, headers or ' +
      'query and routed on its own. IPs and DNS know nothing of paths, and one connection carries requests ' +
      'for many paths.',
    link: 'docs/config-reference.md#httproute',
  },
  {
    id: 'traffic/grpc-balancing',
    module: 2,
    question:
      'A gRPC client keeps one HTTP/2 connection open to a Service with 5 pods, with no mesh. How is its load spread?',
    options: [
      'Evenly: kube-proxy balances each gRPC call inside the connection',
      'Evenly: HTTP/2 opens a new TCP connection for every call',
      'Badly: kube-proxy balances connections, so all calls hit one pod',
      'Not at all: a Service cannot carry HTTP/2 traffic without a mesh',
    ],
    answer: 2,
    explanation:
      'kube-proxy picks a pod per connection. HTTP/2 multiplexes many calls over one long-lived connection, ' +
      "so they all land on the pod chosen when it opened. Linkerd's docs note that Kubernetes' default load " +
      'balancing is not effective for gRPC; a mesh proxy balances each request across the endpoints. ' +
      'Services carry HTTP/2 fine, they just cannot see the calls inside it.',
    link: 'https://linkerd.io/2/features/load-balancing/',
  },
  {
    id: 'traffic/canary-weights',
    module: 2,
    question:
      'An HTTPRoute rule has backendRefs catalog-v1 with weight 90 and catalog-v2 with weight 10. What happens?',
    options: [
      '10% of users are pinned to catalog-v2 for their whole session',
      'catalog-v2 receives at most 10 requests per second, the rest go to v1',
      'catalog-v2 is given 10% of the pods that back the catalog Service',
      'About 10% of requests go to catalog-v2, picked per request',
    ],
    answer: 3,
    explanation:
      'Weights split requests, not users, connections or pods: each request picks a backend with ' +
      'probability weight / sum of weights, so one user can hit v1 and then v2. A sticky canary needs a ' +
      'header or cookie match instead. Traffic share is independent of how many replicas each version has.',
    link: 'https://gateway-api.sigs.k8s.io/guides/traffic-splitting/',
    tryIt: 'weft stat workload',
  },
  {
    id: 'traffic/weights-are-proportional',
    module: 2,
    question: "A rule's two backendRefs have weights 1 and 3. What share of requests goes to the second?",
    options: [
      '75%',
      '3%',
      '30%',
      'None: the route is rejected, weights must add up to 100',
    ],
    answer: 0,
    explanation:
      'Gateway API weights are proportional, not percentages: the sum of the weights in the rule is the ' +
      'denominator, so 3 / (1 + 3) = 75%. They need not add up to 100; a missing weight counts as 1 and a ' +
      'weight of 0 means never chosen.',
    link: 'https://gateway-api.sigs.k8s.io/guides/traffic-splitting/',
  },
  {
    id: 'traffic/header-canary',
    module: 2,
    question:
      'Testers send the header x-canary: 1 and must reach v2 before any real user does. Which setup fits?',
    options: [
      'A weighted split: 99 to v1 and 1 to v2, so almost no user sees v2',
      'A rule matching that header sends to v2; the default rule to v1',
      'One v2 replica added behind the same Service as the v1 replicas',
      "A NetworkPolicy that lets only the testers' IP addresses reach v2",
    ],
    answer: 1,
    explanation:
      'A header match is deterministic: requests with the header go to v2 and everything else to v1, so no ' +
      'real user sees v2 by chance (the more specific match wins). A 99/1 split sends real users to v2; a ' +
      "v2 replica behind the shared Service gets a share of everyone's traffic; NetworkPolicy works on IPs " +
      'and cannot route by header.',
    link: 'docs/config-reference.md#httproute',
  },
  {
    id: 'traffic/match-precedence',
    module: 2,
    question:
      'Two HTTPRoute rules match a request: one with path type Exact /login, one with PathPrefix /. Which wins?',
    options: [
      'The PathPrefix rule, because it is listed first',
      'Both: the request goes to the two backends',
      'The Exact path match',
      'Whichever route was created last',
    ],
    answer: 2,
    explanation:
      'The Gateway API orders matches: an Exact path, then the longest prefix, then a method match, then the ' +
      'most header matches, then the most query matches. Only on a full tie do the oldest route and then ' +
      'list order decide. A request is never sent to both. If nothing matches, the answer is 404.',
    link: 'https://gateway-api.sigs.k8s.io/reference/spec/#httprouterule',
  },
  {
    id: 'traffic/retry-idempotent',
    module: 2,
    question: 'Which requests can a proxy safely retry after a 503 response?',
    options: [
      'All of them, since the client only ever sees the final answer anyway',
      'Only POST requests, since they carry the data that the server needs',
      'None: automatic retries are never safe in a distributed system',
      'Idempotent ones such as GET, where twice equals once',
    ],
    answer: 3,
    explanation:
      'The server may have done the work before failing, so a retried POST can charge a card twice; ' +
      "Linkerd's docs say to retry only idempotent methods. A request that provably never reached the " +
      'server (the connection failed before anything was sent) is safe whatever the method. "Never" throws ' +
      'away an easy win for reads.',
    link: 'https://linkerd.io/2-edge/features/retries-and-timeouts/',
  },
  {
    id: 'traffic/istio-default-retries',
    module: 2,
    question:
      'You install Istio and configure no retries. What does a sidecar do when an HTTP request to a service fails?',
    options: [
      'Retries it up to twice before returning the error',
      'Nothing: it never retries unless a VirtualService asks for it',
      'Retries forever with exponential back-off until the call succeeds',
      'Retries once, and only if the request method was GET',
    ],
    answer: 0,
    explanation:
      "Istio's traffic management docs: the default retry behaviour for HTTP requests is to retry twice " +
      'before returning the error, with a variable interval of 25 ms or more. So retries happen even if you ' +
      'configured none; set attempts: 0 on routes that must not be retried. Linkerd, by contrast, retries ' +
      'only what you opt in.',
    link: 'https://istio.io/latest/docs/concepts/traffic-management/#retries',
  },
  {
    id: 'traffic/timeout-and-retries',
    module: 2,
    question:
      'A route has a 2 s timeout and 3 attempts with a 1 s per-try timeout. The backend hangs. When does the caller get an error?',
    options: [
      'After 3 s: three attempts of 1 s each, one after another',
      'After about 2 s: the route timeout covers all attempts',
      'After 5 s: the route timeout plus all the per-try timeouts',
      'Never: each retry starts the route timer over again',
    ],
    answer: 1,
    explanation:
      "In Envoy the route timeout includes all retries; the per-try timeout only cuts one attempt short so " +
      'the next can start. Here attempt one ends at 1 s, attempt two is cut at 2 s by the route timeout, and ' +
      'the third never starts. If every attempt should get its chance, make the route timeout at least ' +
      'per-try timeout x attempts.',
    link: 'https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter',
  },
  {
    id: 'traffic/default-timeout',
    module: 2,
    question: 'In Istio, what is the HTTP request timeout of a route that configures none?',
    options: [
      '15 seconds, after which Envoy answers 504',
      "1 second, Istio's default for calls inside the mesh",
      'None: it is disabled, so a hung backend holds requests open',
      '30 seconds, after which the sidecar resets the stream',
    ],
    answer: 2,
    explanation:
      "Istio's docs state that the Envoy timeout for HTTP requests is disabled in Istio by default (a very " +
      'old release used 15 s, a common source of confusion). So a slow backend is waited for as long as the ' +
      'client waits. Set timeouts deliberately, per route, from what callers can afford.',
    link: 'https://istio.io/latest/docs/concepts/traffic-management/#timeouts',
  },
  {
    id: 'traffic/mirroring',
    module: 2,
    question: 'You mirror (shadow) production traffic to a new version. What happens to its responses?',
    options: [
      'The proxy returns whichever of the two responses arrives first',
      "The proxy compares them and returns v1's only if the two match",
      'The client receives both responses, one after the other',
      'They are discarded; clients only get the primary response',
    ],
    answer: 3,
    explanation:
      'Mirroring sends a copy of each request out of band of the critical path; the Gateway API says the ' +
      "mirror's responses MUST be ignored. That keeps users safe from its errors and latency, not from side " +
      'effects: a mirrored POST still writes, charges or emails, so give the mirror isolated dependencies. ' +
      'weft sends the copy with its Host + "-shadow" and never lets it slow the real request (docs/traffic.md).',
    link: 'https://gateway-api.sigs.k8s.io/guides/http-request-mirroring/',
  },
  {
    id: 'traffic/least-request',
    module: 2,
    question: "How does Envoy's LEAST_REQUEST load balancer pick an endpoint by default?",
    options: [
      'Picks 2 hosts at random, uses the one with fewer active requests',
      'Scans every host and picks the one with the fewest active requests',
      'Goes through the hosts in a fixed rotation, skipping busy ones',
      'Hashes the client address so each client sticks to one host',
    ],
    answer: 0,
    explanation:
      'choice_count defaults to 2: "power of two choices". It spreads load almost as well as a full scan, ' +
      'costs far less, and avoids every client rushing to the same momentarily idle host. A fixed rotation ' +
      'is round robin; hashing the client is consistent hashing, used for affinity. weft has both, and EWMA by default.',
    link: 'https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/load_balancing_policies/least_request/v3/least_request.proto',
    tryIt: 'weft proxy-config web-0',
  },
  {
    id: 'traffic/ewma',
    module: 2,
    question: "What does Linkerd's load balancer use to choose an endpoint for each HTTP request?",
    options: [
      'Strict round robin across all ready endpoints, one after another',
      'Latency: an EWMA that favours the fastest endpoints',
      'The endpoint with the most free memory, as reported by the kubelet',
      'Always the nearest endpoint in the same zone as the caller',
    ],
    answer: 1,
    explanation:
      'Linkerd balances HTTP, HTTP/2 and gRPC request by request using an EWMA of observed latency, sending ' +
      'more to endpoints that answer fast, with no configuration; for other TCP it balances connections. ' +
      'Round robin ignores how endpoints behave; the proxy does not read kubelet stats; zone preference is a ' +
      'separate topology feature.',
    link: 'https://linkerd.io/2/features/load-balancing/',
  },
  {
    id: 'traffic/consistent-hash',
    module: 2,
    question:
      'You switch a service to consistent-hash load balancing on a user-id header, for cache locality. What is the trade-off?',
    options: [
      'Requests can no longer be retried, since the key fixes the endpoint',
      'mTLS has to be turned off, because the proxy must read the header',
      'Uneven load from hot keys, and pod changes move some users',
      'None: it is better than round robin in every respect',
    ],
    answer: 2,
    explanation:
      'Hashing pins each key to an endpoint, good for caches, but a few heavy keys can overload one pod, and ' +
      'a change in the endpoint set remaps a share of the keys (consistent hashing keeps that share small, ' +
      'not zero). Retries and mTLS work as usual. Use it where locality matters more than even load.',
    link: 'https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/load_balancers',
  },
  {
    id: 'traffic/consumer-route',
    module: 2,
    question:
      'The checkout team puts an HTTPRoute in namespace checkout, with parentRef Service payments (namespace payments) and a 100 ms timeout. Who is affected?',
    options: [
      'Every client of payments in the cluster, from any namespace',
      'Nobody: a route must live in the namespace of its Service',
      'Only the pods of payments, which apply it on their inbound side',
      'Only clients in namespace checkout: a consumer route',
    ],
    answer: 3,
    explanation:
      "In GAMMA, a route in the Service's own namespace is a producer route and applies to every client; " +
      "a route in another namespace is a consumer route and affects only requests from workloads in the " +
      "route's namespace. So a consumer can tune its own calls, such as timeouts, without changing them for " +
      'everyone else.',
    link: 'https://gateway-api.sigs.k8s.io/mesh/',
  },
  {
    id: 'traffic/redirect-vs-rewrite',
    module: 2,
    question: 'What is the difference between the RequestRedirect and URLRewrite filters of an HTTPRoute?',
    options: [
      'A redirect answers the client (3xx); a rewrite changes the request upstream',
      'They are the same filter under two names, kept for compatibility with old versions',
      'Redirects work only on mesh routes, and rewrites only on ingress routes at a Gateway',
      'A rewrite answers with a 301 status and a redirect with a 302 status',
    ],
    answer: 0,
    explanation:
      'With RequestRedirect the proxy answers itself (302 by default) and the client makes a new request, ' +
      'which is why a rule with a redirect cannot also have backends. URLRewrite changes the path or Host ' +
      'before forwarding and the client never knows. Both work on ingress and mesh routes; status codes ' +
      'belong to redirects only.',
    link: 'docs/config-reference.md#filters',
  },
];
