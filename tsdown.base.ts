import { defineConfig, type UserConfig } from 'tsdown'

/**
 * The build every published package shares: ESM + CJS (TypeORM, Sequelize and NestJS apps are
 * often CJS) with declarations and source maps, for Node 20. A package's tsdown.config.ts names
 * its entries and, rarely, overrides a field.
 *
 * @param entry output name (without extension) → source file, e.g. `{ index: 'src/index.ts' }`
 * @example
 * // packages/redis/tsdown.config.ts
 * export default packageConfig({ index: 'src/index.ts' })
 */
export function packageConfig(entry: Record<string, string>, overrides: UserConfig = {}): UserConfig {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    platform: 'node',
    target: 'node20',
    clean: true,
    sourcemap: true,
    ...overrides,
  })
}
