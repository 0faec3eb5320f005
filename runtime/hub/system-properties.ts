/**
 * The one table of IoT Hub message system properties: the name each has on the MQTT wire
 * (`$.mid`, … in the topic's property bag, without the `$.`) and the name edgeHub uses inside
 * (route conditions read `$messageId`, `$absolute-expiry-time`, …). Sources: the MQTT property
 * bag of learn.microsoft.com/azure/iot/iot-mqtt-connect-to-iot-hub ("Sending device-to-cloud
 * messages"); edgeHub's edge-hub/core/src/Microsoft.Azure.Devices.Edge.Hub.Core/SystemProperties.cs
 * (IncomingSystemPropertiesMap / OutgoingSystemPropertiesMap). docs/iot-hub-protocol.md lists them.
 */
export interface SystemProperty {
  /** edgeHub's internal name, the one route conditions use. */
  readonly name: string;
  /**
   * Taken from the sender's bag and forwarded to module inputs. False for what the hub itself
   * assigns from the connection and topic (`on`, `cdid`, `cmid`), so a sender cannot spoof them.
   */
  readonly fromSender: boolean;
}

/** By wire name; a null-prototype object, so `constructor` or `__proto__` are not mistaken for entries. */
export const SYSTEM_PROPERTIES: Readonly<Record<string, SystemProperty>> = Object.assign(Object.create(null) as Record<string, SystemProperty>, {
  mid: { name: 'messageId', fromSender: true },
  cid: { name: 'correlationId', fromSender: true },
  uid: { name: 'userId', fromSender: true },
  to: { name: 'to', fromSender: true },
  ct: { name: 'contentType', fromSender: true },
  ce: { name: 'contentEncoding', fromSender: true },
  exp: { name: 'absolute-expiry-time', fromSender: true },
  schema: { name: 'messageSchema', fromSender: true },
  ctime: { name: 'creationTime', fromSender: true },
  ifid: { name: 'iothub-interface-id', fromSender: true },
  sub: { name: 'dt-subject', fromSender: true },
  on: { name: 'outputName', fromSender: false },
  cdid: { name: 'connectionDeviceId', fromSender: false },
  cmid: { name: 'connectionModuleId', fromSender: false },
});

/** Whether `wire` (without `$.`) is a system property name; any other `$.x` is an application property. */
export const isSystemPropertyWireName = (wire: string): boolean => SYSTEM_PROPERTIES[wire] !== undefined;

/** Wire names of the properties a module input delivery carries over from the sender. */
export const FORWARDED_SYSTEM_PROPERTIES: readonly string[] = Object.keys(SYSTEM_PROPERTIES).filter((wire) => SYSTEM_PROPERTIES[wire]!.fromSender);
