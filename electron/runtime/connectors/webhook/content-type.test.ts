import { describe, expect, it } from 'vitest';
import { jsonContentTypeProblem } from './content-type.js';

describe('webhook Content-Type', () => {
  it('accepts application/json and +json types in UTF-8, with or without parameters, in any case', () => {
    for (const ok of ['application/json', 'Application/JSON', 'application/json; charset=utf-8', 'application/json;charset="UTF-8"', 'application/vnd.github+json', 'application/cloudevents+json; charset=utf8']) {
      expect(jsonContentTypeProblem(ok), ok).toBeNull();
    }
  });

  it('refuses a missing, text, form, JSON-lookalike or non-UTF-8 type and says what to send', () => {
    expect(jsonContentTypeProblem(undefined)).toMatch(/missing; send the body as JSON with Content-Type: application\/json/);
    expect(jsonContentTypeProblem('  ')).toMatch(/missing/);
    expect(jsonContentTypeProblem('text/plain;charset=UTF-8')).toMatch(/"text\/plain"; send the body as JSON/);
    expect(jsonContentTypeProblem('application/x-www-form-urlencoded')).toMatch(/application\/x-www-form-urlencoded/);
    expect(jsonContentTypeProblem('application/jsonp')).not.toBeNull();
    expect(jsonContentTypeProblem('text/json')).not.toBeNull();
    expect(jsonContentTypeProblem('application/+json')).not.toBeNull();
    expect(jsonContentTypeProblem('application/json; charset=latin1')).toMatch(/latin1; send JSON in UTF-8/);
  });
});
