import { createHash } from 'node:crypto';
import { createReadStream, existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { fileStamps, StampedMemo } from './file-stamps.js';
import { ImageError } from './image-error.js';
import type { LayerEntry } from './layer-tar.js';

/**
 * The shared libraries `ldd` names for a binary: absolute paths from `name => /path (addr)` lines
 * and the dynamic loader line (`/lib64/ld-linux-x86-64.so.2 (addr)`); the kernel's vDSO
 * (`linux-vdso.so.1`, no file) is skipped. A `not found` library is an error naming it. Pure.
 */
export function parseLdd(output: string): { libraries: string[]; missing: string[] } {
  const libraries: string[] = [];
  const missing: string[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('linux-vdso') || line.startsWith('linux-gate')) continue;
    const arrow = /^(\S+)\s+=>\s+(\S+)/.exec(line);
    if (arrow) {
      if (arrow[2] === 'not') missing.push(arrow[1]!);
      else if (arrow[2]!.startsWith('/')) libraries.push(arrow[2]!);
      continue;
    }
    const loader = /^(\/\S+)\s+\(0x/.exec(line);
    if (loader) libraries.push(loader[1]!);
  }
  return { libraries: [...new Set(libraries)], missing };
}

/** Where the host keeps its CA bundle (Debian/Ubuntu, then Fedora/RHEL). */
const CA_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt'];
/** Inside the image the bundle sits where Debian keeps it, and where OpenSSL-based tools look. */
export const IMAGE_CA_BUNDLE = 'etc/ssl/certs/ca-certificates.crt';
export const IMAGE_NODE = 'usr/bin/node';

export interface NodeBase {
  /** Host files of the runtime: node, its libraries (as `ldd` names them) and the CA bundle. */
  files: { hostPath: string; imagePath: string }[];
  /** SHA-256 over every file's content and image path: the base layer's cache key. */
  key: string;
}

/** Bases found by this process, kept while node, its libraries and the CA bundle are unchanged. */
const bases = new StampedMemo<NodeBase>();

/**
 * Finds the host's Node.js runtime and what it needs to run alone in an image. Hashing node
 * (~100 MB) is done once per process while its files stay unchanged (size, mtime, inode).
 */
export async function hostNodeBase(nodeBinary: string = process.execPath): Promise<NodeBase> {
  const kept = bases.get(nodeBinary);
  if (kept !== undefined) return kept;
  // Builds started together (the sample images) share one hashing of node.
  let pending = finding.get(nodeBinary);
  if (pending === undefined) {
    const startedAt = Date.now();
    pending = findNodeBase(nodeBinary)
      .then((base) => {
        const hostFiles = base.files.map((f) => realpathSync(f.hostPath));
        if (fileStamps(hostFiles) !== undefined) bases.set(nodeBinary, [nodeBinary, ...hostFiles], base, startedAt);
        return base;
      })
      .finally(() => finding.delete(nodeBinary));
    finding.set(nodeBinary, pending);
  }
  return pending;
}

const finding = new Map<string, Promise<NodeBase>>();

async function findNodeBase(nodeBinary: string): Promise<NodeBase> {
  let ldd: string;
  try {
    ldd = (await execa('ldd', [nodeBinary])).stdout;
  } catch (error) {
    const e = error as { code?: string; stderr?: string; stdout?: string };
    // A static binary: ldd says "not a dynamic executable" and exits 1.
    if (/not a dynamic executable|statically linked/.test(`${e.stdout ?? ''}${e.stderr ?? ''}`)) ldd = '';
    else throw new ImageError('IMAGE_BASE_FAILED', `cannot list the shared libraries of ${nodeBinary} with ldd (${e.code === 'ENOENT' ? 'ldd is not installed; install libc-bin' : (e.stderr ?? String(error)).trim()})`, { cause: error });
  }
  const { libraries, missing } = parseLdd(ldd);
  if (missing.length > 0) throw new ImageError('IMAGE_BASE_FAILED', `${nodeBinary} needs libraries the host lacks: ${missing.join(', ')}`);
  const files = [{ hostPath: nodeBinary, imagePath: IMAGE_NODE }, ...libraries.map((l) => ({ hostPath: l, imagePath: l.slice(1) }))];
  const ca = CA_BUNDLES.find((f) => existsSync(f));
  if (ca !== undefined) files.push({ hostPath: ca, imagePath: IMAGE_CA_BUNDLE });
  const hash = createHash('sha256');
  for (const f of files) {
    hash.update(`${f.imagePath}\0`);
    await new Promise<void>((resolve, reject) => {
      createReadStream(realpathSync(f.hostPath))
        .on('data', (chunk) => hash.update(chunk))
        .on('end', resolve)
        .on('error', reject);
    });
  }
  return { files, key: hash.digest('hex') };
}

/** Minimal account files: `os.userInfo()` and tools that look users up find root and nobody. */
const PASSWD = 'root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';
const GROUP = 'root:x:0:\nnogroup:x:65534:\n';

/**
 * The base layer's entries: every directory on the way to each file (mode 0755), the files
 * (libraries dereferenced: a symlinked loader becomes the file itself), `/tmp` (1777), `/app`,
 * and account files. Sorted by path so the layer is reproducible.
 */
export function nodeBaseEntries(base: NodeBase): LayerEntry[] {
  const dirs = new Set<string>(['tmp', 'app', 'etc', 'root']);
  for (const f of base.files) {
    let dir = path.posix.dirname(f.imagePath);
    while (dir !== '.' && dir !== '/') {
      dirs.add(dir);
      dir = path.posix.dirname(dir);
    }
  }
  const entries: LayerEntry[] = [...dirs].map((d) => ({ path: d, type: 'directory' as const, mode: d === 'tmp' ? 0o1777 : d === 'root' ? 0o700 : 0o755 }));
  for (const f of base.files) entries.push({ path: f.imagePath, type: 'file', mode: f.imagePath === IMAGE_NODE || f.imagePath.includes('ld-linux') ? 0o755 : 0o644, file: realpathSync(f.hostPath) });
  entries.push({ path: 'etc/passwd', type: 'file', mode: 0o644, data: Buffer.from(PASSWD) });
  entries.push({ path: 'etc/group', type: 'file', mode: 0o644, data: Buffer.from(GROUP) });
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
