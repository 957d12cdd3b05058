/**
 * The layers' rule, read from the source: model/ is pure (it imports nothing from kernel/ or system/, so
 * that what a setting means never depends on how the kernel is asked), and the planner works on the
 * model's view of the kernel (services/snapshot.ts converts the wire's types) and says nothing in words
 * of the system's (render/ does), so it imports from neither.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'

const SRC = path.join(__dirname, '../../src')

/** Every module a file names: import ... from, export ... from, import(), require(), each resolved under src/. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8')
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)].map((m) => m[1])
  return specs.map((s) => (s.startsWith('.') ? path.relative(SRC, path.resolve(path.dirname(file), s)) : s))
}

describe('layers', () => {
  const modelFiles = fs.readdirSync(path.join(SRC, 'model')).filter((f) => f.endsWith('.ts')).map((f) => path.join(SRC, 'model', f))

  test('the import reader sees imports (a reader that found none would pass anything)', () => {
    expect(importsOf(path.join(SRC, 'services/plan.ts'))).toEqual(expect.arrayContaining(['model/desired', 'services/snapshot', 'render/refusals']))
    expect(modelFiles.length).toBeGreaterThan(10)
  })

  test.each(fs.readdirSync(path.join(SRC, 'model')).filter((f) => f.endsWith('.ts')))('model/%s imports nothing from kernel/ or system/', (name) => {
    const bad = importsOf(path.join(SRC, 'model', name)).filter((m) => /^(kernel|system)(\/|$)/.test(m))
    expect(bad).toEqual([])
  })

  test('the planner reads the kernel only through the snapshot (model types): nothing from kernel/ or system/', () => {
    expect(importsOf(path.join(SRC, 'services/plan.ts')).filter((m) => /^(kernel|system)(\/|$)/.test(m))).toEqual([])
  })
})
