/**
 * The sysv and openrc scripts: the same shell functions (tunadm_start, tunadm_stop, tunadm_status)
 * inside each init system's frame. Standalone scripts create the devices with ip; the others call
 * tunadm apply / tunadm down with the config.
 */
import type {DeviceConfig, TunadmConfig} from '../config/types'
import {shCommand, shQuote} from './escape'
import {refuseUnexpressible} from './express'
import {addressCommands, linkSet, routeCommands, tuntapOptions} from './ip-commands'
import {header, loadTemplate, render} from './template'
import {GenerateOptions, Generator, Target} from './types'

function startLines(d: DeviceConfig): string {
  const cmds = [
    shCommand('tunadm_create', d.name, d.mode, ...tuntapOptions(d)),
    ...[linkSet(d)].filter((w) => w !== undefined).map((w) => shCommand(...w!)),
    ...addressCommands(d).map((w) => shCommand(...w)),
    ...routeCommands(d).map((w) => shCommand(...w)),
  ]
  return `\t${cmds.join(' &&\n\t\t')} || tunadm_rc=1`
}

function functions(config: TunadmConfig, opts: GenerateOptions): string {
  const names = config.devices.map((d) => shQuote(d.name))
  const out: string[] = []
  if (opts.standalone) {
    out.push('tunadm_start() {', '\ttunadm_rc=0', ...config.devices.map(startLines), '\treturn "$tunadm_rc"', '}', '')
    out.push('tunadm_stop() {', '\ttunadm_rc=0', ...config.devices.map((d) => `\t${shCommand('tunadm_remove', d.name)} || tunadm_rc=1`), '\treturn "$tunadm_rc"', '}', '')
  } else {
    out.push(`TUNADM=${shQuote(opts.tunadmPath)}`, `TUNADM_CONFIG=${shQuote(opts.configPath)}`, '')
    out.push('tunadm_start() {', '\t"$TUNADM" apply --config "$TUNADM_CONFIG"', '}', '')
    out.push('tunadm_stop() {', '\t"$TUNADM" down --config "$TUNADM_CONFIG"', '}', '')
  }
  // Status needs no tunadm: a configured device either exists as TUN/TAP or not (LSB: 0 running, 3 not).
  out.push('tunadm_status() {')
  if (names.length === 0) {
    out.push('\techo "tunadm: no devices configured"', '\treturn 0', '}')
    return out.join('\n') + '\n'
  }
  out.push(
    '\ttunadm_missing=',
    // The names as the function's own arguments: a loop over one word would be a shellcheck warning (SC2043).
    `\tset -- ${names.join(' ')}`,
    '\tfor tunadm_dev do',
    '\t\ttunadm_present "$tunadm_dev" || tunadm_missing="$tunadm_missing $tunadm_dev"',
    '\tdone',
    ...(opts.standalone ? [] : ['\t"$TUNADM" list || true']),
    '\tif [ -z "$tunadm_missing" ]; then',
    `\t\techo "tunadm: all ${names.length} configured devices are present"`,
    '\t\treturn 0',
    '\tfi',
    '\techo "tunadm: missing:$tunadm_missing"',
    '\treturn 3',
    '}',
  )
  return out.join('\n') + '\n'
}

function script(target: Target, config: TunadmConfig, opts: GenerateOptions): string {
  const description = `TUN/TAP devices from ${opts.configPath.replace(/[\r\n]/g, '?')} (tunadm)`
  const how = opts.standalone
    ? 'Creates the devices with ip tuntap and ip link/addr/route: no Node.js needed at boot.'
    : `Runs tunadm apply on start and tunadm down on stop (${opts.tunadmPath.replace(/[\r\n]/g, '?')}).`
  const values: Record<string, string> = {
    // Every value is single-quoted and meant literally, "$" and "`" included: say so once, for the whole file.
    HEADER: `${header(target, opts)}\n# shellcheck disable=SC2016`,
    DESCRIPTION: target === 'openrc' ? shQuote(description) : description,
    LIB: loadTemplate('common/devices.sh'),
    FUNCTIONS: functions(config, opts),
  }
  if (target === 'sysv') values.MODE_DESCRIPTION = how
  return render(loadTemplate(`${target}/tunadm.sh`), values)
}

export const sysv: Generator = {
  target: 'sysv',
  summary: 'an /etc/init.d script with LSB and chkconfig headers (start, stop, restart, force-reload, status)',
  installDir: '/etc/init.d',
  standalone: 'flag',
  generate(config, opts) {
    if (opts.standalone) refuseUnexpressible(config, 'iproute2', 'a standalone sysv script (ip commands)')
    const file = `${opts.installDir}/tunadm`
    return {
      files: [{path: 'tunadm', mode: 0o755, content: script('sysv', config, opts)}],
      enable: [
        `if command -v chkconfig >/dev/null; then chkconfig --add tunadm && chkconfig tunadm on; else update-rc.d tunadm defaults; fi`,
        `${shQuote(file)} start`,
      ],
      notes: opts.standalone ? [] : [`the script runs ${opts.tunadmPath} (Node.js) at boot; --standalone writes one that needs only ip`],
    }
  },
}

export const openrc: Generator = {
  target: 'openrc',
  summary: 'an openrc-run script in /etc/init.d that runs before net',
  installDir: '/etc/init.d',
  standalone: 'flag',
  generate(config, opts) {
    if (opts.standalone) refuseUnexpressible(config, 'iproute2', 'a standalone openrc script (ip commands)')
    return {
      files: [{path: 'tunadm', mode: 0o755, content: script('openrc', config, opts)}],
      enable: ['rc-update add tunadm boot', 'rc-service tunadm start'],
      notes: opts.standalone ? [] : [`the script runs ${opts.tunadmPath} (Node.js) at boot; --standalone writes one that needs only ip`],
    }
  },
}
