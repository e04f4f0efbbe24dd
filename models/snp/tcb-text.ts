/**
 * Models: the text forms people write a TCB_VERSION in (spec snp.md a.7): components
 * "bl=3,tee=0,snp=8,ucode=115" (plus fmc= on Turin), the raw u64 "0x7308000000000003", or the
 * Azure tcbm "7308000000000003" (16 hex digits, most significant byte first).
 * Real counterpart: snpguest / Azure THIM notation. Differs: components left out keep the value
 * of `base` (so "snp=9" means "like base, but SNP SPL 9").
 * Invariants: the result encodes in the given layout (reserved bytes zero); bad text is SimError.
 */
import { assert } from '../../sim/kernel/assert.js';
import { SimError } from '../../sim/kernel/errors.js';
import type { TcbLayout } from './product.js';
import { componentsOf, decodeTcb, encodeTcb, type TcbParts } from './tcb-version.js';

export function parseTcbText(text: string, layout: TcbLayout, base: bigint = 0n): bigint {
  const trimmed = text.trim();
  if (/^0x[0-9a-f]{1,16}$/i.test(trimmed) || /^[0-9a-f]{16}$/i.test(trimmed)) {
    const raw = BigInt(
      trimmed.startsWith('0x') || trimmed.startsWith('0X') ? trimmed : `0x${trimmed}`);
    decodeTcb(raw, layout, { strict: true }); // reserved bytes of this layout must be zero
    return raw;
  }
  const allowed = componentsOf(layout);
  const parts: Record<keyof TcbParts, number> = { ...decodeTcb(base, layout) };
  const seen = new Set<string>();
  for (const item of trimmed.split(',')) {
    const match = /^\s*([a-z]+)\s*=\s*(0x[0-9a-f]+|\d+)\s*$/i.exec(item);
    const name = match?.[1]?.toLowerCase() as keyof TcbParts | undefined;
    if (match === null || name === undefined || !allowed.includes(name) || seen.has(name)) {
      throw new SimError('SIM_USAGE', { what: 'tcb', text: text.slice(0, 80) },
        `TCB '${text.slice(0, 80)}': expected ${allowed.map((c) => `${c}=N`).join(',')}` +
        ' or a 0x-prefixed u64');
    }
    seen.add(name);
    parts[name] = Number(match[2]);
  }
  const raw = encodeTcb(parts, layout);
  assert(seen.size > 0);
  return raw;
}
