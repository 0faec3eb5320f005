import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { addKubeOptions } from '../../cluster/cli-options.js';
import { globalOptions, type RegisterCommand } from '../cli-context.js';
import { UsageError } from '../../errors.js';
import type { CheckEntry, Deployment, DryRunRejection } from '../../manifest/index.js';
import type { TranslatedObject } from '../../translate/index.js';

interface CheckOptions {
  expect?: string;
  translate?: boolean;
  dryRun?: boolean;
  device: string;
  kubeconfig?: string;
  context?: string;
  json?: boolean;
}

/**
 * `edgemu check PATH... [--expect FILE] [--translate] [--dry-run] [--kubeconfig F --context C] [--json]`
 * (docs/manifest.md "Checking a directory of manifests"): gives every manifest in the given
 * directories IoT Edge's verdict; with --translate each valid deployment is translated (as
 * `edgemu translate` does), with --dry-run its objects are sent to a real kube-apiserver as a
 * server-side apply dry run (`dryRun=All`: nothing is stored). Exit 1 when a verdict differs from
 * the expectation file, a translation fails or the API server rejects an object.
 */
export const registerCheck: RegisterCommand = (program, ctx) => {
  const command = program
    .command('check')
    .description("give each manifest in directories IoT Edge's verdict; optionally translate and dry-run it on a kube-apiserver")
    .argument('<path...>', 'directories (their *.json files) or manifest files')
    .option('--expect <file>', 'JSON object {"file.json": 200, …}: fail when a verdict differs')
    .option('--translate', 'translate each valid deployment to Kubernetes objects')
    .option('--dry-run', 'send the objects to the API server as a server-side dry run (implies --translate)')
    .option('--device <id>', 'device id the translation is made for', 'edgemu-check')
    .option('--json', 'print one JSON array with an entry per file');
  addKubeOptions(command).addHelpText(
    'after',
    [
      '',
      'Verdicts are the lastDesiredStatus codes IoT Edge reports: 200 valid, 400 format error,',
      '412 unsupported schemaVersion, 417 empty $edgeAgent. The dry run creates one empty namespace',
      '(edgemu-check-<random>) for the namespaced objects, because the API server dry-runs objects only',
      'in a namespace that exists, and deletes it at the end; nothing else is stored.',
      '',
      'Examples:',
      '  edgemu check deployments/examples deployments/invalid',
      '  edgemu check my-manifests/ --expect my-manifests.expect.json --dry-run --context kind-edge',
    ].join('\n'),
  );
  command.action(async (paths: string[], opts: CheckOptions, cmd: Command) => {
    const g = globalOptions(cmd);
    const report = await import('../../manifest/index.js');
    const { listManifestFiles, validateManifestFile } = report;

    let expectations: ReturnType<typeof report.parseExpectations> = new Map();
    if (opts.expect !== undefined) {
      try {
        expectations = report.parseExpectations(await readFile(opts.expect, 'utf8'));
      } catch (error) {
        throw new UsageError(`--expect ${opts.expect}: ${(error as Error).message}`);
      }
    }
    const files = await listManifestFiles(paths);
    if (files.length === 0) throw new UsageError(`no *.json manifests in ${paths.join(', ')}`);
    const translate = opts.translate === true || opts.dryRun === true;
    const dryRun = opts.dryRun === true ? await DryRun.open(opts, g.stateDir) : undefined;
    const entries: CheckEntry[] = [];
    try {
      for (const file of files) {
        const { report: verdict, deployment } = await validateManifestFile(file);
        const entry: CheckEntry = { report: verdict };
        const expected = report.expectationFor(expectations, file);
        if (expected !== undefined) entry.expected = expected;
        if (translate && deployment !== undefined) {
          const translated = await translateFor(deployment, opts.device);
          entry.translation = translated.ok ? { ok: true, objects: translated.objects.length, warnings: translated.warnings } : translated;
          if (dryRun && translated.ok) entry.dryRun = await dryRun.check(translated.objects);
        }
        entries.push(entry);
      }
    } finally {
      await dryRun?.close();
    }
    if (opts.json === true || g.json === true) ctx.out(`${JSON.stringify(entries.map((e) => ({ ...e, failures: report.entryFailures(e) })), null, 2)}\n`);
    else ctx.out(report.formatCheck(entries));
    if (entries.some((e) => report.entryFailures(e).length > 0)) ctx.setExitCode(1);
  });
};

type Translated = { ok: true; objects: TranslatedObject[]; warnings: string[] } | { ok: false; message: string };

/**
 * A translation with stand-in identities and CA (the check is about the objects' shape, not a
 * running hub): every module gets a placeholder key, so no placeholder warnings drown the rest.
 */
async function translateFor(deployment: Deployment, deviceId: string): Promise<Translated> {
  const { translateDeployment } = await import('../../translate/index.js');
  const key = Buffer.alloc(32).toString('base64');
  const identities = Object.fromEntries(deployment.edgeAgent.modules.map((m) => [m.name, { sharedAccessKey: key, generationId: 'edgemu-check' }]));
  try {
    const translation = translateDeployment(deployment.edgeAgent, { deviceId, iotHubHostName: 'edgemu-check.azure-devices.net', gatewayHostName: 'edgemu-hub:8883', hubCaPem: CHECK_CA, identities });
    return { ok: true, objects: translation.objects, warnings: translation.warnings };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

/** Stand-in CA text for the CA ConfigMap (its content is not parsed by the API server). */
const CHECK_CA = '-----BEGIN CERTIFICATE-----\nZWRnZW11IGNoZWNrIHN0YW5kLWluIENB\n-----END CERTIFICATE-----\n';

/**
 * Server-side dry runs on one API server (Kubernetes API concepts, "Dry-run":
 * kubernetes.io/docs/reference/using-api/api-concepts/#dry-run). Namespaced objects are sent
 * into a throwaway namespace, since a dry run in a namespace that does not exist is refused.
 */
class DryRun {
  private constructor(
    private readonly kc: KubeConfig,
    private readonly namespace: string,
  ) {}

  static async open(opts: CheckOptions, stateDir: string): Promise<DryRun> {
    const [{ loadKubeConfig, resolveKubeTarget }, { CoreV1Api }] = await Promise.all([import('../../cluster/index.js'), import('./check-kube-client.js')]);
    const kc = loadKubeConfig(await resolveKubeTarget({ kubeconfig: opts.kubeconfig, context: opts.context, stateDir }));
    const namespace = `edgemu-check-${randomBytes(4).toString('hex')}`;
    try {
      await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace, labels: { 'app.kubernetes.io/managed-by': 'edgemu-check' } } } });
    } catch (error) {
      throw new UsageError(`cannot reach the API server of ${kc.getCurrentCluster()?.server ?? 'the kubeconfig'} to dry-run (${rejectionOf(error).reason}); start one with \`edgemu cluster up\` or pass --kubeconfig/--context`);
    }
    return new DryRun(kc, namespace);
  }

  async check(objects: readonly TranslatedObject[]): Promise<DryRunRejection[]> {
    const { KubernetesObjectApi, PatchStrategy } = await import('./check-kube-client.js');
    const api = KubernetesObjectApi.makeApiClient(this.kc);
    const rejections: DryRunRejection[] = [];
    for (const object of objects) {
      const body = structuredClone(object) as KubernetesObject;
      if (body.kind !== 'Namespace' && body.metadata?.namespace !== undefined) body.metadata.namespace = this.namespace;
      try {
        await api.patch(body, undefined, 'All', 'edgemu-check', true, PatchStrategy.ServerSideApply);
      } catch (error) {
        rejections.push({ object: `${object.kind}/${object.metadata?.name ?? '?'}`, ...rejectionOf(error) });
      }
    }
    return rejections;
  }

  async close(): Promise<void> {
    const { CoreV1Api } = await import('./check-kube-client.js');
    await this.kc.makeApiClient(CoreV1Api).deleteNamespace({ name: this.namespace }).catch(() => undefined);
  }
}

/** The API server's answer to a refused request: its Status message and causes (client-node ApiException). */
function rejectionOf(error: unknown): { status: number; reason: string } {
  const e = error as { code?: number; body?: unknown; message?: string };
  let body: unknown = e.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return { status: e.code ?? 0, reason: String(body) };
    }
  }
  const status = body as { message?: string; details?: { causes?: { field?: string; message?: string }[] } } | undefined;
  if (status?.message) {
    const causes = (status.details?.causes ?? []).map((c) => `${c.field ?? ''}: ${c.message ?? ''}`);
    const extra = causes.filter((c) => !status.message!.includes(c.split(': ')[1] ?? '\u0000'));
    return { status: e.code ?? 0, reason: [status.message, ...extra].join('; ') };
  }
  return { status: typeof e.code === 'number' ? e.code : 0, reason: e.message ?? String(error) };
}
