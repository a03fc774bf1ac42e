import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { cacheStoreSuite } from '../../testing/cache-store-suite.js'
import { MemoryStore } from './memory-store.js'

const runner = { describe, it, expect, beforeEach, afterEach }

cacheStoreSuite('MemoryStore', () => new MemoryStore(), runner, {
  boundedFactory: (maxBytes) => new MemoryStore({ maxBytes }),
})

// The STYLE.md call form: runner first, no name.
cacheStoreSuite(runner, () => new MemoryStore({ maxEntries: 1000 }))
