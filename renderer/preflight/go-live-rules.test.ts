import { describe, expect, it } from 'vitest';
import type { PreflightResult } from '../../shared/api/contract.js';
import { goLiveState } from './go-live-rules.js';

const result = (ok: boolean): PreflightResult => ({
  flowId: 'f',
  ok,
  checkedAt: 0,
  lastGoLive: null,
  edges: [{ syncId: 's', name: 'S', ok, checks: [{ id: 'secrets', label: 'Secrets are present', ok, detail: '' }] }],
});

describe('goLiveState', () => {
  it('enables go-live only when preflight passes or with an override and a real reason', () => {
    expect(goLiveState(null, false, '', false)).toMatchObject({ enabled: false });
    expect(goLiveState(result(true), false, '', false)).toEqual({ enabled: true, override: false });
    expect(goLiveState(result(false), false, '', false)).toMatchObject({ enabled: false, why: expect.stringContaining('1 check fail') });
    expect(goLiveState(result(false), true, 'because', false)).toMatchObject({ enabled: false, why: expect.stringContaining('10 characters') });
    expect(goLiveState(result(false), true, 'test data only, merged tomorrow', false)).toEqual({ enabled: true, override: true });
    expect(goLiveState(result(true), false, '', true)).toMatchObject({ enabled: false, why: 'the flow is already live' });
  });
});
