/**
 * Models: AMD EPYC product identification for SEV-SNP (spec snp.md a.9, KDS doc 57230).
 * Real counterpart: CPUID(1).EAX family/model, the KDS {product} path segment and the VCEK
 * productName extension. Differs: only Milan, Genoa (also Bergamo/Siena) and Turin.
 * Invariants: every product has one TCB layout and one HWID length; CPUID ranges do not overlap.
 */
import { SimError } from '../../sim/kernel/errors.js';

export const PRODUCT_NAMES = ['Milan', 'Genoa', 'Turin'] as const;
export type Product = (typeof PRODUCT_NAMES)[number];

/**
 * Milan/Genoa: bl, tee, (4 reserved), snp, ucode. Turin and later: fmc, bl, tee, snp,
 * (3 reserved), ucode.
 */
export type TcbLayout = 'legacy' | 'turin';

export type ProductInfo = Readonly<{
  product: Product;
  /** CPUID combined family (0x19 Zen 3/4, 0x1A Zen 5). */
  family: number;
  /** Inclusive ranges of the combined model. */
  models: readonly (readonly [number, number])[];
  /** The CPUID(1).EAX signature of a stepping-1 part, as in the real reports. */
  defaultCpuid: Readonly<{ family: number; model: number; stepping: number }>;
  tcbLayout: TcbLayout;
  /** Bytes of CHIP_ID that KDS and the VCEK HWID extension use. */
  hwidBytes: 64 | 8;
  /** productName extension (1.3.6.1.4.1.3704.1.2) of a VCEK of this product. */
  vcekProductName: string;
  /** productName extension of a VLEK of this product. */
  vlekProductName: string;
  /** VCEK structVersion extension (1.3.6.1.4.1.3704.1.1). */
  vcekStructVersion: 0 | 1;
}>;

export const PRODUCTS: Readonly<Record<Product, ProductInfo>> = {
  Milan: {
    product: 'Milan', family: 0x19, models: [[0x00, 0x0f]],
    defaultCpuid: { family: 0x19, model: 0x01, stepping: 1 },
    tcbLayout: 'legacy', hwidBytes: 64, vcekProductName: 'Milan-B0', vlekProductName: 'Milan',
    vcekStructVersion: 0,
  },
  Genoa: {
    product: 'Genoa', family: 0x19, models: [[0x10, 0x1f], [0xa0, 0xaf]],
    defaultCpuid: { family: 0x19, model: 0x11, stepping: 1 },
    tcbLayout: 'legacy', hwidBytes: 64, vcekProductName: 'Genoa', vlekProductName: 'Genoa',
    vcekStructVersion: 0,
  },
  Turin: {
    product: 'Turin', family: 0x1a, models: [[0x00, 0x11]],
    defaultCpuid: { family: 0x1a, model: 0x02, stepping: 1 },
    tcbLayout: 'turin', hwidBytes: 8, vcekProductName: 'Turin', vlekProductName: 'Turin',
    vcekStructVersion: 1,
  },
};

/** The product of a CPUID family/model, or undefined when it is none we know. */
export function productFromCpuid(family: number, model: number): Product | undefined {
  for (const info of Object.values(PRODUCTS)) {
    if (info.family !== family) continue;
    if (info.models.some(([lo, hi]) => model >= lo && model <= hi)) return info.product;
  }
  return undefined;
}

/** Parses a product name case-insensitively (CLI flags, KDS paths). */
export function parseProduct(text: string): Product {
  const found = PRODUCT_NAMES.find((name) => name.toLowerCase() === text.toLowerCase());
  if (found === undefined) {
    throw new SimError('SNP_BAD_PRODUCT', { product: text },
      `unknown product '${text}' (known: ${PRODUCT_NAMES.join(', ')})`);
  }
  return found;
}
