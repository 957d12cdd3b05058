/**
 * A fix said for a command that ran with --netns NAME must act in that namespace when pasted: tunadm
 * commands get --netns NAME (right after "tunadm", where ip puts -n), ip commands on links, addresses and
 * routes get -n NAME, and sysctl runs under ip netns exec NAME. Applying it twice changes nothing.
 */
import {TunadmError} from '../errors'

const TUNADM = /\b(tunadm) (?=(add|del|delete|rm|list|ls|show|set|apply|down|doctor|init)\b)/g
const IP = /\bip (?=(-[a-z]+ )*(link|addr|address|route|tuntap)\b)/g
const SYSCTL = /(?<!netns exec \S+ )\bsysctl (?=-w\b)/g

function quoted(netns: string): string {
  return /^[A-Za-z0-9_.-]+$/.test(netns) ? netns : `'${netns.replace(/'/g, `'\\''`)}'`
}

export function fixTextInNetns(text: string, netns: string): string {
  const q = quoted(netns)
  return text.replace(TUNADM, `$1 --netns ${q} `).replace(IP, `ip -n ${q} `).replace(SYSCTL, `ip netns exec ${q} sysctl `)
}

/** The same error with its fix for the namespace (the error itself when it has no fix). */
export function errorInNetns<E extends TunadmError>(e: E, netns: string | undefined): E {
  if (netns === undefined || !e.fix) return e
  const fix = fixTextInNetns(e.fix, netns)
  if (fix === e.fix) return e
  const copy = Object.create(Object.getPrototypeOf(e)) as E
  Object.assign(copy, e, {fix, message: e.message, stack: e.stack})
  return copy
}
