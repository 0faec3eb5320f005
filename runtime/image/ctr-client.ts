import { execa } from 'execa';
import type { ContainerdTarget } from './containerd-target.js';
import { ImageError, type ImageErrorCode } from './image-error.js';

/** One image as containerd lists it. */
export interface ContainerdImage {
  name: string;
  /** The image's target (manifest or index) digest. */
  digest: string;
  /** Human size as ctr prints it (`35.1 MiB`). */
  size: string;
  platforms: string;
  labels: Record<string, string>;
}

/**
 * containerd image label edgemu puts on images it imported: the value is the manifest digest it
 * imported. An image whose target is another digest was replaced by someone else (a real image
 * imported under the same name keeps old labels, since the importer only updates the target),
 * so it is not edgemu's any more.
 */
export const CONTAINERD_LABEL_IMAGE = 'io.edgemu.image';
/** containerd image label on an imported stand-in (value: what it stands in for). */
export const CONTAINERD_LABEL_STAND_IN = 'io.edgemu.stand-in';

/** True when the image is one edgemu imported and nobody replaced since. */
export const isEdgemuImage = (image: ContainerdImage): boolean => image.labels[CONTAINERD_LABEL_IMAGE] === image.digest;

/**
 * Parses `ctr images ls` (columns REF TYPE DIGEST SIZE PLATFORMS LABELS, padded with spaces;
 * SIZE holds a space, e.g. `35.1 MiB`). Pure.
 */
export function parseImageList(output: string): ContainerdImage[] {
  const images: ContainerdImage[] = [];
  for (const line of output.split('\n').slice(1)) {
    const m = /^(\S+)\s+(\S+)\s+(sha256:[0-9a-f]{64})\s+(\S+\s+\S*B)\s+(\S+)\s+(\S+)\s*$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[6] !== '-') {
      for (const pair of m[6]!.split(',')) {
        const eq = pair.indexOf('=');
        if (eq > 0) labels[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
    }
    images.push({ name: m[1]!, digest: m[3]!, size: m[4]!, platforms: m[5]!, labels });
  }
  return images;
}

/** The `ctr` adapter: every call goes through {@link runCtr}, which turns failures into clear errors. */
export class CtrClient {
  constructor(private readonly target: ContainerdTarget) {}

  async list(): Promise<ContainerdImage[]> {
    return parseImageList(await this.run(['images', 'ls'], 'IMAGE_LIST_FAILED'));
  }

  async get(name: string): Promise<ContainerdImage | undefined> {
    return (await this.list()).find((i) => i.name === name);
  }

  /** Imports an OCI or docker archive (unpacked for the default snapshotter, ready for the kubelet). */
  async import(file: string): Promise<string> {
    return this.run(['images', 'import', file], 'IMAGE_IMPORT_FAILED');
  }

  /** Sets (or, with an empty value, removes) containerd image labels. */
  async label(name: string, labels: Readonly<Record<string, string>>): Promise<void> {
    await this.run(['images', 'label', name, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)], 'IMAGE_IMPORT_FAILED');
  }

  private async run(args: string[], code: ImageErrorCode): Promise<string> {
    return runCtr(this.target, args, code);
  }
}

/** Runs `ctr --address A --namespace N ARGS`; a missing ctr, an unreachable containerd and a refusal are told apart. */
export async function runCtr(target: ContainerdTarget, args: readonly string[], code: ImageErrorCode): Promise<string> {
  try {
    const result = await execa(target.ctr, ['--address', target.address, '--namespace', target.namespace, ...args], { timeout: 300_000 });
    return result.stdout;
  } catch (error) {
    const e = error as { code?: string; stderr?: string; shortMessage?: string };
    if (e.code === 'ENOENT') {
      throw new ImageError('IMAGE_CTR_MISSING', `${target.ctr} is not installed; install containerd's client (Debian: apt-get install containerd)`, { cause: error });
    }
    const stderr = (e.stderr ?? e.shortMessage ?? String(error)).trim();
    // Dial failures name the socket; a missing file inside an import names the archive instead.
    const unreachable = /connection refused|failed to dial|connection error|context deadline exceeded/i.test(stderr) || (stderr.includes(target.address) && /no such file or directory|permission denied/i.test(stderr));
    if (unreachable) {
      throw new ImageError('IMAGE_CONTAINERD_UNREACHABLE', `no containerd answers at ${target.address} (${lastLine(stderr)}); start the local cluster (edgemu cluster up) or pass --containerd-address`, { cause: error });
    }
    throw new ImageError(code, `ctr ${args.slice(0, 2).join(' ')} failed: ${lastLine(stderr)}`, { cause: error });
  }
}

const lastLine = (s: string): string => s.split('\n').filter((l) => l.trim() !== '').at(-1) ?? s;

/**
 * One line of `ctr events` (`<date> <time> <zone> <zone name> <namespace> <topic> <json>`, as
 * containerd 1.6 prints it): true for an image event (`/images/create|update|delete`) of
 * `namespace`. Pure.
 */
export function isImageEventLine(line: string, namespace: string): boolean {
  const m = /^\S+ \S+ \S+ \S+ (\S+) (\/images\/\S+)/.exec(line);
  return m !== null && m[1] === namespace;
}

/**
 * A feed of containerd's image events (`ctr events`, topics `/images/create|update|delete`):
 * `onImageEvent` for each, `onClosed` when the feed stops (then nothing it would have told is
 * known). Returns a function that stops it.
 */
export type ImageEventFeed = (handlers: { onImageEvent: () => void; onClosed: (reason: string) => void }) => () => void;

/**
 * containerd's image events as a feed for `ContainerdImageCache`: a long-running
 * `ctr events 'topic~="/images/"'` whose lines are read as they come; its exit (containerd
 * stopped, ctr missing) closes the feed.
 */
export function ctrImageEvents(target: ContainerdTarget): ImageEventFeed {
  return ({ onImageEvent, onClosed }) => {
    const child = execa(target.ctr, ['--address', target.address, 'events', 'topic~="/images/"'], { buffer: false, stdin: 'ignore', stderr: 'ignore', reject: false });
    let rest = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      if (lines.some((l) => isImageEventLine(l, target.namespace))) onImageEvent();
    });
    void child.then(
      (r) => onClosed(`ctr events exited (${r.exitCode ?? r.signal ?? 'unknown'})`),
      (e: unknown) => onClosed(String(e)),
    );
    return () => {
      child.kill('SIGTERM');
    };
  };
}
