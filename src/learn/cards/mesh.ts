// Module 1: what a mesh is. Sources checked for every fact: docs/learn.md lists them.
import type { Card } from './types.js';

export const MESH: Card[] = [
  {
    id: 'mesh/data-plane',
    module: 1,
    question: 'In a service mesh, what is the data plane?',
    options: [
      'The proxies on the request path of every workload',
      'The database where the mesh keeps its configuration and its certificates',
      'The Kubernetes API server, which forwards requests from pod to pod',
      'The dashboard that draws a live graph of which services call which',
    ],
    answer: 0,
    explanation:
      'The data plane is every proxy that requests pass through: a sidecar beside each workload, or shared ' +
      'per-node proxies in sidecarless designs. It routes, encrypts, enforces policy and records telemetry. ' +
      'The config store and the CA belong to the control plane; the API server never carries app requests; ' +
      'a dashboard only reads the telemetry the proxies produce.',
    link: 'docs/architecture.md#data-path',
    tryIt: 'weft status',
  },
  {
    id: 'mesh/control-plane',
    module: 1,
    question: "What is a mesh's control plane responsible for?",
    options: [
      'Forwarding every request to the right pod after checking policy',
      'Computing proxy config from services, endpoints and policy; issuing certificates',
      'Replacing kube-proxy and the CNI plugin on every node of the cluster',
      'Storing the application data that several services need to share',
    ],
    answer: 1,
    explanation:
      "The control plane (istiod; Linkerd's destination, identity and injector services; weft control) " +
      'computes configuration and issues certificates, but requests never pass through it: forwarding is ' +
      'the data plane. A sidecar mesh runs on top of the cluster network rather than replacing the CNI or ' +
      'kube-proxy, and it holds no application data.',
    link: 'docs/architecture.md#control-path',
    tryIt: 'weft proxy-config web-0',
  },
  {
    id: 'mesh/control-plane-down',
    module: 1,
    question:
      'The control plane crashes while traffic is flowing. What happens to requests between meshed services?',
    options: [
      'They fail at once, because each request asks the control plane where to go',
      'They fall back to plaintext without any policy until it returns',
      'They keep flowing on the last good config',
      'They are held in a queue inside the proxies until the control plane is back',
    ],
    answer: 2,
    explanation:
      'Proxies hold their configuration locally; the control plane is needed only for changes. What you lose ' +
      'is new config (endpoint changes, new routes) and, if the outage outlasts certificate lifetimes, new ' +
      'certificates: then a well-built proxy fails closed, it never drops to plaintext. Nothing is queued ' +
      'waiting for the control plane.',
    link: 'docs/push-protocol.md#rules',
  },
  {
    id: 'mesh/nack',
    module: 1,
    question: 'A control plane pushes a proxy a config it cannot apply (say, an invalid regex). What should the proxy do?',
    options: [
      'Apply the valid parts of the config and drop the invalid ones',
      'Stop serving traffic until a valid config arrives, to be safe',
      'Restart itself so it reloads the whole config from scratch',
      'Reject it (NACK) and keep serving its last accepted config',
    ],
    answer: 3,
    explanation:
      "Envoy's xDS protocol works this way: the proxy answers with the previous version and an error_detail, " +
      'and the last valid config keeps applying. Partial application leaves a state nobody asked for; ' +
      'stopping or restarting turns a config mistake into an outage. weft applies a snapshot all or nothing ' +
      'and `weft status` shows NACKED with the error.',
    link: 'docs/push-protocol.md#rules',
    tryIt: 'weft status',
  },
  {
    id: 'mesh/sidecar',
    module: 1,
    question: 'What is a sidecar proxy?',
    options: [
      'A proxy beside each workload instance that all its traffic passes through',
      'One shared proxy per node that handles the traffic of every pod on that node',
      'A library linked into the application that makes its network calls for it',
      'A standby copy of the application that takes over when the main one crashes',
    ],
    answer: 0,
    explanation:
      "A sidecar runs next to one workload instance and shares its network namespace, so the instance's " +
      "traffic can be redirected through it with no app change. A per-node shared proxy is Istio ambient's " +
      'ztunnel, not a sidecar. A linked library is the pre-mesh approach that needs code in every language. ' +
      'A standby copy is a replica, not a proxy.',
    link: 'https://linkerd.io/2-edge/reference/architecture/',
    tryIt: 'weft status',
  },
  {
    id: 'mesh/traffic-capture',
    module: 1,
    question: "In Kubernetes, how does a pod's traffic reach its sidecar without any change to the app?",
    options: [
      'The app is rebuilt so that it calls the proxy port instead of the service',
      'iptables rules, set by an init container or a CNI plugin, redirect it',
      'CoreDNS answers every service name with the address of the pod sidecar',
      'kube-proxy notices the sidecar and forwards the pod traffic into it',
    ],
    answer: 1,
    explanation:
      "Linkerd's linkerd-init container (or its CNI plugin) installs iptables rules in the pod's network " +
      'namespace so TCP in and out goes through the proxy; Istio does the same with istio-init or istio-cni. ' +
      'DNS still returns Service addresses and kube-proxy knows nothing of sidecars. weft local mode has no ' +
      'capture: apps use HTTP_PROXY or <SERVICE>_URL instead.',
    link: 'https://linkerd.io/2-edge/reference/architecture/',
  },
  {
    id: 'mesh/data-plane-upgrade',
    module: 1,
    question:
      'You upgrade a sidecar mesh. What must happen before running workloads use the new proxy version?',
    options: [
      'Nothing: the control plane pushes the new proxy binary to running pods',
      'The CNI plugin has to be reinstalled on every node of the cluster',
      'The workloads are restarted so new pods get the new proxy',
      'Every Service is deleted and created again to pick up the change',
    ],
    answer: 2,
    explanation:
      'Pods are immutable, so a running pod keeps its proxy version until it is recreated; Linkerd says to ' +
      'restart each workload (kubectl rollout restart). Sidecarless designs upgrade their shared proxies ' +
      "apart from the apps, one of their selling points. Services hold no proxies. weft check's versions " +
      'check shows proxies still on an older version.',
    link: 'https://linkerd.io/2-edge/tasks/upgrade/',
    tryIt: 'weft check',
  },
  {
    id: 'mesh/ambient',
    module: 1,
    question: "What is Istio's ambient mode?",
    options: [
      'Proxies compiled into the kernel as eBPF programs, one per node',
      'A lighter mode that turns mTLS off between pods to save CPU',
      "Linkerd's Rust micro-proxy running under Istio's control plane",
      'Sidecarless: per-node ztunnel for L4 and mTLS, waypoints for L7',
    ],
    answer: 3,
    explanation:
      'Ambient splits the work: ztunnel on each node does mTLS, L4 authorization and telemetry without ' +
      'parsing HTTP; a waypoint (Envoy) is deployed only where L7 features are needed. eBPF datapaths are ' +
      "Cilium's approach. Ambient keeps mTLS on (the ztunnel overlay is the secure part), and sidecar and " +
      'ambient workloads can share one mesh. Linkerd has nothing to do with it.',
    link: 'https://istio.io/latest/docs/ambient/overview/',
  },
  {
    id: 'mesh/waypoint',
    module: 1,
    question:
      'In Istio ambient mode a team wants a path rule: deny POST /admin. Which component can enforce it?',
    options: [
      'A waypoint proxy, since ztunnel does not parse HTTP',
      'ztunnel on the destination node, which sees every connection to the pod',
      'The NetworkPolicy controller of the CNI plugin on that node',
      'istiod, since the control plane evaluates every authorization policy',
    ],
    answer: 0,
    explanation:
      'ztunnel is deliberately L3/L4: mTLS, identity-based L4 authorization, telemetry. Anything that needs ' +
      'methods, paths or headers (L7 authorization, HTTP routing, retries) requires a waypoint. ' +
      'NetworkPolicy is L3/L4 and knows no paths; istiod configures proxies but never sees a request.',
    link: 'https://istio.io/latest/docs/ambient/overview/',
  },
  {
    id: 'mesh/proxies-compared',
    module: 1,
    question: 'Which statement about the sidecar proxies of Linkerd and Istio is accurate?',
    options: [
      'Both use Envoy; Linkerd just configures it with fewer features turned on',
      'Linkerd uses its own Rust micro-proxy; Istio sidecars use Envoy',
      'Istio sidecars use a Rust micro-proxy, and Envoy runs only at the ingress',
      'Linkerd uses nginx as its sidecar, configured through annotations',
    ],
    answer: 1,
    explanation:
      'linkerd2-proxy is an ultralight Rust micro-proxy designed for the mesh and not as a general-purpose ' +
      'proxy; Istio sidecars and waypoints are Envoy, a general-purpose proxy with a huge feature set. Istio ' +
      'does have a purpose-built Rust proxy, but that is ambient mode\'s per-node ztunnel, not its sidecar. ' +
      'Neither uses nginx.',
    link: 'https://linkerd.io/2-edge/reference/architecture/',
  },
  {
    id: 'mesh/overkill',
    module: 1,
    question:
      'One team runs 4 HTTP services in one cluster, with no rule requiring encryption inside it. What is usually the better call?',
    options: [
      'A service mesh, because every microservice system eventually needs one',
      'A mesh in STRICT mTLS mode with a waypoint proxy in front of every service',
      'Plain Services and NetworkPolicies, with TLS at the ingress',
      'Two meshes side by side, so one can take over when the other fails',
    ],
    answer: 2,
    explanation:
      'A mesh pays off with many services and teams, a need for mTLS with workload identity and per-call ' +
      'policy, or uniform telemetry you cannot get otherwise. For a handful of services owned by one team, ' +
      'its moving parts (control plane, proxy on every call, certificates, upgrades) cost more than they ' +
      'give; Services plus NetworkPolicies cover connectivity and L3/L4 isolation. Add a mesh when a real ' +
      'need appears.',
    link: 'https://kubernetes.io/docs/concepts/services-networking/network-policies/',
  },
  {
    id: 'mesh/when-mesh',
    module: 1,
    question:
      'Which need can a mesh meet that plain Kubernetes Services and NetworkPolicies cannot?',
    options: [
      'A stable virtual IP and DNS name for each Service, kept while pods change',
      'Blocking all traffic into a namespace except from one other namespace',
      'Restarting pods that crash and moving them away from failing nodes',
      'mTLS with workload identities on every call, without app changes',
    ],
    answer: 3,
    explanation:
      'NetworkPolicy works at L3/L4 (IPs, ports, pod and namespace selectors) and cannot do TLS; a mesh adds ' +
      'mTLS with a per-workload identity and identity-based L7 policy. Stable virtual IPs and DNS names are ' +
      'what Services already give; namespace isolation is a NetworkPolicy; restarting pods is the job of ' +
      'the kubelet and controllers.',
    link: 'https://kubernetes.io/docs/concepts/services-networking/network-policies/',
    tryIt: 'weft edges',
  },
  {
    id: 'mesh/cost',
    module: 1,
    question: 'What is the main running cost of a sidecar mesh?',
    options: [
      'CPU, memory and latency: each call passes two proxies',
      'A license fee per pod for the proxy, charged by the mesh vendor',
      'A round trip to the control plane before every request to look up routes',
      'Rewriting every service so that it speaks the protocol of the mesh',
    ],
    answer: 0,
    explanation:
      'With sidecars each hop goes app, client proxy, server proxy, app: every pod pays for a proxy and ' +
      'every call for two proxy passes plus TLS. Measure it with your own load; weft publishes its figures. ' +
      'The common meshes are free to run, routes are computed ahead and pushed (no per-request lookup), and ' +
      'apps keep speaking plain HTTP.',
    link: 'docs/performance.md',
    tryIt: 'weft stat',
  },
  {
    id: 'mesh/ingress-gateway',
    module: 1,
    question: 'What is an ingress gateway in a mesh?',
    options: [
      'The sidecar of the first service that a request from outside reaches',
      'A standalone edge proxy that brings outside traffic into the mesh',
      'The HTTP endpoint of the Kubernetes API server, exposed to clients',
      'A proxy that handles only the traffic leaving the mesh for the internet',
    ],
    answer: 1,
    explanation:
      'An ingress gateway is a proxy deployed on its own, not beside an app. It accepts external traffic, ' +
      'routes it (for example with Gateway API HTTPRoutes) and calls into the mesh with its own identity ' +
      'over mTLS. A sidecar belongs to one workload; the API server is not on the data path; traffic ' +
      'leaving the mesh is the job of an egress gateway.',
    link: 'docs/config-reference.md#gateway',
    tryIt: 'weft edges',
  },
  {
    id: 'mesh/gamma',
    module: 1,
    question:
      'With the Kubernetes Gateway API, how do you make an HTTPRoute apply to east-west traffic inside the mesh?',
    options: [
      'Set gatewayClassName: mesh on the route so it applies inside the cluster',
      'Create a Gateway named mesh in every namespace and attach the route to it',
      "Name the Service in the route's parentRefs (the GAMMA pattern)",
      'Add mesh: true to the route spec next to its rules',
    ],
    answer: 2,
    explanation:
      'GAMMA (Gateway API for Mesh Management and Administration) attaches a route to a Service by naming ' +
      'it in parentRefs; every client call to that Service then follows the route. gatewayClassName is a ' +
      'field of Gateways, not routes, and there is no mesh field. weft routes catalog this way in the demo.',
    link: 'https://gateway-api.sigs.k8s.io/mesh/',
    tryIt: 'weft proxy-config web-0',
  },
  {
    id: 'mesh/service-discovery',
    module: 1,
    question: 'Where does a mesh on Kubernetes get the list of endpoints behind a Service?',
    options: [
      'Each proxy looks the Service name up in DNS before every request',
      'Apps register themselves with their local proxy when they start up',
      'The proxy scans the pod network for open ports every few seconds',
      'The control plane watches the Kubernetes API and pushes them',
    ],
    answer: 3,
    explanation:
      "Istio's platform adapters and Linkerd's destination service watch the API server and give proxies " +
      'each Service\'s endpoints (and the identity expected there). That is what lets a proxy balance each ' +
      'request across pods rather than send everything to one virtual IP. DNS returns the Service address, ' +
      "not its pods; apps do not register; nothing scans. weft's runtime reports replicas to its registry.",
    link: 'https://istio.io/latest/docs/concepts/traffic-management/',
    tryIt: 'weft proxy-config web-0',
  },
];
