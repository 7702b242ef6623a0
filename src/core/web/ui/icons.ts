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
import { type Html, raw } from '../html.ts'

// Named imports from lucide-static: the bundler keeps only these (the package has no side
// effects), so the binary carries the icons we use, inlined as SVG markup.
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

const cache = new Map<string, string>()

function prepare(name: IconName): string {
  const cached = cache.get(name)
  if (cached) return cached
  // Strip the license comment and layout whitespace; size comes from CSS (1em), and the
  // icon is decoration unless a label is given.
  const svg = ICONS[name]
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/\s*\n\s*/g, ' ')
    .replace(/ width="24" height="24"/, '')
    .replace('class="lucide ', 'class="icon lucide ')
    .replace('<svg ', '<svg aria-hidden="true" focusable="false" ')
    .replace(/\s*\/>/g, '/>')
    .trim()
  cache.set(name, svg)
  return svg
}

export function isIconName(name: string): name is IconName {
  return Object.hasOwn(ICONS, name)
}

/** An inline SVG icon; unknown names (e.g. from a slice's nav) render nothing rather than fail a page. */
export function icon(name: string): Html {
  return raw(isIconName(name) ? prepare(name) : '')
}
