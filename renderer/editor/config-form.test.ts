import { describe, expect, it } from 'vitest';
import { SecretRefSchema } from '../../shared/flow/schema.js';
import { connectorCatalog } from '../../electron/runtime/operations/connector-catalog.js';
import { configFields, configValue, fieldText, humanize, offeredChoices, parseFieldText, secretName, withConfigValue } from './config-form.js';

const sqliteSchema = {
  type: 'object',
  properties: {
    path: { type: 'string', minLength: 1 },
    pollIntervalMs: { default: 50, type: 'integer', minimum: 10, maximum: 60000 },
    connections: { type: 'integer', minimum: 1 },
    tables: { type: 'array', items: { type: 'string' } },
    sslmode: { type: 'string', enum: ['disable', 'require'] },
    signature: { oneOf: [{ type: 'object' }] },
    version: { type: 'number', const: 1 },
  },
  required: ['path'],
};

describe('config form from a JSON schema', () => {
  it('derives one control per setting, required first, constants left out', () => {
    const fields = configFields(sqliteSchema);
    expect(fields.map((f) => [f.name, f.kind, f.required])).toEqual([
      ['path', 'text', true],
      ['pollIntervalMs', 'integer', false],
      ['connections', 'integer', false],
      ['tables', 'list', false],
      ['sslmode', 'enum', false],
      ['signature', 'json', false],
    ]);
    expect(fields[1]!.label).toBe('Poll interval (ms)');
    expect(fields[1]!.defaultValue).toBe(50);
    expect(configFields(undefined)).toEqual([]);
  });

  it('parses input text into the stored value, with a message that says what to fix', () => {
    const [path, poll, connections, tables, , signature] = configFields(sqliteSchema);
    expect(parseFieldText(path!, '')).toEqual({ ok: false, message: 'Path is required' });
    expect(parseFieldText(poll!, '')).toEqual({ ok: true, value: undefined });
    expect(parseFieldText(poll!, '2.5')).toEqual({ ok: false, message: 'Poll interval (ms) must be a whole number' });
    expect(parseFieldText(poll!, '200')).toEqual({ ok: true, value: 200 });
    // Out of range is caught as the user types, with the allowed range (not first by Test connection).
    expect(parseFieldText(poll!, '-5')).toEqual({ ok: false, message: 'Poll interval (ms) must be between 10 and 60,000' });
    expect(parseFieldText(poll!, '99999999')).toEqual({ ok: false, message: 'Poll interval (ms) must be between 10 and 60,000' });
    expect(parseFieldText(poll!, '10')).toEqual({ ok: true, value: 10 });
    expect(parseFieldText(poll!, '60000')).toEqual({ ok: true, value: 60000 });
    expect(parseFieldText(connections!, '0')).toEqual({ ok: false, message: 'Connections must be at least 1' });
    expect(parseFieldText(tables!, 'a, b,,')).toEqual({ ok: true, value: ['a', 'b'] });
    expect(parseFieldText(signature!, '{')).toMatchObject({ ok: false });
    expect(fieldText(tables!, ['a', 'b'])).toBe('a, b');
    expect(fieldText(signature!, { a: 1 })).toContain('"a": 1');
  });

  it('humanizes names and builds keychain names the flow schema accepts', () => {
    expect(humanize('sslRootCertPath')).toBe('SSL root cert path');
    expect(humanize('maxBodyBytes')).toBe('Max body (bytes)');
    expect(SecretRefSchema.safeParse(secretName('my-flow', 'webhook', 'signingSecret')).success).toBe(true);
    expect(withConfigValue({ a: 1, b: 2 }, 'a', undefined)).toEqual({ b: 2 });
  });

  it('a group of named text settings (a definition\'s vars) gets one input each, stored inside the group', () => {
    const fields = configFields({
      type: 'object',
      properties: {
        baseUrl: { type: 'string', title: 'Address of the API' },
        vars: { type: 'object', properties: { shop: { type: 'string', minLength: 1 }, locationIds: { type: 'string' } }, required: ['shop'] },
        headers: { type: 'object', additionalProperties: { type: 'string' } },
      },
    });
    expect(fields.map((f) => [f.name, f.label, f.kind, f.required])).toEqual([
      ['vars.shop', 'Shop', 'text', true],
      ['baseUrl', 'Address of the API', 'text', false],
      ['vars.locationIds', 'Location ids', 'text', false],
      ['headers', 'Headers', 'json', false],
    ]);
    const config = withConfigValue(withConfigValue({ baseUrl: 'x' }, 'vars.shop', 'my-shop'), 'vars.locationIds', '1,2');
    expect(config).toEqual({ baseUrl: 'x', vars: { shop: 'my-shop', locationIds: '1,2' } });
    expect(configValue(config, 'vars.shop')).toBe('my-shop');
    expect(configValue(config, 'baseUrl')).toBe('x');
    expect(withConfigValue(withConfigValue(config, 'vars.shop', undefined), 'vars.locationIds', undefined)).toEqual({ baseUrl: 'x' });
  });

  it('a group of plain settings (a webhook listener) gets one labelled control each instead of a JSON box', () => {
    const fields = configFields({
      type: 'object',
      properties: {
        webhook: {
          type: 'object',
          default: { port: 8787, enabled: false },
          properties: { port: { type: 'integer', minimum: 0, maximum: 65535, default: 8787 }, path: { type: 'string', default: '/webhooks' }, enabled: { type: 'boolean', default: false } },
          required: ['port', 'path', 'enabled'],
        },
        poll: { anyOf: [{ type: 'object' }, { type: 'object' }] },
      },
    });
    expect(fields.map((f) => [f.name, f.label, f.kind, f.required])).toEqual([
      ['webhook.port', 'Webhook: port', 'integer', false],
      ['webhook.path', 'Webhook: path', 'text', false],
      ['webhook.enabled', 'Webhook: enabled', 'boolean', false],
      ['poll', 'Poll', 'json', false],
    ]);
    expect(parseFieldText(fields[0]!, '70000')).toEqual({ ok: false, message: 'Webhook: port must be between 0 and 65,535' });
    expect(withConfigValue({}, 'webhook.enabled', true)).toEqual({ webhook: { enabled: true } });
  });
});

describe('broker-choice settings', () => {
  // The schemas as the renderer receives them (connectors.list), so a lost tag in a connector's config fails here.
  const formatsOf = (kind: string) =>
    Object.fromEntries(
      configFields(connectorCatalog().find((c) => c.kind === kind)?.configJsonSchema)
        .filter((f) => f.format === 'broker-choice')
        .map((f) => [f.name, f.kind]),
    );

  it('tags the names a broker can list: NATS stream and consumer, Redis key prefix and group', () => {
    expect(formatsOf('nats')).toEqual({ stream: 'text', consumer: 'text' });
    expect(formatsOf('redis-streams')).toEqual({ keyPrefix: 'text', group: 'text' });
    // AMQP cannot list queues without the management API: RabbitMQ keeps typed names.
    expect(formatsOf('rabbitmq')).toEqual({});
    const rabbit = configFields(connectorCatalog().find((c) => c.kind === 'rabbitmq')?.configJsonSchema);
    expect(rabbit.find((f) => f.name === 'queue')?.description).toMatch(/AMQP cannot list queues/);
    expect(rabbit.find((f) => f.name === 'exchange')?.description).toMatch(/AMQP cannot list exchanges/);
  });

  it('offers the listed names containing the typed text, any case, without the one already typed', () => {
    const listed = ['ORDERS-eu_2', 'AUDIT', 'orders_archive', 'Ünïcode'];
    expect(offeredChoices(listed, '')).toEqual(listed);
    expect(offeredChoices(listed, ' orders ')).toEqual(['ORDERS-eu_2', 'orders_archive']);
    expect(offeredChoices(listed, 'AUDIT')).toEqual([]);
    expect(offeredChoices(listed, 'ünï')).toEqual(['Ünïcode']);
    expect(offeredChoices(listed, 'nothing')).toEqual([]);
  });
});
