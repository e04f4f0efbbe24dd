/**
 * Goal: the small, fixed set of layer images the property suites build policies from, so that
 * every generated policy names real root hashes (computed from real dm-verity trees) and the
 * images are built once per process however many policies are drawn.
 * Method: named file trees (ImageTreeSpec: hex contents) — two base layers with the same
 * accounts (root 0, app 1000, svc 2000) and distinct content, four application layers, the
 * confcom pause image, a sidecar layer only fragments name, and a rogue layer no policy names.
 * Root hashes come from models/host/images.ts (generatedImage), memoised by tree content.
 */
import { assert } from '../sim/kernel/assert.js';
import type { Hex } from '../sim/kernel/bytes.js';
import { canonicalJson } from '../sim/kernel/canonical-json.js';
import { memo } from '../sim/kernel/memo.js';
import type { ImageTreeSpec } from '../models/host/adversary.js';
import { pauseLayerTree } from '../models/host/confcom.js';
import { generatedImage } from '../models/host/images.js';
import type { LayerFileTree } from '../models/guest/layer-image.js';
import { hexBytes } from '../sim/kernel/bytes.js';
import { imageTreeSpecOf } from '../sim/world.js';

const hex = (text: string): Hex => Buffer.from(text, 'utf8').toString('hex');
const file = (text: string, mode = 0o644) => ({ kind: 'file' as const, content: hex(text), mode });
const dir = { kind: 'dir' as const, mode: 0o755 };

/** The accounts every base layer defines (name → uid = gid). */
export const ACCOUNTS = Object.freeze({ root: 0, app: 1000, svc: 2000 });

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n'
  + 'svc:x:2000:2000:svc:/srv:/bin/false\n';
const GROUP = 'root:x:0:\napp:x:1000:\nsvc:x:2000:app\n';

export type LayerName = 'pause' | 'base-a' | 'base-b' | 'server' | 'worker' | 'tools' | 'config'
  | 'sidecar' | 'rogue';

export const LAYER_TREES: Readonly<Record<LayerName, ImageTreeSpec>> = Object.freeze({
  'pause': imageTreeSpecOf(pauseLayerTree()),
  'base-a': { '/etc/passwd': file(PASSWD), '/etc/group': file(GROUP),
    '/bin/sh': file('#!base-a sh\n', 0o755), '/etc/os-release': file('ID=parma-a\n') },
  'base-b': { '/etc/passwd': file(PASSWD), '/etc/group': file(GROUP),
    '/bin/sh': file('#!base-b sh\n', 0o755), '/etc/os-release': file('ID=parma-b\n') },
  'server': { '/usr/bin/server': file('#!server\n', 0o755), '/srv': dir },
  'worker': { '/usr/bin/worker': file('#!worker\n', 0o755), '/app': dir },
  'tools': { '/usr/bin/tool': file('#!tool\n', 0o755), '/bin/ps': file('#!ps\n', 0o755) },
  'config': { '/etc/app.conf': file('mode=prod\n') },
  'sidecar': { '/etc/passwd': file(PASSWD), '/etc/group': file(GROUP),
    '/sidecar': file('#!sidecar\n', 0o755) },
  'rogue': { '/etc/passwd': file('root:x:0:0:root:/root:/bin/sh\n'),
    '/etc/group': file('root:x:0:\n'), '/usr/bin/server': file('#!evil\n', 0o755) },
});

export const BASE_LAYERS: readonly LayerName[] = ['base-a', 'base-b'];
export const APP_LAYERS: readonly LayerName[] = ['server', 'worker', 'tools', 'config'];

/** The binary each application layer brings (argv[0] of a container whose top layer it is). */
export const LAYER_BINARY: Readonly<Partial<Record<LayerName, string>>> = {
  server: '/usr/bin/server', worker: '/usr/bin/worker', tools: '/usr/bin/tool',
};

function treeOf(spec: ImageTreeSpec): LayerFileTree {
  const tree: Record<string, LayerFileTree[string]> = {};
  for (const [path, node] of Object.entries(spec)) {
    tree[path] = node.kind === 'file'
      ? { kind: 'file', content: hexBytes(node.content), ...(node.mode === undefined ? {}
        : { mode: node.mode }) }
      : { kind: 'dir', ...(node.mode === undefined ? {} : { mode: node.mode }) };
  }
  return tree;
}

/** The dm-verity root hash of a catalog layer (built once per process). */
export function layerRoot(name: LayerName): Hex {
  const spec = LAYER_TREES[name];
  const root = memo('properties/catalog-root', canonicalJson(spec),
    () => generatedImage(treeOf(spec)).realRoot, 64);
  assert(/^[0-9a-f]{64}$/.test(root), 'a root hash');
  return root;
}

/** The catalog layer with root hash `root`, if any. */
export function layerNamed(root: Hex): LayerName | undefined {
  return (Object.keys(LAYER_TREES) as LayerName[]).find((name) => layerRoot(name) === root);
}
