/**
 * The Ansible module (contrib/ansible) run for real: ansible-playbook against localhost, connection
 * local, the devices in a throwaway namespace (the module's netns option), tunadm from this checkout.
 */
import {spawnSync} from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {BIN, Netns, ROOT, describeKernel, sh} from '../helpers/kernel'

const hasAnsible = spawnSync('sh', ['-c', 'command -v ansible-playbook']).status === 0

const PLAYBOOK = `- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: the TUN/TAP devices of this host
      tunadm.tunadm.tunadm:
        config: "{{ cfg }}"
        devices: "{{ devs | default(omit) }}"
        state: "{{ state | default('present') }}"
        prune: "{{ prune | default(false) }}"
        netns: "{{ netns }}"
        executable: "{{ exe }}"
`

const CONFIG = `version: 1
devices:
  - {name: tun0, mode: tun, user: nobody, mtu: 1400, up: true, addresses: [10.8.0.1/32], peer: 10.8.0.2}
  - {name: "vm{0..1}", mode: tap, group: nogroup, vnet_hdr: true}
`

interface TaskResult {changed: boolean; failed?: boolean; msg?: string; devices?: Array<{name: string; action: string}>; diff?: Array<{before: string; after: string; after_header: string}>; error?: {code: string}}

describeKernel('the Ansible module', () => {
  let ns: Netns
  let dir: string
  let cfg: string
  beforeAll(() => {
    if (!hasAnsible && process.env.CI) throw new Error('ansible-playbook is not installed; .ci/run installs ansible-core')
    ns = new Netns('ansible')
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-ansible-'))
    cfg = path.join(dir, 'tunadm.yaml')
    fs.writeFileSync(path.join(dir, 'play.yml'), PLAYBOOK)
  })
  afterAll(() => {
    ns?.remove()
    fs.rmSync(dir, {recursive: true, force: true})
  })

  /**
   * Run the play; the one task's result, whole, from the tests' own stdout callback
   * (test/helpers/ansible/result_json.py: the json callback is in the ansible.posix collection, which a
   * bare ansible-core does not have).
   */
  function play(vars: Record<string, unknown>, ...flags: string[]): TaskResult {
    fs.writeFileSync(path.join(dir, 'vars.json'), JSON.stringify({cfg, netns: ns.name, exe: BIN, ...vars}))
    const r = sh('ansible-playbook', ['-i', 'localhost,', '-e', `@${path.join(dir, 'vars.json')}`, path.join(dir, 'play.yml'), ...flags], {
      env: {
        // Its own lock: other test files run apply at the same time (the default lock is one per machine).
        ...process.env, TUNADM_LOCK: path.join(dir, 'lock'), ANSIBLE_COLLECTIONS_PATH: path.join(ROOT, 'contrib', 'ansible'),
        ANSIBLE_CALLBACK_PLUGINS: path.join(ROOT, 'test', 'helpers', 'ansible'), ANSIBLE_STDOUT_CALLBACK: 'result_json',
        ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3', ANSIBLE_LOCAL_TEMP: path.join(dir, 'tmp'), ANSIBLE_NOCOLOR: '1', ANSIBLE_HOST_KEY_CHECKING: 'False',
      },
    })
    let out: {plays: Array<{tasks: Array<{hosts: {localhost: TaskResult}}>}>}
    try {
      out = JSON.parse(r.stdout.slice(r.stdout.indexOf('{')))
    } catch {
      throw new Error(`ansible-playbook gave no JSON (exit ${r.status}): ${r.stdout}\n${r.stderr}`)
    }
    return out.plays[0].tasks[0].hosts.localhost
  }
  // NO-CARRIER is left out: the kernel's link watch reports a new device's carrier drop up to a second
  // after apply returns, so it can appear between two looks without anything having changed it.
  const state = () => JSON.stringify(ns.links().map((l) => [l.ifname, l.mtu, (l.flags as string[]).filter((f) => f !== 'NO-CARRIER'), l.ifalias]))
  const names = () => ns.links().map((l) => l.ifname).filter((n) => n !== 'lo').sort()

  const maybe = hasAnsible || process.env.CI ? test : test.skip

  maybe('apply: changed on the first run, unchanged on the second; check and diff mode change nothing', () => {
    fs.writeFileSync(cfg, CONFIG)
    const first = play({})
    expect([first.changed, first.failed ?? false]).toEqual([true, false])
    expect(names()).toEqual(['tun0', 'vm0', 'vm1'])
    expect(ns.link('tun0')?.mtu).toBe(1400)
    expect(play({}).changed).toBe(false)
    fs.writeFileSync(cfg, CONFIG.replace('mtu: 1400', 'mtu: 1300'))
    const before = state()
    const check = play({}, '--check', '--diff')
    expect(check.changed).toBe(true)
    expect(check.devices?.find((d) => d.name === 'tun0')?.action).toBe('changed')
    expect(check.diff?.find((d) => /device tun0/.test(d.after_header))).toMatchObject({before: 'mtu: 1400\n', after: 'mtu: 1300\n'})
    expect(state()).toBe(before)
    expect(play({}).changed).toBe(true)
    expect(ns.link('tun0')?.mtu).toBe(1300)
  }, 120000)

  maybe('state: absent removes only the devices this config manages', () => {
    fs.writeFileSync(cfg, CONFIG)
    play({})
    expect(ns.exec('ip', ['tuntap', 'add', 'dev', 'handmade0', 'mode', 'tap']).status).toBe(0)
    const down = play({state: 'absent'})
    expect(down.changed).toBe(true)
    expect(names()).toEqual(['handmade0'])
    expect(play({state: 'absent'}).changed).toBe(false)
    ns.exec('ip', ['link', 'del', 'handmade0'])
  }, 120000)

  maybe('inline devices are validated by tunadm and written to the config; a bad one fails with tunadm\'s message, changing nothing', () => {
    const inline = path.join(dir, 'inline.yaml')
    const ok = play({cfg: inline, devs: [{name: 'tap9', mode: 'tap', user: 'nobody', up: true}]})
    expect(ok.changed).toBe(true)
    expect(names()).toContain('tap9')
    expect(fs.statSync(inline).mode & 0o777).toBe(0o600)
    const before = state()
    const bad = play({cfg: inline, devs: [{name: 'tap9', mode: 'tapp', user: 'nobody'}]})
    expect(bad.failed).toBe(true)
    expect(bad.msg).toMatch(/^tunadm apply failed \(INVALID_CONFIG\): devices\[0\] \(tap9\): mode "tapp"; expected tun .* or tap/)
    expect(bad.msg).toContain('why: ')
    expect(state()).toBe(before)
    expect(play({cfg: inline, devs: [], state: 'absent'}).changed).toBe(true)
    expect(names()).not.toContain('tap9')
    expect(fs.existsSync(inline)).toBe(false)
  }, 120000)

  maybe('paths: state absent creates nothing (a config in a missing directory); a .. after a symlinked directory means what open(2) makes of it', () => {
    const missing = path.join(dir, 'no', 'such', 'dir', 'tunadm.yaml')
    const gone = play({cfg: missing, devs: [{name: 'tap8', mode: 'tap', user: 'nobody'}], state: 'absent'})
    expect([gone.changed, gone.failed ?? false]).toEqual([false, false])
    expect(fs.existsSync(path.join(dir, 'no'))).toBe(false)
    // dir/link -> dir/real/sub: dir/link/../x.yaml is dir/real/x.yaml to the kernel, dir/x.yaml as text.
    fs.mkdirSync(path.join(dir, 'real', 'sub'), {recursive: true})
    fs.symlinkSync(path.join(dir, 'real', 'sub'), path.join(dir, 'link'))
    const dotted = `${dir}/link/../x.yaml` // not path.join, which would resolve the .. as text
    const made = play({cfg: dotted, devs: [{name: 'tap8', mode: 'tap', user: 'nobody'}]})
    expect(made.changed).toBe(true)
    expect(fs.existsSync(path.join(dir, 'real', 'x.yaml'))).toBe(true)
    expect(fs.existsSync(path.join(dir, 'x.yaml'))).toBe(false)
    expect(play({cfg: dotted, devs: [], state: 'absent'}).changed).toBe(true)
    expect(names()).not.toContain('tap8')
    expect(fs.existsSync(path.join(dir, 'real', 'x.yaml'))).toBe(false)
  }, 120000)

  maybe('ansible-doc renders the module\'s documentation', () => {
    const r = sh('ansible-doc', ['tunadm.tunadm.tunadm'], {env: {...process.env, ANSIBLE_COLLECTIONS_PATH: path.join(ROOT, 'contrib', 'ansible'), ANSIBLE_NOCOLOR: '1'}})
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/OPTIONS[\s\S]*adopt[\s\S]*EXAMPLES[\s\S]*RETURN VALUES/)
  })
})
