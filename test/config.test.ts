import { describe, expect, it } from 'bun:test'
import { ConfigError, loadConfig } from '../src/config.ts'

describe('loadConfig', () => {
  it('runs out of the box with defaults', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({ port: 3000, host: '127.0.0.1', dataDir: './data', env: 'development' })
    expect(config.sessionMaxAgeSeconds).toBe(30 * 86_400)
    expect(config.idempotencyWindowSeconds).toBe(86_400)
  })

  it('reads values from the environment', () => {
    const config = loadConfig({ PORT: '8080', DATA_DIR: '/srv/ironstar', NODE_ENV: 'production' })
    expect(config).toMatchObject({ port: 8080, dataDir: '/srv/ironstar', env: 'production' })
  })

  it('reads PUBLIC_ORIGIN as a list of normalised origins', () => {
    const config = loadConfig({ PUBLIC_ORIGIN: 'https://App.Example.com, https://www.example.com:8443' })
    expect(config.publicOrigins).toEqual(['https://app.example.com', 'https://www.example.com:8443'])
    expect(loadConfig({}).publicOrigins).toEqual([])
  })

  it('IRONSTAR_ENV wins over NODE_ENV', () => {
    expect(loadConfig({ IRONSTAR_ENV: 'test', NODE_ENV: 'production' }).env).toBe('test')
  })

  for (const [name, value] of [
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['RING_CAPACITY', '0'],
    ['IDEMPOTENCY_WINDOW_SECONDS', '-5'],
    ['IRONSTAR_ENV', 'staging'],
    ['PUBLIC_ORIGIN', 'https://app.example.com/app'],
    ['PUBLIC_ORIGIN', 'ftp://app.example.com'],
  ] as const) {
    it(`refuses ${name}=${value} with a message naming the variable`, () => {
      expect(() => loadConfig({ [name]: value })).toThrow(ConfigError)
      expect(() => loadConfig({ [name]: value })).toThrow(`Invalid environment variable ${name}=`)
    })
  }

  it('reads DATABASE_URL, and unset means SQLite', () => {
    const url = 'postgres://app:secret@db.internal:5432/ironstar'
    expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url)
    expect(loadConfig({}).databaseUrl).toBeUndefined()
    expect(loadConfig({ DATABASE_URL: '' }).databaseUrl).toBeUndefined()
  })

  for (const value of ['mysql://app:secret@db/ironstar', 'postgres:///no-host', 'db.internal:5432']) {
    it(`refuses DATABASE_URL=${value} without echoing it (it may hold a password)`, () => {
      expect(() => loadConfig({ DATABASE_URL: value })).toThrow(
        'Invalid environment variable DATABASE_URL: expected a PostgreSQL URL like postgres://',
      )
      expect(() => loadConfig({ DATABASE_URL: value })).not.toThrow('secret')
    })
  }
})
