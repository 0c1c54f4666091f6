/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from 'vite';
import { rpcTarget, tidepoolJsonMiddleware } from './devServer.ts';

const tidepoolServer = (): Plugin => ({
  name: 'tidepool-json',
  configureServer(server) {
    server.middlewares.use(tidepoolJsonMiddleware);
  },
  configurePreviewServer(server) {
    server.middlewares.use(tidepoolJsonMiddleware);
  },
});

// `/rpc` is a same-origin JSON-RPC proxy to the node (which serves no CORS headers).
const proxy = {
  '/rpc': {
    target: rpcTarget(),
    changeOrigin: true,
    rewrite: () => '/',
  },
};

export default defineConfig({
  base: './',
  plugins: [tidepoolServer()],
  server: { proxy },
  preview: { proxy },
  build: { outDir: 'dist', assetsInlineLimit: 0, sourcemap: false, target: 'es2022' },
  test: { include: ['test/**/*.test.ts'], environment: 'node' },
});
