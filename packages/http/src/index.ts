export * from './dashboard/index.js'
export * from './middleware/index.js'
