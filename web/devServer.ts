// The development half of the app/server contract: `/tidepool.json` built from the
// environment, for `vite` and `vite preview` alike. The production server (Rust) serves
// the same document.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const rpcTarget = (): string => process.env.TIDEPOOL_RPC ?? 'http://127.0.0.1:8547';

export function tidepoolJson(): Record<string, unknown> {
  const path = process.env.TIDEPOOL_DEPLOYMENT;
  if (!path) throw new Error('TIDEPOOL_DEPLOYMENT is not set: give the path of the deployment record (deployments/<chainId>.json)');
  const deployment = JSON.parse(readFileSync(path, 'utf8')) as { chainId: number };
  const doc: Record<string, unknown> = {
    chainId: deployment.chainId,
    rpcPath: '/rpc',
    rpcUrl: rpcTarget(),
    chainName: 'Tidepool local',
    deployment,
  };
  const keys = (process.env.TIDEPOOL_DEV_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean);
  if (keys.length > 0) doc.devKeys = keys;
  return doc;
}

export function tidepoolJsonMiddleware(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  if (!req.url || req.url.split('?')[0] !== '/tidepool.json') return next();
  try {
    const body = JSON.stringify(tidepoolJson());
    res.setHeader('content-type', 'application/json');
    res.setHeader('cache-control', 'no-store');
    res.end(body);
  } catch (e) {
    res.statusCode = 500;
    res.setHeader('content-type', 'text/plain');
    res.end(String(e instanceof Error ? e.message : e));
  }
}
