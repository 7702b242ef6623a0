import { describe, expect, it } from 'bun:test'
import { createLogger, type LogLevel, logFormatFor } from '../../../src/core/ops/log.ts'

function capture(format: 'json' | 'pretty', level: LogLevel = 'info') {
  const lines: Array<{ line: string; level: LogLevel }> = []
  const logger = createLogger({ format, level, write: (line, at) => lines.push({ line, level: at }) })
  return { logger, lines }
}

describe('log', () => {
  it('writes one JSON object per line in production, with the error stack kept', () => {
    const { logger, lines } = capture('json')
    logger.error('Cannot send mail', { to: 'a@example.com', error: new Error('smtp down') })
    const record = JSON.parse(lines[0]?.line ?? '')
    expect(record).toMatchObject({ level: 'error', msg: 'Cannot send mail', to: 'a@example.com' })
    expect(record.error.message).toBe('smtp down')
    expect(record.error.stack).toContain('log.test.ts')
    expect(Number.isNaN(Date.parse(record.time))).toBe(false)
  })

  it('writes readable key=value lines in development', () => {
    const { logger, lines } = capture('pretty')
    logger.info('request', { method: 'GET', path: '/todos', note: 'two words' })
    expect(lines[0]?.line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}request method=GET path=\/todos note="two words"$/)
  })

  it('drops lines below the configured level', () => {
    const { logger, lines } = capture('json', 'warn')
    logger.info('quiet')
    logger.warn('loud')
    expect(lines.map((l) => JSON.parse(l.line).msg)).toEqual(['loud'])
  })

  it('chooses JSON only in production', () => {
    expect(logFormatFor('production')).toBe('json')
    expect(logFormatFor('development')).toBe('pretty')
    expect(logFormatFor('test')).toBe('pretty')
  })
})
