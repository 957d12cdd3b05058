/** Human rendering of devices for list and show. */
import {TunDevice, describeOwnership, queueState} from '../model/device'
import {TUN_FLAGS, fieldOf} from '../model/settings'
import {describeHolders} from '../system/holders'
import {Style, table} from './style'
import {printable} from './escape'

const addressText = (a: NonNullable<TunDevice['addresses']>[number]) => `${a.address}/${a.prefixLen}${a.peer ? ` peer ${a.peer}` : ''}`

function idText(r: TunDevice['owner']): string {
  if (!r) return '-'
  return r.name ? printable(r.name) : `${r.id} (no such account)`
}

function stateText(d: TunDevice, st: Style): string {
  if (!d.up) return st.warn('down')
  if (!d.carrier) return st.warn('up, no-carrier')
  return st.ok('up')
}

/** The registry's TUN flags' model fields: worked out once (list asks per device). */
let flagFields: string[] | undefined
/** The text of each set of flags seen (bit 0 persist, bit i + 1 the registry's flag i), made once: a list's devices share a few. */
const flagTexts: string[] = []

export function tunFlagText(d: TunDevice): string {
  flagFields ??= TUN_FLAGS.map((s) => fieldOf(s.key))
  let set = d.persist ? 1 : 0
  for (let i = 0; i < flagFields.length; i++) if ((d as unknown as Record<string, unknown>)[flagFields[i]] === true) set |= 2 << i
  return flagTexts[set] ??= flagSetText(set)
}

/** The keys of the flags in `set` (tunFlagText's bits), comma-separated in the registry's order, persist last; '-' for none. */
function flagSetText(set: number): string {
  const on: string[] = []
  for (let i = 0; i < TUN_FLAGS.length; i++) if (set & (2 << i)) on.push(TUN_FLAGS[i].key)
  if (set & 1) on.push('persist')
  return on.join(',') || '-'
}

export function renderList(devices: TunDevice[], st: Style, withProcesses: boolean, withAddresses = false): string {
  if (devices.length === 0) return 'no TUN/TAP devices'
  const headers = ['NAME', 'MODE', 'OWNER', 'GROUP', 'STATE', 'MTU', 'MASTER', 'FLAGS', 'MAC']
  if (withAddresses) headers.push('ADDRESSES')
  if (withProcesses) headers.push('PROCESSES')
  const rows = new Array<string[]>(devices.length)
  for (let i = 0; i < devices.length; i++) {
    const d = devices[i]
    const row = [
      printable(d.name), d.mode,
      d.anyUserMayAttach ? st.warn('any user') : idText(d.owner),
      d.anyUserMayAttach ? st.warn('any user') : idText(d.group),
      stateText(d, st), String(d.mtu ?? '-'), d.master ? printable(d.master.name) : '-', tunFlagText(d), d.mac ?? '-',
    ]
    if (withAddresses) row.push(d.addresses?.length ? d.addresses.map(addressText).join(' ') : '-')
    if (withProcesses) row.push(d.processes?.length ? printable(describeHolders(d.processes)) : '-')
    rows[i] = row
  }
  return table(headers, rows, st)
}

/** The queues as the kernel counts them (it counts only on multi-queue devices; a single-queue one is held while it has carrier). */
function queuesText(d: TunDevice, st: Style): string {
  const q = queueState(d)
  if (!d.multiQueue) return `single queue, ${q.held ? `attached${d.carrier ? '' : ' (carrier off)'}` : 'not attached'}`
  if (q.enabled === 0 && q.disabled > 0) return `0 attached (${q.disabled} disabled): ${st.warn('every queue is disabled, no packet passes')}`
  return `${q.enabled} attached${q.disabled ? ` (${q.disabled} disabled)` : ''}`
}

export function renderShow(d: TunDevice, st: Style): string {
  const lines: Array<[string, string]> = [
    ['mode', d.mode],
    ['owner', d.anyUserMayAttach ? st.warn(describeOwnership(d)) : printable(describeOwnership(d))],
    ['state', `${stateText(d, st)}${d.operstate ? ` (operstate ${d.operstate})` : ''}`],
    ['tun flags', tunFlagText(d)],
    ['link flags', d.flags.join(',') || '-'],
  ]
  if (d.mac) lines.push(['mac', d.mac])
  lines.push(['mtu', `${d.mtu ?? '-'}${d.minMtu !== undefined ? ` (range ${d.minMtu}-${d.maxMtu})` : ''}`])
  lines.push(['txqueuelen', String(d.txqueuelen ?? '-')])
  lines.push(['queues', queuesText(d, st)])
  if (d.master) lines.push(['master', printable(d.master.name)])
  if (d.alias) lines.push(['alias', printable(d.alias)])
  if (d.addresses) {
    lines.push(['addresses', d.addresses.map(addressText).join(', ') || '-'])
  }
  if (d.routes) {
    lines.push(['routes', d.routes.map((r) => `${r.destination}${r.gateway ? ` via ${r.gateway}` : ''}${r.linkdown ? ' ' + st.warn('linkdown') : ''}`).join(', ') || '-'])
  }
  if (d.processes) lines.push(['processes', d.processes.length ? printable(describeHolders(d.processes)) : 'none attached'])
  const width = Math.max(...lines.map(([k]) => k.length))
  return [st.bold(printable(d.name)), ...lines.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n')
}
