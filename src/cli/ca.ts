import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { call } from '../control/client.js';
import { out, target, withControl, type ControlOpts } from './common.js';
import { renderBundle, renderImported, renderRotate } from './render/ca.js';

export function registerCa(program: Command): void {
  const ca = program.command('ca').description("the mesh's certificate authority");
  withControl(ca.command('rotate'))
    .description('rotate the root CA without downtime: trust old+new, re-issue every proxy, drop the old root')
    .action(async (o: ControlOpts) => {
      out(renderRotate(await call<{ steps: string[] }>(target(o), 'POST', '/v1/ca/rotate', {}, 300_000)));
    });
  withControl(ca.command('import'))
    .description("use your organisation's root and signing intermediate instead of the generated ones")
    .requiredOption('--root <file>', 'root CA certificate (PEM)')
    .requiredOption('--cert <file>', 'intermediate CA certificate (PEM), signed by the root')
    .requiredOption('--key <file>', "intermediate CA's private key (PEM)")
    .action(async (o: { root: string; cert: string; key: string } & ControlOpts) => {
      const read = async (f: string) => {
        try {
          return await readFile(f, 'utf8');
        } catch (e) {
          throw new Error(`cannot read ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
      };
      const body = { rootCertPem: await read(o.root), intermediateCertPem: await read(o.cert), intermediateKeyPem: await read(o.key) };
      await call(target(o), 'POST', '/v1/ca/import', body);
      out(renderImported());
    });
  withControl(ca.command('bundle'))
    .description('print the trust bundle (PEM roots)')
    .action(async (o: ControlOpts) => {
      out(renderBundle(await call<{ bundle: string[] }>(target(o), 'GET', '/v1/ca/bundle')));
    });
}
