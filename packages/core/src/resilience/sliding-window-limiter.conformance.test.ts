import { describe, expect, it } from 'vitest'
import { rateLimiterSuite } from '../testing/rate-limiter-suite.js'
import { SlidingWindowLimiter } from './sliding-window-limiter.js'

rateLimiterSuite('SlidingWindowLimiter', (options) => new SlidingWindowLimiter(options), { describe, it, expect })
