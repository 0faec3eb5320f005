import { describe, expect, it } from 'vitest';
import rhea from 'rhea';
import { bodyBytes, fromHubProperties, idToString, toHubProperties } from '../../../runtime/hub/amqp/amqp-message.js';

describe('AMQP messages map to the stored (MQTT) form and back', () => {
  it('maps the properties section, annotations and application properties of device telemetry', () => {
    const mapped = toHubProperties({
      message_id: rhea.string_to_uuid('0f8fad5b-d9cb-469f-a165-70867728950e'),
      correlation_id: 'c-1',
      content_type: 'application/json',
      content_encoding: 'utf-8',
      absolute_expiry_time: new Date('2030-01-01T00:00:00Z'),
      message_annotations: { 'iothub-interface-id': 'dtmi:x;1', 'x-opt-output-name': 'out1', 'iothub-connection-device-id': 'spoofed' },
      application_properties: { alert: 'high', n: 5, flag: true },
      body: rhea.message.data_section(Buffer.from('{"t":1}')),
    });
    expect(mapped.systemProperties).toEqual({ mid: '0f8fad5b-d9cb-469f-a165-70867728950e', cid: 'c-1', ct: 'application/json', ce: 'utf-8', exp: '2030-01-01T00:00:00.000Z', ifid: 'dtmi:x;1', on: 'out1' });
    expect(mapped.properties).toEqual({ alert: 'high', n: '5', flag: 'true' });
    expect(mapped.body.toString()).toBe('{"t":1}');
  });

  it("takes the Node SDK's iothub-outputname application property as the output name", () => {
    const mapped = toHubProperties({ application_properties: { 'iothub-outputname': 'o2', a: 'b' }, body: 'text' });
    expect(mapped.systemProperties.on).toBe('o2');
    expect(mapped.properties).toEqual({ a: 'b' });
    expect(mapped.body.toString()).toBe('text');
  });

  it.each([
    [undefined, ''],
    [Buffer.from('raw'), 'raw'],
    ['s', 's'],
    [rhea.message.data_sections([Buffer.from('a'), Buffer.from('b')]), 'ab'],
    [{ x: 1 }, '{"x":1}'],
  ])('reads a body %#', (body, text) => {
    expect(bodyBytes(body).toString()).toBe(text);
  });

  it('turns UUID ids into their string form and leaves others', () => {
    expect(idToString(rhea.string_to_uuid('0f8fad5b-d9cb-469f-a165-70867728950e'))).toBe('0f8fad5b-d9cb-469f-a165-70867728950e');
    expect(idToString(42)).toBe('42');
    expect(idToString(undefined)).toBeUndefined();
  });

  it('writes a hub message with its system properties, the sender annotations and a data section', () => {
    const out = fromHubProperties(
      { body: Buffer.from('b'), systemProperties: { mid: 'm', cid: 'c', ct: 'text/plain', cdid: 'd1', cmid: 'm1', exp: '2030-01-01T00:00:00.000Z' }, properties: { k: 'v' } },
      { annotations: { 'x-opt-input-name': 'in1' }, deliveryCount: 2 },
    );
    expect(out).toMatchObject({
      message_id: 'm',
      correlation_id: 'c',
      content_type: 'text/plain',
      absolute_expiry_time: new Date('2030-01-01T00:00:00Z'),
      message_annotations: { 'x-opt-input-name': 'in1', 'iothub-connection-device-id': 'd1', 'iothub-connection-module-id': 'm1' },
      application_properties: { k: 'v' },
      delivery_count: 2,
    });
    expect(bodyBytes(out.body).toString()).toBe('b');
  });
});
