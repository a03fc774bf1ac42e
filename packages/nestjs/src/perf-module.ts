import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown, type Provider } from '@nestjs/common'
import { APP_INTERCEPTOR } from '@nestjs/core'
import { checkOptions, type PerfModuleAsyncOptions, type PerfModuleOptions } from './options.js'
import { PerfScopeInterceptor } from './scope-interceptor.js'
import { PERF_CACHE, PERF_MONITOR, PERF_OPTIONS } from './tokens.js'

const EXPORTS = [PERF_CACHE, PERF_MONITOR, PERF_OPTIONS]

/** The providers every variant shares: the tokens read from PERF_OPTIONS, and the global interceptor. */
function providers(options: Provider): Provider[] {
  return [
    options,
    { provide: PERF_CACHE, useFactory: (o: PerfModuleOptions) => o.cache, inject: [PERF_OPTIONS] },
    { provide: PERF_MONITOR, useFactory: (o: PerfModuleOptions) => o.monitor, inject: [PERF_OPTIONS] },
    { provide: APP_INTERCEPTOR, useClass: PerfScopeInterceptor },
  ]
}

/**
 * The @perf module for NestJS: provides your cache and monitor (`@InjectCache()`,
 * `@InjectMonitor()`) and runs every request in a monitor scope through a global
 * `PerfScopeInterceptor`, with an optional `Server-Timing` header.
 *
 * @example
 * @Module({ imports: [PerfModule.forRoot({ cache, monitor, serverTiming: true })] })
 * export class AppModule {}
 */
@Global()
@Module({})
export class PerfModule implements OnApplicationShutdown {
  readonly #options: PerfModuleOptions

  constructor(@Inject(PERF_OPTIONS) options: PerfModuleOptions) {
    this.#options = options
  }

  /** @throws PerfError INVALID_OPTION naming a bad option */
  static forRoot(options: PerfModuleOptions = {}): DynamicModule {
    const checked = checkOptions(options)
    return {
      module: PerfModule,
      global: checked.isGlobal !== false,
      providers: providers({ provide: PERF_OPTIONS, useValue: checked }),
      exports: EXPORTS,
    }
  }

  /**
   * Options from a factory (config, secrets, a cache built from injected clients).
   * @example
   * PerfModule.forRootAsync({ inject: [ConfigService], useFactory: (config) => ({ cache: createCache(...), monitor }) })
   */
  static forRootAsync(options: PerfModuleAsyncOptions): DynamicModule {
    const { useFactory, inject = [], imports = [], isGlobal } = options
    return {
      module: PerfModule,
      global: isGlobal !== false,
      imports,
      providers: providers({
        provide: PERF_OPTIONS,
        useFactory: async (...args: never[]) => checkOptions(await useFactory(...args)),
        inject,
      }),
      exports: EXPORTS,
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const o = this.#options
    if (o.closeOnShutdown !== true) return
    await o.cache?.close()
    o.monitor?.close()
  }
}
