/**
 * Models: nothing real. The dm-verity face of the public API, re-exported in full by sim/index.ts.
 * `parma-sim dmverity` imports this instead of sim/index.ts: it is a drop-in for `veritysetup
 * format`, and loading sim/index.ts would load every model (spec perf-notes.md "Startup").
 */

/** dm-verity trees as veritysetup builds them, and the table the guest reads from a device. */
export {
  VERITY_MAX_SALT_BYTES, VERITY_SUPERBLOCK_ALIGN_BYTES, formatUuid, formatVerity,
  isVerityBlockSize, parseUuid, verityHashAlgorithm, verityHashDeviceBytes, verityTableFromDevice,
  type VerityFormatResult, type VerityParams,
} from '../../models/guest/dm-verity.js';
/** The ext4 superblock head: whether a device holds ext4 and how many bytes its filesystem has. */
export { ext4FilesystemBytes, hasExt4Superblock } from '../../models/guest/ext4-superblock.js';
/** parma-sim's layer images: the header block. */
export {
  LAYER_BLOCK_BYTES, decodeLayerHeader, hasLayerMagic,
} from '../../models/guest/layer-image.js';
