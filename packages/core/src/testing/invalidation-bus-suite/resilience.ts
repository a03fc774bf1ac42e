import { content, deleteMessage, until, type SuiteContext } from './context.js'

/** Reconnects report a gap; junk on the transport never reaches handlers or stops delivery. */
export function resilienceTests(ctx: SuiteContext): void {
  const { runner, options, deliveryMs, test, testIf } = ctx
  const { expect } = runner
  const { reconnect, injectGarbage } = options

  runner.describe('gaps and malformed messages', () => {
    testIf(
      reconnect !== undefined,
      'options.reconnect not provided',
      'onGap() is called after the subscriber reconnects, and delivery resumes',
      async (world) => {
        const { bus, recorder } = await world.subscriber()
        const publisher = await world.bus()
        expect(recorder.gaps).toBe(0)
        await reconnect?.(bus)
        await until(() => recorder.gaps >= 1, deliveryMs, 'a gap after the reconnect')
        // Messages published while reconnecting may be lost (that is what the gap says): retry until one lands.
        const deadline = Date.now() + deliveryMs * 2
        for (let i = 0; recorder.messages.length === 0; i++) {
          if (Date.now() > deadline)
            throw new Error('invalidationBusSuite: delivery did not resume after the reconnect')
          await publisher.publish(deleteMessage('p', [`after:${i}`]))
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
        expect(recorder.gaps).toBeGreaterThanOrEqual(1)
      },
    )

    test('subscribe() handlers that throw do not stop delivery to other handlers or later messages', async (world) => {
      const bus = await world.bus()
      const { recorder } = await world.subscriber()
      const seen: string[] = []
      await bus.subscribe({
        onMessage: () => {
          throw new Error('handler failure')
        },
        onGap: () => undefined,
      })
      await bus.subscribe({ onMessage: (m) => void seen.push(m.source), onGap: () => undefined })
      const publisher = await world.bus()
      await publisher.publish(deleteMessage('one', ['k']))
      await publisher.publish(deleteMessage('two', ['k']))
      await until(() => seen.length >= 2 && recorder.messages.length >= 2, deliveryMs, 'delivery of 2 messages')
      expect(seen).toEqual(['one', 'two'])
    })

    testIf(
      injectGarbage !== undefined,
      'options.injectGarbage not provided',
      'malformed payloads never reach handlers or stop the subscriber; later messages still arrive',
      async (world) => {
        const { recorder } = await world.subscriber()
        await injectGarbage?.(world.scope)
        const publisher = await world.bus()
        const valid = deleteMessage('p', ['after-garbage'])
        await publisher.publish(valid)
        await until(() => recorder.messages.some((m) => m.source === 'p'), deliveryMs, 'delivery after the garbage')
        expect(recorder.messages.map(content)).toEqual([content(valid)])
      },
    )
  })
}
