/**
 * A small JSON Schema (2020-12) checker for the keywords init/tunadm.schema.json uses, so the
 * schema can be tested without another dependency. Unknown keywords make it throw: if the schema
 * grows a keyword, this grows with it instead of silently passing.
 */
type Schema = Record<string, unknown>

const HANDLED = new Set(['$schema', '$id', 'title', 'description', 'type', 'properties', 'additionalProperties', 'required',
  'items', 'enum', 'const', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'oneOf', 'uniqueItems', '$ref', '$defs'])

export function validateJson(root: Schema, value: unknown): string[] {
  return checkAgainst(root, root, value, '$')
}

function checkAgainst(root: Schema, top: Schema, value: unknown, where: string): string[] {
  const errors: string[] = []
  const check = (schema: Schema, v: unknown, at: string): void => {
    for (const k of Object.keys(schema)) if (!HANDLED.has(k)) throw new Error(`json-schema helper: keyword ${k} not supported`)
    if (typeof schema.$ref === 'string') {
      const target = schema.$ref.replace(/^#\//, '').split('/').reduce<unknown>((o, p) => (o as Schema)[p], root) as Schema
      check(target, v, at)
    }
    const type = schema.type as string | string[] | undefined
    if (type) {
      const types = Array.isArray(type) ? type : [type]
      const actual = v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v
      if (!types.includes(actual) && !(actual === 'integer' && types.includes('number'))) {
        errors.push(`${at}: expected ${types.join('|')}, got ${actual}`)
        return
      }
    }
    if ('const' in schema && v !== schema.const) errors.push(`${at}: expected ${JSON.stringify(schema.const)}`)
    if (Array.isArray(schema.enum) && !schema.enum.includes(v)) errors.push(`${at}: expected one of ${schema.enum.join(', ')}`)
    if (typeof v === 'number') {
      if (typeof schema.minimum === 'number' && v < schema.minimum) errors.push(`${at}: below ${schema.minimum}`)
      if (typeof schema.maximum === 'number' && v > schema.maximum) errors.push(`${at}: above ${schema.maximum}`)
    }
    if (typeof v === 'string') {
      if (typeof schema.minLength === 'number' && v.length < schema.minLength) errors.push(`${at}: too short`)
      if (typeof schema.maxLength === 'number' && v.length > schema.maxLength) errors.push(`${at}: too long`)
      if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(v)) errors.push(`${at}: ${v} does not match ${schema.pattern}`)
    }
    if (Array.isArray(schema.oneOf)) {
      const passing = schema.oneOf.filter((s) => checkAgainst(root, s as Schema, v, at).length === 0).length
      if (passing !== 1) errors.push(`${at}: matches ${passing} of oneOf`)
    }
    if (Array.isArray(v)) {
      if (schema.items) v.forEach((item, i) => check(schema.items as Schema, item, `${at}[${i}]`))
      if (schema.uniqueItems && new Set(v.map((x) => JSON.stringify(x))).size !== v.length) errors.push(`${at}: items not unique`)
    }
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const props = (schema.properties ?? {}) as Record<string, Schema>
      for (const r of (schema.required ?? []) as string[]) if (!(r in v)) errors.push(`${at}: ${r} is required`)
      for (const [k, sub] of Object.entries(v)) {
        if (props[k]) check(props[k], sub, `${at}.${k}`)
        else if (schema.additionalProperties === false) errors.push(`${at}: ${k} is not allowed`)
      }
    }
  }
  check(top, value, where)
  return errors
}
