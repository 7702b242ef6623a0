import { readFileSync } from 'node:fs'
import { isAbsolute, relative, sep } from 'node:path'

/** What broke: the server's own code, the browser bundle, the stylesheet, or the type check. */
export type DevProblemSource = 'server' | 'browser' | 'css' | 'types'

/** One error the dev overlay and the terminal show: where it is and what it says. */
export interface DevProblem {
  readonly source: DevProblemSource
  /** Relative to the project root when inside it. */
  readonly file: string
  /** 1-based; 0 when the tool did not say. */
  readonly line: number
  readonly column: number
  readonly message: string
  /** The source line, when the tool gave it. */
  readonly lineText?: string
}

/** The overlay lists this many problems per source at most; a broken file can report hundreds. */
export const MAX_PROBLEMS_PER_SOURCE = 20
const MAX_MESSAGE_CHARS = 2_000

/** Where Bun's BuildMessage (parse errors, bundler logs) says the error is. */
interface BunPosition {
  readonly file: string
  readonly line: number
  readonly column: number
  readonly lineText?: string
}

function projectPath(root: string, file: string): string {
  if (!isAbsolute(file)) return file
  const inside = relative(root, file)
  return inside.startsWith('..') || isAbsolute(inside) ? file : inside.split(sep).join('/')
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text
}

function fromPosition(source: DevProblemSource, root: string, message: string, position: BunPosition): DevProblem {
  const lineText = position.lineText?.replace(/^[\r\n]+|[\r\n]+$/g, '') // the CSS parser includes the line break
  return {
    source,
    file: projectPath(root, position.file),
    line: position.line,
    column: position.column,
    message: clip(message),
    ...(lineText ? { lineText: clip(lineText) } : {}),
  }
}

function positionOf(value: unknown): BunPosition | null {
  const position = (value as { position?: unknown } | null)?.position as Partial<BunPosition> | null | undefined
  return typeof position?.file === 'string' && typeof position.line === 'number'
    ? { file: position.file, line: position.line, column: position.column ?? 0, lineText: position.lineText ?? '' }
    : null
}

/** A ResolveMessage names the importing file but no line: find the line that imports the specifier. */
function importLine(referrer: string, specifier: string): { line: number; lineText: string } {
  try {
    const lines = readFileSync(referrer, 'utf8').split('\n')
    const index = lines.findIndex((text) => text.includes(`'${specifier}'`) || text.includes(`"${specifier}"`))
    return index < 0 ? { line: 0, lineText: '' } : { line: index + 1, lineText: lines[index] ?? '' }
  } catch {
    return { line: 0, lineText: '' }
  }
}

/** The first stack frame in the project (not in node_modules): where a thrown error came from. */
function frameInProject(root: string, stack: string): BunPosition | null {
  for (const match of stack.matchAll(/\(?((?:\/|[A-Za-z]:\\)[^():\s]+):(\d+):(\d+)\)?/g)) {
    const [, file = '', line = '0', column = '0'] = match
    if (file.startsWith(root) && !file.includes(`${sep}node_modules${sep}`)) {
      return { file, line: Number(line), column: Number(column) }
    }
  }
  return null
}

/** Turns what `import()` or a start-up threw into problems: a parse error, a missing module, or any Error. */
export function problemsFromError(source: DevProblemSource, root: string, error: unknown): DevProblem[] {
  const errors = error instanceof AggregateError ? error.errors : [error]
  return errors.slice(0, MAX_PROBLEMS_PER_SOURCE).map((one) => {
    const message = one instanceof Error ? one.message : String(one)
    const position = positionOf(one)
    if (position) return fromPosition(source, root, message, position)
    const { referrer, specifier } = (one ?? {}) as { referrer?: unknown; specifier?: unknown }
    if (typeof referrer === 'string' && typeof specifier === 'string') {
      return fromPosition(source, root, message, { file: referrer, column: 0, ...importLine(referrer, specifier) })
    }
    const frame = one instanceof Error && one.stack ? frameInProject(root, one.stack) : null
    if (frame) return fromPosition(source, root, `${one instanceof Error ? one.name : 'Error'}: ${message}`, frame)
    return { source, file: '', line: 0, column: 0, message: clip(message) }
  })
}

/** Bun.build's error logs as problems (warnings are left to the terminal). */
export function problemsFromBuildLogs(
  source: DevProblemSource,
  root: string,
  logs: readonly { level: string; message: string }[],
): DevProblem[] {
  return logs
    .filter((log) => log.level === 'error')
    .slice(0, MAX_PROBLEMS_PER_SOURCE)
    .map((log) => {
      const position = positionOf(log)
      return position
        ? fromPosition(source, root, log.message, position)
        : { source, file: '', line: 0, column: 0, message: clip(log.message) }
    })
}

/** `web/app.css:3:5 Unexpected token`: one line for the terminal, in the form editors turn into links. */
export function formatProblem(problem: DevProblem): string {
  const where = problem.line > 0 ? `${problem.file}:${problem.line}:${problem.column}` : problem.file
  return where ? `${where} ${problem.message}` : problem.message
}
