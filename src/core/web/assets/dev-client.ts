// The dev loop in the browser (served at /__dev/reload.js in development only): reloads the page when the
// server restarts or a script is rebuilt, swaps the stylesheet in place when only CSS changed, and shows an
// overlay listing the errors of the last build or type check until the next good one.
//
// One tab per browser holds the WebSocket (a Web Lock elects it) and passes every state to the others over a
// BroadcastChannel, so ten open tabs cost one connection, not ten.
import type { DevState } from './dev-reload.ts'

const script = new URL(import.meta.url)
const pageVersion = script.searchParams.get('v') ?? ''
let cssSeen = Number(script.searchParams.get('css') ?? '0')
const CHANNEL = 'ironstar-dev-reload'
const OVERLAY_ID = 'ironstar-dev-overlay'

type Message = { readonly type: 'hello' } | { readonly type: 'state'; readonly state: DevState }

function apply(state: DevState): void {
  if (state.version !== null && state.version !== pageVersion) {
    location.reload()
    return
  }
  if (state.css !== cssSeen) {
    cssSeen = state.css
    swapStylesheets(state.css)
  }
  showProblems(state)
}

/** Loads the new stylesheet beside the old one and drops the old one once it applies: no unstyled flash. */
function swapStylesheets(css: number): void {
  for (const link of document.querySelectorAll<HTMLLinkElement>('link[rel="stylesheet"]')) {
    const url = new URL(link.href)
    if (url.origin !== location.origin || !url.pathname.startsWith('/assets/')) continue
    url.searchParams.set('dev', String(css))
    const next = link.cloneNode() as HTMLLinkElement
    next.href = url.href
    next.addEventListener('load', () => link.remove(), { once: true })
    next.addEventListener('error', () => next.remove(), { once: true })
    link.after(next)
  }
}

const STYLES = `
:host { all: initial; }
.backdrop { position: fixed; inset: 0; z-index: 2147483647; background: rgb(0 0 0 / 0.55); overflow: auto;
  font: 14px/1.5 ui-sans-serif, system-ui, sans-serif; color: #f5f5f5; }
.panel { margin: 5vh auto; max-width: 960px; background: #1c1b22; border-top: 4px solid #ff5c5c;
  border-radius: 6px; padding: 16px 20px; box-shadow: 0 12px 40px rgb(0 0 0 / 0.5); }
header { display: flex; align-items: center; justify-content: space-between; gap: 12px; }
h2 { margin: 0; font-size: 18px; color: #ff8c8c; }
button { font: inherit; color: inherit; background: #33313b; border: 1px solid #55535d; border-radius: 4px;
  padding: 4px 12px; cursor: pointer; }
ol { list-style: none; margin: 12px 0 0; padding: 0; }
li { border-top: 1px solid #33313b; padding: 10px 0; }
.source { display: inline-block; min-width: 64px; margin-right: 8px; font-size: 12px; text-transform: uppercase;
  letter-spacing: 0.05em; color: #ffd479; }
.where { font: 13px/1.4 ui-monospace, monospace; color: #8cc8ff; }
pre { margin: 6px 0 0; white-space: pre-wrap; word-break: break-word; font: 13px/1.45 ui-monospace, monospace; }
.line { color: #b9b7c1; background: #26252c; padding: 4px 8px; border-radius: 4px; }
p { margin: 12px 0 0; color: #b9b7c1; }
`

let shown = ''
let dismissed = ''

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text = '',
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  if (className) node.className = className
  node.textContent = text
  return node
}

function problemItem(problem: DevState['problems'][number]): HTMLLIElement {
  const item = element('li', 'problem')
  const where = problem.line > 0 ? `${problem.file}:${problem.line}:${problem.column}` : problem.file
  item.append(element('span', 'source', problem.source), element('code', 'where', where))
  item.append(element('pre', 'message', problem.message))
  if (problem.lineText) item.append(element('pre', 'line', problem.lineText))
  return item
}

/** The overlay lives in a shadow root: the app's CSS cannot hide it and its CSS cannot touch the app. */
function showProblems({ problems }: DevState): void {
  const key = JSON.stringify(problems)
  if (key === shown) return
  shown = key
  document.getElementById(OVERLAY_ID)?.remove()
  if (problems.length === 0 || key === dismissed) return
  const host = document.createElement('div')
  host.id = OVERLAY_ID
  const root = host.attachShadow({ mode: 'open' })
  const sheet = new CSSStyleSheet() // constructed sheets pass the page's strict style-src
  sheet.replaceSync(STYLES)
  root.adoptedStyleSheets = [sheet]
  const panel = element('section', 'panel')
  panel.setAttribute('role', 'alertdialog')
  panel.setAttribute('aria-label', 'Build errors')
  const close = element('button', 'close', 'Close')
  close.type = 'button'
  close.addEventListener('click', () => {
    dismissed = key
    host.remove()
  })
  const header = element('header', '')
  const count = problems.length === 1 ? '1 error' : `${problems.length} errors`
  header.append(element('h2', 'title', count), close)
  const list = element('ol', '')
  list.append(...problems.map(problemItem))
  panel.append(header, list, element('p', 'hint', 'Fix it and save: this goes away on the next good build.'))
  const backdrop = element('div', 'backdrop')
  backdrop.append(panel)
  root.append(backdrop)
  document.body.append(host)
}

/** Holds the WebSocket, reconnecting with a short backoff while the server restarts. */
function connect(onState: (state: DevState | null) => void): void {
  let attempt = 0
  const open = () => {
    const ws = new WebSocket(new URL('/__dev/reload', location.href.replace(/^http/, 'ws')))
    ws.onopen = () => {
      attempt = 0
    }
    ws.onmessage = (event) => onState(JSON.parse(String(event.data)) as DevState)
    ws.onclose = () => {
      onState(null)
      setTimeout(open, Math.min(2_000, 150 * 2 ** attempt++))
    }
  }
  open()
}

function start(): void {
  if (!('locks' in navigator) || typeof BroadcastChannel === 'undefined') {
    // Not a secure context (a LAN address over http): every tab holds its own connection.
    connect((state) => state && apply(state))
    return
  }
  const channel = new BroadcastChannel(CHANNEL)
  let isLeader = false
  let last: DevState | null = null // only while connected: a stale state would reload new tabs for nothing
  const post = (message: Message) => channel.postMessage(message)
  channel.onmessage = (event: MessageEvent<Message>) => {
    if (event.data.type === 'state') apply(event.data.state)
    else if (isLeader && last) post({ type: 'state', state: last })
  }
  post({ type: 'hello' })
  void navigator.locks.request(CHANNEL, () => {
    isLeader = true
    return new Promise<never>(() =>
      connect((state) => {
        last = state
        if (!state) return
        post({ type: 'state', state })
        apply(state)
      }),
    )
  })
}

start()
