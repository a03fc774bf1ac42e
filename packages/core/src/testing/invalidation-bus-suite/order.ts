import { content, deleteMessage, until, type SuiteContext } from './context.js'

/** One publisher's messages arrive in the order publish() was called. */
export function orderTests(ctx: SuiteContext): void {
  const { runner, deliveryMs, test } = ctx
  const { expect } = runner

  runner.describe('order', () => {
    test('messages from one publisher arrive in the order publish() was called, also when calls overlap', async (world) => {
      const { recorder } = await world.subscriber()
      const publisher = await world.bus()
      const sent = Array.from({ length: 100 }, (_, i) => deleteMessage('p', [`k:${i}`]))
      // Not awaited one by one: an invalidation is often published while the previous one is in flight.
      await Promise.all(sent.map((message) => publisher.publish(message)))
      await until(() => recorder.messages.length >= sent.length, deliveryMs, 'delivery of 100 messages')
      expect(recorder.messages.map(content)).toEqual(sent.map(content))
    })

    test('messages from two publishers each keep their own order at every subscriber', async (world) => {
      const receivers = await Promise.all([world.subscriber(), world.subscriber()])
      const [p1, p2] = await Promise.all([world.bus(), world.bus()])
      const from = (source: string) => Array.from({ length: 30 }, (_, i) => deleteMessage(source, [`k:${i}`]))
      const [one, two] = [from('p1'), from('p2')]
      await Promise.all([...one.map((m) => p1.publish(m)), ...two.map((m) => p2.publish(m))])
      await until(() => receivers.every((r) => r.recorder.messages.length >= 60), deliveryMs, 'delivery of 60 messages')
      for (const { recorder } of receivers) {
        for (const source of ['p1', 'p2']) {
          const keys = recorder.messages
            .filter((m) => m.source === source)
            .map((m) => (m.type === 'delete' ? m.keys[0] : ''))
          expect(keys).toEqual(Array.from({ length: 30 }, (_, i) => `k:${i}`))
        }
      }
    })
  })
}
