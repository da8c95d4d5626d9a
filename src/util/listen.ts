import type { Server } from 'node:net';
import type { AddressInfo } from 'node:net';

/** Starts `server` listening and resolves with the bound port (listen errors such as EADDRINUSE reject). */
export function listenOn(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
