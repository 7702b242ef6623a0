import {
  Activity,
  ArrowDown,
  ArrowRight,
  ArrowUp,
  ArrowUpDown,
  ChartColumn,
  ChartLine,
  Check,
  ChevronDown,
  CircleAlert,
  CircleCheck,
  Database,
  Globe,
  GripVertical,
  Hash,
  ListTodo,
  LoaderCircle,
  Monitor,
  Moon,
  Package,
  Pencil,
  Play,
  Plus,
  Radio,
  ShieldCheck,
  Sparkles,
  Sun,
  Table,
  User,
  X,
  Zap,
} from 'lucide-static'
import { generatedAsset } from '../assets/generated.ts'
import { type Html, raw } from '../html.ts'

// Named imports from lucide-static: the bundler keeps only these (the package has no side
// effects), so the binary carries the icons we use, as the symbols of one sprite file.
const ICONS = {
  activity: Activity,
  'arrow-down': ArrowDown,
  'arrow-right': ArrowRight,
  'arrow-up': ArrowUp,
  'arrow-up-down': ArrowUpDown,
  'chart-column': ChartColumn,
  'chart-line': ChartLine,
  check: Check,
  'chevron-down': ChevronDown,
  'circle-alert': CircleAlert,
  'circle-check': CircleCheck,
  database: Database,
  globe: Globe,
  'grip-vertical': GripVertical,
  hash: Hash,
  'list-todo': ListTodo,
  'loader-circle': LoaderCircle,
  monitor: Monitor,
  moon: Moon,
  package: Package,
  pencil: Pencil,
  play: Play,
  plus: Plus,
  radio: Radio,
  'shield-check': ShieldCheck,
  sparkles: Sparkles,
  sun: Sun,
  table: Table,
  user: User,
  x: X,
  zap: Zap,
} as const

export type IconName = keyof typeof ICONS

/** The lucide markup inside `<svg>…</svg>`, without its license comment and layout whitespace. */
function shapes(name: IconName): string {
  const inner = /<svg[^>]*>([\s\S]*)<\/svg>/.exec(ICONS[name])?.[1] ?? ''
  return inner
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/\s*\n\s*/g, '')
    .replace(/\s*\/>/g, '/>')
}

/**
 * Every icon as a `<symbol>` of one SVG file. Stroke, fill and size come from the `.icon` rule in CSS,
 * inherited through `<use>`, so a page can still restyle icons (and currentColor follows the text).
 */
function spriteMarkup(): string {
  const names = Object.keys(ICONS) as IconName[]
  const symbols = names.map((name) => `<symbol id="${name}" viewBox="0 0 24 24">${shapes(name)}</symbol>`)
  return `<svg xmlns="http://www.w3.org/2000/svg">${symbols.join('')}</svg>\n`
}

/** The sprite under its content-hashed name, the same from source and in the compiled binary. */
export const iconSprite = generatedAsset('icons.svg', 'image/svg+xml', spriteMarkup())

export function isIconName(name: string): name is IconName {
  return Object.hasOwn(ICONS, name)
}

/**
 * An icon as a reference into the sprite: ~100 bytes where the inline SVG was ~300, which counts in
 * a region re-rendered on every change. Decoration (`aria-hidden`); the control around it carries the
 * label. Unknown names (e.g. from a slice's nav) render nothing rather than fail a page.
 */
export function icon(name: string): Html {
  return raw(
    isIconName(name) ? `<svg class="icon" aria-hidden="true"><use href="${iconSprite.url}#${name}"/></svg>` : '',
  )
}
