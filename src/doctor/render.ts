/** Human rendering of a doctor report, of --list-checks and of --explain. Colour only through style(). */
import type {Style} from '../render/style'
import {table} from '../render/style'
import {printable, printableLines} from '../render/escape'
import type {Explanation, Verdict} from './explain'
import type {Check, Finding, Fix, Report, Status} from './types'

const MARK: Record<Status, string> = {ok: '[ok]   ', warn: '[warn] ', fail: '[FAIL] ', crash: '[CRASH]', skip: '[skip] '}

function mark(s: Status, st: Style): string {
  const m = MARK[s]
  if (s === 'ok') return st.ok(m)
  if (s === 'warn') return st.warn(m)
  if (s === 'fail' || s === 'crash') return st.bad(m)
  return st.dim(m)
}

function fixLines(fix: Fix | undefined, st: Style, indent: string): string[] {
  if (!fix) return []
  return [`${indent}${st.dim('fix:')} ${printableLines(fix.text)}`, ...fix.commands.map(printable).map((c) => `${indent}  ${c.startsWith('#') ? st.dim(c) : '$ ' + c}`)]
}

function findingLines(f: Finding, st: Style, indent: string): string[] {
  const [first, ...rest] = f.messages.map(printableLines)
  const head = `${indent}${mark(f.status, st)} ${f.title}${first ? ': ' + first : ''}  ${st.dim(f.id)}`
  const detail = f.status === 'ok' ? [] : [...rest.map((m) => `${indent}         ${m}`), ...fixLines(f.fix, st, indent + '         ')]
  if (f.status === 'ok' && rest.length) detail.push(...rest.map((m) => `${indent}         ${st.dim(m)}`))
  return [head, ...detail]
}

function summaryLine(r: Report, st: Style): string {
  const s = r.summary
  const counts = `${s.ok} ok, ${s.warn} warning${s.warn === 1 ? '' : 's'}, ${s.fail} failed${s.crash ? `, ${s.crash} crashed` : ''}${s.skip ? `, ${s.skip} skipped` : ''}`
  return r.failed ? st.bad(`doctor: ${counts}`) : s.warn ? st.warn(`doctor: ${counts}`) : st.ok(`doctor: ${counts}`)
}

export function renderReport(r: Report, st: Style): string {
  const lines: string[] = []
  const system = r.findings.filter((f) => f.group === 'system')
  if (system.length) lines.push(st.bold('System'), ...system.flatMap((f) => findingLines(f, st, '  ')))
  const byDevice = new Map<string, Finding[]>()
  for (const f of r.findings) if (f.device !== undefined) byDevice.set(f.device, [...(byDevice.get(f.device) ?? []), f])
  for (const [name, fs] of byDevice) lines.push('', st.bold(printable(name)), ...fs.flatMap((f) => findingLines(f, st, '  ')))
  if (r.findings.every((f) => f.group === 'system') && r.findings.length) lines.push('', st.dim('no TUN/TAP devices to check'))
  lines.push('', summaryLine(r, st))
  return lines.join('\n')
}

const NAME_SLOT = '\u0000'
/** `name` as a whole word (tap1 is not in tap10). */
const wordOf = (name: string) => new RegExp(`(?<![A-Za-z0-9])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9])`, 'g')

/**
 * Names as the config writes ranges: tap0, tap1 ... tap63 is "tap{0..63}"; names that do not run in
 * sequence are listed (the first few, then how many more).
 */
export function compactNames(names: string[]): string {
  const parts: string[] = []
  let i = 0
  while (i < names.length) {
    const m = /^(.*?)(0|[1-9]\d*)$/.exec(names[i])
    let j = i
    if (m) while (j + 1 < names.length && names[j + 1] === `${m[1]}${Number(m[2]) + (j + 1 - i)}`) j++
    parts.push(j > i + 1 ? `${m![1]}{${m![2]}..${Number(m![2]) + (j - i)}}` : names.slice(i, j + 1).join(', '))
    i = j + 1
  }
  const flat = parts.join(', ').split(', ')
  return flat.length > 6 ? `${flat.slice(0, 5).join(', ')} and ${flat.length - 5} more` : flat.join(', ')
}

/**
 * Only warnings, failures and crashes, one line each; the same finding on many devices (the same check,
 * status, words and fix, but for the name) is one line naming them all.
 */
export function renderProblems(r: Report, st: Style): string {
  const groups = new Map<string, {f: Finding; devices: string[]}>()
  for (const f of r.findings) {
    const generic = f.device === undefined ? f : {...f, messages: f.messages.map((m) => m.replace(wordOf(f.device!), NAME_SLOT)), fix: f.fix && {...f.fix, text: f.fix.text.replace(wordOf(f.device), NAME_SLOT), commands: f.fix.commands.map((c) => c.replace(wordOf(f.device!), NAME_SLOT))}}
    const key = JSON.stringify([f.id, f.status, f.device === undefined, generic.messages, generic.fix])
    const g = groups.get(key)
    if (g) g.devices.push(f.device!)
    else groups.set(key, {f, devices: f.device === undefined ? [] : [f.device]})
  }
  const lines: string[] = []
  for (const {f, devices} of groups.values()) {
    if (devices.length <= 1) {
      lines.push(...findingLines({...f, title: devices.length ? `${printable(devices[0])}: ${f.title}` : f.title}, st, ''))
      continue
    }
    const label = `${compactNames(devices)}`
    const first = devices[0]
    const many = {...f, title: `${printable(label)} (${devices.length} devices): ${f.title}`, messages: f.messages.map((m) => m.replace(wordOf(first), label))}
    const perDevice = f.fix?.commands.some((c) => !c.startsWith('#') && wordOf(first).test(c))
    if (f.fix) many.fix = {text: f.fix.text.replace(wordOf(first), label), commands: perDevice ? [`# for each of them; for ${first}:`, ...f.fix.commands] : f.fix.commands}
    lines.push(...findingLines(many, st, ''))
  }
  if (!lines.length) lines.push(st.ok('no problems found'))
  lines.push('', summaryLine(r, st))
  return lines.join('\n')
}

export function renderCheckList(checks: readonly Check[], st: Style): string {
  return table(['ID', 'GROUP', 'CHECKS THAT'], checks.map((c) => [c.id, c.group, c.description]), st)
}

const VERDICT: Record<Verdict, string> = {likely: 'LIKELY', unlikely: 'unlikely', possible: 'possible'}

export function renderExplanation(e: Explanation, st: Style): string {
  const lines = [`${st.bold('message:')} ${printable(e.message)}`]
  if (e.errno || e.device) lines.push(`${st.dim('means:')} ${[e.errno && `errno ${e.errno}`, e.device && `device ${printable(e.device)}`].filter(Boolean).join(', ')}`)
  if (!e.recognised) {
    lines.push('', 'tunadm does not know this message. Run tunadm doctor for a check of the whole system.')
    return lines.join('\n')
  }
  for (const p of e.patterns) {
    lines.push('', `${st.bold(p.id)} ${st.dim(`(printed by ${p.programs})`)}`)
    for (const c of p.causes) {
      const v = VERDICT[c.verdict]
      const tag = c.verdict === 'likely' ? st.bad(`[${v}]`) : c.verdict === 'unlikely' ? st.ok(`[${v}]`) : st.warn(`[${v}]`)
      lines.push(`  ${tag} ${c.text}`)
      if (c.detail) lines.push(`      ${st.dim('here:')} ${printableLines(c.detail)}`)
      if (c.verdict !== 'unlikely') lines.push(...fixLines(c.fix, st, '      '))
    }
  }
  return lines.join('\n')
}
