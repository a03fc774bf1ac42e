import { deleteMessage, record, until, type SuiteContext } from './context.js'

/** Unsubscribing and closing stop delivery; close() is idempotent. */
export function subscriptionTests(ctx: SuiteContext): void {
  const { runner, deliveryMs, capabilities, test, testIf } = ctx
  const { expect } = runner

  runner.describe('unsubscribe and close', () => {
    test('the function subscribe() returns stops delivery to those handlers; other handlers keep receiving', async (world) => {
      const bus = await world.bus()
      const [gone, kept] = [record(), record()]
      const unsubscribe = await bus.subscribe(gone.handlers)
      await bus.subscribe(kept.handlers)
      const publisher = await world.bus()
      await publisher.publish(deleteMessage('p', ['first']))
      await until(
        () => gone.messages.length >= 1 && kept.messages.length >= 1,
        deliveryMs,
        'delivery of the first message',
      )
      await unsubscribe()
      await unsubscribe() // idempotent
      await publisher.publish(deleteMessage('p', ['second']))
      await until(() => kept.messages.length >= 2, deliveryMs, 'delivery of the second message')
      expect(gone.messages).toHaveLength(1)
    })

    test('subscribe() after the last handlers unsubscribed delivers again', async (world) => {
      const marker = await world.subscriber()
      const { bus, recorder, unsubscribe } = await world.subscriber()
      const publisher = await world.bus()
      await unsubscribe()
      await publisher.publish(deleteMessage('p', ['while-away']))
      await until(() => marker.recorder.messages.length >= 1, deliveryMs, 'delivery to the marker')
      const again = record()
      await bus.subscribe(again.handlers)
      await publisher.publish(deleteMessage('p', ['back']))
      await until(() => again.messages.length >= 1, deliveryMs, 'delivery after subscribing again')
      expect(recorder.messages).toEqual([])
      expect(again.messages.map((m) => (m.type === 'delete' ? m.keys : []))).toEqual([['back']])
    })

    test('close() stops delivery, resolves when called twice and leaves other instances working', async (world) => {
      const marker = await world.subscriber()
      const { bus, recorder } = await world.subscriber()
      const publisher = await world.bus()
      await bus.close?.()
      await bus.close?.()
      await publisher.publish(deleteMessage('p', ['after-close']))
      await until(() => marker.recorder.messages.length >= 1, deliveryMs, 'delivery to the marker')
      expect(recorder.messages).toEqual([])
    })

    testIf(
      capabilities.connectionState,
      'capabilities.connectionState is false',
      'isConnected is true once subscribe() resolved and false after close()',
      async (world) => {
        const { bus } = await world.subscriber()
        expect(bus.isConnected).toBe(true)
        await bus.close?.()
        expect(bus.isConnected).toBe(false)
      },
    )
  })
}
