import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UsageError } from '../lib/errors.js';

/** A running `/metrics` endpoint. */
export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Serve `GET /metrics` (Prometheus text format) on `listen` (`host:port` or `:port`,
 * default host 127.0.0.1) with whatever `current()` returns at request time.
 */
export async function serveMetrics(listen: string, current: () => string): Promise<MetricsServer> {
  const m = /^(?:(\[[^\]]+\]|[^:]*):)?(\d{1,5})$/.exec(listen);
  if (!m) throw new UsageError(`--metrics-listen: expected host:port or :port, got ${JSON.stringify(listen)}`);
  const host = (m[1] || '127.0.0.1').replace(/^\[|\]$/g, '');
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(current());
      return;
    }
    res.writeHead(req.url === '/' ? 200 : 404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(req.url === '/' ? 'tbx reconciler: metrics at /metrics\n' : 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(m[2]), host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
