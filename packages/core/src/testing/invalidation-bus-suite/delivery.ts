import type { BusMessage } from '../../cache/types.js'
import { content, deleteMessage, until, type SuiteContext } from './context.js'

/** What one instance publishes reaches the subscribers of the others, unchanged. */
export function deliveryTests(ctx: SuiteContext): void {
  const { runner, deliveryMs, test } = ctx
  const { expect } = runner

  runner.describe('delivery', () => {
    test("publish() delivers delete, tags and clear messages to another instance's subscriber with the same content", async (world) => {
      const { recorder } = await world.subscriber()
      const publisher = await world.bus()
      const sent: BusMessage[] = [
        { type: 'delete', namespace: 'app', keys: ['user:1', 'user:2'], at: Date.now(), source: 'instance-a' },
        { type: 'tags', namespace: 'app', tags: ['users', 'orders'], at: Date.now(), source: 'instance-a' },
        { type: 'clear', namespace: 'other', at: Date.now(), source: 'instance-a' },
      ]
      for (const message of sent) await publisher.publish(message)
      await until(() => recorder.messages.length >= sent.length, deliveryMs, 'delivery of 3 messages')
      expect(recorder.messages.map(content)).toEqual(sent.map(content))
    })

    test('publish() reaches every subscribed instance', async (world) => {
      const subscribers = await Promise.all([world.subscriber(), world.subscriber(), world.subscriber()])
      const publisher = await world.bus()
      const message = deleteMessage('instance-p', ['k'])
      await publisher.publish(message)
      await until(
        () => subscribers.every((s) => s.recorder.messages.length >= 1),
        deliveryMs,
        'delivery to 3 subscribers',
      )
      for (const { recorder } of subscribers) expect(recorder.messages.map(content)).toEqual([content(message)])
    })

    test('publish() keeps keys, tags, namespace and source intact: quotes, unicode, separators, empty strings, 1,000 keys', async (world) => {
      const { recorder } = await world.subscriber()
      const publisher = await world.bus()
      const odd = [
        '',
        'a"b',
        "it's",
        'back\\slash',
        'new\nline',
        'tab\t',
        'ünïcödé 🔑',
        'a:b|c,d',
        '[1,"d"]',
        '{"x":1}',
        ' spaced ',
      ]
      const sent: BusMessage[] = [
        { type: 'delete', namespace: 'ns:"q"|ü', keys: odd, at: Date.now(), source: 'src|"ü"' },
        { type: 'tags', namespace: 'ns', tags: odd, at: Date.now(), source: 's' },
        deleteMessage(
          's',
          Array.from({ length: 1_000 }, (_, i) => `key:${i}`),
        ),
      ]
      for (const message of sent) await publisher.publish(message)
      await until(() => recorder.messages.length >= sent.length, deliveryMs, 'delivery of 3 messages')
      expect(recorder.messages.map(content)).toEqual(sent.map(content))
    })

    test('publish() does not reach instances of another scope', async (world) => {
      const elsewhere = await world.subscriber(`${world.scope}:other`)
      const { recorder } = await world.subscriber()
      const publisher = await world.bus()
      await publisher.publish(deleteMessage('p', ['mine']))
      await until(() => recorder.messages.length >= 1, deliveryMs, 'delivery in the own scope')
      expect(elsewhere.recorder.messages).toEqual([])
    })
  })
}
