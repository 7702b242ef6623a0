import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { icon, iconSprite } from '../../../../src/core/web/ui/icons.ts'
import { home } from '../../../../src/features/home/index.ts'
import { type AppServer, startAppServer } from '../../../features/app-server.ts'

let app: AppServer

beforeAll(async () => {
  app = await startAppServer([home])
})

afterAll(() => app.close())

describe('icons', () => {
  it('render as a decorative reference into the hashed sprite, and unknown names as nothing', () => {
    expect(icon('check').value).toBe(`<svg class="icon" aria-hidden="true"><use href="${iconSprite.url}#check"/></svg>`)
    expect(iconSprite.url).toMatch(/^\/assets\/icons-[0-9a-f]{8}\.svg$/)
    expect(icon('no-such-icon').value).toBe('')
  })

  it('come from a sprite served from source under its hash, cacheable forever, with a validator', async () => {
    const page = await (await app.client().get('/')).text()
    const href = page.match(/<use href="([^"#]+)#zap"\/>/)?.[1]
    expect(href).toBe(iconSprite.url)
    const sprite = await app.client().get(href as string)
    expect(sprite.status).toBe(200)
    expect(sprite.headers.get('content-type')).toStartWith('image/svg+xml')
    expect(sprite.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(sprite.headers.get('x-content-type-options')).toBe('nosniff')
    const svg = await sprite.text()
    expect(svg).toStartWith('<svg xmlns="http://www.w3.org/2000/svg">')
    expect(svg).toContain('<symbol id="zap" viewBox="0 0 24 24"><path d="')
    const etag = sprite.headers.get('etag') as string
    expect((await app.client().get(href as string, { 'If-None-Match': etag })).status).toBe(304)
    expect((await app.client().get('/assets/icons-00000000.svg')).status).toBe(404)
  })
})
