import { PerfError } from '@perf/core'
import type { BusMessage } from '@perf/core'

// Wire format v1, a compact JSON array: [1, kind, namespace, at, source, keys|tags?].
// Versioned so instances running different releases can tell (and skip) what they cannot read.
const VERSION = 1
const KIND_OF = { delete: 'd', tags: 't', clear: 'c' } as const

/** Encodes a bus message for PUBLISH. */
export function encodeMessage(message: BusMessage): string {
  const head = [VERSION, KIND_OF[message.type], message.namespace, message.at, message.source]
  if (message.type === 'delete') head.push(message.keys as unknown as string)
  else if (message.type === 'tags') head.push(message.tags as unknown as string)
  return JSON.stringify(head)
}

/** Decodes a message published by {@link encodeMessage}. @throws PerfError DECODE_FAILED */
export function decodeMessage(payload: string): BusMessage {
  let parsed: unknown
  try {
    parsed = JSON.parse(payload)
  } catch (err) {
    throw malformed(payload, err)
  }
  if (!Array.isArray(parsed) || parsed[0] !== VERSION) throw malformed(payload)
  const [, kind, namespace, at, source, items] = parsed as [number, unknown, unknown, unknown, unknown, unknown]
  if (typeof namespace !== 'string' || typeof at !== 'number' || typeof source !== 'string') throw malformed(payload)
  if (kind === 'c') return { type: 'clear', namespace, at, source }
  if (!Array.isArray(items) || !items.every((item) => typeof item === 'string')) throw malformed(payload)
  if (kind === 'd') return { type: 'delete', namespace, keys: items, at, source }
  if (kind === 't') return { type: 'tags', namespace, tags: items, at, source }
  throw malformed(payload)
}

function malformed(payload: string, cause?: unknown): PerfError {
  return new PerfError(
    'DECODE_FAILED',
    `[perf:redis] redisBus received a message it cannot read: ${payload.slice(0, 120)}`,
    { cause },
  )
}
