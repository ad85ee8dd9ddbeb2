import type { Server } from 'node:http';

/** Listens on 127.0.0.1:port; resolves with the server once it accepts connections. */
export function listen(app: { listen(port: number, host: string, callback: () => void): Server }, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, '127.0.0.1', () => resolve(server));
    server.once('error', reject);
  });
}

/** Closes the server, dropping idle keep-alive connections. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
