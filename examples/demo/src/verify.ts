import { isDeepStrictEqual } from 'node:util'
import type { SeedSizes } from './seed.js'
import { nextRequest, random, type ShopApp } from './workload.js'

/** The verdict of comparing plain and wrapped results. */
export interface Verification {
  samples: number
  identical: number
  /** Wrapped reads that were served from the cache during the comparison. */
  cachedReads: number
  /** First mismatching request, for the report. */
  firstMismatch?: string
}

/**
 * Replays `samples` requests through the plain and the wrapped client (the wrapped one twice,
 * so the second answer comes from the cache) with writes stopped, and compares the results with
 * `util.isDeepStrictEqual`: same values and same prototypes (Decimal, Date, BigInt, Uint8Array).
 */
export async function verify(
  plain: ShopApp,
  wrapped: ShopApp,
  cacheHits: () => number,
  sizes: SeedSizes,
  samples: number,
): Promise<Verification> {
  const rnd = random(4242)
  let identical = 0
  let firstMismatch: string | undefined
  const hitsBefore = cacheHits()
  for (let i = 0; i < samples; i++) {
    const request = nextRequest(rnd, sizes)
    const expected = await plain.serve(request)
    const first = await wrapped.serve(request)
    const second = await wrapped.serve(request)
    if (isDeepStrictEqual(expected, first) && isDeepStrictEqual(expected, second)) identical++
    else firstMismatch ??= JSON.stringify(request)
  }
  return { samples, identical, cachedReads: cacheHits() - hitsBefore, firstMismatch }
}
