import { InvalidArgumentError, type Command } from 'commander';
import { intArg } from './common.js';

export function registerProxy(program: Command): void {
  program
    .command('proxy')
    .description('run one proxy: a sidecar beside an app, or an ingress gateway (started for you by `weft up`)')
    .requiredOption('--name <name>', 'proxy name, e.g. web-0')
    .option('--kind <kind>', 'sidecar or gateway', (v: string) => {
      if (v !== 'sidecar' && v !== 'gateway') throw new InvalidArgumentError(`--kind must be "sidecar" or "gateway", got "${v}"`);
      return v;
    }, 'sidecar')
    .requiredOption('--workload <name>', 'workload (or Gateway) this proxy serves')
    .option('--namespace <ns>', 'namespace', 'default')
    .requiredOption('--control <url>', 'control plane config-push URL, or several separated by commas (an HA control plane: the proxy fails over between them)')
    .option('--app-port <port>', 'sidecar: the local app port', intArg('--app-port', 1, 65535))
    .option('--host <addr>', 'address for local listeners', '127.0.0.1')
    .option('--inbound-host <addr>', "sidecar: address of the inbound (mTLS) listener peers reach, e.g. the host's own (default: --host)")
    .option('--outbound-port <port>', 'outbound listener port', intArg('--outbound-port', 0, 65535), 0)
    .option('--inbound-port <port>', 'inbound listener port', intArg('--inbound-port', 0, 65535), 0)
    .option('--capture-port <port>', "sidecar: listen for the app's connections iptables redirects here (weft capture install --outbound-port)", intArg('--capture-port', 1, 65535))
    .option('--admin-port <port>', 'admin listener port', intArg('--admin-port', 0, 65535), 0)
    .option('--token-file <file>', 'bootstrap credential (else $WEFT_PROXY_TOKEN, else from the runtime)')
    .option('--control-ca <file>', 'PEM roots to verify the control plane with (else from the runtime)')
    .option('--trust-domain <domain>', "the mesh's trust domain (else from the runtime)")
    .option('--drain-ms <ms>', 'how long in-flight requests may take to finish on stop', intArg('--drain-ms', 0, 600000), 10000)
    .action(async (o) => {
      // Loaded on demand: a proxy process never loads the config loader, YAML or JSON Schema code.
      const { runProxy } = await import('../proxy/main.js');
      await runProxy({
        name: o.name, kind: o.kind, workload: o.workload, namespace: o.namespace, control: o.control, appPort: o.appPort,
        host: o.host, inboundHost: o.inboundHost, outboundPort: o.outboundPort, inboundPort: o.inboundPort, capturePort: o.capturePort, adminPort: o.adminPort, tokenFile: o.tokenFile, controlCaFile: o.controlCa, trustDomain: o.trustDomain, drainMs: o.drainMs,
      });
    });
}
