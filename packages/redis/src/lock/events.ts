import diagnosticsChannel from 'node:diagnostics_channel'
import { CHANNELS } from '@perf/core'
import type { LockEvent } from '@perf/core'

const channel = diagnosticsChannel.channel(CHANNELS.lock)

/** Publishes a lock event on `perf:lock`; costs one property read when nobody listens. */
export function emitLockEvent(event: LockEvent): void {
  if (channel.hasSubscribers) channel.publish(event)
}
