/**
 * Models: the head of the ext4 superblock (Linux fs/ext4/ext4.h `struct ext4_super_block`, at byte
 * 1024 of the device) as far as hcsshim's guest reads it to find a layer's dm-verity superblock
 * (internal/guest verity fileSystemSize: block size × s_blocks_count_lo).
 * Real counterpart: tar2ext4's ext4 images, which `dmverity-vhd` appends the verity area to.
 * Differs: only the fields up to s_magic are decoded; like hcsshim, s_blocks_count_hi is ignored.
 * Invariants: s_magic = 0xEF53; block size = 1024 << s_log_block_size.
 */
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';
import { decodeLayout, defineLayout } from '../../sim/kernel/layout.js';

export const EXT4_SUPERBLOCK_OFFSET_BYTES = 1024;
export const EXT4_SUPER_MAGIC = 0xef53;

export const EXT4_SUPERBLOCK_HEAD = defineLayout({
  name: 'EXT4_SUPERBLOCK_HEAD', sizeBytes: 0x3a,
  errors: { badLength: 'GUEST_VERITY_BAD_SUPERBLOCK', mbzNonzero: 'GUEST_VERITY_BAD_SUPERBLOCK' },
}, [
  { name: 's_inodes_count',         offsetBytes: 0x00, sizeBytes: 4, kind: 'u32le' },
  { name: 's_blocks_count_lo',      offsetBytes: 0x04, sizeBytes: 4, kind: 'u32le' },
  { name: 's_r_blocks_count_lo',    offsetBytes: 0x08, sizeBytes: 4, kind: 'u32le' },
  { name: 's_free_blocks_count_lo', offsetBytes: 0x0c, sizeBytes: 4, kind: 'u32le' },
  { name: 's_free_inodes_count',    offsetBytes: 0x10, sizeBytes: 4, kind: 'u32le' },
  { name: 's_first_data_block',     offsetBytes: 0x14, sizeBytes: 4, kind: 'u32le' },
  { name: 's_log_block_size',       offsetBytes: 0x18, sizeBytes: 4, kind: 'u32le' },
  { name: 's_log_cluster_size',     offsetBytes: 0x1c, sizeBytes: 4, kind: 'u32le' },
  { name: 's_blocks_per_group',     offsetBytes: 0x20, sizeBytes: 4, kind: 'u32le' },
  { name: 's_clusters_per_group',   offsetBytes: 0x24, sizeBytes: 4, kind: 'u32le' },
  { name: 's_inodes_per_group',     offsetBytes: 0x28, sizeBytes: 4, kind: 'u32le' },
  { name: 's_mtime',                offsetBytes: 0x2c, sizeBytes: 4, kind: 'u32le' },
  { name: 's_wtime',                offsetBytes: 0x30, sizeBytes: 4, kind: 'u32le' },
  { name: 's_mnt_count',            offsetBytes: 0x34, sizeBytes: 2, kind: 'u16le' },
  { name: 's_max_mnt_count',        offsetBytes: 0x36, sizeBytes: 2, kind: 'u16le' },
  { name: 's_magic',                offsetBytes: 0x38, sizeBytes: 2, kind: 'u16le' },
] as const);

/** True when the device carries the ext4 magic where the superblock belongs. */
export function hasExt4Superblock(device: Uint8Array): boolean {
  const at = EXT4_SUPERBLOCK_OFFSET_BYTES + EXT4_SUPERBLOCK_HEAD.sizeBytes;
  return device.length >= at && device[at - 2] === 0x53 && device[at - 1] === 0xef;
}

/** The filesystem's size in bytes as hcsshim computes it: where the verity superblock sits. */
export function ext4FilesystemBytes(device: Uint8Array): number {
  const start = EXT4_SUPERBLOCK_OFFSET_BYTES;
  const { value } = decodeLayout(EXT4_SUPERBLOCK_HEAD,
    device.subarray(start, start + EXT4_SUPERBLOCK_HEAD.sizeBytes));
  if (value.s_magic !== EXT4_SUPER_MAGIC) {
    throw new SimError('GUEST_VERITY_BAD_SUPERBLOCK', { what: 'no ext4 magic' },
      'ext4 superblock: no 0xEF53 magic at byte 1080');
  }
  if (value.s_log_block_size > 6) {   // 64 KiB, the largest ext4 block
    throw new SimError('GUEST_VERITY_BAD_SUPERBLOCK',
      { what: 'ext4 block size', logBlockSize: value.s_log_block_size },
      'ext4 superblock: block size over 64 KiB');
  }
  const bytes = (1024 * 2 ** value.s_log_block_size) * value.s_blocks_count_lo;
  assert(Number.isSafeInteger(bytes), 'a u32 block count times 64 KiB is exact');
  return bytes;
}
