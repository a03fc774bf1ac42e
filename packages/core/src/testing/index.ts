/**
 * Conformance suites every implementation of a core interface runs. Each takes the test
 * runner's functions, so core never imports a test framework.
 */
export type { TestRunner } from './runner.js'
