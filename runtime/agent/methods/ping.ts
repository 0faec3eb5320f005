import type { AgentMethodHandler } from './agent-method.js';

/** `ping`: 200 without a payload (Azure/iotedge `edge-agent/src/Microsoft.Azure.Devices.Edge.Agent.Core/requests/PingRequestHandler.cs`). */
export const ping: AgentMethodHandler = async () => ({ status: 200 });
