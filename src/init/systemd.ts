/** systemd: one oneshot unit that runs tunadm apply before the network is configured, tunadm down on stop. */
import {netDeviceUnit, systemdArg, systemdText} from './escape'
import {header, loadTemplate, render} from './template'
import {Generator} from './types'
import {InvalidInputError} from '../errors'

export const systemd: Generator = {
  target: 'systemd',
  summary: 'a oneshot unit running tunadm apply before network-pre.target, tunadm down on stop',
  installDir: '/etc/systemd/system',
  standalone: 'never',
  generate(config, opts) {
    if (opts.standalone) {
      throw new InvalidInputError('--standalone does not apply to the systemd target: its unit runs tunadm', {
        code: 'USAGE', fix: 'for boot files that need no tunadm under systemd, use --target networkd',
      })
    }
    const exec = (program: string, ...args: string[]) => [systemdArg(program, {executable: true}), ...args.map((a) => systemdArg(a))].join(' ')
    const first = config.devices[0]?.name ?? 'tap0'
    const content = render(loadTemplate('systemd/tunadm.service'), {
      HEADER: header('systemd', opts),
      DESCRIPTION: systemdText(`TUN/TAP devices from ${opts.configPath} (tunadm)`),
      EXAMPLE_DEVICE_UNIT: netDeviceUnit(first),
      APPLY: exec(opts.tunadmPath, 'apply', '--config', opts.configPath),
      DOWN: exec(opts.tunadmPath, 'down', '--config', opts.configPath),
    })
    const notes = [
      `order a service after its device with After=${netDeviceUnit(first)} (and BindsTo= to stop it when the device goes), plus Requires=/After=tunadm.service`,
      'the unit runs before network-pre.target: use numeric ids or local (/etc/passwd) accounts; network user databases (LDAP, sssd) are not up yet',
    ]
    const escaped = config.devices.filter((d) => netDeviceUnit(d.name) !== `sys-devices-virtual-net-${d.name}.device`)
    for (const d of escaped) notes.push(`the device unit of ${d.name} is escaped: ${netDeviceUnit(d.name)}`)
    return {
      files: [{path: 'tunadm.service', mode: 0o644, content}],
      enable: ['systemctl daemon-reload', 'systemctl enable --now tunadm.service'],
      notes,
    }
  },
}
