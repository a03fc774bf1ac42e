import { constants as buffer } from 'node:buffer'
import { deflateRawSync, inflateRawSync, constants as zlib } from 'node:zlib'
import { PerfError, isPerfError } from '../../errors.js'
import { assertInt } from '../../util/validate.js'
import { Cloner } from './codec-clone.js'
import { Decoder } from './codec-decode.js'
import { Encoder } from './codec-encode.js'
import { ClassRegistry } from './codec-registry.js'
import { describeError, type CodecClass } from './codec-shared.js'
import type { Codec } from '../types.js'

export type { CodecClass } from './codec-shared.js'

/** Options for {@link createCodec}. */
export interface CodecOptions {
  /** Classes to round-trip besides the built-in types (e.g. Prisma's Decimal). @default [] */
  classes?: readonly CodecClass[]
  /**
   * Deflate encoded values of at least this many bytes (kept only when it makes them smaller).
   * Off by default: compression costs CPU on every write and read, and most cached rows are small;
   * set e.g. `1024` for a network tier holding large values. Decoding always understands it.
   * @default undefined (never compress)
   */
  compressThreshold?: number
  /** Largest encoded value in bytes (after compression); larger ones throw VALUE_TOO_LARGE. @default undefined (no limit) */
  maxBytes?: number
  /**
   * Largest value body in bytes that `decode` accepts, measured after inflating: a compressed
   * entry that would inflate past it fails with DECODE_FAILED as soon as inflating reaches the
   * limit, so a small planted entry cannot make every read allocate and parse hundreds of MB.
   * `encode` refuses values whose body is larger (VALUE_TOO_LARGE), so whatever this codec
   * writes it can read back. Raise it if you really cache values this large.
   * @default 67108864 (64 MiB)
   */
  maxDecodedBytes?: number
}

/** Default {@link CodecOptions.maxDecodedBytes}: 64 MiB. */
const DEFAULT_MAX_DECODED_BYTES = 64 * 1024 * 1024

/** The default codec: {@link Codec} plus registering classes after creation (for adapters). */
export interface DefaultCodec extends Codec {
  /**
   * Adds a class to round-trip; returns the codec. Register before encoding data that holds it.
   * @throws PerfError INVALID_OPTION on a malformed entry or a duplicate name or class
   */
  register<T, J>(cls: CodecClass<T, J>): DefaultCodec
}

/** Wire version in the header's high nibble; decoding refuses others. */
const WIRE_VERSION = 1
/** Header flag: the body is raw deflate. */
const FLAG_DEFLATE = 0x01
const KNOWN_FLAGS = FLAG_DEFLATE

/**
 * Creates the default codec. Encoded bytes are a 1-byte header (wire version, flags) followed by
 * UTF-8 tagged JSON: JSON values as themselves; undefined, NaN/±Infinity/-0, Date (invalid ones
 * too), BigInt, Buffer, Uint8Array and the other typed arrays, ArrayBuffer, Map, Set and
 * registered classes as one-key objects whose key starts with `~`. Functions, symbols, cycles
 * and instances of unregistered classes are refused with the path to them. `clone` deep-copies
 * without going through bytes, under the same rules.
 *
 * `decode` treats its input as hostile (anything that can write to a shared tier can plant
 * bytes): it returns a value `clone` can copy or throws DECODE_FAILED, refusing nesting deeper
 * than `encode` accepts and bodies past `maxDecodedBytes` without parsing or inflating them fully.
 *
 * @throws PerfError INVALID_OPTION when an option is malformed
 * @example
 * const codec = createCodec({ compressThreshold: 1024 })
 * codec.decode(codec.encode({ at: new Date(), ids: new Set([1n]) }))
 */
export function createCodec(options: CodecOptions = {}): DefaultCodec {
  if (typeof options !== 'object' || options === null) {
    throw new PerfError('INVALID_OPTION', '[perf:codec] options must be an object', { context: { option: 'options' } })
  }
  const compressThreshold =
    options.compressThreshold === undefined ? Infinity : assertInt(options.compressThreshold, 'compressThreshold', 0)
  const maxBytes = options.maxBytes === undefined ? Infinity : assertInt(options.maxBytes, 'maxBytes', 1)
  // Capped at the longest string V8 can make: the body is decoded into one.
  const maxDecodedBytes =
    options.maxDecodedBytes === undefined
      ? DEFAULT_MAX_DECODED_BYTES
      : assertInt(options.maxDecodedBytes, 'maxDecodedBytes', 1, buffer.MAX_STRING_LENGTH)
  const registry = new ClassRegistry()
  if (options.classes !== undefined) {
    if (!Array.isArray(options.classes)) {
      throw new PerfError('INVALID_OPTION', '[perf:codec] option "classes" must be an array', {
        context: { option: 'classes' },
      })
    }
    for (const cls of options.classes) registry.register(cls)
  }
  const encoder = new Encoder(registry)
  const decoder = new Decoder(registry)
  const cloner = new Cloner(registry)

  const codec: DefaultCodec = {
    encode(value: unknown): Uint8Array {
      const bytes = frame(encoder.encode(value), compressThreshold, maxDecodedBytes)
      if (bytes.byteLength > maxBytes) {
        throw new PerfError(
          'VALUE_TOO_LARGE',
          `[perf:codec] encoded value is ${bytes.byteLength} bytes, more than maxBytes=${maxBytes}`,
          {
            context: { bytes: bytes.byteLength, maxBytes },
          },
        )
      }
      return bytes
    },
    decode(bytes: Uint8Array): unknown {
      try {
        return decoder.decode(unframe(bytes, maxDecodedBytes))
      } catch (error) {
        if (isPerfError(error, 'DECODE_FAILED')) throw error
        // Whatever the input (a revoked proxy, a typed array with throwing getters), callers see one code.
        throw new PerfError('DECODE_FAILED', `[perf:codec] cannot decode: ${describeError(error)}`, { cause: error })
      }
    },
    clone: (value: unknown): unknown => cloner.clone(value),
    register(cls) {
      registry.register(cls as CodecClass)
      return codec
    },
  }
  return codec
}

function frame(text: string, compressThreshold: number, maxDecodedBytes: number): Uint8Array {
  const length = Buffer.byteLength(text)
  if (length > maxDecodedBytes) {
    throw new PerfError(
      'VALUE_TOO_LARGE',
      `[perf:codec] encoded value is ${length} bytes before compression, more than maxDecodedBytes=${maxDecodedBytes} (decode() would refuse it)`,
      { context: { bytes: length, maxDecodedBytes } },
    )
  }
  if (length >= compressThreshold) {
    const deflated = deflateRawSync(text, { level: zlib.Z_BEST_SPEED })
    if (deflated.byteLength < length) {
      const out = Buffer.allocUnsafe(deflated.byteLength + 1)
      out[0] = (WIRE_VERSION << 4) | FLAG_DEFLATE
      deflated.copy(out, 1)
      return out
    }
  }
  const out = Buffer.allocUnsafe(length + 1)
  out[0] = WIRE_VERSION << 4
  out.write(text, 1, 'utf8')
  return out
}

function unframe(bytes: Uint8Array, maxDecodedBytes: number): string {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength < 2) {
    throw new PerfError('DECODE_FAILED', '[perf:codec] cannot decode: expected a Uint8Array of at least 2 bytes')
  }
  const header = bytes[0] as number
  const version = header >> 4
  const flags = header & 0x0f
  if (version !== WIRE_VERSION || (flags & ~KNOWN_FLAGS) !== 0) {
    throw new PerfError(
      'DECODE_FAILED',
      `[perf:codec] cannot decode: unknown wire version ${version} or flags 0x${flags.toString(16)} (expected version ${WIRE_VERSION})`,
      {
        context: { version, flags },
      },
    )
  }
  const compressed = (flags & FLAG_DEFLATE) !== 0
  if (!compressed && bytes.byteLength - 1 > maxDecodedBytes)
    throw tooLarge(`is ${bytes.byteLength - 1} bytes, more`, maxDecodedBytes)
  // A Buffer (what encode() and Redis replies give) decodes without a view allocated per call.
  if (!compressed && Buffer.isBuffer(bytes)) return bytes.toString('utf8', 1)
  const body = Buffer.from(bytes.buffer, bytes.byteOffset + 1, bytes.byteLength - 1)
  if (!compressed) return body.toString('utf8')
  let inflated: Buffer
  try {
    // maxOutputLength stops inflating at the limit instead of after allocating the whole output.
    inflated = inflateRawSync(body, { maxOutputLength: maxDecodedBytes })
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === 'ERR_BUFFER_TOO_LARGE')
      throw tooLarge('inflates to more', maxDecodedBytes, error)
    throw new PerfError('DECODE_FAILED', '[perf:codec] cannot decode: the compressed body is corrupt', { cause: error })
  }
  return inflated.toString('utf8')
}

function tooLarge(what: string, maxDecodedBytes: number, cause?: unknown): PerfError {
  return new PerfError(
    'DECODE_FAILED',
    `[perf:codec] cannot decode: the body ${what} than maxDecodedBytes=${maxDecodedBytes} bytes`,
    {
      cause,
      context: { maxDecodedBytes },
    },
  )
}
