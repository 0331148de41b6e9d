import { describe, expect, it } from 'vitest';
import { formEncode } from './form-encoding.js';

describe('formEncode', () => {
  it('writes nested objects and arrays with bracket keys, null as empty', () => {
    const s = formEncode({ email: 'a+b@x.io', metadata: { plan: 'pro' }, tags: ['a', 'b'], phone: null, skip: undefined });
    expect(decodeURIComponent(s.replace(/\+/g, ' '))).toBe('email=a+b@x.io&metadata[plan]=pro&tags[0]=a&tags[1]=b&phone=');
    expect(new URLSearchParams(s).get('email')).toBe('a+b@x.io');
  });
});
