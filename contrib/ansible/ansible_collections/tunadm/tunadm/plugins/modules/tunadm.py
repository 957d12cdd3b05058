#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tunadm contributors
# MIT License (see the LICENSE of the tunadm project)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: tunadm
short_description: Keep a host's TUN/TAP devices as a tunadm config describes them
version_added: "0.1.0"
description:
  - A thin wrapper over C(tunadm apply --json) and C(tunadm down --json) on the managed host. tunadm does all the
    work. It validates the config, creates the devices that are missing, corrects what drifted and leaves what
    matches alone; this module passes the options on and reports what tunadm did.
  - The devices come from a config file already on the host (O(config)), or are given inline (O(devices)). Inline
    devices are written to a private temporary file (mode 0600), validated by tunadm, and only then moved to
    O(config), so an invalid list never replaces a working file and nothing is changed.
  - tunadm marks the devices it manages with the absolute path of their config file (the interface alias
    C(tunadm:PATH)). Keep O(config) the same from run to run, or the devices count as another config's.
  - The result is C(changed) exactly when tunadm created, changed, recreated or removed a device, or when the
    module wrote or removed the config file. Check mode runs tunadm with C(--dry-run); diff mode shows one diff per
    device that changes.
  - On failure, the message carries tunadm's error code, what happened, why, and how to fix it.
options:
  config:
    description:
      - Path of the tunadm config file on the managed host.
      - With O(devices), the file the module writes (it owns the file then; mode 0600).
      - With O(state=absent) and O(devices), the module removes the file after removing the devices, so that boot
        units made by C(tunadm init) do not create them again.
    type: path
    default: /etc/tunadm/tunadm.yaml
  devices:
    description:
      - The devices, inline. A list of tunadm device entries, exactly as under C(devices) in a tunadm config
        (C(name), C(mode), C(user), C(group), C(any_user), C(mtu), C(mac), C(up), C(addresses), C(routes)...).
        The module does not check them; tunadm does, and its message names the entry (C(devices[0])).
      - When given, the module writes C(version 1) and this list to O(config).
    type: list
    elements: dict
  state:
    description:
      - V(present) runs C(tunadm apply); V(absent) runs C(tunadm down), which removes only the devices this config
        manages (never one made by hand or by another config).
    type: str
    choices: [present, absent]
    default: present
  prune:
    description:
      - With O(state=present), also remove the devices this config manages that are no longer in it
        (C(tunadm apply --prune)).
    type: bool
    default: false
  netns:
    description:
      - Work inside this named network namespace (C(/run/netns/NAME)), like C(ip -n NAME) (C(tunadm --netns)).
    type: str
  adopt:
    description:
      - Let tunadm take over devices that exist but are not managed by this config (made by hand, or managed by
        another config file) (C(tunadm apply --adopt)). Without it such a device is reported as C(foreign) and the
        task fails, changing nothing on that device.
    type: bool
    default: false
  executable:
    description:
      - The tunadm executable on the managed host, a name looked up on PATH (and in C(/usr/local/bin)) or a path.
    type: path
    default: tunadm
attributes:
  check_mode:
    description: Runs tunadm with C(--dry-run) and reports what it would change.
    support: full
  diff_mode:
    description: One diff per device that changes (each setting before and after), and the config file's diff.
    support: full
  platform:
    description: Linux hosts with tunadm installed (Node.js 20 or later).
    platforms: posix
notes:
  - Runs as root on the managed host (use C(become)), since creating TUN/TAP devices needs CAP_NET_ADMIN.
  - For the devices to exist after a reboot, install boot units with C(tunadm init --install) (see the collection
    README for a task that does it).
requirements:
  - tunadm on the managed host
seealso:
  - name: tunadm README
    description: The config format, apply, down and init.
    link: https://github.com/tunadm/tunadm#readme
author:
  - tunadm contributors
'''

EXAMPLES = r'''
- name: Taps for the VMs of this host, from a file the play copied
  tunadm.tunadm.tunadm:
    config: /etc/tunadm/tunadm.yaml
  become: true

- name: The same devices given inline (written to /etc/tunadm/vmhost.yaml, validated first)
  tunadm.tunadm.tunadm:
    config: /etc/tunadm/vmhost.yaml
    devices:
      - name: "vm{0..3}"
        mode: tap
        group: kvm
        vnet_hdr: true
        up: true
      - name: tun0
        mode: tun
        user: openvpn
        addresses: [10.8.0.1/32]
        peer: 10.8.0.2
    prune: true
  become: true

- name: Remove every device this config manages (and the file, since the devices were inline)
  tunadm.tunadm.tunadm:
    config: /etc/tunadm/vmhost.yaml
    devices: []
    state: absent
  become: true

- name: Inside a network namespace, with tunadm installed elsewhere
  tunadm.tunadm.tunadm:
    config: /etc/tunadm/lab.yaml
    netns: lab
    executable: /opt/tunadm/bin/tunadm
  become: true
'''

RETURN = r'''
devices:
  description:
    - What tunadm did (or, in check mode, would do) to each device, as C(tunadm apply --json) reports it.
    - C(action) is one of C(created), C(recreated), C(changed), C(unchanged), C(removed), C(foreign) (a device of
      that name that this config does not manage, see O(adopt)), C(failed); C(changes) lists each setting as C(what), C(from) and C(to); C(error) is set when
      the device failed.
  returned: when tunadm ran
  type: list
  elements: dict
  sample:
    - name: tap0
      action: changed
      changes:
        - what: mtu
          from: 1500
          to: 1400
    - name: tap1
      action: unchanged
      changes: []
config:
  description: The config file tunadm read.
  returned: always
  type: str
  sample: /etc/tunadm/tunadm.yaml
config_changed:
  description: Whether the module wrote (or, in check mode, would write) or removed the config file.
  returned: always
  type: bool
  sample: false
dry_run:
  description: Whether tunadm ran with C(--dry-run) (check mode).
  returned: when tunadm ran
  type: bool
  sample: false
command:
  description: The tunadm command line that was run.
  returned: when tunadm ran
  type: list
  elements: str
  sample: [/usr/local/bin/tunadm, apply, --json, --config, /etc/tunadm/tunadm.yaml]
error:
  description: tunadm's error (C(code), C(message), C(why), C(fix), C(exitCode), and for an invalid config
    C(problems)).
  returned: failure
  type: dict
  sample:
    code: INVALID_CONFIG
    message: "devices[0] (tap0): mode \"tapp\"; expected tun (layer 3, IP packets) or tap (layer 2, Ethernet frames)"
    why: the whole file is checked before anything changes; nothing was changed
    fix: correct the file
    exitCode: 2
rc:
  description: tunadm's exit code (0 done, 1 an operation failed, 2 invalid input; nothing was changed).
  returned: when tunadm ran
  type: int
  sample: 0
'''

import json
import os
import re
import tempfile

from ansible.module_utils.basic import AnsibleModule

# A device's action that means tunadm changed it (or, with --dry-run, would change it).
CHANGING_ACTIONS = frozenset(['created', 'recreated', 'changed', 'removed'])

HEADER = '# Written by the tunadm Ansible module (tunadm.tunadm.tunadm): change the play, not this file.\n'


def read_tunadm_json(stdout):
    """Split tunadm's --json output into (result, error, warnings).

    The one place that knows the shape. Accepted:
      {"status": "ok", "result": {...}, "warnings": [...]}   and   {"status": "error", "error": {...}}
    and the older bare forms: the result object itself, or {"error": {...}}.
    Output that is not a JSON object gives (None, None, []).
    """
    try:
        doc = json.loads(stdout)
    except ValueError:
        return None, None, []
    if not isinstance(doc, dict):
        return None, None, []
    warnings = doc.get('warnings') or []
    if 'status' in doc:
        if doc['status'] == 'ok':
            return doc.get('result') or {}, None, warnings
        return None, doc.get('error') or {'message': 'tunadm reported status %s' % doc['status']}, warnings
    if isinstance(doc.get('error'), dict):
        return None, doc['error'], warnings
    return doc, None, warnings


def device_changed(device):
    return device.get('action') in CHANGING_ACTIONS


def render_config(devices):
    """The config file for inline devices: one device per line (JSON is YAML), so that a line number in tunadm's
    messages names the entry."""
    lines = [HEADER, 'version: 1\n']
    if not devices:
        lines.append('devices: []\n')
    else:
        lines.append('devices:\n')
        lines.extend('  - %s\n' % json.dumps(d, sort_keys=False) for d in devices)
    return ''.join(lines)


# Line of the first device in render_config's output.
FIRST_DEVICE_LINE = 4


def name_entries(text, staged, devices):
    """Replace STAGED:LINE:COL in tunadm's messages with the inline entry it means: devices[i] (NAME)."""
    def entry(match):
        i = int(match.group(1)) - FIRST_DEVICE_LINE
        if 0 <= i < len(devices):
            name = devices[i].get('name') if isinstance(devices[i], dict) else None
            return 'devices[%d]%s' % (i, ' (%s)' % name if name is not None else '')
        return 'devices'
    text = re.sub(re.escape(staged) + r':(\d+):\d+', entry, text)
    return text.replace(staged, 'the inline devices')


def relabel_error(error, staged, devices):
    out = {}
    for key, value in error.items():
        if isinstance(value, str):
            value = name_entries(value, staged, devices)
        elif key == 'problems' and isinstance(value, list):
            value = [dict(p, file='devices', entry=name_entries('%s:%s:%s' % (staged, p.get('line'), p.get('col')), staged, devices))
                     if isinstance(p, dict) and p.get('file') == staged else p for p in value]
        out[key] = value
    return out


def error_message(verb, error):
    """tunadm's error as one message: code, what, why, fix."""
    parts = ['tunadm %s failed' % verb]
    if error.get('code'):
        parts[0] += ' (%s)' % error['code']
    parts[0] += ': %s' % (error.get('message') or 'no message')
    if error.get('why'):
        parts.append('why: %s' % error['why'])
    if error.get('fix'):
        parts.append('fix: %s' % error['fix'])
    return '; '.join(parts)


def failed_devices_message(verb, devices):
    lines = []
    for d in devices:
        if d.get('action') not in ('failed', 'foreign'):
            continue
        e = d.get('error') or {}
        lines.append('%s: %s' % (d.get('name'), error_message(verb, e)[len('tunadm %s failed' % verb) + 2:] if e else 'failed'))
    return 'tunadm %s failed for %d device(s): %s' % (verb, len(lines), ' | '.join(lines))


def show(value):
    return 'none' if value is None else str(value)


def device_diffs(devices, netns):
    """One Ansible diff per device that changed: each setting's value before and after."""
    where = ' (netns %s)' % netns if netns else ''
    diffs = []
    for d in devices:
        if not device_changed(d):
            continue
        before, after = [], []
        for c in d.get('changes') or []:
            what = c.get('what')
            if c.get('from') is not None:
                before.append('%s: %s\n' % (what, show(c.get('from'))))
            if c.get('to') is not None:
                after.append('%s: %s\n' % (what, show(c.get('to'))))
        diffs.append({
            'before_header': 'device %s%s' % (d.get('name'), where),
            'after_header': 'device %s%s (%s)' % (d.get('name'), where, d.get('action')),
            'before': ''.join(before),
            'after': ''.join(after),
        })
    return diffs


def find_executable(module, executable):
    if os.sep in executable:
        if not (os.path.isfile(executable) and os.access(executable, os.X_OK)):
            module.fail_json(msg='the tunadm executable %s does not exist or is not executable; fix: install tunadm '
                                 'there, or set executable to its path' % executable)
        return executable
    return module.get_bin_path(executable, required=True, opt_dirs=['/usr/local/bin'])


def run_tunadm(module, tunadm, verb, config, dry_run, adopt=None):
    p = module.params
    adopt = p['adopt'] if adopt is None else adopt
    cmd = [tunadm, 'apply' if verb == 'apply' else 'down', '--json', '--config', config]
    if dry_run:
        cmd.append('--dry-run')
    if verb == 'apply' and p['prune']:
        cmd.append('--prune')
    if verb == 'apply' and adopt:
        cmd.append('--adopt')
    if p['netns']:
        cmd.extend(['--netns', p['netns']])
    rc, out, err = module.run_command(cmd, environ_update={'NO_COLOR': '1'})
    result, error, warnings = read_tunadm_json(out)
    return {'cmd': cmd, 'rc': rc, 'stdout': out, 'stderr': err, 'result': result, 'error': error, 'warnings': warnings}


def stage(module, text):
    """Write text to a new private file (mode 0600, in Ansible's private temporary directory); return its path."""
    fd, staged = tempfile.mkstemp(prefix='tunadm-', suffix='.yaml', dir=module.tmpdir)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode('utf-8'))
    finally:
        os.close(fd)
    module.add_cleanup_file(staged)
    return staged


def install_config(module, staged, config):
    """Move a staged file to config (atomically, mode 0600), creating its directory when missing."""
    directory = os.path.dirname(config)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    module.atomic_move(staged, config)
    os.chmod(config, 0o600)


def read_text(path):
    try:
        with open(path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')
    except (IOError, OSError):
        return None


def fail_run(module, verb, run, response, staged=None, devices=None):
    """Fail with tunadm's message when it reported an error, a failed device, or no JSON at all."""
    if run['error'] is not None:
        error = relabel_error(run['error'], staged, devices) if staged else run['error']
        module.fail_json(msg=error_message(verb, error), error=error, rc=run['rc'], command=run['cmd'], **response)
    result = run['result']
    if result is None:
        module.fail_json(msg='tunadm %s exited %s without a JSON report; stderr: %s' % (verb, run['rc'], run['stderr'].strip() or '(empty)'),
                         rc=run['rc'], stdout=run['stdout'], stderr=run['stderr'], command=run['cmd'], **response)
    devices = result.get('devices') or []
    if any(d.get('action') in ('failed', 'foreign') for d in devices) or run['rc'] != 0:
        response['changed'] = response['changed'] or any(device_changed(d) for d in devices)
        module.fail_json(msg=failed_devices_message(verb, devices) if devices else 'tunadm %s exited %s' % (verb, run['rc']),
                         devices=devices, rc=run['rc'], command=run['cmd'], **response)



def rename_marker(device, staged, config):
    """A device outcome planned against the staged file, as the real run against config would report it: the managed
    marker names config, and a marker change to what the device already has is no change."""
    changes = []
    for c in device.get('changes') or []:
        if c.get('what') == 'managed' and isinstance(c.get('to'), str):
            c = dict(c, to=c['to'].replace(staged, config))
            if c['to'] == c.get('from'):
                continue
        changes.append(c)
    if device.get('action') == 'changed' and not changes:
        return dict(device, action='unchanged', changes=[])
    return dict(device, changes=changes)


def check_new_config(module, tunadm, staged, config, old_text, run):
    """Check mode with a config file that would change: tunadm planned against the staged file (the real file must
    not change), so its devices are re-labelled for config, and with prune, the devices config manages today that the
    new list leaves out are the ones apply would remove."""
    planned = [rename_marker(d, staged, config) for d in run['result'].get('devices') or []]
    if module.params['prune'] and old_text is not None:
        names = set(d.get('name') for d in planned)
        managed = run_tunadm(module, tunadm, 'down', config, dry_run=True)
        fail_run(module, 'apply', managed, {'changed': True, 'config': config, 'config_changed': True})
        planned.extend(d for d in managed['result'].get('devices') or [] if d.get('name') not in names)
    run['result'] = dict(run['result'], devices=planned)
    return run


def present(module, tunadm, config, old_text, response, file_diffs):
    """tunadm apply; inline devices are written to config first, once tunadm has validated them."""
    devices = module.params['devices']
    check = module.check_mode
    if devices is not None:
        new_text = render_config(devices)
        if new_text != old_text:
            response['config_changed'] = True
            file_diffs.append({'before_header': config, 'after_header': config, 'before': old_text or '', 'after': new_text})
            staged = stage(module, new_text)
            # Validate against the system without changing it. The staged file's path is not the one that marks
            # config's devices, so tunadm would call them foreign: --adopt plans them as config would.
            trial = run_tunadm(module, tunadm, 'apply', staged, dry_run=True, adopt=True)
            fail_run(module, 'apply', trial, response, staged, devices)
            if check:
                return check_new_config(module, tunadm, staged, config, old_text, trial)
            install_config(module, staged, config)
    run = run_tunadm(module, tunadm, 'apply', config, dry_run=check)
    fail_run(module, 'apply', run, response)
    return run


def absent(module, tunadm, config, old_text, response, file_diffs):
    """tunadm down; with inline devices the module owns config, and removes it too."""
    inline = module.params['devices'] is not None
    check = module.check_mode
    # down finds the devices by the marker, which is config's path: a missing file (or directory) is fine, and
    # nothing is created for a task that asks for removal.
    run = run_tunadm(module, tunadm, 'down', config, dry_run=check)
    if old_text is None:
        unread = 'cannot read %s ' % config
        run['warnings'] = [w for w in run['warnings'] if not (w.get('message', '') if isinstance(w, dict) else str(w)).startswith(unread)]
    fail_run(module, 'down', run, response)
    if inline:
        if old_text is not None:
            response['config_changed'] = True
            file_diffs.append({'before_header': config, 'after_header': config, 'before': old_text, 'after': ''})
        if not check and old_text is not None:
            os.remove(config)
    return run


def main():
    module = AnsibleModule(
        argument_spec=dict(
            config=dict(type='path', default='/etc/tunadm/tunadm.yaml'),
            devices=dict(type='list', elements='dict'),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            prune=dict(type='bool', default=False),
            netns=dict(type='str'),
            adopt=dict(type='bool', default=False),
            executable=dict(type='path', default='tunadm'),
        ),
        supports_check_mode=True,
    )
    p = module.params
    tunadm = find_executable(module, p['executable'])
    # The path as open(2) means it: made absolute, never normalised as text (a/link/../b is not a/b when link is a
    # symbolic link to a directory elsewhere).
    config = p['config'] if os.path.isabs(p['config']) else os.path.join(os.getcwd(), p['config'])
    response = {'changed': False, 'config': config, 'config_changed': False}
    file_diffs = []
    old_text = read_text(config)

    run = (present if p['state'] == 'present' else absent)(module, tunadm, config, old_text, response, file_diffs)
    devices = []
    if run is not None:
        for w in run['warnings']:
            module.warn(w.get('message', json.dumps(w)) if isinstance(w, dict) else str(w))
        devices = run['result'].get('devices') or []
        response.update(devices=devices, dry_run=bool(run['result'].get('dryRun', module.check_mode)), command=run['cmd'], rc=run['rc'])
    response['changed'] = response['config_changed'] or any(device_changed(d) for d in devices)
    if module._diff:
        response['diff'] = file_diffs + device_diffs(devices, p['netns'])
    module.exit_json(**response)


if __name__ == '__main__':
    main()
