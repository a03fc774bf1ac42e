/** A pending acquire as the wait-for graph sees it. */
export interface Waiter {
  /** The owner this acquire belongs to (a node of the graph). */
  readonly owner: string
  /** Acquire order: larger is younger. */
  readonly seq: number
  /** The resource this acquire is queued on, if any. */
  readonly waitingOn: string | undefined
}

/** Read-only view of a lock table that the detector walks. */
export interface WaitForView<W extends Waiter> {
  /** The acquire holding `resource` (fully or while still acquiring the rest), if any. */
  holderOf(resource: string): { readonly owner: string } | undefined
  /** The waiter just ahead of `waiter` in its FIFO queue, if any. */
  predecessorOf(waiter: W): W | undefined
  /** Every pending wait of `owner`. */
  waitsOf(owner: string): ReadonlySet<W>
  /** Whether `owner` holds at least one resource. */
  holdsAny(owner: string): boolean
}

/** A cycle found in the wait-for graph and the waiter chosen to break it. */
export interface Deadlock<W extends Waiter> {
  /** Alternating owner and resource names, starting and ending at the victim's owner. */
  readonly cycle: string[]
  /** The youngest waiter on the cycle (largest `seq`). */
  readonly victim: W
}

/**
 * The owner `waiter` waits for: the waiter just ahead of it in the FIFO queue, or the holder when it
 * is first. Waiting for the one ahead is a real dependency (FIFO hands the resource over in order),
 * and chaining to the predecessor only keeps the graph linear in the number of waiters.
 */
function waitsFor<W extends Waiter>(view: WaitForView<W>, waiter: W): string | undefined {
  if (waiter.waitingOn === undefined) return undefined
  return (view.predecessorOf(waiter) ?? view.holderOf(waiter.waitingOn))?.owner
}

interface Step<W> {
  owner: string
  via: W
}

/**
 * Looks for a cycle through the wait `start` has just joined. Only a new wait adds an edge that can
 * close a cycle, so checking the new edge on every enqueue finds every deadlock exactly once.
 * Edges from an owner to itself (two acquires of one owner queued one behind the other) are not
 * cycles: the older acquire is served first. (A wait on a resource the same owner already holds is
 * the caller's self-deadlock check, not this walk.)
 *
 * @returns the cycle and the youngest waiter on it, or `undefined` when the wait is safe
 */
export function findDeadlock<W extends Waiter>(view: WaitForView<W>, start: W): Deadlock<W> | undefined {
  // Fast exit for the common case: nobody can wait for an owner that holds nothing and has no
  // other wait (nothing queues behind a wait that was just appended), so no cycle can close.
  if (!view.holdsAny(start.owner) && view.waitsOf(start.owner).size <= 1) return undefined
  const first = waitsFor(view, start)
  if (first === undefined || first === start.owner) return undefined
  const parent = new Map<string, Step<W>>([[first, { owner: start.owner, via: start }]])
  const stack = [first]
  while (stack.length > 0) {
    const owner = stack.pop() as string
    for (const wait of view.waitsOf(owner)) {
      const target = waitsFor(view, wait)
      if (target === undefined || target === owner) continue
      if (target === start.owner) return toDeadlock(parent, owner, wait, start.owner)
      if (!parent.has(target)) {
        parent.set(target, { owner, via: wait })
        stack.push(target)
      }
    }
  }
  return undefined
}

function toDeadlock<W extends Waiter>(
  parent: Map<string, Step<W>>,
  last: string,
  lastWait: W,
  origin: string,
): Deadlock<W> {
  const steps: Step<W>[] = [{ owner: last, via: lastWait }]
  for (let owner = last; owner !== origin;) {
    const step = parent.get(owner) as Step<W>
    steps.unshift(step)
    owner = step.owner
  }
  let victimAt = 0
  steps.forEach((step, i) => {
    if (step.via.seq > (steps[victimAt] as Step<W>).via.seq) victimAt = i
  })
  const rotated = [...steps.slice(victimAt), ...steps.slice(0, victimAt)]
  const cycle = rotated.flatMap((step) => [step.owner, step.via.waitingOn as string])
  cycle.push((rotated[0] as Step<W>).owner)
  return { cycle, victim: (rotated[0] as Step<W>).via }
}
