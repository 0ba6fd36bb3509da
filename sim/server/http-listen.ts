import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Starts listening and resolves with the base URL actually bound (port 0 picks a free one). */
export function listenHttp(http: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve) => {
    http.listen(port, host, () => {
      const addr = http.address() as AddressInfo;
      resolve(`http://${addr.address}:${addr.port}`);
    });
  });
}

/** Closes the server, dropping keep-alive connections so it does not wait for idle clients. */
export function closeHttp(http: Server): Promise<void> {
  return new Promise((resolve) => {
    http.closeAllConnections();
    http.close(() => resolve());
  });
}
