import diagnosticsChannel from 'node:diagnostics_channel'

/** The diagnostics_channel names @perf publishes on. */
export const CHANNELS = {
  query: 'perf:query',
  cache: 'perf:cache',
  pool: 'perf:pool',
  lock: 'perf:lock',
  batch: 'perf:batch',
  resilience: 'perf:resilience',
} as const

/** One of {@link CHANNELS}. */
export type ChannelName = (typeof CHANNELS)[keyof typeof CHANNELS]

/** Publishes `message` on a `perf:*` diagnostics channel; costs one property read when nobody subscribes. */
export function publish(name: ChannelName, message: unknown): void {
  const channel = diagnosticsChannel.channel(name)
  if (channel.hasSubscribers) channel.publish(message)
}
