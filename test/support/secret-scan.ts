/**
 * Goal: one honest scan for confidentiality tests: does any secret's byte string occur anywhere
 *   in what the host can see?
 * Method: a plain substring search (Buffer.indexOf) of each secret in each host-visible blob;
 *   secrets shorter than 8 bytes are refused (they would match by chance). The scan reports every
 *   hit with the secret's name and the blob's label, so a failure says where the leak is.
 */
export type NamedBytes = Readonly<{ name: string; bytes: Uint8Array }>;
export type SecretHit = Readonly<{ secret: string; blob: string; offset: number }>;

export function scanForSecrets(blobs: readonly NamedBytes[], secrets: readonly NamedBytes[]):
  SecretHit[] {
  const hits: SecretHit[] = [];
  for (const secret of secrets) {
    if (secret.bytes.length < 8) throw new Error(`secret ${secret.name} is too short to scan for`);
    const needle = Buffer.from(secret.bytes);
    for (const blob of blobs) {
      const offset = Buffer.from(blob.bytes.buffer, blob.bytes.byteOffset, blob.bytes.length)
        .indexOf(needle);
      if (offset >= 0) hits.push({ secret: secret.name, blob: blob.name, offset });
    }
  }
  return hits;
}
