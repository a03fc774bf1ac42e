import { createCodec, type CodecClass, type CodecOptions, type DefaultCodec } from '@perf/core'
import { Decimal } from '@prisma/client/runtime/client'

/**
 * Teaches a codec Prisma's `Decimal`, so cached `Decimal` fields come back as `Decimal` (same
 * value, same class) rather than failing to encode. Encoded as its exact string form.
 */
export const decimalCodecClass: CodecClass<Decimal, string> = {
  name: 'Prisma.Decimal',
  type: Decimal,
  encode: (value) => value.toString(),
  decode: (text) => new Decimal(text),
  // Decimals are immutable: isolation needs no copy.
  clone: (value) => value,
}

/**
 * The default codec plus Prisma's classes (`Decimal`), for values you store yourself
 * (`cache.set(key, { total: new Prisma.Decimal('1.5') })`). `perf()` does not need it: its reads
 * store Decimal fields as exact strings with any codec. Date, BigInt, `Uint8Array` (Bytes) and
 * JSON values are built into every codec.
 *
 * @param options codec options (`compressThreshold`, `maxBytes`, extra `classes`)
 * @example
 * const cache = createCache({ codec: prismaCodec(), tiers: [new MemoryStore(), redisStore(redis)] })
 */
export function prismaCodec(options: CodecOptions = {}): DefaultCodec {
  return createCodec({ ...options, classes: [decimalCodecClass, ...(options.classes ?? [])] })
}
