import { expect } from 'vitest'
import type { TestRunner } from '../runner.js'

/** One test a suite registered. */
export interface Collected {
  /** The test's title after the names of its groups: `suite > group > title`. */
  name: string
  /** The test's own title. */
  title: string
  fn: () => unknown
  skipped: boolean
}

/** What a {@link recordingRunner} recorded. */
export interface Recording {
  runner: TestRunner
  /** Every test registered, in order, skipped ones included. */
  all: Collected[]
  /** The tests registered to run. */
  tests: Collected[]
  /** Titles of the tests registered as skipped. */
  skipped: string[]
  /** Names of the groups, in the order they were opened. */
  groups: string[]
}

/**
 * A runner that records what a suite registers instead of running it, so a suite's own tests can
 * inspect it and run it against broken implementations. Without `withSkip` the runner has no
 * `it.skip`, and skipped tests are registered as ordinary ones.
 */
export function recordingRunner(withSkip = true): Recording {
  const path: string[] = []
  const recording: Omit<Recording, 'runner'> = { all: [], tests: [], skipped: [], groups: [] }
  const add = (skipped: boolean) => (title: string, fn: () => unknown) => {
    const test = { name: [...path, title].join(' > '), title, fn, skipped }
    recording.all.push(test)
    if (skipped) recording.skipped.push(title)
    else recording.tests.push(test)
  }
  const runner: TestRunner = {
    describe: (name, fn) => {
      recording.groups.push(name)
      path.push(name)
      fn()
      path.pop()
    },
    it: withSkip ? Object.assign(add(false), { skip: add(true) }) : add(false),
    expect,
  }
  return { runner, ...recording }
}

/** Every test `register` registers on a {@link recordingRunner}, in order. */
export function collect(register: (runner: TestRunner) => void, withSkip = true): Collected[] {
  const recording = recordingRunner(withSkip)
  register(recording.runner)
  return recording.all
}
