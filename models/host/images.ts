/**
 * Models: the layer images a host attaches for a container group: read-only layer VHDs in the
 * format of models/guest/layer-image.ts (files, dm-verity superblock and tree appended, as
 * hcsshim `dmverity-vhd` builds them), either generated from file trees, or stand-ins for the
 * real registry layers a real policy names.
 * Real counterpart: the layer VHDs the ACI host pulls and converts (tar2ext4 + dmverity-vhd).
 * Differs: real policies name real registry layers by their root hash; those images cannot be
 * built here. A stand-in is a real layer image (real files, real verity tree) with a plausible
 * tree — /etc/passwd and /etc/group that resolve the container's user, the argv[0] binary, the
 * working directory, and a marker naming the layer it stands for — registered as "the registry
 * image whose root hash is H". This is the one place in parma-sim where a root hash is declared
 * rather than computed: the guest reads H from a stand-in device while its hash tree is pristine;
 * every data or hash block it reads is still checked against the stand-in's own tree, so host
 * tampering is caught exactly as for a generated image, and a changed top hash block makes the
 * device report its real, different root hash. Generated images have no declaration.
 * Invariants: same inputs, same image bytes; every stand-in's real root hash is distinct (the
 * marker file differs), so a real root maps to at most one declared hash.
 */
import { assert } from '../../sim/kernel/assert.js';
import type { Hex } from '../../sim/kernel/bytes.js';
import { memo } from '../../sim/kernel/memo.js';
import {
  buildLayerImage, type LayerFileTree, type LayerNodeSpec,
} from '../guest/layer-image.js';
import type { ContainerGroup, GroupContainer } from './container-group.js';

/** A layer image the host can attach; `declaredRoot` is set for stand-ins only. */
export type HostImage = Readonly<{
  /** The device bytes (filesystem | verity superblock | tree). */
  image: Uint8Array;
  /** The root hash computed from the image's own tree. */
  realRoot: Hex;
  /** The registry root hash this image stands for, or null for a generated image. */
  declaredRoot: Hex | null;
}>;

/** The root hash a policy (and the guest, from a pristine device) knows the image by. */
export function identityRoot(image: Pick<HostImage, 'realRoot' | 'declaredRoot'>): Hex {
  return image.declaredRoot ?? image.realRoot;
}

const utf8 = new TextEncoder();

function file(text: string, mode = 0o644): LayerNodeSpec {
  return { kind: 'file', content: utf8.encode(text), mode };
}

/** Where the binary argv[0] names lives in the image (PATH lookup for bare names). */
export function binaryPath(argv0: string): string {
  if (argv0.startsWith('/')) return argv0;
  return `/usr/bin/${argv0}`;
}

function canonicalDir(path: string): string | null {
  if (!path.startsWith('/')) return null;
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.some((part) => part === '..')) return null;
  return parts.length === 0 ? '/' : `/${parts.join('/')}`;
}

/** /etc/passwd and /etc/group lines resolving root and every account of `containers`. */
function accountFiles(containers: readonly GroupContainer[]): LayerFileTree {
  const users = new Map<string, string>([['root', 'root:x:0:0:root:/root:/bin/sh']]);
  const groups = new Map<string, string>([['root', 'root:x:0:']]);
  for (const c of containers) {
    const { user, uid, group, gid } = c.account;
    if (!users.has(user)) users.set(user, `${user}:x:${uid}:${gid}::/home/${user}:/bin/sh`);
    if (!groups.has(group)) groups.set(group, `${group}:x:${gid}:`);
  }
  const lines = (m: Map<string, string>): string => `${[...m.values()].join('\n')}\n`;
  return { '/etc/passwd': file(lines(users)), '/etc/group': file(lines(groups)) };
}

/** The files a container needs from its top layer: the binary and the working directory. */
function topLayerFiles(c: GroupContainer): Record<string, LayerNodeSpec> {
  const tree: Record<string, LayerNodeSpec> = {};
  const dir = canonicalDir(c.workingDir);
  if (dir !== null && dir !== '/') tree[dir] = { kind: 'dir' };
  const argv = c.command ?? [];
  for (const command of [argv, ...c.execProbes]) {
    const argv0 = command[0];
    if (argv0 === undefined || argv0 === '') continue;
    const path = canonicalDir(binaryPath(argv0));
    if (path === null || path === '/' || tree[path]?.kind === 'dir') continue;
    tree[path] = file(`#!parma-sim stand-in for ${argv0}\n`, 0o755);
  }
  return tree;
}

/** The file tree of the stand-in for layer `hash` as `containers` use it. */
export function standInTree(hash: Hex, containers: readonly GroupContainer[]): LayerFileTree {
  const users = containers.filter((c) => c.layers[0] === hash);
  const tops = containers.filter((c) => c.layers[c.layers.length - 1] === hash);
  const tree: Record<string, LayerNodeSpec> = {
    '/.parma-sim/declared-root': file(`${hash}\n`),
  };
  if (users.length > 0) Object.assign(tree, accountFiles(users));
  for (const c of tops) {
    for (const [path, node] of Object.entries(topLayerFiles(c))) {
      if (tree[path] === undefined) tree[path] = node;
    }
  }
  assert(Object.hasOwn(tree, '/.parma-sim/declared-root'), 'every stand-in names its layer');
  return tree;
}

/** A generated image: the layer image of `tree`, known by its computed root hash. */
export function generatedImage(tree: LayerFileTree): HostImage {
  const built = buildLayerImage(tree);
  return Object.freeze({ image: built.image, realRoot: built.rootHash, declaredRoot: null });
}

/**
 * Stand-ins for the layers the group names (those in `only`, when given), in first-use order.
 * Memoised by the group's content (images are rebuilt only for a group not seen before).
 */
export function standInImages(group: ContainerGroup,
  only?: ReadonlySet<Hex>): readonly HostImage[] {
  const key = JSON.stringify([group.containers.map((c) => [c.layers, c.command, c.workingDir,
    c.execProbes, c.account]), only === undefined ? null : [...only]]);
  return memo('host/stand-in-images', key, () => {
    const hashes = [...new Set(group.containers.flatMap((c) => c.layers))]
      .filter((hash) => only === undefined || only.has(hash));
    const images = hashes.map((hash) => {
      const built = buildLayerImage(standInTree(hash, group.containers));
      return Object.freeze({ image: built.image, realRoot: built.rootHash, declaredRoot: hash });
    });
    const reals = new Set(images.map((image) => image.realRoot));
    assert(reals.size === images.length, 'stand-ins have distinct real root hashes');
    return Object.freeze(images);
  }, 32);
}
