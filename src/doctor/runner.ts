/** Run the selected checks over the context; a check that throws becomes a "crash" finding. */
import {InvalidInputError} from '../errors'
import {CHECKS} from './checks'
import type {Check, DoctorContext, Finding, Outcome, Report, Status} from './types'
import {STATUSES} from './types'

/** The checks whose id or group is in `selectors` (all when empty); unknown selectors are a usage error. */
export function selectChecks(selectors: string[] = [], checks: readonly Check[] = CHECKS): Check[] {
  if (selectors.length === 0) return [...checks]
  const unknown = selectors.filter((s) => !checks.some((c) => c.id === s || c.group === s))
  if (unknown.length) {
    throw new InvalidInputError(`unknown check ${unknown.map((u) => `"${u}"`).join(', ')}`, {
      code: 'UNKNOWN_CHECK', why: `checks are: ${checks.map((c) => c.id).join(', ')} (or a group: system, device)`, fix: 'see tunadm doctor --list-checks',
    })
  }
  return checks.filter((c) => selectors.includes(c.id) || selectors.includes(c.group))
}

function guarded(check: Check, run: () => Outcome | undefined): Outcome | undefined {
  try {
    return run()
  } catch (err) {
    const e = err as Error
    return {status: 'crash', messages: [`the check itself failed: ${e?.message ?? String(err)}`], fix: {text: 'report this as a tunadm bug, with TUNADM_DEBUG=1 output', commands: [`TUNADM_DEBUG=1 tunadm doctor --check ${check.id}`]}}
  }
}

export function runChecks(ctx: DoctorContext, checks: readonly Check[] = CHECKS): Report {
  const findings: Finding[] = []
  const add = (c: Check, o: Outcome | undefined, device?: string) => {
    if (!o) return
    const f: Finding = {id: c.id, group: c.group, title: c.title, status: o.status, messages: o.messages}
    if (device !== undefined) f.device = device
    if (o.fix) f.fix = o.fix
    findings.push(f)
  }
  for (const c of checks) if (c.group === 'system') add(c, guarded(c, () => c.run(ctx)))
  for (const target of ctx.targets) {
    const dctx = {...ctx, target}
    for (const c of checks) {
      if (c.group !== 'device' || (!target.device && !c.alsoWhenMissing)) continue
      add(c, guarded(c, () => c.run(dctx, target.device!)), target.name)
    }
  }
  const summary = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>
  for (const f of findings) summary[f.status]++
  return {findings, summary, failed: summary.fail + summary.crash > 0}
}

/** The report with only what needs attention (warnings, failures, crashes); the summary still counts everything. */
export function onlyProblems(r: Report): Report {
  return {...r, findings: r.findings.filter((f) => f.status === 'warn' || f.status === 'fail' || f.status === 'crash')}
}
