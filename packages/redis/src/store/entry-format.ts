import { PerfError } from '@perf/core'
import type { StoreEntry } from '@perf/core'

// One entry is one Redis string, so a read is a plain GET/MGET (no Lua, one bulk reply):
//
//   0x02 version '|' createdAt '|' staleAt '|' expiresAt '|' tagsJson '\n' codecBytes
//
// 0x02 is the format version (0x01, the format before versions, reads as a miss and is replaced
// by the next write). `version` is the store's stamp the entry was loaded at (scripts.ts), written
// by the set script; the rest of the header comes from the client. Times are the writer's
// milliseconds (TTLs only, never ordering); tagsJson is empty for an untagged entry. JSON never
// contains a raw newline, so the first '\n' ends the header whatever the tags are.

const FORMAT = 2
const NEWLINE = 10
/** Most tags one entry may carry when read back (a planted header cannot make a read do unbounded work). */
const MAX_TAGS = 10_000

/** The client's part of the header (after the version the script puts in front) and the body. */
export function headerRest(entry: StoreEntry, tagsJson: string): string {
  return `${entry.createdAt}|${entry.staleAt}|${entry.expiresAt}|${tagsJson}\n`
}

/** An entry whose header is parsed; `body` is the codec's bytes (a view, not a copy). */
export interface DecodedHeader {
  version: number
  versionText: string
  createdAt: number
  staleAt: number
  expiresAt: number
  tags: string[] | undefined
  body: Buffer
}

/**
 * Parses the header of a stored entry. Returns undefined for an entry of the earlier format.
 * Every field is checked, so any bytes at the key give a typed error, never a crash.
 * @throws PerfError DECODE_FAILED when `raw` is not in this format.
 */
export function decodeHeader(raw: Buffer, key: string): DecodedHeader | undefined {
  if (raw[0] === 1 && raw.indexOf(NEWLINE, 1) > 0) return undefined
  const end = raw[0] === FORMAT ? raw.indexOf(NEWLINE, 1) : -1
  if (end < 0) throw badEntry(key, raw[0] === FORMAT ? 'no header end' : `format byte ${String(raw[0])}`)
  const text = raw.toString('latin1', 1, end)
  const a = text.indexOf('|')
  const b = text.indexOf('|', a + 1)
  const c = text.indexOf('|', b + 1)
  const d = text.indexOf('|', c + 1)
  if (a < 0 || b < 0 || c < 0 || d < 0) throw badEntry(key, 'truncated header')
  const versionText = text.slice(0, a)
  const version = Number(versionText)
  const createdAt = Number(text.slice(a + 1, b))
  const staleAt = Number(text.slice(b + 1, c))
  const expiresAt = Number(text.slice(c + 1, d))
  if (
    !/^\d{1,16}$/.test(versionText) ||
    !Number.isFinite(createdAt) ||
    !Number.isFinite(staleAt) ||
    !Number.isFinite(expiresAt)
  ) {
    throw badEntry(key, 'times')
  }
  let tags: string[] | undefined
  if (d + 1 < text.length) tags = parseTags(raw.toString('utf8', 1 + d + 1, end), key)
  return { version, versionText, createdAt, staleAt, expiresAt, tags, body: raw.subarray(end + 1) }
}

function parseTags(json: string, key: string): string[] {
  let tags: unknown
  try {
    // Tags may hold any character: read them as UTF-8 from the bytes, not from the latin1 text.
    tags = JSON.parse(json)
  } catch (err) {
    throw badEntry(key, `tags: ${(err as Error).message}`)
  }
  if (!Array.isArray(tags) || tags.length > MAX_TAGS || !tags.every((tag) => typeof tag === 'string'))
    throw badEntry(key, 'tags are not a list of strings')
  return tags as string[]
}

function badEntry(key: string, detail: string): PerfError {
  return new PerfError(
    'DECODE_FAILED',
    `[perf:redis] entry "${key}" is not a @perf entry (${detail}); was the key written by something else?`,
    {
      context: { key },
    },
  )
}
