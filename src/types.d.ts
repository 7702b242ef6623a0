// Bun inlines `with { type: 'text' }` imports as strings (migrations are embedded this way).
declare module '*.sql' {
  const text: string
  export default text
}
