import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

const rendererRoot = fileURLToPath(new URL('./renderer/', import.meta.url));
const outDir = fileURLToPath(new URL('./dist/renderer/', import.meta.url));

/**
 * The dev server needs inline scripts (React Refresh preamble) and injected <style> tags, which the
 * production CSP in index.html forbids. Relax it for `vite serve` only; builds keep the strict one.
 */
function devCsp(): Plugin {
  return {
    name: 'synccanvas-dev-csp',
    apply: 'serve',
    transformIndexHtml(html) {
      return html.replace(
        /<meta http-equiv="Content-Security-Policy"[^>]*>/,
        `<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; connect-src 'self' ws:; img-src 'self' data:">`,
      );
    },
  };
}

export default defineConfig({
  root: rendererRoot,
  // Relative asset URLs: the same build loads from file:// in Electron and from the local HTTP server.
  base: './',
  plugins: [react(), devCsp()],
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // Keep CSS and small assets as files: the CSP allows neither inline styles nor data: scripts.
    assetsInlineLimit: 0,
    rollupOptions: {
      output: {
        // Libraries change less often than the app: separate chunks keep rebuilt bundles small.
        manualChunks(id) {
          if (!id.includes('node_modules')) return undefined;
          if (/node_modules\/(react|react-dom|scheduler)\//.test(id)) return 'react';
          if (id.includes('node_modules/@xyflow/') || id.includes('node_modules/d3-')) return 'xyflow';
          if (id.includes('node_modules/zod/')) return 'zod';
          return 'vendor';
        },
      },
      onwarn(warning, warn) {
        // zod ships comments Rollup cannot place; they are harmless and not ours to fix.
        if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('node_modules')) return;
        warn(warning);
      },
    },
  },
  server: {
    host: '127.0.0.1',
    // `SYNCCANVAS_API=http://127.0.0.1:<port> npx vite` develops the UI against a running
    // `synccanvas serve` (open the dev URL with that server's #token=…).
    // Only the API routes: a bare '/api' prefix would also swallow the dev server's own renderer/api/ modules.
    proxy: process.env.SYNCCANVAS_API ? { '^/api/(call/|events)': { target: process.env.SYNCCANVAS_API } } : undefined,
  },
});
