import rhea from 'rhea';
import type { InputMessage } from '../hub-types.js';

/**
 * IoT Hub's AMQP message shape (learn.microsoft.com/azure/iot-hub/iot-hub-amqp-support,
 * learn.microsoft.com/azure/iot-hub/iot-hub-devguide-messages-construct "System properties"):
 * the AMQP properties section carries message-id, correlation-id, user-id, content-type,
 * content-encoding, absolute-expiry-time and creation-time; message annotations carry what
 * IoT Hub stamps or the SDKs add (`iothub-interface-id`, `dt-subject`, `x-opt-output-name`,
 * `x-opt-input-name`, `iothub-connection-device-id`/`-module-id`); everything else the sender
 * sets is an application property. The hub's stored form is the MQTT one (system properties
 * by wire name without `$.`, docs/hub.md), so a route or the monitor cannot tell which
 * protocol a message came in on.
 */
export interface AmqpWireMessage {
  message_id?: unknown;
  correlation_id?: unknown;
  user_id?: unknown;
  to?: string;
  content_type?: string;
  content_encoding?: string;
  absolute_expiry_time?: Date | number;
  creation_time?: Date | number;
  message_annotations?: Record<string, unknown>;
  application_properties?: Record<string, unknown>;
  body?: unknown;
  delivery_count?: number;
}

/** A message id or correlation id as text: a 16-byte UUID becomes its canonical string. */
export function idToString(id: unknown): string | undefined {
  if (id === undefined || id === null) return undefined;
  if (Buffer.isBuffer(id)) return id.length === 16 ? rhea.uuid_to_string(id) : id.toString('utf8');
  if (typeof id === 'string') return id;
  if (typeof id === 'number' || typeof id === 'bigint' || typeof id === 'boolean') return String(id);
  return undefined;
}

/** The body as bytes: data sections as they are, an AMQP string value as UTF-8, other values as JSON. */
export function bodyBytes(body: unknown): Buffer {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  const section = body as { typecode?: number; content?: unknown; multiple?: boolean };
  if (section.typecode === 0x75) {
    const parts = section.multiple ? (section.content as unknown[]) : [section.content];
    return Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(String(p)))));
  }
  if (section.typecode === 0x76) return Buffer.from(JSON.stringify(section.content));
  return Buffer.from(JSON.stringify(body));
}

const text = (v: unknown): string => {
  if (v === undefined || v === null) return '';
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v as string | number | boolean | bigint);
};

const isoTime = (v: Date | number | undefined): string | undefined => (v === undefined ? undefined : new Date(v).toISOString());

/** Application property names the Node device SDK uses for what IoT Hub treats as system properties. */
const OUTPUT_NAME_APP_PROPERTY = 'iothub-outputname';

/**
 * A device or module message (telemetry, output) in the hub's stored form. The output name
 * comes from the `x-opt-output-name` annotation or the Node SDK's `iothub-outputname`
 * application property; `iothub-connection-*` annotations a client sets are ignored (the hub
 * stamps the connection's own identity).
 */
export function toHubProperties(m: AmqpWireMessage): { body: Buffer; systemProperties: Record<string, string>; properties: Record<string, string> } {
  const system: Record<string, string> = {};
  const put = (wire: string, value: string | undefined) => {
    if (value !== undefined && value !== '') system[wire] = value;
  };
  put('mid', idToString(m.message_id));
  put('cid', idToString(m.correlation_id));
  put('uid', m.user_id === undefined ? undefined : text(m.user_id));
  put('ct', m.content_type);
  put('ce', m.content_encoding);
  put('exp', isoTime(m.absolute_expiry_time));
  put('ctime', isoTime(m.creation_time));
  const annotations = m.message_annotations ?? {};
  put('ifid', annotations['iothub-interface-id'] === undefined ? undefined : text(annotations['iothub-interface-id']));
  put('sub', annotations['dt-subject'] === undefined ? undefined : text(annotations['dt-subject']));
  const properties: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.application_properties ?? {})) {
    if (k === OUTPUT_NAME_APP_PROPERTY) continue;
    properties[k] = text(v);
  }
  const output = annotations['x-opt-output-name'] ?? m.application_properties?.[OUTPUT_NAME_APP_PROPERTY];
  put('on', output === undefined ? undefined : text(output));
  return { body: bodyBytes(m.body), systemProperties: system, properties };
}

/**
 * A hub→client message (C2D, module input) in AMQP form: system properties by wire name back
 * into the properties section and annotations, application properties as they are, the body
 * as one data section (the SDKs read `body.content`).
 */
export function fromHubProperties(message: InputMessage, extra: { annotations?: Record<string, unknown>; deliveryCount?: number } = {}): AmqpWireMessage & { body: unknown } {
  const sys = message.systemProperties ?? {};
  const out: AmqpWireMessage & { body: unknown } = { body: rhea.message.data_section(message.body) };
  if (sys.mid !== undefined) out.message_id = sys.mid;
  if (sys.cid !== undefined) out.correlation_id = sys.cid;
  if (sys.uid !== undefined) out.user_id = Buffer.from(sys.uid);
  if (sys.to !== undefined) out.to = sys.to;
  if (sys.ct !== undefined) out.content_type = sys.ct;
  if (sys.ce !== undefined) out.content_encoding = sys.ce;
  const exp = sys.exp === undefined ? NaN : Date.parse(sys.exp);
  if (!Number.isNaN(exp)) out.absolute_expiry_time = new Date(exp);
  const ctime = sys.ctime === undefined ? NaN : Date.parse(sys.ctime);
  if (!Number.isNaN(ctime)) out.creation_time = new Date(ctime);
  const annotations: Record<string, unknown> = { ...extra.annotations };
  if (sys.ifid !== undefined) annotations['iothub-interface-id'] = sys.ifid;
  if (sys.sub !== undefined) annotations['dt-subject'] = sys.sub;
  if (sys.cdid !== undefined) annotations['iothub-connection-device-id'] = sys.cdid;
  if (sys.cmid !== undefined) annotations['iothub-connection-module-id'] = sys.cmid;
  if (Object.keys(annotations).length > 0) out.message_annotations = annotations;
  if (message.properties && Object.keys(message.properties).length > 0) out.application_properties = { ...message.properties };
  if (extra.deliveryCount !== undefined) out.delivery_count = extra.deliveryCount;
  return out;
}
