/** The subset of a test runner (vitest, jest, node:test with an expect library) the suites use. */
export interface TestRunner {
  describe: (name: string, fn: () => void) => void
  it: ((name: string, fn: () => unknown, timeout?: number) => void) & {
    skip?: (name: string, fn: () => unknown) => void
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  expect: (value: unknown) => any
  beforeEach?: (fn: () => unknown) => void
  afterEach?: (fn: () => unknown) => void
}

/** Registers `name` as skipped with the reason visible in the runner output. */
export function skipWithReason(runner: TestRunner, name: string, reason: string): void {
  const title = `${name} (skipped: ${reason})`
  if (runner.it.skip) runner.it.skip(title, () => undefined)
  else runner.it(title, () => undefined)
}
