import { packageConfig } from '../../tsdown.base.ts'

export default packageConfig({ index: 'src/index.ts' })
