/**
 * A message as the router sees it: body bytes, application properties (always strings, as on
 * the MQTT wire), and system properties under edgeHub's internal names
 * (`Hub.Core/SystemProperties.cs`, learn.microsoft.com/azure/iot-edge/module-composition#declare-routes).
 */
export interface RoutingMessage {
  body: Uint8Array;
  /** Application properties (the plain keys of the MQTT property bag). */
  properties: Readonly<Record<string, string>>;
  /**
   * System properties by internal name: `messageId`, `correlationId`, `userId`, `to`,
   * `contentType`, `contentEncoding`, `messageSchema`, `creationTime`, `enqueuedTime`,
   * `connectionDeviceId`, `connectionModuleId`, `connectionDeviceGenerationId`,
   * `connectionAuthMethod`, `outputName`, `inputName`, `messageType`, `iothub-interface-id`,
   * `dt-subject`, `absolute-expiry-time`.
   */
  systemProperties: Readonly<Record<string, string>>;
}

/**
 * The message-source path edgeHub assigns before matching routes
 * (`Hub.Core/routing/RoutingMessageConverter.cs GetMessageSource`, learn.microsoft.com/azure/iot-edge/module-composition#source):
 * module output → `/messages/modules/<m>/outputs/<o>`, module without output →
 * `/messages/modules/<m>`, leaf device → `/messages`, reported-property change →
 * `/twinChangeNotifications`.
 */
export function messageSourcePath(message: RoutingMessage): string {
  const sys = message.systemProperties;
  if (sys.messageType === 'twinChangeNotification') return '/twinChangeNotifications';
  const moduleId = sys.connectionModuleId;
  if (moduleId === undefined || moduleId === '') return '/messages';
  const output = sys.outputName;
  return output === undefined || output === '' ? `/messages/modules/${moduleId}` : `/messages/modules/${moduleId}/outputs/${output}`;
}

/**
 * Whether a message's source path falls under a route's source prefix: both sides end in
 * exactly one `/`, compared case-insensitively as a prefix (`CustomMessageSource.cs`).
 * `routePrefix` is `ParsedRoute.sourcePrefix` (already lower-case with one trailing `/`).
 */
export function sourceMatches(routePrefix: string, messagePath: string): boolean {
  let p = messagePath;
  while (p.endsWith('/')) p = p.slice(0, -1);
  return `${p.toLowerCase()}/`.startsWith(routePrefix);
}
