/** Fixes shared by several checks and by --explain: words plus the exact commands. */
import {TUN_NODE} from '../kernel/tun'
import type {Fix} from './types'

const UDEV_RULE = '/etc/udev/rules.d/60-tun.rules'

/**
 * Let non-root users open /dev/net/tun. Opening the node is harmless in itself: creating a device
 * still needs CAP_NET_ADMIN and attaching needs the device's owner/group, so 0666 is the stock mode.
 */
export function nodeAccessFix(user?: string): Fix {
  return {
    text: `let users open ${TUN_NODE} (stock distributions ship it 0666; the device's owner and group still decide who may attach). ` +
      `Now: chmod; for good: a udev rule. To admit only one group instead, use GROUP="<GROUP>", MODE="0660" in the rule and add ${user ?? '<USER>'} to that group.`,
    commands: [
      `chmod 0666 ${TUN_NODE}`,
      `echo 'KERNEL=="tun", MODE="0666"' > ${UDEV_RULE}`,
      'udevadm control --reload && udevadm trigger --subsystem-match=misc --sysname-match=tun',
      `# group variant: echo 'KERNEL=="tun", GROUP="<GROUP>", MODE="0660"' > ${UDEV_RULE} && usermod -aG <GROUP> ${user ?? '<USER>'}`,
    ],
  }
}

export function loadDriverFix(): Fix {
  return {
    text: 'load the TUN/TAP driver (kernel option CONFIG_TUN); if the driver is there but the node is missing (e.g. in a container), create the node',
    commands: ['modprobe tun', 'mkdir -p /dev/net && mknod /dev/net/tun c 10 200 && chmod 0666 /dev/net/tun'],
  }
}

export function makeNodeFix(): Fix {
  return {
    text: `create the node (in a container: pass it in, e.g. docker run --device /dev/net/tun --cap-add NET_ADMIN)`,
    commands: [`rm -f ${TUN_NODE}`, 'mkdir -p /dev/net && mknod /dev/net/tun c 10 200 && chmod 0666 /dev/net/tun'],
  }
}

export function bringUpFix(dev: string): Fix {
  return {text: `bring ${dev} up`, commands: [`sudo tunadm set ${dev} --up`]}
}

/**
 * The same fix for a device inside network namespace `netns` (doctor --netns NAME): tunadm commands get
 * --netns NAME, ip gets -n NAME, and other programs run under ip netns exec NAME.
 */
export function fixInNetns(fix: Fix, netns: string): Fix {
  const q = /^[A-Za-z0-9_.-]+$/.test(netns) ? netns : `'${netns}'`
  const commands = fix.commands.map((c) => {
    if (c.startsWith('#')) return c
    const m = /^(sudo )?(tunadm|ip|bridge|sysctl|iptables|ip6tables|arptables|nft)( .*)?$/.exec(c)
    if (!m) return c
    const [, sudo = '', prog, rest = ''] = m
    if (prog === 'tunadm') return `${sudo}tunadm${rest} --netns ${q}`
    if (prog === 'ip' || prog === 'bridge') return `${sudo}${prog} -n ${q}${rest}`
    return `${sudo}ip netns exec ${q} ${prog}${rest}`
  })
  return {...fix, commands}
}

export function attachFix(dev: string, linkdown: boolean): Fix {
  const commands = [`# start the program that uses ${dev} (it attaches with TUNSETIFF and the carrier comes on)`]
  if (linkdown) {
    commands.push(`sysctl -w net.ipv4.conf.${dev}.ignore_routes_with_linkdown=1`, `sysctl -w net.ipv6.conf.${dev}.ignore_routes_with_linkdown=1`)
  }
  return {
    text: linkdown
      ? `attach the program that serves ${dev}; or, if packets should fall back to other routes while it is not running, make the kernel ignore linkdown routes of ${dev}`
      : `attach the program that serves ${dev}`,
    commands,
  }
}

/** Owner and group can be set in place (TUNSETOWNER/TUNSETGROUP); only unsetting them needs a new device. */
export function ownerFix(dev: string, owner: string): Fix {
  return {
    text: `give ${dev} an owner who exists (or a group): tunadm set changes it in place`,
    commands: [`sudo tunadm set ${dev} --user ${owner}`],
  }
}
