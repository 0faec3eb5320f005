import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

type RequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];

/** The TLS options of client-node's per-request agent that decide which connections may be shared. */
const TLS_OPTIONS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

/** At most this many connections to the API server at once; more requests wait for a free one. */
const MAX_SOCKETS = 16;

const fingerprint = (options: Record<string, unknown>): string[] =>
  TLS_OPTIONS.map((k) => {
    const v = options[k];
    return v === undefined ? '' : Buffer.isBuffer(v) ? v.toString('base64') : String(v);
  });

/**
 * A KubeConfig whose API calls share keep-alive connections. client-node 1.4 gives every API
 * request a new `https.Agent` (`KubeConfig.applySecurityAuthentication`), so every request opens
 * a new TLS connection, with a TLS context of its own built from the kubeconfig's CA, client
 * certificate and key: with a fleet of agents that is thousands of handshakes and TLS contexts
 * waiting for the garbage collector. Here the first request's agent options (client-node's own,
 * from the kubeconfig) make one keep-alive agent that later requests reuse — HTTP/1.1 persistent
 * connections (RFC 9112 §9.3), as client-go's shared transport does — and a new one is made when
 * the TLS material changes (a rotated client certificate). Request headers (tokens, exec
 * credentials) are still applied per request by client-node. Proxied and plain-HTTP clusters keep
 * client-node's own agents.
 */
export class PooledKubeConfig extends KubeConfig {
  private pooled: { agent: https.Agent; tls: string[] } | undefined;

  /** A pooled copy of `kubeConfig` (same clusters, users, contexts and current context). */
  static from(kubeConfig: KubeConfig): PooledKubeConfig {
    const pooled = new PooledKubeConfig();
    pooled.loadFromOptions({ clusters: kubeConfig.clusters, users: kubeConfig.users, contexts: kubeConfig.contexts, currentContext: kubeConfig.currentContext });
    return pooled;
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const made = context.getAgent();
    // proxy agents (agent-base) and http.Agent are not https.Agent: left as client-node made them
    if (!(made instanceof https.Agent)) return;
    const options = made.options as Record<string, unknown>;
    const tls = fingerprint(options);
    if (!this.pooled || this.pooled.tls.some((v, i) => v !== tls[i])) {
      this.pooled?.agent.destroy();
      this.pooled = { agent: new https.Agent({ ...options, keepAlive: true, maxSockets: MAX_SOCKETS }), tls };
    }
    context.setAgent(this.pooled.agent);
  }

  /** Closes the shared connections (idle ones also end with the process: keep-alive sockets are unref'd). */
  close(): void {
    this.pooled?.agent.destroy();
    this.pooled = undefined;
  }
}
