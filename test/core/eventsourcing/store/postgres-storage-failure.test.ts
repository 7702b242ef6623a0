import { afterEach, describe, expect, it } from 'bun:test'
import { StorageFaultError } from '../../../../src/core/errors.ts'
import { CommandHandler } from '../../../../src/core/eventsourcing/commands.ts'
import { PostgresEventStore } from '../../../../src/core/eventsourcing/store/postgres-event-store.ts'
import { createLogger } from '../../../../src/core/ops/log.ts'
import { describeError } from '../../../../src/core/web/http/error-response.ts'
import { notesDecider, notesRegistry } from '../../../fixtures/notes.ts'
import { openPostgresSchema, type PostgresSchema, pgUrl } from '../../../fixtures/postgres.ts'

const board = { type: 'board', id: 'main' }
const addNote = { type: 'AddNote', text: 'hi' } as const
/** The advisory lock every append transaction takes first (postgres-append.ts). */
const APPEND_LOCK = 7_311_800

// The server itself runs on SQLite; on PostgreSQL the same pipeline (commands, store, the HTTP
// error table) meets a real server that refuses writes, injected on the store's own connection.
describe.skipIf(!pgUrl)('PostgresEventStore when the database server cannot write for a while', () => {
  let pg: PostgresSchema | undefined
  afterEach(async () => {
    await pg?.close()
    pg = undefined
  })

  async function open() {
    pg = await openPostgresSchema()
    const admin = pg.connect(1)
    // One connection: a session-level SET then applies to every commit of the store.
    const sql = pg.connect(1)
    const lines: Record<string, unknown>[] = []
    const log = createLogger({ format: 'json', write: (line) => lines.push(JSON.parse(line)) })
    const store = new PostgresEventStore(sql, notesRegistry(), { channel: pg.schema, log })
    const commands = new CommandHandler(store)
    await commands.handle(notesDecider, board, addNote)
    const events = async () => Number((await sql`SELECT count(*)::int AS n FROM events`)[0]?.n)
    return { sql, store, commands, lines, events, admin }
  }

  it('refuses commands with a 503 storage fault while the transaction is read-only (25006), then writes again', async () => {
    const { sql, store, commands, lines, events } = await open()
    await sql`SET default_transaction_read_only = on`
    for (let i = 0; i < 3; i++) {
      const error = await commands.handle(notesDecider, board, addNote).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(StorageFaultError)
      expect(describeError(error)).toMatchObject({
        status: 503,
        message: 'The database is read-only: nothing was written, retry later',
        headers: { 'Retry-After': expect.any(String) },
      })
    }
    expect(store.storageFault()?.message).toBe('The database is read-only: nothing was written, retry later')
    expect(store.stats().storageFailures).toBe(3)
    expect(lines.filter((line) => line.level === 'error')).toHaveLength(1)

    await sql`SET default_transaction_read_only = off`
    await commands.handle(notesDecider, board, addNote)
    expect(store.storageFault()).toBeNull()
    expect(await events()).toBe(2)
    expect(lines.at(-1)).toMatchObject({ msg: 'Event store writes again', failedCommits: 3 })
  })

  it("answers a 503 when the server ends the store's connection mid-commit (admin shutdown), and the next command commits", async () => {
    const { sql, store, commands, events, admin } = await open()
    const [{ pid }] = await sql`SELECT pg_backend_pid() AS pid`
    let answer: Promise<unknown> = Promise.resolve()
    // Hold the append lock so the store's commit waits inside its transaction, then end that backend.
    await admin.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${APPEND_LOCK})`
      answer = commands.handle(notesDecider, board, addNote).catch((e: unknown) => e)
      while ((await tx`SELECT 1 FROM pg_locks WHERE pid = ${pid} AND NOT granted`).length === 0) await Bun.sleep(5)
      await tx`SELECT pg_terminate_backend(${pid})`
    })
    const error = await answer
    expect(error).toBeInstanceOf(StorageFaultError)
    expect(describeError(error)).toMatchObject({
      status: 503,
      message: 'The database server is shutting down: retry later',
    })
    expect(store.storageFault()).toBeInstanceOf(StorageFaultError)

    await commands.handle(notesDecider, board, addNote)
    expect(store.storageFault()).toBeNull()
    expect(await events()).toBe(2)
  })
})
