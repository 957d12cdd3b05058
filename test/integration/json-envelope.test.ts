/**
 * Every command's --json answer, on success, partial failure and failure, against the published schema
 * of the envelope (init/tunadm-output.schema.json); and the status tells the truth: ok with exit 0,
 * partial with exit 1, error with the error's own exit code.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {BIN, Netns, ROOT, describeKernel, sh} from '../helpers/kernel'
import {validateJson} from '../helpers/json-schema'

const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'init', 'tunadm-output.schema.json'), 'utf8'))

describeKernel('the --json envelope of every command', () => {
  let ns: Netns
  let dir: string
  let config: string
  beforeAll(() => {
    ns = new Netns('envelope')
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-envelope-'))
    config = path.join(dir, 'tunadm.yaml')
    fs.writeFileSync(config, 'version: 1\ndevices:\n  - {name: tun30, mode: tun, user: nobody}\n  - {name: tun31, mode: tun, user: nobody}\n')
  })
  afterAll(() => {
    ns?.remove()
    fs.rmSync(dir, {recursive: true, force: true})
  })

  const env = () => ({TUNADM_LOCK: path.join(dir, 'lock')})
  /** Run with --json; check the envelope against the schema and the status against the exit code. */
  function envelope(args: string[], status: 'ok' | 'partial' | 'error', inNamespace = true): {result?: any; error?: any} { // eslint-disable-line @typescript-eslint/no-explicit-any
    const r = inNamespace ? ns.tunadm([...args, '--json'], {env: env()}) : sh(process.execPath, [BIN, ...args, '--json'], {env: {...process.env, ...env()}})
    let doc: {status: string; result?: unknown; error?: {exitCode: number}}
    try {
      doc = JSON.parse(r.stdout)
    } catch {
      throw new Error(`${args.join(' ')}: not JSON (exit ${r.status}): ${r.stdout} ${r.stderr}`)
    }
    expect({args, errors: validateJson(schema, doc), stderr: r.stderr}).toEqual({args, errors: [], stderr: ''})
    expect({args, status: doc.status, exit: r.status}).toEqual({args, status, exit: status === 'ok' ? 0 : status === 'partial' ? 1 : doc.error!.exitCode})
    return doc as {result?: unknown; error?: unknown}
  }

  test('add, show, set, list, del', () => {
    expect(envelope(['add', 'tun1'], 'ok').result).toMatchObject({name: 'tun1', mode: 'tun'})
    expect(envelope(['add', 'tun1'], 'error').error).toMatchObject({code: 'EEXIST', exitCode: 1})
    expect(envelope(['add', 'x/y', '--mode', 'tun'], 'error').error).toMatchObject({exitCode: 2})
    expect(envelope(['show', 'tun1'], 'ok').result).toMatchObject({name: 'tun1'})
    expect(envelope(['show', 'nosuch'], 'error').error).toMatchObject({code: 'ENODEV'})
    expect(envelope(['set', 'tun1', '--mtu', '1400'], 'ok').result).toMatchObject({name: 'tun1', changed: true, changes: [{what: 'mtu', from: 1500, to: 1400}]})
    expect(envelope(['set', 'tun1', '--mtu', '1'], 'error').error).toMatchObject({exitCode: 2})
    expect(envelope(['list'], 'ok').result).toEqual([expect.objectContaining({name: 'tun1'})])
    expect(envelope(['ls', 'tun1'], 'error').error).toMatchObject({code: 'USAGE', exitCode: 2})
    envelope(['add', 'tun2'], 'ok')
    expect(envelope(['del', 'tun2', 'nosuch'], 'partial').result).toEqual([expect.objectContaining({name: 'tun2', deleted: true}), expect.objectContaining({name: 'nosuch', error: expect.objectContaining({code: 'ENODEV'})})])
    expect(envelope(['del', 'tun1'], 'ok').result).toEqual([expect.objectContaining({name: 'tun1', deleted: true})])
    expect(envelope(['del', 'tun1'], 'error').error).toMatchObject({code: 'ENODEV'})
  })

  test('doctor', () => {
    envelope(['add', 'tun3'], 'ok')
    expect(envelope(['doctor', '--list-checks'], 'ok').result).toEqual(expect.arrayContaining([expect.objectContaining({id: 'device.up'})]))
    expect(envelope(['doctor', 'tun3', '--check', 'device.up'], 'partial').result).toMatchObject({findings: [{id: 'device.up', status: 'fail'}]})
    expect(envelope(['doctor', 'tun3', '--check', 'device.processes'], 'ok').result).toMatchObject({findings: [{id: 'device.processes'}]})
    expect(envelope(['doctor', '--explain', 'ioctl(TUNSETIFF): Device or resource busy'], 'ok').result).toMatchObject({recognised: true})
    expect(envelope(['doctor', '--explain', 'something else entirely'], 'partial').result).toMatchObject({recognised: false})
    expect(envelope(['doctor', '--check', 'bogus'], 'error').error).toMatchObject({exitCode: 2})
  })

  test('apply and down', () => {
    expect(envelope(['apply', '--config', config], 'ok').result).toMatchObject({devices: [{name: 'tun30', action: 'created'}, {name: 'tun31', action: 'created'}]})
    expect(envelope(['apply', '--config', path.join(dir, 'nonexistent.yaml')], 'error').error).toMatchObject({exitCode: 2})
    // A device of the file's made by hand: foreign, the others go ahead.
    envelope(['del', 'tun31'], 'ok')
    envelope(['add', 'tun31'], 'ok')
    expect(envelope(['apply', '--config', config], 'partial').result).toMatchObject({devices: expect.arrayContaining([expect.objectContaining({name: 'tun31', action: 'foreign'})])})
    expect(envelope(['down', '--config', config], 'ok').result).toMatchObject({devices: [{name: 'tun30', action: 'removed'}]})
    expect(envelope(['down', '--config', config, '--wait', '-1'], 'error').error).toMatchObject({exitCode: 2})
  })

  test('init, completion, and a line with no command', () => {
    const init = ['init', '--target', 'systemd', '--config', config, '--tunadm-path', process.execPath]
    expect(envelope(init, 'ok', false).result).toMatchObject({target: 'systemd', files: [expect.objectContaining({path: 'tunadm.service'})]})
    // Under --netns the files are the same, with a warning that they carry no --netns.
    const inNs = ns.tunadm([...init, '--json'], {env: env()})
    expect(JSON.parse(inNs.stdout)).toMatchObject({status: 'ok', warnings: [expect.stringContaining('the boot files carry no --netns')]})
    expect(envelope(['init', '--target', 'systemd', '--config', path.join(dir, 'none.yaml')], 'error', false).error).toMatchObject({exitCode: 2})
    expect(envelope(['completion', 'bash'], 'ok', false).result).toMatchObject({shell: 'bash', script: expect.stringContaining('complete -F _tunadm tunadm')})
    expect(envelope(['completion', 'fish'], 'error', false).error).toMatchObject({exitCode: 2})
    expect(envelope([], 'error', false).error).toMatchObject({code: 'USAGE', message: 'no command given'})
    expect(envelope(['bogus'], 'error', false).error).toMatchObject({code: 'UNKNOWN_COMMAND'})
  })
})
