import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

/** Runs the project's real ESLint config on small fixture sources placed (virtually) in each layer. */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const bad: [file: string, source: string][] = [
  ['shared/fixture.ts', "import { readFileSync } from 'node:fs';"],
  ['shared/fixture.ts', "import path from 'path';"],
  ['shared/fixture.ts', "import { ipcRenderer } from 'electron';"],
  ['shared/fixture.ts', "import type { ReactNode } from 'react';"],
  ['shared/fixture.ts', "import { ReactFlow } from '@xyflow/react';"],
  ['shared/fixture.ts', "import { createRoot } from 'react-dom/client';"],
  ['shared/flow/fixture.ts', "import { x } from '../../electron/runtime/engine/x.js';"],
  ['shared/fixture.ts', "export * from '../renderer/App.js';"],
  ['electron/runtime/fixture.ts', "import { app } from 'electron';"],
  ['electron/runtime/engine/fixture.ts', "const electron = await import('electron');"],
  ['electron/runtime/fixture.ts', "const { app } = require('electron');"],
  ['electron/runtime/fixture.ts', "import { useState } from 'react';"],
  ['electron/runtime/fixture.ts', "import { create } from 'zustand';"],
  ['electron/runtime/fixture.ts', "import { Handle } from '@xyflow/react';"],
  ['electron/runtime/api/fixture.ts', "import { App } from '../../../renderer/App.js';"],
  ['electron/runtime/fixture.ts', "export { startApp } from '../main/app.js';"],
  ['renderer/fixture.tsx', "import { readFile } from 'node:fs/promises';"],
  ['renderer/fixture.ts', "import { EventEmitter } from 'events';"],
  ['renderer/fixture.ts', "import { ipcRenderer } from 'electron';"],
  ['renderer/canvas/fixture.tsx', "import { ApiError } from '../../electron/runtime/api/handlers.js';"],
  ['renderer/fixture.ts', "import Database from 'better-sqlite3';"],
  ['electron/main/fixture.ts', "import { App } from '../../renderer/App.js';"],
  ['electron/runtime/api/handlers/fixture.ts', "import { openSystem } from '../../connectors/system-connections.js';"],
  ['electron/runtime/api/handlers/fixture.ts', "import type { Connector } from '../../connectors/types.js';"],
  ['electron/runtime/api/handlers/fixture.ts', "import { app } from 'electron';"],
  ['electron/runtime/engine/fixture.ts', "import { ApiError } from '../api/handlers.js';"],
  ['electron/runtime/engine/sub/fixture.ts', "import { createApiHandlers } from '../../api/handlers/index.js';"],
  ['electron/runtime/engine/fixture.ts', "import { App } from '../../../renderer/App.js';"],
  ['electron/preload/fixture.ts', "import { readFileSync } from 'node:fs';"],
];

const good: [file: string, source: string][] = [
  ['shared/fixture.ts', "import { z } from 'zod';\nimport type { FlowDocument } from './flow/schema.js';"],
  ['shared/fixture.test.ts', "import { readFileSync } from 'node:fs';"],
  ['electron/runtime/fixture.ts', "import { readFileSync } from 'node:fs';\nimport Database from 'better-sqlite3';\nimport { ApiInputs } from '../../shared/api/contract.js';"],
  ['electron/main/fixture.ts', "import { app } from 'electron';\nimport { openRuntime } from '../runtime/runtime.js';"],
  ['electron/preload/fixture.ts', "import { contextBridge } from 'electron';\nimport type { PreloadApi } from '../../shared/api/contract.js';"],
  ['renderer/fixture.tsx', "import { useState } from 'react';\nimport { ReactFlow } from '@xyflow/react';\nimport { ApiInputs } from '../shared/api/contract.js';"],
  ['renderer/api/fixture.int.test.ts', "import { startHttpServer } from '../../electron/runtime/api/http-server.js';"],
  ['scripts/fixture.ts', "import { app } from 'electron';\nimport { readFileSync } from 'node:fs';"],
  ['electron/runtime/api/handlers/fixture.ts', "import { resolveConflict } from '../../operations/conflict-resolution.js';\nimport type { Workspace } from '../../workspace/workspace.js';"],
  ['electron/runtime/engine/fixture.ts', "import type { Connector } from '../connectors/types.js';"],
  ['electron/runtime/engine/fixture.test.ts', "import { createApiHandlers } from '../api/handlers/index.js';"],
];

describe('layering lint rule', () => {
  let eslint: ESLint;
  beforeAll(() => {
    eslint = new ESLint({ cwd: root });
  });

  const layeringMessages = async (file: string, source: string) => {
    const [result] = await eslint.lintText(`${source}\nexport const used = 1;\n`, { filePath: path.join(root, file) });
    return result!.messages.filter((m) => m.ruleId === 'synccanvas/layers' || m.fatal);
  };

  it.each(bad)('reports %s importing: %s', async (file, source) => {
    const messages = await layeringMessages(file, source);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.ruleId).toBe('synccanvas/layers');
    expect(messages[0]!.message).toMatch(/^bad layering: (shared|electron\/runtime(\/api\/handlers|\/engine)?|electron\/main|electron\/preload|renderer)\/ may not import "/);
  });

  it.each(good)('accepts %s importing: %s', async (file, source) => {
    expect(await layeringMessages(file, source)).toEqual([]);
  });

  it('keeps ipcMain inside electron/main/ipc.ts', async () => {
    const [message] = await layeringMessages('electron/main/window.ts', "import { ipcMain } from 'electron';");
    expect(message!.message).toMatch(/^bad layering: electron\/main\/ registers IPC only in electron\/main\/ipc\.ts/);
    expect(await layeringMessages('electron/main/ipc.ts', "import { ipcMain } from 'electron';")).toEqual([]);
  });

  it('says which layer, which import and why', async () => {
    const [message] = await layeringMessages('shared/fixture.ts', "import fs from 'node:fs';");
    expect(message!.message).toBe('bad layering: shared/ may not import "node:fs" (a Node builtin); shared/ runs in the renderer and the runtime alike.');
  });
});
