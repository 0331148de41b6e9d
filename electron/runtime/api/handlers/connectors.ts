import { connectorCatalog, entitiesForApi } from '../../operations/connector-catalog.js';
import { sampleRestSystem } from '../../operations/rest-sample.js';
import { DISCOVER_TIMEOUT_MS } from '../../workspace/flow-supervisor.js';
import { withTimeout } from '../../workspace/with-timeout.js';
import { ApiError } from '../handlers.js';
import { suggestClass } from '../../../../shared/ai/suggest-class.js';
import type { HandlerContext, HandlerGroup } from './context.js';

type ConnectorMethods = 'connectors.list' | 'connectors.test' | 'connectors.discover' | 'connectors.testDraft' | 'connectors.discoverDraft' | 'connectors.choicesDraft' | 'connectors.restSample' | 'ai.suggestClasses';

/** The installed connectors, and testing and discovering a system of a saved or a draft flow. */
export function connectorHandlers({ workspace, supervisor }: HandlerContext): HandlerGroup<ConnectorMethods> {
  return {
    'connectors.list': async () => connectorCatalog(),
    'connectors.test': async ({ flowId, systemId }) => {
      try {
        return await supervisor.withSystems(flowId, [systemId], async (systems) => {
          const s = systems.get(systemId);
          if (!s) throw new ApiError('not_found', `flow "${flowId}" has no system "${systemId}"`);
          return s.connector.testConnection();
        });
      } catch (e) {
        if (e instanceof ApiError && e.code === 'bad_request') return { ok: false, message: e.message, checks: [] };
        throw e;
      }
    },
    'connectors.discover': async ({ flowId, systemId }) =>
      supervisor.withSystems(flowId, [systemId], async (systems) => {
        const s = systems.get(systemId);
        if (!s) throw new ApiError('not_found', `flow "${flowId}" has no system "${systemId}"`);
        return entitiesForApi(await withTimeout(s.connector.discover(), DISCOVER_TIMEOUT_MS, `system "${systemId}"`));
      }),
    'ai.suggestClasses': async ({ system, entity, fields }) => {
      const opened = await workspace.openDraftSystem(system);
      try {
        const samples = await withTimeout(opened.connector.readSamples(entity, 50), DISCOVER_TIMEOUT_MS, 'the system').catch((e: unknown) => {
          throw new ApiError('unavailable', `could not read samples of ${entity}: ${(e as Error).message}`);
        });
        // Values never leave the runtime here: only the class and a reason that counts them.
        return { samples: samples.length, suggestions: fields.map((f) => suggestClass(f, samples.map((r) => r.fields[f]))) };
      } finally {
        await opened.connector.close().catch(() => undefined);
      }
    },
    'connectors.restSample': async ({ system, path }) => sampleRestSystem(workspace, system, path),
    // Editor additions: the same test/discover for a system of a flow that is not saved yet.
    'connectors.testDraft': async ({ system }) => {
      let opened;
      try {
        opened = await workspace.openDraftSystem(system);
      } catch (e) {
        if (e instanceof ApiError && e.code === 'bad_request') return { ok: false, message: e.message, checks: [] };
        throw e;
      }
      try {
        return await opened.connector.testConnection();
      } finally {
        await opened.connector.close().catch(() => undefined);
      }
    },
    'connectors.discoverDraft': async ({ system }) => {
      const opened = await workspace.openDraftSystem(system);
      try {
        let entities;
        try {
          entities = await withTimeout(opened.connector.discover(), DISCOVER_TIMEOUT_MS, 'the system');
        } catch (e) {
          // The system's own answer (file missing, login refused) is what the user needs to read.
          throw new ApiError('unavailable', `could not list the entities: ${(e as Error).message}`);
        }
        return entitiesForApi(entities);
      } finally {
        await opened.connector.close().catch(() => undefined);
      }
    },
    'connectors.choicesDraft': async ({ system, field }) => {
      const opened = await workspace.openDraftSystem(system);
      try {
        const { connector } = opened;
        if (!connector.choices) throw new ApiError('bad_request', `this kind of system has no list to pick "${field}" from; type the name`);
        try {
          return { choices: await withTimeout(connector.choices(field), DISCOVER_TIMEOUT_MS, 'the system') };
        } catch (e) {
          throw new ApiError('unavailable', `could not list the choices for "${field}": ${(e as Error).message}`);
        }
      } finally {
        await opened.connector.close().catch(() => undefined);
      }
    },
  };
}
