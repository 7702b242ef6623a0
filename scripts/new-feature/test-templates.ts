import type { FeatureNames } from './names.ts'

/** The generated slice's own tests: given/when/then for its decider, and its routes through a real server. */

export const domainTest = (n: FeatureNames) => `import { describe, it } from 'bun:test'
import { NotFoundError, RuleViolation } from '../../../src/core/errors.ts'
import { deciderSpec } from '../../../src/core/testing/decider-spec.ts'
import { MAX_ITEMS, type ${n.pascal}Event, ${n.camel}Decider } from '../../../src/features/${n.kebab}/domain.ts'

const spec = deciderSpec(${n.camel}Decider)
const at = '2026-01-01T00:00:00.000Z'
const added = (id: string): ${n.pascal}Event => ({ type: '${n.pascal}ItemAdded', data: { id, text: \`item \${id}\`, at } })

describe('${n.kebab} decider when empty', () => {
  it('adds an item with trimmed text', () => {
    spec.given().when({ type: 'Add${n.pascal}Item', id: 'a', text: ' item a ', at }).then(added('a'))
  })
  it('refuses an item with blank text', () => {
    spec.given().when({ type: 'Add${n.pascal}Item', id: 'a', text: '  ', at }).thenThrows(RuleViolation)
  })
  it('refuses to remove an item that is not there', () => {
    spec.given().when({ type: 'Remove${n.pascal}Item', id: 'a' }).thenThrows(NotFoundError)
  })
})

describe('${n.kebab} decider with items', () => {
  it('removes an item', () => {
    spec.given([added('a')]).when({ type: 'Remove${n.pascal}Item', id: 'a' }).then({ type: '${n.pascal}ItemRemoved', data: { id: 'a' } })
  })
  it('refuses an item when the list is full', () => {
    const full = Array.from({ length: MAX_ITEMS }, (_, i) => added(String(i)))
    spec.given(full).when({ type: 'Add${n.pascal}Item', id: 'x', text: 'one more', at }).thenThrows(RuleViolation)
  })
})
`

export const routesTest = (n: FeatureNames) => `import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../../src/config.ts'
import { parseElementsPatch, SseConnection } from '../../../src/core/testing/sse-client.ts'
import { ${n.camel} } from '../../../src/features/${n.kebab}/index.ts'
import { type RunningServer, startServer } from '../../../src/server.ts'

let server: RunningServer
let dir: string
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), '${n.kebab}-'))
  server = await startServer(loadConfig({ PORT: '0', DATA_DIR: dir, IRONSTAR_ENV: 'test' }), { slices: [${n.camel}] })
})
afterAll(async () => {
  await server.stop()
  rmSync(dir, { recursive: true, force: true })
})

const post = (path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(new URL(path, server.url), { method: 'POST', body: new URLSearchParams(body), headers, redirect: 'manual' })

describe('${n.kebab} routes', () => {
  it('adds an item through a plain form and shows it on the page', async () => {
    const response = await post('/${n.kebab}', { text: 'First item' })
    expect(response.status).toBe(303)
    expect(await (await fetch(new URL('/${n.kebab}', server.url))).text()).toContain('First item')
  })
  it('answers a Datastar add with an empty text signal, so the field clears', async () => {
    const response = await post('/${n.kebab}', { text: 'Second item' }, { 'Datastar-Request': 'true' })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ text: '' })
    expect(await (await fetch(new URL('/${n.kebab}', server.url))).text()).toContain('Second item')
  })
  it('refuses blank text with 422 and the message, writing nothing', async () => {
    const before = await server.app.store.headPosition()
    const response = await post('/${n.kebab}', { text: '  ' })
    expect(response.status).toBe(422)
    expect(await response.text()).toContain('Write something first')
    expect(await server.app.store.headPosition()).toBe(before)
  })
  it('answers 404 when removing an item that is not there', async () => {
    expect((await post('/${n.kebab}/nope/remove', {})).status).toBe(404)
  })
  it('pushes the re-rendered region to an open feed when an item is added', async () => {
    // Opened from the head, as a page rendered now would: the next event is the add's morph.
    const since = await server.app.store.headPosition()
    const feed = await SseConnection.open(new URL(\`/${n.kebab}/feed?since=\${since}\`, server.url))
    try {
      expect(feed.response.headers.get('content-type')).toContain('text/event-stream')
      await post('/${n.kebab}', { text: 'Live item' })
      const event = await feed.next(5_000)
      expect(event?.event).toBe('datastar-patch-elements')
      expect(event && parseElementsPatch(event).elements).toContain('Live item')
    } finally {
      feed.close()
    }
  })
})
`
