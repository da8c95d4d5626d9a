// Module 3: security. Sources checked for every fact: docs/learn.md lists them.
import type { Card } from './types.js';

export const SECURITY: Card[] = [
  {
    id: 'security/mutual-tls',
    module: 3,
    question: 'What does mutual TLS add to the TLS a browser uses with a website?',
    options: [
      'The traffic is encrypted twice, once by each side of the connection',
      'The server no longer needs a certificate, only the client does',
      'The client also presents a certificate, proving who calls',
      'It replaces the passwords and API keys of end users',
    ],
    answer: 2,
    explanation:
      'Ordinary TLS authenticates the server to the client; mTLS makes it symmetric, so every call carries a ' +
      "verified caller identity. It is still one TLS session, not double encryption. Users' logins, tokens " +
      'and JWTs are a separate layer: mTLS identifies workloads, not people.',
    link: 'https://linkerd.io/2-edge/features/automatic-mtls/',
    tryIt: 'weft edges',
  },
  {
    id: 'security/spiffe-id',
    module: 3,
    question: 'What does the workload identity spiffe://shop.local/ns/default/sa/web name?',
    options: [
      'The pod web-0 together with its current IP address',
      'The Kubernetes node that the web pod is scheduled on',
      'The DNS name web.default.svc of the Service, in cluster shop.local',
      'Service account web, namespace default, trust domain shop.local',
    ],
    answer: 3,
    explanation:
      "Istio, and weft the same way, put a SPIFFE ID in the certificate's URI SAN: spiffe://<trust " +
      'domain>/ns/<namespace>/sa/<service account>. Identity follows the service account, so all replicas ' +
      'share it and it survives rescheduling, unlike pod names and IPs, which change and get reused. It is ' +
      'neither a node nor a DNS name.',
    link: 'docs/security.md#workload-identity',
    tryIt: 'weft identity web-0',
  },
  {
    id: 'security/private-key',
    module: 3,
    question: 'How does a mesh proxy typically get its workload certificate?',
    options: [
      'It makes its own key, sends a CSR, and the CA signs it',
      'The CA generates the key pair and sends both halves to the proxy over TLS',
      'An operator copies one shared certificate and key into every pod',
      'The proxy signs its own certificate and the peers pin its fingerprint',
    ],
    answer: 0,
    explanation:
      "In Istio the agent beside Envoy creates the private key and CSR and sends the CSR with its " +
      "credentials to istiod's CA, which validates them and signs. weft does the same and ignores any name a " +
      'CSR asks for, signing only the identity bound to the proxy\'s bootstrap credential. Shipping keys or ' +
      'sharing one certificate defeats per-workload identity; self-signed proves nothing.',
    link: 'docs/security.md#workload-identity',
  },
  {
    id: 'security/short-lived-certs',
    module: 3,
    question:
      'Why do meshes issue workload certificates that last about a day (Linkerd: 24 hours) and rotate them automatically?',
    options: [
      'TLS 1.3 forbids certificates that are valid for longer than a day',
      'A leaked key is useful only briefly, and renewal stays routine',
      'Short-lived certificates make the TLS handshake noticeably faster',
      'Long-lived certificates would fill up the disk of the CA over time',
    ],
    answer: 1,
    explanation:
      "Short lifetimes shrink an attacker's window with a stolen key and exercise renewal all the time, so " +
      "it works when needed. Linkerd's proxy certificates expire after 24 hours; weft defaults to 24 h and " +
      'renews at about half of it. TLS sets no such limit and lifetime does not change handshake speed. The ' +
      'root (trust anchor) lives much longer and needs its own rotation plan.',
    link: 'https://linkerd.io/2-edge/features/automatic-mtls/',
    tryIt: 'weft identity web-0',
  },
  {
    id: 'security/permissive',
    module: 3,
    question: 'What does PeerAuthentication mode PERMISSIVE do?',
    options: [
      'It lets every caller in, whatever the authorization policies say',
      'It encrypts the traffic but skips verifying the peer certificate',
      'It turns mTLS off for the selected workload',
      'The workload accepts both mTLS and plaintext, for migration',
    ],
    answer: 3,
    explanation:
      'PERMISSIVE is for migration: meshed clients use mTLS while unmeshed ones can still connect in ' +
      'plaintext; switch to STRICT once all are meshed. It says nothing about authorization, does not weaken ' +
      'checks on mTLS connections, and DISABLE is the mode that turns mTLS off. Istio makes workloads ' +
      'PERMISSIVE by default; a new weft mesh is STRICT.',
    link: 'docs/security.md#peerauthentication',
    tryIt: 'weft check',
  },
  {
    id: 'security/strict-migration',
    module: 3,
    question: 'You switch a namespace to STRICT mTLS. Which calls stop working?',
    options: [
      'Calls from clients outside the mesh (no client certificate)',
      'Calls between two meshed workloads inside the same namespace',
      'Calls that use HTTP/2, since STRICT requires HTTP/1.1 over TLS',
      'None: STRICT only changes what is written to the access log',
    ],
    answer: 0,
    explanation:
      'STRICT makes the server side accept only mTLS. Meshed callers already use mTLS (client proxies follow ' +
      "the server's mode), so they carry on; an unmeshed client such as a legacy job now fails to connect. " +
      "Find who still sends plaintext before you flip the switch, as Istio's mTLS migration guide shows. " +
      'HTTP/2 is unaffected.',
    link: 'https://istio.io/latest/docs/tasks/security/authentication/mtls-migration/',
  },
  {
    id: 'security/deny-before-allow',
    module: 3,
    question:
      'A workload has an ALLOW policy for GET /products from web and a DENY policy for /admin*. What happens to GET /admin from web?',
    options: [
      'Allowed: the ALLOW policy names web, and web is the caller',
      'Denied: DENY policies are checked before ALLOW policies',
      'Allowed: the most specific policy wins, and /admin is not in it',
      'Denied, but only if the DENY policy was created after the ALLOW',
    ],
    answer: 1,
    explanation:
      "Istio's order, which weft follows: a matching DENY policy denies; else if no ALLOW policy applies, " +
      'allow; else allow only if some ALLOW policy matches (Istio checks CUSTOM policies even before DENY). ' +
      'Specificity and age play no part. Here DENY matches /admin; it would be denied anyway, since the ' +
      'ALLOW rule covers /products only.',
    link: 'docs/security.md#authorization-authorizationpolicy',
    tryIt: 'weft authz explain --from web --to catalog --method GET --path /products',
  },
  {
    id: 'security/allow-nothing',
    module: 3,
    question: 'What does an AuthorizationPolicy with action ALLOW and no rules at all do to the workloads it selects?',
    options: [
      'Allows every request, since no rule restricts anything',
      'Nothing at all: a policy without any rules is ignored by the proxies',
      'Denies everything: it matches nothing, so nothing is allowed',
      'Allows only the requests that arrive over mTLS',
    ],
    answer: 2,
    explanation:
      'Once any ALLOW policy applies to a workload, a request must match one of them. A policy with no rules ' +
      'matches nothing, so everything is denied: the default-deny idiom, opened up with narrow ALLOW ' +
      'policies. It is not ignored, and it says nothing about mTLS.',
    link: 'docs/security.md#authorization-authorizationpolicy',
  },
  {
    id: 'security/principals-need-mtls',
    module: 3,
    question:
      'An ALLOW rule lists from.source.principals. A caller reaches the workload in plaintext (PERMISSIVE). What happens?',
    options: [
      'The proxy reads the principal from a request header instead',
      'The rule matches any plaintext caller, since none has a principal',
      "The proxy uses the caller's source IP address as its principal",
      'It cannot match: without mTLS there is no verified principal',
    ],
    answer: 3,
    explanation:
      'The principal comes from the peer certificate verified in the mTLS handshake; a plaintext ' +
      'connection has none, so principal rules never match it (with only that ALLOW rule, it is denied). ' +
      'Taking identity from headers or IPs would let any caller claim to be anyone. Use identity rules ' +
      'together with STRICT mTLS, as Istio and weft both advise.',
    link: 'docs/config-reference.md#specrulesfromsource',
  },
  {
    id: 'security/compromised-workload',
    module: 3,
    question:
      'An attacker takes over the web pod, which holds a valid mesh certificate. What does mTLS on its own do about it?',
    options: [
      'Nothing: the attacker calls what web may call, as web',
      'The mesh revokes the certificate the moment the pod is compromised',
      'Its calls are blocked because they come from a new process in the pod',
      "mTLS encrypts the attacker's traffic so it cannot reach any service",
    ],
    answer: 0,
    explanation:
      "Istio's security best practices: mTLS gives authentication, not authorization, so anyone with a " +
      'valid certificate can still reach a service. Least-privilege AuthorizationPolicies limit what web\'s ' +
      'identity can reach (the blast radius), short certificate lifetimes limit how long a stolen key works, ' +
      'and telemetry helps spot odd calls. Meshes do not revoke on suspicion.',
    link: 'https://istio.io/latest/docs/ops/best-practices/security/',
    tryIt: 'weft edges',
  },
  {
    id: 'security/app-layer-attacks',
    module: 3,
    question:
      'A mesh runs STRICT mTLS and tight AuthorizationPolicies. Which attack does it NOT stop?',
    options: [
      'A pod outside the mesh calling the database service directly',
      'SQL injection sent by an allowed caller to an allowed path',
      'Someone capturing the traffic between two nodes to read it',
      'A workload calling a service that its policies do not allow',
    ],
    answer: 1,
    explanation:
      'The mesh decides who may call which path; it does not judge whether an allowed request\'s content is ' +
      'malicious. Input validation, parameterised queries and app-level checks stay the app\'s job. The ' +
      'other three are what STRICT mTLS (no unmeshed callers, nothing readable on the wire) and ' +
      'AuthorizationPolicy are for.',
    link: 'https://istio.io/latest/docs/ops/best-practices/security/',
  },
  {
    id: 'security/zero-trust',
    module: 3,
    question: 'What does "zero trust" mean for traffic inside a cluster?',
    options: [
      'No one may call any service until an administrator approves it',
      'Traffic inside the cluster network is trusted, and traffic from outside is not',
      'Every request is authenticated and authorized, wherever it comes from',
      'Only the control plane is trusted to send traffic to workloads',
    ],
    answer: 2,
    explanation:
      'The perimeter model trusts whatever is inside the network. Zero trust assumes the network is hostile: ' +
      'every call proves its identity (mTLS) and is checked against policy, wherever it comes from. It does ' +
      'not mean denying everything, and "trusted inside" is exactly the model it replaces. Istio names a ' +
      'zero-trust network as a goal of its security design.',
    link: 'https://istio.io/latest/docs/concepts/security/',
  },
  {
    id: 'security/path-normalization',
    module: 3,
    question: 'A DENY policy blocks /admin. Why must the proxy normalize the path before it checks the policy?',
    options: [
      'To keep the paths written to access logs short and uniform',
      'Because HTTP/2 requires paths to be lower case before routing',
      'To decide which version of the backend should get the request',
      'Else /%61dmin or /x/../admin reach /admin without matching',
    ],
    answer: 3,
    explanation:
      'Apps decode percent-escapes and resolve dot-segments, so a policy comparing raw strings can be ' +
      'bypassed by another spelling of the same path. Istio normalizes, then both evaluates policy on and ' +
      'forwards the normalized path; weft does too, and rejects escaped slashes by default. Paths stay ' +
      'case-sensitive; logging and routing are not the reason.',
    link: 'docs/security.md#path-normalization',
    tryIt: "curl -si 'http://127.0.0.1:8080/a%2Fb'",
  },
  {
    id: 'security/defense-in-depth',
    module: 3,
    question: 'You have STRICT mTLS and AuthorizationPolicies. Why keep Kubernetes NetworkPolicies as well?',
    options: [
      'They hold even for traffic that skips a sidecar',
      'AuthorizationPolicies have no effect unless a NetworkPolicy also exists',
      'NetworkPolicies encrypt whatever traffic the mTLS of the mesh misses',
      'The mesh needs them to know which pods may route to which services',
    ],
    answer: 0,
    explanation:
      'Mesh policy is enforced by proxies, so traffic that bypasses one (a pod without a sidecar, excluded ' +
      'ports, host-network pods) escapes it. NetworkPolicies are enforced at L3/L4 by the network plugin and ' +
      'add an independent layer: defense in depth, a stated goal of Istio\'s security model. They encrypt ' +
      'nothing, and the mesh routes without them.',
    link: 'https://kubernetes.io/docs/concepts/services-networking/network-policies/',
  },
  {
    id: 'security/egress-registry-only',
    module: 3,
    question:
      'The outbound traffic policy is REGISTRY_ONLY. An app calls an external host that is not a known service. What happens?',
    options: [
      'It passes through unchanged, exactly as with ALLOW_ANY',
      'The sidecar refuses it (weft: 502 registry-only)',
      'It goes to the external host over mTLS with the app identity',
      'The control plane adds the host to the registry automatically',
    ],
    answer: 1,
    explanation:
      'ALLOW_ANY (the default in Istio and weft) passes unknown hosts through; REGISTRY_ONLY refuses them, ' +
      'so egress is limited to what is registered. It catches mistakes and casual exfiltration, but an app ' +
      'that bypasses its proxy still gets out, which is where network egress controls come in. External ' +
      'hosts hold no mesh certificate, so there is no mTLS to them.',
    link: 'docs/security.md#outside-the-mesh',
  },
  {
    id: 'security/root-rotation',
    module: 3,
    question: "How is a mesh's root CA rotated without breaking connections?",
    options: [
      'Replace the root and restart every pod in the cluster at the same moment',
      'Switch every workload to PERMISSIVE while the root is swapped',
      'Trust both roots, re-issue every workload, then drop the old root',
      'It never needs rotating: root certificates do not expire',
    ],
    answer: 2,
    explanation:
      "Each side checks the peer's chain against its trust bundle. While both roots are trusted, old and " +
      'new certificates verify everywhere; once every workload has a new one, the old root can go. A ' +
      'big-bang swap breaks calls between old and new; PERMISSIVE trades the outage for plaintext; roots do ' +
      "expire (Linkerd's default trust anchor lasts 365 days). weft ca rotate does these steps.",
    link: 'docs/security.md#the-certificate-authority',
    tryIt: 'weft check',
  },
];
