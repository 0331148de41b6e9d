import { DATA_KEY_SECRET } from '../../secrets/data-key.js';
import { SecretProviderChain } from '../../secrets/provider-chain.js';
import type { SecretSourceId } from '../../secrets/secret-provider.js';
import { ApiError } from '../handlers.js';
import type { HandlerContext, HandlerGroup } from './context.js';

/** Secrets: set one (never the data key), and say which are present and where from (values never leave). */
export function secretHandlers({ workspace }: HandlerContext): HandlerGroup<'secrets.set' | 'secrets.status'> {
  const { secrets } = workspace;
  return {
    'secrets.set': async ({ name, value }) => {
      // Replacing the data key would leave the workspace's sealed customer data unreadable.
      if (name === DATA_KEY_SECRET) throw new ApiError('bad_request', `"${DATA_KEY_SECRET}" is the key of the workspace's encrypted customer data and is not set from the app (see docs/security.md)`);
      const st = await secrets.status();
      if (!st.available) throw new ApiError('unavailable', st.message);
      await secrets.set(name, value);
      return { ok: true };
    },
    'secrets.status': async ({ names }) => {
      const st = await secrets.status();
      const present: Record<string, boolean> = {};
      const sources: Record<string, SecretSourceId | null> = {};
      for (const n of names) {
        // Reads do not need a writable store: a secret may come from the environment or a folder.
        if (secrets instanceof SecretProviderChain) {
          const found = await secrets.lookup(n);
          present[n] = found.source !== null;
          sources[n] = found.source;
        } else {
          present[n] = (await secrets.get(n).catch(() => null)) !== null;
        }
      }
      return { ...st, present, sources };
    },
  };
}
