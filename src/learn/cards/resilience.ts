// Module 4: resilience. Sources checked for every fact: docs/learn.md lists them.
import type { Card } from './types.js';

export const RESILIENCE: Card[] = [
  {
    id: 'resilience/circuit-breaking',
    module: 4,
    question:
      'An Envoy circuit breaker for a backend is at its limit (say, maximum pending requests). What happens to the next request?',
    options: [
      'It waits in a queue until the backend has caught up again',
      "The backend's pods are restarted to clear the overload",
      'It fails at once with 503 (UO) instead of piling up',
      'It is sent to another service that has spare capacity',
    ],
    answer: 2,
    explanation:
      "Envoy's docs: it is nearly always better to fail quickly and apply back pressure. Limits on " +
      'connections, pending and active requests and retries cap what a caller piles onto a backend, and ' +
      'overflow is rejected at once (upstream overflow, UO) so queues in the caller do not grow and spread ' +
      "the failure upstream. Restarting pods is Kubernetes' job; nothing reroutes to an unrelated service.",
    link: 'https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/circuit_breaking',
  },
  {
    id: 'resilience/limits-are-per-proxy',
    module: 4,
    question:
      'Envoy circuit-breaker limits allow 100 connections to a backend, and 10 client pods call it. How many connections can the backend get?',
    options: [
      '100 in total: the mesh counts connections across all proxies',
      'About 1000: each client proxy has its own limit',
      '10: each client pod gets exactly one connection',
      "100 per backend pod, enforced by the backend's own proxy",
    ],
    answer: 1,
    explanation:
      "Envoy's circuit breaking is fully distributed, not coordinated: every proxy counts only its own " +
      'connections and requests. Size client limits with the number of clients in mind, or protect the ' +
      'backend on its own side (for example with rate limiting). There is no mesh-wide counter unless you ' +
      'deploy one.',
    link: 'https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/circuit_breaking',
  },
  {
    id: 'resilience/outlier-detection',
    module: 4,
    question: 'What is outlier detection?',
    options: [
      'Probing the /healthz endpoint of every backend each second',
      'Deleting the slowest 10% of pods from the Deployment',
      'Alerting whenever latency goes above the 99th percentile',
      'Ejecting an endpoint that keeps failing real requests',
    ],
    answer: 3,
    explanation:
      "Outlier detection watches responses to real traffic and takes a misbehaving host out of the load " +
      "balancing set; Envoy's default trigger is 5 consecutive 5xx. Probing is active health checking, a " +
      'separate mechanism (as are Kubernetes readiness probes). Ejection is temporary and leaves the ' +
      'Deployment alone; alerting is monitoring, not routing.',
    link: 'https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/outlier',
  },
  {
    id: 'resilience/ejection-time-grows',
    module: 4,
    question: 'Envoy ejects an endpoint for the third time. How long does it stay out?',
    options: [
      'About 3 x base_ejection_time: ejections grow',
      'Exactly base_ejection_time, the same as every other time',
      'Until an operator adds it back to the cluster by hand',
      'Until its pod is restarted by the kubelet and passes probes',
    ],
    answer: 0,
    explanation:
      'Envoy ejects a host for base_ejection_time multiplied by the number of times it has been ejected ' +
      '(capped by max_ejection_time), so a host that keeps failing stays out longer each time, while one ' +
      'that failed once is back soon. It returns automatically; nothing is restarted or edited by hand.',
    link: 'https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/outlier',
  },
  {
    id: 'resilience/panic-threshold',
    module: 4,
    question:
      'Why does outlier detection have a maximum ejection percent, and Envoy a panic threshold (default 50%)?',
    options: [
      'To keep the number of metric series for ejected hosts low',
      'To make sure that at least half of all requests fail fast',
      'So a few survivors do not get all the load when many hosts look bad',
      'Because Kubernetes forbids removing more than half of the pods of a Service',
    ],
    answer: 2,
    explanation:
      'If most of a cluster is failing, ejecting all of it pushes the whole load onto the last few hosts and ' +
      'kills them too. max_ejection_percent caps ejections; below the panic threshold of healthy hosts ' +
      'Envoy ignores health and balances across all hosts (or none, if configured). Both exist to stop ' +
      'cascading failure, not for metrics or any Kubernetes rule.',
    link: 'https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/panic_threshold',
  },
  {
    id: 'resilience/breaker-vs-outlier',
    module: 4,
    question: 'In Envoy, circuit breaking and outlier detection both protect callers. What is the difference?',
    options: [
      'They are two names for the same feature in different products',
      'Circuit breaking runs in the client proxy, outlier detection in the server proxy',
      'Outlier detection works only for TCP, circuit breaking only for HTTP',
      'Breakers cap load on a whole backend; outlier detection drops bad endpoints',
    ],
    answer: 3,
    explanation:
      "Envoy's circuit breakers are limits for the upstream cluster as a whole: they shed load when the " +
      'backend is saturated. Outlier detection judges each endpoint and ejects the failing ones while the ' +
      'rest keep serving. Both live in the caller\'s proxy. Linkerd calls its per-endpoint failure accrual ' +
      '"circuit breaking", which is closer to outlier detection: check what a product means by the word.',
    link: 'https://linkerd.io/2-edge/reference/circuit-breaking/',
  },
  {
    id: 'resilience/retry-amplification',
    module: 4,
    question:
      'A calls B, B calls C, C calls D. A, B and C each make up to 4 attempts. D is down. How many calls can one request to A cause at D?',
    options: [
      '64 (4 x 4 x 4): retries multiply across the layers',
      '12 (4 + 4 + 4): each layer adds its own attempts',
      '4: only C retries, because only C talks to D directly',
      '3: at most one extra call per layer reaches D',
    ],
    answer: 0,
    explanation:
      'Each layer retries the whole call below it, and each of those attempts is retried again further down, ' +
      'so attempts multiply: 4 x 4 x 4 = 64 at D, which turns a struggling service into a dead one just when ' +
      'it needs relief. Retry at one layer (usually nearest the failure), cap retries with a budget, and ' +
      'back off between attempts.',
    link: 'https://linkerd.io/2-edge/features/retries-and-timeouts/',
  },
  {
    id: 'resilience/retry-budget',
    module: 4,
    question: "How much extra load do Linkerd's default retry budgets (in ServiceProfiles) let retries add?",
    options: [
      'Up to 3 retries for each request, however high the load gets',
      'At most 20% extra load, plus 10 retries per second',
      'Unlimited retries, as long as they fit inside a 10 s window',
      '100%: one retry for every original request, never more',
    ],
    answer: 1,
    explanation:
      'A budget limits retries as a ratio of real traffic (retryRatio 0.2) with a small floor for quiet ' +
      'services (minRetriesPerSecond 10), counted over a ttl window (10 s). Unlike "3 retries per request", ' +
      'it cannot multiply the load when everything fails at once: once the budget is spent, failures are ' +
      'returned instead of retried.',
    link: 'https://linkerd.io/2.15/tasks/configuring-retries/',
  },
  {
    id: 'resilience/jittered-backoff',
    module: 4,
    question: 'Why do proxies wait a jittered, exponentially growing interval between retries?',
    options: [
      'To make users wait less before they see an answer',
      'Because TCP requires a pause between two connections to one host',
      'So clients failing together do not all retry in lockstep',
      'To give the control plane time to pick another route for the call',
    ],
    answer: 2,
    explanation:
      'If every client retries at once, or on the same schedule, retries arrive in synchronised waves. ' +
      'Exponential back-off spreads attempts out and random jitter de-synchronises the clients. Envoy uses ' +
      "jittered exponential back-off; Istio's docs describe the retry interval as 25 ms or more, chosen " +
      'automatically. Users wait longer, not less; TCP and the control plane have nothing to do with it.',
    link: 'https://istio.io/latest/docs/concepts/traffic-management/#retries',
  },
  {
    id: 'resilience/fault-injection',
    module: 4,
    question: 'What is fault injection in a mesh for?',
    options: [
      'Finding faulty pods and taking them out of load balancing',
      'Injecting the sidecar proxy into new pods when they are created',
      "Simulating a node's disk or CPU failing under the app",
      'Failing or delaying some requests on purpose, to test callers',
    ],
    answer: 3,
    explanation:
      "Istio's VirtualService fault field delays and/or aborts a percentage of requests (Envoy logs DI and " +
      'FI for them), so timeouts, retries and fallbacks can be tested before a real outage. Removing bad ' +
      'pods is outlier detection; injection of sidecars is an admission webhook. Envoy notes that only ' +
      'failures observable over the network can be emulated, not local CPU or disk faults.',
    link: 'https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPFaultInjection',
  },
  {
    id: 'resilience/fault-injection-linkerd',
    module: 4,
    question: "Linkerd has no fault field like Istio's VirtualService. How does it inject faults?",
    options: [
      'It routes a share of traffic to a backend that returns errors',
      'It kills random pods in the namespace on a schedule',
      'It drops a percentage of packets with iptables rules in each pod',
      'It cannot: fault injection needs Istio or a chaos tool',
    ],
    answer: 0,
    explanation:
      "Linkerd's fault injection guide sends a weighted share of requests to a backend that answers 500s, " +
      'using the ordinary traffic split: no code change, and it fits in CI. Killing pods and dropping ' +
      'packets are chaos tools outside the mesh. The difference from Istio is the mechanism, not the ' +
      'capability.',
    link: 'https://linkerd.io/2-edge/tasks/fault-injection/',
  },
  {
    id: 'resilience/local-vs-global-limit',
    module: 4,
    question:
      'A local rate limit of 100 requests/s is set for a service with 5 replicas, each enforced by its own proxy. What is the effective limit?',
    options: [
      'Exactly 100 requests/s, shared across the replicas',
      'Up to about 500/s: each proxy counts only its own traffic',
      '20 requests/s for each replica, so 100 requests/s in total',
      '100 requests/s for each client, however many replicas',
    ],
    answer: 1,
    explanation:
      "Local rate limiting (Envoy's per-proxy token bucket, Linkerd's limit in each inbound proxy) needs no " +
      'extra service, but each instance counts alone. A shared limit across replicas needs global rate ' +
      'limiting: a rate limit service the proxies consult, at the cost of latency and another dependency. ' +
      'Local limits in front of a global one shed load cheaply.',
    link: 'https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/other_features/local_rate_limiting',
  },
  {
    id: 'resilience/rate-limit-status',
    module: 4,
    question: "A proxy's rate limit rejects a request. What should the client receive?",
    options: [
      '503 Service Unavailable, with response flag UO',
      '404 Not Found, as if the route did not exist',
      '429 Too Many Requests (flag RL)',
      'A TCP reset of the connection, with no response',
    ],
    answer: 2,
    explanation:
      "429 tells a well-behaved client to slow down; Envoy's local rate limit filter answers 429 and sets " +
      'x-envoy-ratelimited. 503 with UO is circuit-breaker overflow, a different message: the backend is ' +
      'saturated, not the client over its quota. weft answers rate-limited (429, RL) with a retry-after.',
    link: 'docs/errors.md#codes-and-response-flags',
  },
  {
    id: 'resilience/per-identity-limits',
    module: 4,
    question: 'Linkerd can set a local rate limit per client identity. What problem does that solve?',
    options: [
      'It encrypts the traffic of clients that were rate limited',
      'It lets unmeshed clients bypass the limit entirely',
      'It makes the limit global, shared across the replicas',
      'One noisy client cannot eat the quota of all the others',
    ],
    answer: 3,
    explanation:
      'A single shared limit is first come, first served: a runaway batch job can take all of it. Limits ' +
      "keyed on the caller's mTLS identity give each client its own share (Linkerd counts all unmeshed " +
      'sources as one client). It is still local to each proxy and has nothing to do with encryption.',
    link: 'https://linkerd.io/2-edge/features/rate-limiting/',
  },
  {
    id: 'resilience/failover-needs-outliers',
    module: 4,
    question:
      'In Istio you set up locality failover (prefer my zone) but no outlier detection. The local endpoints start failing. What happens?',
    options: [
      'It keeps going to them: nothing marks them unhealthy',
      'It fails over to the next locality at once, as configured',
      'It is split evenly over all regions until they recover',
      'The control plane moves the failing pods to another zone',
    ],
    answer: 0,
    explanation:
      'Locality failover uses Envoy priorities: traffic moves to the next locality only when the current one ' +
      "is unhealthy. Istio's failover task says outlier detection is required for failover to work, since " +
      'that is how sidecars learn endpoints are bad. The control plane never moves pods; the scheduler ' +
      'places them.',
    link: 'https://istio.io/latest/docs/tasks/traffic-management/locality-load-balancing/failover/',
  },
  {
    id: 'resilience/always-set-timeouts',
    module: 4,
    question: 'Why should every remote call have a timeout, even one that normally answers in 10 ms?',
    options: [
      'Timeouts make calls faster by cutting slow ones short',
      'A hung backend would tie up callers until they run out too',
      'The mesh rejects any route that has no timeout set',
      'mTLS handshakes need a timeout field on the route to start',
    ],
    answer: 1,
    explanation:
      'A call without a deadline can wait forever; under load those waits pile up in every caller, so one ' +
      'stuck service exhausts everything that calls it. A timeout bounds the damage and turns it into a ' +
      'fast error callers can handle. Istio disables HTTP timeouts by default, so set them yourself; weft ' +
      'waits 15 s for a response head by default and answers 504 upstream-timeout after that.',
    link: 'https://istio.io/latest/docs/concepts/traffic-management/#timeouts',
  },
];
