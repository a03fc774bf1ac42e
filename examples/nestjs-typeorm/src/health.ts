import { Controller, Get, Inject } from '@nestjs/common'
import { HealthCheck, HealthCheckService } from '@nestjs/terminus'
import { PerfHealthIndicator } from '@perf/nestjs/terminus'

@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(PerfHealthIndicator) private readonly perf: PerfHealthIndicator,
  ) {}

  /** 200 while the monitor's score is at least 50, else 503 (for a load balancer). */
  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.perf.isHealthy('database')])
  }
}
