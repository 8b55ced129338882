// Starting and stopping a node:http server: shared by the fakes, the Cloudflare emulator and tests.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens and resolves with the bound port (0 picks a free one). */
export async function listen(server: Server, host: string, port: number): Promise<number> {
  // Node closes an idle keep-alive socket after 5 s; an SDK reusing it at that moment gets ECONNRESET, which
  // the connectors do not retry against a fake (seen under load between the demo's two cycles). The cloud
  // endpoints keep idle connections far longer.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Closes a server, cutting idle keep-alive connections so close() does not hang on them. */
export async function close(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 1000).unref();
  });
}
