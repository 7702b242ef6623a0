import { z } from 'zod'
import type { Handler, Theme } from './context.ts'
import { serializeCookie } from './cookies.ts'
import { parseInput } from './input.ts'

export const THEME_COOKIE = 'theme'
const THEMES = ['system', 'light', 'dark'] as const

export function themeFromCookie(value: string | undefined): Theme {
  return THEMES.find((theme) => theme === value) ?? 'system'
}

// Only a same-site path is a valid return target, so the toggle cannot become an open redirect.
const localPath = z
  .string()
  .regex(/^\/(?![/\\])[^\s]*$/, 'must be a path on this site')
  .max(2000)
  .catch('/')

const ThemeInput = z.object({ theme: z.enum(THEMES), return: localPath.default('/') })

/** POST /theme: remembers the choice for a year in a cookie and goes back to the page. */
export const setTheme: Handler = async function setTheme(req, ctx) {
  const input = await parseInput(req, ctx, ThemeInput)
  const cookie = serializeCookie(THEME_COOKIE, input.theme, {
    maxAgeSeconds: 365 * 86_400,
    secure: ctx.app.config.env === 'production',
    // Not a secret, but nothing in the page needs to read it either.
    httpOnly: true,
  })
  if (ctx.isDatastar) return new Response(null, { status: 204, headers: { 'Set-Cookie': cookie } })
  return new Response(null, { status: 303, headers: { Location: input.return, 'Set-Cookie': cookie } })
}
