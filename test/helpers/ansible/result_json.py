# An Ansible stdout callback for the tests: every task result, whole (diff and failed included), as one
# JSON document at the end, in the shape of the ansible.posix json callback, which a bare ansible-core
# (Debian's ansible-core package) does not have.
import json

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = '''
    name: result_json
    type: stdout
    short_description: task results as JSON, for tunadm's tests
    description: every task's raw result by host, printed as one JSON document at the end
'''


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'result_json'

    def __init__(self):
        super().__init__()
        self.tasks = []

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.tasks.append({'task': {'name': task.get_name()}, 'hosts': {}})

    def _record(self, result, **extra):
        raw = dict(result._result)
        raw.update(extra)
        self.tasks[-1]['hosts'][result._host.get_name()] = raw

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True)

    def v2_runner_on_unreachable(self, result):
        self._record(result, unreachable=True)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_playbook_on_stats(self, stats):
        self._display.display(json.dumps({'plays': [{'tasks': self.tasks}]}))
