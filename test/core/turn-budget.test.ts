import { afterEach, describe, expect, it } from 'bun:test'
import { OverloadedError } from '../../src/core/errors.ts'
import { TurnBudget } from '../../src/core/turn-budget.ts'

/** Holds the event loop for `ms`, as a command's synchronous work does. */
function work(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {}
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

let server: ReturnType<typeof Bun.serve> | undefined
afterEach(() => {
  server?.stop(true)
  server = undefined
})

describe('TurnBudget', () => {
  it('lets callers within the turn’s budget go on at once, in the same turn', async () => {
    const turns = new TurnBudget({ budgetMs: 50 })
    let turnEnded = false
    setImmediate(() => {
      turnEnded = true
    })
    await Promise.all([turns.pass(), turns.admit(), turns.pass()])
    expect(turnEnded).toBe(false)
    expect(turns.waiting).toBe(0)
  })

  it('runs a burst longer than the budget over several turns, in arrival order, answering a socket between them', async () => {
    server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('ok') })
    const turns = new TurnBudget({ budgetMs: 4 })
    const done: number[] = []
    let doneWhenAnswered = -1
    // The request is sent first; its answer can only be read when the loop polls its sockets.
    const answered = fetch(`http://127.0.0.1:${server.port}/`)
      .then((response) => response.text())
      .then(() => {
        doneWhenAnswered = done.length
      })
    await nextTurn()
    const burst = Array.from({ length: 50 }, (_, i) =>
      turns.admit().then(() => {
        work(2)
        done.push(i)
      }),
    )
    await Promise.all([...burst, answered])
    expect(done).toEqual(Array.from({ length: 50 }, (_, i) => i))
    // 100 ms of work in all: without turns the answer waits for the whole burst.
    expect(doneWhenAnswered).toBeGreaterThanOrEqual(0)
    expect(doneWhenAnswered).toBeLessThan(25)
  })

  it('lets work under way go before work not started, each in arrival order', async () => {
    const turns = new TurnBudget({ budgetMs: 1 })
    await turns.pass() // starts the turn's clock
    work(2) // and spends its budget: everyone below waits for the next turn
    const order: string[] = []
    const waiters = [
      turns.admit().then(() => order.push('new 1')),
      turns.pass().then(() => order.push('under way 1')),
      turns.admit().then(() => order.push('new 2')),
      turns.pass().then(() => order.push('under way 2')),
    ]
    await Promise.all(waiters)
    expect(order).toEqual(['under way 1', 'under way 2', 'new 1', 'new 2'])
  })

  it('refuses new work with OverloadedError once maxWaiting new callers wait, never work under way', async () => {
    const turns = new TurnBudget({ budgetMs: 1, maxWaiting: 3 })
    await turns.pass() // starts the turn's clock
    work(2)
    const admitted = [turns.admit(), turns.admit(), turns.admit()]
    expect(turns.admit()).rejects.toBeInstanceOf(OverloadedError)
    expect(turns.refused).toBe(1)
    const underWay = [turns.pass(), turns.pass()] // a committed command is only deferred
    expect(turns.waiting).toBe(5)
    await Promise.all([...admitted, ...underWay])
    expect(turns.waiting).toBe(0)
    await nextTurn()
    await turns.admit() // room again
  })
})
