import { Inject, Injectable } from '@nestjs/common'
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus'
import { PerfError, type Monitor } from '@perf/core'
import { PERF_MONITOR } from './tokens.js'

/** Options of {@link PerfHealthIndicator.isHealthy}. */
export interface PerfHealthCheckOptions {
  /** Lowest `monitor.health()` score reported as up (0–100). @default 50 (`critical` is down, `degraded` is up) */
  minScore?: number
}

/**
 * A `@nestjs/terminus` health indicator: `monitor.health()` as up or down, with the score, the
 * status and the reasons that lowered it. Provide it in a module that imports `TerminusModule`.
 *
 * @example
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.perf.isHealthy('database', { minScore: 60 })]) }
 */
@Injectable()
export class PerfHealthIndicator {
  readonly #indicators: HealthIndicatorService
  readonly #monitor: Monitor | undefined

  constructor(
    @Inject(HealthIndicatorService) indicators: HealthIndicatorService,
    @Inject(PERF_MONITOR) monitor: Monitor | undefined,
  ) {
    this.#indicators = indicators
    this.#monitor = monitor
  }

  /**
   * Checks the monitor's health under `key`.
   * @throws PerfError INVALID_OPTION when `minScore` is not a number from 0 to 100, or PerfModule has no monitor
   */
  isHealthy<const Key extends string = 'perf'>(
    key: Key = 'perf' as Key,
    options: PerfHealthCheckOptions = {},
  ): HealthIndicatorResult<Key> {
    const minScore = options.minScore ?? 50
    if (typeof minScore !== 'number' || !(minScore >= 0 && minScore <= 100))
      throw new PerfError('INVALID_OPTION', `[perf:nestjs] isHealthy() option "minScore" must be from 0 to 100`, {
        context: { option: 'minScore', value: minScore },
      })
    if (this.#monitor === undefined)
      throw new PerfError('INVALID_OPTION', '[perf:nestjs] PerfHealthIndicator needs PerfModule.forRoot({ monitor })', {
        context: { option: 'monitor' },
      })
    const { score, status, reasons } = this.#monitor.health()
    const indicator = this.#indicators.check(key)
    // "status" is terminus's own key (up or down): the monitor's status goes under "health".
    const details = { score, health: status, reasons }
    return score >= minScore ? indicator.up(details) : indicator.down(details)
  }
}
