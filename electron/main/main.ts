import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApp } from './app.js';

// Bundled to dist/electron/main.js; preload.cjs sits beside it and the renderer in dist/renderer.
const here = path.dirname(fileURLToPath(import.meta.url));
startApp({ electronDir: here, rendererDir: path.join(here, '..', 'renderer') });
