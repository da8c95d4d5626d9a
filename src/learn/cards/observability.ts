// Module 5: observability. Sources checked for every fact: docs/learn.md lists them.
import type { Card } from './types.js';

export const OBSERVABILITY: Card[] = [
  {
    id: 'observability/golden-signals',
    module: 5,
    question: 'Which are the four golden signals of the Google SRE book?',
    options: [
      'Latency, throughput, availability, cost',
      'Requests, errors, duration, retries',
      'CPU, memory, disk, network',
      'Latency, traffic, errors, saturation',
    ],
    answer: 3,
    explanation:
      "The SRE book's four golden signals are latency, traffic, errors and saturation. RED (rate, errors, " +
      'duration) is the request-centred subset that proxies measure for every call. CPU and memory feed ' +
      'saturation but are not the signals; cost and availability are derived concerns.',
    link: 'https://sre.google/sre-book/monitoring-distributed-systems/',
    tryIt: 'weft stat',
  },
  {
    id: 'observability/saturation-gap',
    module: 5,
    question: "Which golden signal can a mesh's proxies NOT fully give you?",
    options: [
      "Saturation: how full the app's own resources are",
      'Latency, because proxies only see when requests start',
      'Traffic, because retries hide the real request rate',
      'Errors, because proxies cannot read status codes inside TLS',
    ],
    answer: 0,
    explanation:
      'Proxies see every request, so they measure rate, errors and latency with no app change (Linkerd: ' +
      'success rate, request volume, latency distributions). Saturation lives inside the app, in its pools ' +
      'and queues, which no proxy sees; take it from runtime, container and app metrics. Rising latency ' +
      'hints at saturation, but only once it already hurts.',
    link: 'https://linkerd.io/2-edge/features/telemetry/',
  },
  {
    id: 'observability/percentiles',
    module: 5,
    question: "A service's average latency is 40 ms and its p99 is 2 s. What does that tell you?",
    options: [
      'The p99 is an outlier and can safely be ignored in practice',
      '1 request in 100 takes 2 s or more; the average hides it',
      'Most requests take about 2 s, and a few very fast ones pull the average down',
      'The metrics are broken: a p99 cannot be 50 times the average',
    ],
    answer: 1,
    explanation:
      'p99 is the latency under which 99% of requests finish, so 1% take at least 2 s; a page that makes 100 ' +
      'calls hits that tail on most loads. An average blends a fast majority with a slow few and hides ' +
      'them. Such gaps are common, not a bug. weft stat computes p50/p95/p99 from histogram buckets.',
    link: 'docs/observability.md#built-in-aggregation',
    tryIt: 'weft stat',
  },
  {
    id: 'observability/client-vs-server',
    module: 5,
    question:
      'catalog shows 99% success as its callers see it, but 100% as its own inbound proxies see it. What explains the gap?',
    options: [
      'One of the two numbers must be wrong, since they count the same calls',
      'Server-side metrics leave out 5xx responses that the app returns',
      'Some calls fail before reaching catalog, seen only by callers',
      'Clients count every retry twice, once per attempt and once in total',
    ],
    answer: 2,
    explanation:
      "A call that cannot connect, finds no ready endpoint or times out on the way is recorded only by the " +
      "caller's proxy. Istio labels the two views reporter=source and reporter=destination for this reason; " +
      'weft stat shows them as service (callers) and workload (server). Comparing both tells a network or ' +
      'endpoint problem from an app problem. Server metrics do include 5xx.',
    link: 'docs/observability.md#built-in-aggregation',
    tryIt: 'weft stat workload',
  },
  {
    id: 'observability/red-without-code',
    module: 5,
    question: 'Why does a mesh give every service its request rate, error rate and latency without code changes?',
    options: [
      "The mesh injects a metrics library into each app's process",
      'The control plane polls the /metrics endpoint of every app',
      'Kubernetes records rate, errors and latency for every Service by default',
      'Each request passes a proxy that times it and notes the status',
    ],
    answer: 3,
    explanation:
      'The proxy forwards each request, so it knows method, route, status and duration and exports them ' +
      '(Istio: istio_requests_total and istio_request_duration_milliseconds; weft: weft_requests_total and ' +
      "weft_request_duration_ms). Nothing is injected into the app; an app's own /metrics is a separate " +
      'source; Kubernetes keeps no per-request metrics.',
    link: 'docs/observability.md#metrics',
    tryIt: 'weft stat',
  },
  {
    id: 'observability/trace-propagation',
    module: 5,
    question: "What must an application do for a mesh's traces to show a request's whole path?",
    options: [
      'Copy trace headers from each incoming request onto its outgoing calls',
      'Nothing: the proxies link the spans of a request together on their own',
      'Export its own spans to a collector, or else the proxies send none',
      'Give every outgoing call a fresh trace ID so spans do not collide',
    ],
    answer: 0,
    explanation:
      'Each proxy can send a span per hop, but it cannot know which outgoing call belongs to which incoming ' +
      'request inside the app. Istio and Linkerd both need the app (or a library such as OpenTelemetry) to ' +
      'forward the trace context; without it you get disconnected one-hop traces. Fresh IDs would break the ' +
      'trace on purpose. The demo apps forward it: each hop logs the same trace_id.',
    link: 'docs/observability.md#tracing',
    tryIt: "curl -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' 127.0.0.1:8080/api/products",
  },
  {
    id: 'observability/traceparent',
    module: 5,
    question:
      'In the header traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01, what is the part 4bf92f...4736?',
    options: [
      'The ID of the span in the caller that sent this request',
      'The trace ID, shared by every span of the request',
      'The sampling decision, encoded as a random number',
      'The identity of the calling service, hashed',
    ],
    answer: 1,
    explanation:
      'W3C Trace Context: traceparent is version-traceid-parentid-flags. The 32-hex-digit trace ID stays ' +
      'the same for the whole request; the 16-hex-digit parent (span) ID changes at each hop; flags 01 ' +
      'means sampled. Vendor-specific data goes in tracestate. Identity is not part of trace context.',
    link: 'https://www.w3.org/TR/trace-context/',
  },
  {
    id: 'observability/parent-based-sampling',
    module: 5,
    question:
      'A request arrives with traceparent flags 01 (sampled); your mesh samples 1% of new traces. Does the next hop record its span?',
    options: [
      'Only 1% of the time, like any other request',
      'No: only the gateway decides, and only for traces it starts itself',
      "Yes: sampling is parent-based, so the caller's decision holds",
      'Only if the next hop is in the same namespace as the caller',
    ],
    answer: 2,
    explanation:
      'The percentage applies when a proxy starts a new trace; when a request already carries a decision, ' +
      'proxies keep it, so a trace is recorded end to end or not at all. Deciding again at each hop would ' +
      'leave traces full of holes. weft samples 1% of new traces by default and keeps a caller\'s decision.',
    link: 'docs/observability.md#tracing',
  },
  {
    id: 'observability/app-spans',
    module: 5,
    question:
      'Mesh tracing shows that web -> catalog took 800 ms, nearly all of it inside catalog. What can it not tell you?',
    options: [
      'Which service called catalog, and with which workload identity',
      'The status code that catalog returned to web',
      'How long the hop from web to catalog took in total',
      "Where in catalog the time went; that needs the app's spans",
    ],
    answer: 3,
    explanation:
      "Proxies see each service from outside: caller, status and duration per hop. Linkerd's docs put it " +
      'plainly: the mesh has no insight into the internals of service code. For work inside a process (DB ' +
      'calls, caches, heavy computation) add OpenTelemetry instrumentation to the app; its spans join the ' +
      'same trace when the context is propagated.',
    link: 'https://linkerd.io/2-edge/features/distributed-tracing/',
  },
  {
    id: 'observability/access-logs',
    module: 5,
    question: 'What do access logs give you that metrics do not?',
    options: [
      'One record per request, to debug a specific request',
      'Cheaper storage than metrics when the request rate is high',
      'Latency percentiles that need no processing at all',
      "The app's own internal error messages and stack traces",
    ],
    answer: 0,
    explanation:
      'Metrics aggregate (counts and histograms per label set) and stay cheap at any volume; access logs keep ' +
      'each request, which is what you need to find the one that failed and why. They cost more as traffic ' +
      'grows, so they can be filtered (weft: errorsOnly) or turned off. The app\'s own messages are in the ' +
      "app's logs. weft writes each proxy's access log to a file: `weft logs web-0 --proxy` reads it.",
    link: 'docs/observability.md#access-logs',
  },
  {
    id: 'observability/response-flags',
    module: 5,
    question: 'An access log line (Envoy or weft) shows status 503 with response flag UH. What happened?',
    options: [
      'The app itself returned 503 and the proxy passed it on',
      'The proxy had no healthy endpoint and answered 503 itself',
      'The connection to the upstream endpoint was refused',
      'A circuit breaker rejected the request because of overflow',
    ],
    answer: 1,
    explanation:
      'Response flags say why the proxy acted: UH no healthy upstream, UF upstream connection failure, UO ' +
      'overflow (circuit breaking), NR no route, UT upstream timeout, DC downstream disconnect. An app\'s own ' +
      '503 has no flag (-). weft also marks responses it makes itself with x-weft-error, so "the mesh said ' +
      'no" is easy to tell from "the app said no".',
    link: 'docs/errors.md#codes-and-response-flags',
  },
  {
    id: 'observability/label-cardinality',
    module: 5,
    question: "Why don't mesh metrics use the raw request path or a user ID as a label?",
    options: [
      'Prometheus cannot store strings as label values',
      'Paths are secret and must never leave the proxy',
      'Each distinct value is a new series; unbounded values explode',
      'Label values must be short numbers in the Prometheus text format',
    ],
    answer: 2,
    explanation:
      'Prometheus keeps one series per unique label combination. Paths with IDs (/users/8123) or user IDs ' +
      'create millions of them. Meshes use bounded labels: route names, workloads, response codes (Istio\'s ' +
      'standard metrics; weft never labels by raw path, ID or upstream address). Per-request detail belongs ' +
      'in logs and traces.',
    link: 'docs/observability.md#metrics',
  },
  {
    id: 'observability/tap',
    module: 5,
    question: 'What does a tap (linkerd viz tap, weft tap) show?',
    options: [
      'The stored history of every request of the last 30 days',
      'Packet captures of the traffic, request bodies included',
      'A summary table of success rates per route',
      'Live requests as they happen, on demand, not stored',
    ],
    answer: 3,
    explanation:
      'Tap streams request metadata from the proxies while you watch: ideal for "what is hitting this ' +
      'endpoint right now". It is not an archive (that is logs or traces), not a packet capture, and not an ' +
      "aggregate (that is stat or top). weft's tap never shows header values or bodies.",
    link: 'docs/observability.md#built-in-aggregation',
    tryIt: 'weft tap web -n 5',
  },
  {
    id: 'observability/linkerd-viz',
    module: 5,
    question:
      "After installing Linkerd's core control plane, where do its dashboard and its stat, tap and top commands come from?",
    options: [
      'The viz extension, installed separately',
      'They are built into the core control plane',
      "Istio's Kiali console, which Linkerd reuses",
      'Each proxy serves a small dashboard of its own',
    ],
    answer: 0,
    explanation:
      'Linkerd keeps its core small; its telemetry features (golden metrics in the CLI, an on-cluster ' +
      'Prometheus, tap, the dashboard) come with the viz extension (linkerd viz install). Proxies export ' +
      "metrics either way; viz collects and shows them. Kiali is Istio's console. weft builds stat, top, tap " +
      'and edges into its control plane.',
    link: 'https://linkerd.io/2-edge/features/telemetry/',
    tryIt: 'weft top',
  },
  {
    id: 'observability/service-graph',
    module: 5,
    question: 'How can a mesh draw a graph of who calls whom without any distributed tracing?',
    options: [
      'It reads the source code of the apps to find their HTTP clients',
      'Proxies label each call with the verified caller identity',
      'It inspects the DNS queries that every pod makes',
      'It cannot: a graph of services needs distributed tracing',
    ],
    answer: 1,
    explanation:
      'The server-side proxy knows the caller\'s verified identity, so every metric carries source and ' +
      'destination workload; summed up they are the edges of the graph. Linkerd shows a live topology with ' +
      'no tracing; weft edges lists verified source identity, destination and mTLS per edge. Tracing adds ' +
      'per-request paths but is not needed for the graph.',
    link: 'docs/observability.md#built-in-aggregation',
    tryIt: 'weft edges',
  },
  {
    id: 'observability/prometheus-scrape',
    module: 5,
    question: "How does Prometheus usually get a mesh's proxy metrics?",
    options: [
      'Every proxy pushes a sample for each request to Prometheus',
      'The control plane forwards the access logs to Prometheus',
      "It scrapes each proxy's metrics endpoint (pull)",
      'Prometheus reads the memory of the proxies directly',
    ],
    answer: 2,
    explanation:
      'Prometheus pulls: each proxy serves its counters and histograms over HTTP and Prometheus scrapes them ' +
      "on an interval from targets it discovers (Kubernetes SD, or weft's HTTP SD endpoint). Pushing is the " +
      'exception (Pushgateway, OTLP). Access logs are a separate stream. weft\'s control plane also scrapes ' +
      'its proxies itself to feed weft stat.',
    link: 'docs/observability.md#a-real-prometheus',
  },
];
