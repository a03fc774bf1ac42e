import { PerfError } from '@perf/core'
import type { StoreEntry } from '@perf/core'

// One entry is one Redis string, so a read is a plain GET/MGET (no Lua, one bulk reply):
//
//   0x01 createdAt '|' staleAt '|' expiresAt '|' tagsJson '\n' codecBytes
//
// 0x01 is the format version. Times are the engine's decimal strings (fractional milliseconds
// kept exactly); tagsJson is empty for an untagged entry. JSON never contains a raw newline, so
// the first '\n' ends the header whatever the tags are.

const VERSION = 1
const NEWLINE = 10

/** Builds the stored string of `entry` around its already-encoded value. */
export function encodeEntry(entry: StoreEntry, value: Uint8Array, tagsJson: string): Buffer {
  const header = `\u0001${entry.createdAt}|${entry.staleAt}|${entry.expiresAt}|${tagsJson}\n`
  const size = Buffer.byteLength(header)
  const out = Buffer.allocUnsafe(size + value.byteLength)
  out.write(header, 0, 'utf8')
  out.set(value, size)
  return out
}

/** An entry whose header is parsed; `body` is the codec's bytes (a view, not a copy). */
export interface DecodedHeader {
  createdAt: number
  staleAt: number
  expiresAt: number
  tags: string[] | undefined
  body: Buffer
}

/** Parses the header of a stored entry. @throws PerfError DECODE_FAILED when `raw` is not in this format. */
export function decodeHeader(raw: Buffer, key: string): DecodedHeader {
  const end = raw[0] === VERSION ? raw.indexOf(NEWLINE, 1) : -1
  if (end < 0) throw badEntry(key, raw[0] === VERSION ? 'no header end' : `format byte ${String(raw[0])}`)
  const text = raw.toString('latin1', 1, end)
  const a = text.indexOf('|')
  const b = text.indexOf('|', a + 1)
  const c = text.indexOf('|', b + 1)
  if (c < 0) throw badEntry(key, 'truncated header')
  const createdAt = Number(text.slice(0, a))
  const staleAt = Number(text.slice(a + 1, b))
  const expiresAt = Number(text.slice(b + 1, c))
  let tags: string[] | undefined
  if (c + 1 < text.length) {
    try {
      // Tags may hold any character: read them as UTF-8 from the bytes, not from the latin1 text.
      tags = JSON.parse(raw.toString('utf8', 1 + c + 1, end)) as string[]
    } catch (err) {
      throw badEntry(key, `tags: ${(err as Error).message}`)
    }
  }
  if (Number.isNaN(createdAt + staleAt + expiresAt)) throw badEntry(key, 'times')
  return { createdAt, staleAt, expiresAt, tags, body: raw.subarray(end + 1) }
}

function badEntry(key: string, detail: string): PerfError {
  return new PerfError('DECODE_FAILED', `[perf:redis] entry "${key}" is not a @perf entry (${detail}); was the key written by something else?`, {
    context: { key },
  })
}
