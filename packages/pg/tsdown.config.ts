import { packageConfig } from '../../tsdown.base.ts'

// `cli` is the `perf-pg` bin (dist/cli.mjs); it is not part of the library's exports.
export default packageConfig({ index: 'src/index.ts', cli: 'src/cli/bin.ts' })
