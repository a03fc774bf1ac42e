import diagnosticsChannel from 'node:diagnostics_channel'
import { CHANNELS } from '@perf/core'
import type { LockEvent } from '@perf/core'

const channel = diagnosticsChannel.channel(CHANNELS.lock)

/** Whether anyone listens on `perf:lock` (check before building an event on a hot path). */
export function lockEventsObserved(): boolean {
  return channel.hasSubscribers
}

/** Publishes a lock event on `perf:lock`; costs one property read when nobody listens. */
export function emitLockEvent(event: LockEvent): void {
  if (channel.hasSubscribers) channel.publish(event)
}
