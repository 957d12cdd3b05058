/** Which init system (and network manager) runs here, to propose as the default target. Reads only. */
import {Host, realHost} from '../system/host'
import {Target} from './types'

/** Targets that fit this machine, best first; empty when nothing is recognised. */
export function detectTargets(host: Host = realHost): Target[] {
  const found: Target[] = []
  if (host.exists('/run/systemd/system')) {
    // networkd or NetworkManager running: they can own the devices without tunadm at boot, but the
    // unit keeps one source of truth (the config), so it comes first.
    found.push('systemd')
    if (host.exists('/run/NetworkManager')) found.push('nm')
    if (host.exists('/run/systemd/netif/links')) found.push('networkd')
  } else if (host.exists('/sbin/openrc-run') || host.exists('/usr/sbin/openrc-run') || host.exists('/run/openrc')) {
    found.push('openrc')
  } else if (host.exists('/etc/init.d') && ['/sbin/chkconfig', '/usr/sbin/chkconfig', '/usr/sbin/update-rc.d', '/sbin/insserv', '/usr/sbin/insserv'].some((p) => host.exists(p))) {
    found.push('sysv')
  }
  if (host.exists('/etc/network/interfaces') && host.exists('/sbin/ifup')) found.push('ifupdown')
  return found
}
